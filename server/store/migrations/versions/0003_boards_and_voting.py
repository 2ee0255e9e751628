"""Boards and voting: board settings, idea order and provenance, clusters, comments, vote sessions, dots.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("boards") as batch:
        batch.add_column(sa.Column("position", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("phase", sa.String(16), nullable=False, server_default="collect"))
        batch.add_column(sa.Column("silent", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("revealed", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("premoderation", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("ideas") as batch:
        batch.add_column(sa.Column("title", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("tags", sa.JSON, nullable=True))
        batch.add_column(sa.Column("colour", sa.String(16), nullable=True))
        batch.add_column(sa.Column("position", sa.String(64), nullable=False, server_default="V"))
        batch.add_column(sa.Column("cluster_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="visible"))
        batch.add_column(sa.Column("phase", sa.String(16), nullable=False, server_default="collect"))
        batch.add_column(sa.Column("merged_into", sa.String(32), nullable=True))
        batch.add_column(sa.Column("merged_from", sa.JSON, nullable=True))
        batch.add_column(sa.Column("reporters", sa.JSON, nullable=True))
    op.create_table(
        "clusters",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("column_id", sa.String(32), nullable=False),
        sa.Column("heading", sa.String(80), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("position", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("dissolved_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_clusters_board", "clusters", ["board_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_comments_board", "comments", ["board_id"])
    op.create_table(
        "vote_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("budget", sa.Integer, nullable=False),
        sa.Column("cap", sa.Integer, nullable=False),
        sa.Column("blind", sa.Boolean, nullable=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_ids", sa.JSON, nullable=False),
        sa.Column("opened_by", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cast", sa.Integer, nullable=False),
        sa.Column("results", sa.JSON, nullable=True),
    )
    op.create_index("ix_vote_sessions_board", "vote_sessions", ["board_id"])
    op.create_table(
        "ballots",
        sa.Column("session_id", sa.String(32), sa.ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("used", sa.Integer, nullable=False),
    )
    op.create_table(
        "votes",
        sa.Column("session_id", sa.String(32), sa.ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id"), primary_key=True),
        sa.Column("dots", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("votes", "ballots", "vote_sessions", "comments", "clusters"):
        op.drop_table(table)
    with op.batch_alter_table("ideas") as batch:
        for column in (
            "reporters",
            "merged_from",
            "merged_into",
            "phase",
            "status",
            "cluster_id",
            "position",
            "colour",
            "tags",
            "title",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("boards") as batch:
        for column in ("anonymous", "premoderation", "locked", "revealed", "silent", "phase", "position"):
            batch.drop_column(column)
