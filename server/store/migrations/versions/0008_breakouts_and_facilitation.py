"""Breakouts and facilitation: breakout rounds, their rooms, placements and topic choices; the agenda; chat;
questions; removed members; the audit log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

On SQLite nothing here rebuilds a table (alembic's batch mode does for a column with a foreign key or a
dropped column): a rebuild drops the old table, and with foreign keys on, dropping ``rooms`` deletes every
board in it (ON DELETE CASCADE), and their ideas with them. So columns are added and dropped in place
(ALTER TABLE), and ``rooms.round_id`` with its REFERENCES clause by plain SQL on SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN_ROUND = "status IN ('open', 'closing')"


def upgrade() -> None:
    op.create_table(
        "breakout_rounds",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("countdown_s", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=True),
        sa.Column("ends_at", sa.DateTime, nullable=True),
        sa.Column("closes_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("help_queue", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("event_id", "number", name="uq_breakout_rounds_event_number"),
    )
    op.create_index(
        "uq_breakout_rounds_open",
        "breakout_rounds",
        ["event_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_ROUND),
        postgresql_where=sa.text(OPEN_ROUND),
    )

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE rooms ADD COLUMN round_id VARCHAR(32) REFERENCES breakout_rounds (id) ON DELETE CASCADE"
        )
    else:
        op.add_column("rooms", sa.Column("round_id", sa.String(32), nullable=True))
        op.create_foreign_key("fk_rooms_round", "rooms", "breakout_rounds", ["round_id"], ["id"], ondelete="CASCADE")
    op.add_column("rooms", sa.Column("position", sa.Integer, nullable=False, server_default="0"))
    op.add_column("rooms", sa.Column("topic", sa.Text, nullable=False, server_default=""))
    op.add_column("rooms", sa.Column("field_id", sa.String(32), nullable=True))
    op.add_column("rooms", sa.Column("capacity", sa.Integer, nullable=True))
    op.add_column("rooms", sa.Column("host_member_id", sa.String(32), nullable=True))
    op.create_index("ix_rooms_round", "rooms", ["round_id"])
    op.add_column("members", sa.Column("removed_at", sa.DateTime, nullable=True))

    op.create_table(
        "breakout_round_rooms",
        sa.Column("round_id", sa.String(32), sa.ForeignKey("breakout_rounds.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("field_id", sa.String(32), nullable=True),
        sa.Column("capacity", sa.Integer, nullable=True),
        sa.Column("host_member_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_breakout_round_rooms_room", "breakout_round_rooms", ["room_id"])
    round_room = (["round_id", "room_id"], ["breakout_round_rooms.round_id", "breakout_round_rooms.room_id"])
    for table in ("breakout_placements", "breakout_final_placements"):
        op.create_table(
            table,
            sa.Column("round_id", sa.String(32), primary_key=True),
            sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("room_id", sa.String(32), nullable=False),
            sa.ForeignKeyConstraint(*round_room, ondelete="CASCADE"),
        )
    op.create_table(
        "breakout_preferences",
        sa.Column("round_id", sa.String(32), primary_key=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("rank", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("room_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(*round_room, ondelete="CASCADE"),
    )

    op.create_table(
        "agendas",
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("current_step_id", sa.String(32), nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "agenda_steps",
        sa.Column("event_id", sa.String(32), sa.ForeignKey("agendas.event_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("duration_s", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )

    op.create_table(
        "chat_messages",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_chat_messages_room_sent", "chat_messages", ["room_id", "sent_at"])
    op.create_index("ix_chat_messages_event", "chat_messages", ["event_id"])
    op.create_table(
        "chat_silenced",
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    )

    op.create_table(
        "questions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("asked_at", sa.DateTime, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("answered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_questions_event", "questions", ["event_id"])
    op.create_table(
        "question_upvotes",
        sa.Column("question_id", sa.String(32), sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "question_pins",
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("question_id", sa.String(32), sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_audit_log_event_at", "audit_log", ["event_id", "at"])


def downgrade() -> None:
    # Columns are dropped in place (SQLite 3.35+), for the same reason: breakout rooms stay as rooms.
    for table in (
        "audit_log",
        "question_pins",
        "question_upvotes",
        "questions",
        "chat_silenced",
        "chat_messages",
        "agenda_steps",
        "agendas",
        "breakout_preferences",
        "breakout_final_placements",
        "breakout_placements",
        "breakout_round_rooms",
    ):
        op.drop_table(table)
    op.drop_column("members", "removed_at")
    op.drop_index("ix_rooms_round", "rooms")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_rooms_round", "rooms", type_="foreignkey")
    for column in ("host_member_id", "capacity", "field_id", "topic", "position", "round_id"):
        op.drop_column("rooms", column)
    op.drop_table("breakout_rounds")
