"""Importing ideas from CSV or XLSX: the uploaded file kept between its dry run and its import.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

A file stays at most a day (``server.store.imports.KEEP``) and is removed once imported; the row
remains as the record of what was imported where (``board_id``, ``ideas``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idea_imports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("separator", sa.String(4), nullable=True),
        sa.Column("content", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=True),
        sa.Column("board_id", sa.String(32), nullable=True),
        sa.Column("ideas", sa.Integer, nullable=True),
    )
    op.create_index("ix_idea_imports_expires", "idea_imports", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idea_imports_expires")
    op.drop_table("idea_imports")
