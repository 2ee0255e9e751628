"""The idea store's tables (SQLAlchemy core). The schema itself is made by the migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stored as naive UTC on every database; read back as an aware UTC datetime."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the idea store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


organizers = sa.Table(
    "organizers",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # shown on the join page before anyone types a pseudonym; empty: the default text
    sa.Column("privacy_notice", sa.Text, nullable=False, server_default=""),
)

fields = sa.Table(
    "fields",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False),
    # set for the columns of a free board; null for the event's fields of action
    sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=True),
)

event_links = sa.Table(
    "event_links",
    metadata,
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("pseudonym", sa.String(40), nullable=False),
    sa.Column("pseudonym_key", sa.String(160), nullable=False),
    sa.Column("colour", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("organizer_id", sa.String(32), nullable=True),  # set for an organizer's own membership
    sa.UniqueConstraint("event_id", "pseudonym_key", name="uq_members_event_pseudonym"),
    sa.UniqueConstraint("event_id", "organizer_id", name="uq_members_event_organizer"),
)

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
)

boards = sa.Table(
    "boards",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("phase", sa.String(16), nullable=False, default="collect"),
    sa.Column("silent", sa.Boolean, nullable=False, default=False),
    sa.Column("revealed", sa.Boolean, nullable=False, default=True),
    sa.Column("locked", sa.Boolean, nullable=False, default=False),
    sa.Column("premoderation", sa.Boolean, nullable=False, default=False),
    sa.Column("anonymous", sa.Boolean, nullable=False, default=False),
    sa.Column("free", sa.Boolean, nullable=False, default=False),  # own columns, not the event's fields
)

ideas = sa.Table(
    "ideas",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("room_id", sa.String(32), nullable=False),
    sa.Column("event_id", sa.String(32), nullable=False),
    sa.Column("field_id", sa.String(32), sa.ForeignKey("fields.id"), nullable=False),
    sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    sa.Column("deleted_by", sa.String(32), nullable=True),
    sa.Column("title", sa.String(120), nullable=False, default=""),
    sa.Column("tags", sa.JSON, nullable=True),
    sa.Column("colour", sa.String(16), nullable=True),
    sa.Column("position", sa.String(64), nullable=False, default="V"),
    sa.Column("cluster_id", sa.String(32), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, default="visible"),
    sa.Column("phase", sa.String(16), nullable=False, default="collect"),
    sa.Column("merged_into", sa.String(32), nullable=True),
    sa.Column("merged_from", sa.JSON, nullable=True),
    sa.Column("reporters", sa.JSON, nullable=True),
    sa.UniqueConstraint("board_id", "author_id", "client_id", name="uq_ideas_board_author_client"),
)

board_changes = sa.Table(
    "board_changes",
    metadata,
    sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("actor_id", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

clusters = sa.Table(
    "clusters",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("column_id", sa.String(32), nullable=False),
    sa.Column("heading", sa.String(80), nullable=False),
    sa.Column("created_by", sa.String(32), nullable=False),
    sa.Column("position", sa.String(64), nullable=False),
    sa.Column("parent_id", sa.String(32), nullable=True),
    sa.Column("dissolved_at", UTCDateTime, nullable=True),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
)

vote_sessions = sa.Table(
    "vote_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("board_id", sa.String(32), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("budget", sa.Integer, nullable=False),
    sa.Column("cap", sa.Integer, nullable=False),
    sa.Column("blind", sa.Boolean, nullable=False),
    sa.Column("scope_kind", sa.String(16), nullable=False),
    sa.Column("scope_ids", sa.JSON, nullable=False),
    sa.Column("opened_by", sa.String(32), nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("cast", sa.Integer, nullable=False),  # dots cast now; also the row every dot's transaction locks
    sa.Column("results", sa.JSON, nullable=True),
    sa.Column("moderators_vote", sa.Boolean, nullable=False, default=False),  # facilitators place dots too
)

ballots = sa.Table(
    "ballots",
    metadata,
    sa.Column("session_id", sa.String(32), sa.ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("used", sa.Integer, nullable=False),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("session_id", sa.String(32), sa.ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id"), primary_key=True),
    sa.Column("dots", sa.Integer, nullable=False),
)
