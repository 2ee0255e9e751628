"""Ideas merged into another, found by the idea they were merged into.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

An idea's dots include those on the ideas merged into it (``server.store.merges``). Merges are few
among many ideas: a partial index holds only the merged ones.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

MERGED = "merged_into IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_ideas_merged_into",
        "ideas",
        ["merged_into"],
        sqlite_where=sa.text(MERGED),
        postgresql_where=sa.text(MERGED),
    )


def downgrade() -> None:
    op.drop_index("ix_ideas_merged_into", "ideas")
