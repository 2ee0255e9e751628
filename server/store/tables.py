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
    # open data (migration 0011, boards/open_data.py): public only while published
    sa.Column("open_data_licence", sa.String(32), nullable=True),
    sa.Column("open_data_publisher", sa.String(200), nullable=False, server_default=""),
    sa.Column("open_data_contributor", sa.String(300), nullable=False, server_default=""),
    sa.Column("open_data_published", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("open_data_issued_at", UTCDateTime, nullable=True),  # first published
    sa.Column("open_data_changed_at", UTCDateTime, nullable=True),  # settings last changed
    # the space's maps (migration 0016, server/store/maps.py): a maps.id; null: the built-in map
    sa.Column("plenary_map", sa.String(32), nullable=True),
    sa.Column("breakout_map", sa.String(32), nullable=True),
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
    sa.Column("removed_at", UTCDateTime, nullable=True),  # removed from the event: the token no longer works
    sa.Column("erased_at", UTCDateTime, nullable=True),  # their personal data erased (rooms/erasure.py)
    sa.UniqueConstraint("event_id", "pseudonym_key", name="uq_members_event_pseudonym"),
    sa.UniqueConstraint("event_id", "organizer_id", name="uq_members_event_organizer"),
)

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # plenary, breakout
    sa.Column("name", sa.String(120), nullable=False),
    # A breakout room: the round it was made for. Later rounds may use it again (World Café tables keep
    # their boards); its position, topic, field, capacity and host here are those of the newest round
    # that uses it, and each round's own are in breakout_round_rooms.
    sa.Column("round_id", sa.String(32), sa.ForeignKey("breakout_rounds.id", ondelete="CASCADE"), nullable=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("topic", sa.Text, nullable=False, default=""),
    sa.Column("field_id", sa.String(32), nullable=True),
    sa.Column("capacity", sa.Integer, nullable=True),
    sa.Column("host_member_id", sa.String(32), nullable=True),
    sa.Column("map_id", sa.String(32), nullable=True),  # a maps.id; null: the event's map for the room's kind
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
    # asynchronous participation (migration 0013): open to participants from … to … (boards/window.py)
    sa.Column("opens_at", UTCDateTime, nullable=True),
    sa.Column("closes_at", UTCDateTime, nullable=True),
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
    # the organizers' curation (migration 0009): see boards/curation.py
    sa.Column("review_status", sa.String(24), nullable=False, default="new"),
    sa.Column("feedback", sa.Text, nullable=False, default=""),  # official feedback, shown to everyone
    sa.Column("feedback_at", UTCDateTime, nullable=True),
    sa.Column("score", sa.Float, nullable=True),  # the aggregated rating, 1–5; null: not rated
    sa.Column("duplicate_of", sa.String(32), nullable=True),  # marked a duplicate of another idea (any event)
    sa.Column("source", sa.String(16), nullable=False, default="board"),  # board, import
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


# -- breakouts -----------------------------------------------------------------------------------

breakout_rounds = sa.Table(
    "breakout_rounds",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("countdown_s", sa.Integer, nullable=False),
    sa.Column("duration_s", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column("closes_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("seq", sa.BigInteger, nullable=False),  # the domain's sequence: every commit checks and raises it
    # who asks for a facilitator, first first: member ids separated by spaces (ids hold none)
    sa.Column("help_queue", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("event_id", "number", name="uq_breakout_rounds_event_number"),
    # At most one round of an event is open or closing: the partial unique index uq_breakout_rounds_open
    # of migration 0008 (WHERE status IN ('open', 'closing')). Not declared here: its postgresql_where would make SQLAlchemy
    # load the whole PostgreSQL dialect (2.2 MB) on every node, SQLite ones too (docs/benchmarks.md).
)

breakout_round_rooms = sa.Table(
    "breakout_round_rooms",
    metadata,
    sa.Column("round_id", sa.String(32), sa.ForeignKey("breakout_rounds.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("field_id", sa.String(32), nullable=True),
    sa.Column("capacity", sa.Integer, nullable=True),
    sa.Column("host_member_id", sa.String(32), nullable=True),
)

_ROUND_ROOM = (["round_id", "room_id"], ["breakout_round_rooms.round_id", "breakout_round_rooms.room_id"])

breakout_placements = sa.Table(
    "breakout_placements",
    metadata,
    # the key keeps a member in at most one room of a round
    sa.Column("round_id", sa.String(32), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("room_id", sa.String(32), nullable=False),
    sa.ForeignKeyConstraint(*_ROUND_ROOM, ondelete="CASCADE"),
)

breakout_final_placements = sa.Table(
    "breakout_final_placements",
    metadata,
    # who was in which room when the round closed (for "the groups again" and World Café rotation)
    sa.Column("round_id", sa.String(32), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("room_id", sa.String(32), nullable=False),
    sa.ForeignKeyConstraint(*_ROUND_ROOM, ondelete="CASCADE"),
)

breakout_preferences = sa.Table(
    "breakout_preferences",
    metadata,
    sa.Column("round_id", sa.String(32), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("rank", sa.Integer, primary_key=True, autoincrement=False),  # 0: the first choice
    sa.Column("room_id", sa.String(32), nullable=False),
    sa.ForeignKeyConstraint(*_ROUND_ROOM, ondelete="CASCADE"),
)

# -- agenda ----------------------------------------------------------------------------------------

agendas = sa.Table(
    "agendas",
    metadata,
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),  # the domain's version: every commit checks and raises it
    sa.Column("current_step_id", sa.String(32), nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
)

agenda_steps = sa.Table(
    "agenda_steps",
    metadata,
    sa.Column("event_id", sa.String(32), sa.ForeignKey("agendas.event_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),  # unique within the agenda
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("duration_s", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

# -- chat ------------------------------------------------------------------------------------------

chat_messages = sa.Table(
    "chat_messages",
    metadata,
    sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),  # unique within the room
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
)

chat_silenced = sa.Table(
    "chat_silenced",
    metadata,
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
)

# -- questions -------------------------------------------------------------------------------------

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_id", sa.String(32), sa.ForeignKey("members.id"), nullable=False),  # anonymous ones too
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("asked_at", UTCDateTime, nullable=False),
    sa.Column("anonymous", sa.Boolean, nullable=False, default=False),
    sa.Column("answered", sa.Boolean, nullable=False, default=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
)

question_upvotes = sa.Table(
    "question_upvotes",
    metadata,
    # the key: one upvote per member and question
    sa.Column("question_id", sa.String(32), sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
)

question_pins = sa.Table(
    "question_pins",
    metadata,
    # the question being answered now, one per event; no row: none
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("question_id", sa.String(32), sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
)

# -- audit log -------------------------------------------------------------------------------------

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.String(32), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(64), nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)


# -- curation --------------------------------------------------------------------------------------

rating_criteria = sa.Table(
    "rating_criteria",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("weight", sa.Integer, nullable=False, default=1),
    sa.Column("archived", sa.Boolean, nullable=False, default=False),
)

idea_ratings = sa.Table(
    "idea_ratings",
    metadata,
    sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("criterion_id", sa.String(32), sa.ForeignKey("rating_criteria.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("rater_id", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("rated_at", UTCDateTime, nullable=False),
)

idea_history = sa.Table(
    "idea_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor_id", sa.String(32), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
)


# -- the site's own pages (migration 0012) -----------------------------------------------------------

site_texts = sa.Table(
    "site_texts",
    metadata,
    sa.Column("page", sa.String(32), primary_key=True),  # rooms.site_texts.Page
    sa.Column("language", sa.String(8), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(32), nullable=True),
)

# -- imports ---------------------------------------------------------------------------------------

idea_imports = sa.Table(
    "idea_imports",
    metadata,
    # an uploaded file between its dry run and its import (``server.store.imports``)
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("separator", sa.String(4), nullable=True),  # CSV: as chosen; null: found in the file
    sa.Column("content", sa.LargeBinary, nullable=True),  # the file; removed once imported
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("imported_at", UTCDateTime, nullable=True),  # set in the import's own transaction
    sa.Column("board_id", sa.String(32), nullable=True),  # the board the import made
    sa.Column("ideas", sa.Integer, nullable=True),  # how many it made
)

# -- the space's maps (migration 0016) ------------------------------------------------------------

maps = sa.Table(
    "maps",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("client", sa.Text, nullable=False),  # rooms.space.tiled.LoadedMap.client as JSON
    sa.Column("created_at", UTCDateTime, nullable=False),
)

map_files = sa.Table(
    "map_files",
    metadata,
    sa.Column("map_id", sa.String(32), sa.ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),  # the file name the client map names
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
)
