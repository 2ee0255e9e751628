"""A client's idea ids are unique per board and author (as the rules check them), not across boards.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ideas") as batch:
        batch.drop_constraint("uq_ideas_author_client", type_="unique")
        batch.create_unique_constraint("uq_ideas_board_author_client", ["board_id", "author_id", "client_id"])


def downgrade() -> None:
    with op.batch_alter_table("ideas") as batch:
        batch.drop_constraint("uq_ideas_board_author_client", type_="unique")
        batch.create_unique_constraint("uq_ideas_author_client", ["author_id", "client_id"])
