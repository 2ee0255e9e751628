"""Free boards: a board may have its own columns instead of the event's fields of action.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("boards") as batch:
        batch.add_column(sa.Column("free", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("fields") as batch:
        # set for the columns of a free board; null for the event's fields of action
        batch.add_column(sa.Column("board_id", sa.String(32), nullable=True))
        batch.create_foreign_key("fk_fields_board", "boards", ["board_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("fields") as batch:
        batch.drop_constraint("fk_fields_board", type_="foreignkey")
        batch.drop_column("board_id")
    with op.batch_alter_table("boards") as batch:
        batch.drop_column("free")
