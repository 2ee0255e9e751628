"""A vote session says whether facilitators and organizers are voters of it (by default not).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vote_sessions") as batch:
        batch.add_column(sa.Column("moderators_vote", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("vote_sessions") as batch:
        batch.drop_column("moderators_vote")
