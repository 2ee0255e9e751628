"""Asynchronous participation: a board's window, from ``opens_at`` to ``closes_at`` (both null: none).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Columns added in place (ALTER TABLE), not by alembic's batch mode: see 0008 on why a rebuild of
``boards`` on SQLite would be dangerous.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("boards", sa.Column("opens_at", sa.DateTime, nullable=True))
    op.add_column("boards", sa.Column("closes_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("boards", "closes_at")
    op.drop_column("boards", "opens_at")
