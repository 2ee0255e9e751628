"""Personal data: when a member's data were erased (their row stays, holding nothing of them), and the site's
own pages that organizers write (the privacy page and the accessibility statement), per page and language.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10

On SQLite the column is added in place (see 0008 on why a table rebuild is dangerous here).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("members", sa.Column("erased_at", sa.DateTime, nullable=True))
    op.create_table(
        "site_texts",
        sa.Column("page", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(32), nullable=True),  # the organizer; null once their account is gone
    )


def downgrade() -> None:
    op.drop_table("site_texts")
    op.drop_column("members", "erased_at")
