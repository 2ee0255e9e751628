"""Organizers take part in their own events' rooms as members with the organizer role.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("organizer_id", sa.String(32), nullable=True))
        batch.create_unique_constraint("uq_members_event_organizer", ["event_id", "organizer_id"])


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint("uq_members_event_organizer", type_="unique")
        batch.drop_column("organizer_id")
