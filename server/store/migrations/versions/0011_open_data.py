"""Open data per event: the licence the organizer chose, the publishing body, an optional DCAT-AP.de
contributor ID, and whether the results are published (with the time they first were).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10

Columns are added in place on SQLite too (see 0008 on why a batch rebuild of ``events`` would
delete everything of every event).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("open_data_licence", sa.String(32), nullable=True))
    op.add_column("events", sa.Column("open_data_publisher", sa.String(200), nullable=False, server_default=""))
    op.add_column("events", sa.Column("open_data_contributor", sa.String(300), nullable=False, server_default=""))
    op.add_column("events", sa.Column("open_data_published", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("events", sa.Column("open_data_issued_at", sa.DateTime, nullable=True))
    op.add_column("events", sa.Column("open_data_changed_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    for column in (
        "open_data_changed_at",
        "open_data_issued_at",
        "open_data_published",
        "open_data_contributor",
        "open_data_publisher",
        "open_data_licence",
    ):
        op.drop_column("events", column)
