"""The wire protocol: every Socket.IO event's payload and acknowledgement, defined once.

``docs/protocol.md`` and ``docs/protocol.json`` are generated from this module
(``python -m server.protocol_docs``), and a test fails when they differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,4}_[A-Za-z0-9_-]{1,32}$")]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Texts are bounded here only against abuse; the domain gives the precise limits and codes.
Text = Annotated[str, StringConstraints(max_length=8000)]


class Payload(BaseModel):
    """A client→server payload: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Out(BaseModel):
    """A server→client object."""

    model_config = ConfigDict(frozen=True)


# -- shared shapes ----------------------------------------------------------------------


class ErrorBody(Out):
    code: str = Field(description="Stable machine-readable code, e.g. `forbidden`, `text_too_long`.")
    message: str = Field(description="What went wrong, for people (English).")


class ErrorAck(Out):
    ok: Literal[False] = False
    error: ErrorBody


class MemberOut(Out):
    id: str
    pseudonym: str
    colour: str = Field(description="Avatar colour name, one of the palette in `rooms/members.py`.")
    role: Literal["organizer", "facilitator", "participant", "observer"]


class AuthorOut(Out):
    id: str
    pseudonym: str
    colour: str


class IdeaOut(Out):
    id: str
    board_id: str
    field_id: str = Field(description="The column: a field of action of the event.")
    title: str
    text: str
    tags: list[str]
    colour: str | None
    position: str = Field(description="Ordering key within the column: sort ideas by it (as strings).")
    cluster_id: str | None
    status: Literal["visible", "pending", "hidden"] = Field(
        description="`pending` and `hidden` ideas reach only their author and facilitators."
    )
    phase: str = Field(description="The phase in which it was posted.")
    merged_from: list[str] = Field(description="Ideas merged into this one (provenance).")
    author: AuthorOut | None = Field(description="Null on anonymous boards, except for the author themself.")
    reports: int = Field(0, description="How often it was reported; sent to facilitators only (0 for others).")
    reported_by_me: bool = Field(False, description="Whether you reported it.")
    created_at: datetime
    updated_at: datetime


class ClusterOut(Out):
    id: str
    field_id: str
    heading: str
    position: str
    parent_id: str | None = Field(description="The enclosing cluster: clusters form a forest.")


class CommentOut(Out):
    id: str
    idea_id: str
    text: str
    author: AuthorOut | None
    hidden: bool
    created_at: datetime


class SettingsOut(Out):
    phase: Literal["collect", "cluster", "vote", "discuss", "closed"]
    silent: bool = Field(description="Silent collection: until the reveal each participant sees only their own ideas.")
    revealed: bool
    locked: bool
    premoderation: bool
    anonymous: bool


class ScopeOut(Out):
    kind: Literal["board", "columns", "clusters", "ideas"]
    ids: list[str]


class ResultOut(Out):
    idea_id: str
    field_id: str
    dots: int
    voters: int
    rank: int = Field(description="1 for the most dots; ideas with equal dots share a rank.")
    tie: bool
    field_rank: int = Field(description="The rank within its field of action.")
    field_tie: bool
    merged_from: list[str]


class SessionOut(Out):
    id: str
    round: int
    budget: int = Field(description="Dots per participant.")
    cap: int = Field(description="Most dots one participant may put on one idea.")
    blind: bool = Field(description="Blind: nobody gets tallies before the reveal.")
    scope: ScopeOut
    opened_at: datetime
    ends_at: datetime | None
    status: Literal["open", "closed", "revealed"]
    results: list[ResultOut] | None = Field(description="The ranking, after the reveal.")
    moderators_vote: bool = Field(
        False, description="Facilitators and organizers are voters too (else only participants place dots)."
    )


class ColumnOut(Out):
    id: str
    name: str


class FieldOut(Out):
    id: str
    name: str


class EventOut(Out):
    id: str
    title: str
    description: str
    language: str
    fields: list[FieldOut]


class RoomOut(Out):
    id: str
    name: str
    kind: str


class BoardSummary(Out):
    id: str
    title: str
    seq: int


CHANGE_TYPES = (
    "idea.created",
    "idea.edited",
    "idea.moved",
    "idea.clustered",
    "idea.merged",
    "idea.reported",
    "idea.hidden",
    "idea.restored",
    "idea.approved",
    "idea.deleted",
    "cluster.created",
    "cluster.renamed",
    "cluster.nested",
    "cluster.dissolved",
    "comment.created",
    "comment.deleted",
    "comment.hidden",
    "comment.restored",
    "board.phase",
    "board.revealed",
    "board.locked",
    "board.premoderation",
    "vote.opened",
    "vote.changed",
    "vote.extended",
    "vote.closed",
    "vote.revealed",
)


class Change(Out):
    """One committed change of a board; `seq` counts up by one per board.

    The change carries the new state of what it touched, as this recipient may see it:
    `idea` (null: remove it from your view, and its comments with it), `cluster` (null:
    dissolved), `comment` (null: remove it), `settings`, `session`; `ideas` lists the ideas a
    reveal shows, and `comments` the comments of ideas that come (back) into view.
    Comments of ideas you do not have are not shown.
    """

    board_id: str
    seq: int
    type: str = Field(description="One of: " + ", ".join(f"`{t}`" for t in CHANGE_TYPES) + ".")
    idea_id: str | None = None
    idea: IdeaOut | None = None
    ideas: list[IdeaOut] | None = None
    cluster_id: str | None = None
    cluster: ClusterOut | None = None
    comment_id: str | None = None
    comment: CommentOut | None = None
    comments: list[CommentOut] | None = None
    settings: SettingsOut | None = None
    session: SessionOut | None = None


class MyDots(Out):
    session_id: str
    dots: dict[str, int] = Field(description="idea id → your dots on it")
    used: int
    remaining: int


class VoteProgress(Out):
    board_id: str
    session_id: str
    voters: int = Field(description="How many have placed at least one dot.")
    cast: int = Field(description="Dots placed.")
    left: int = Field(
        description="Dots still to place by the voters present (participants; facilitators and organizers only "
        "when the vote has `moderators_vote`)."
    )
    tallies: dict[str, int] | None = Field(description="idea id → dots; null while the vote is blind.")


class BoardSnapshot(Out):
    board_id: str
    title: str
    seq: int
    settings: SettingsOut
    columns: list[ColumnOut]
    ideas: list[IdeaOut]
    clusters: list[ClusterOut]
    comments: list[CommentOut]
    sessions: list[SessionOut] = Field(description="Every vote round of the board, oldest first.")
    my_dots: MyDots | None = Field(description="Your dots in the open vote.")
    progress: VoteProgress | None = Field(description="The open vote's progress.")


class BoardViewer(Out):
    member_id: str
    pseudonym: str
    editing: str | None = Field(description="The idea they are editing, if any.")


# -- client→server payloads -----------------------------------------------------------

Phase = Literal["collect", "cluster", "vote", "discuss", "closed"]
Heading = Annotated[str, StringConstraints(max_length=400)]
Tag = Annotated[str, StringConstraints(max_length=200)]


class RoomEnter(Payload):
    """No fields: the connection's member enters their event's plenary room."""


class BoardPayload(Payload):
    board_id: Id


class BoardSync(BoardPayload):
    since: int | None = Field(
        None, ge=0, description="The last `seq` the client applied; omitted or null asks for a full snapshot."
    )


class BoardCreate(Payload):
    title: Annotated[str, StringConstraints(max_length=800)]
    anonymous: bool = Field(False, description="Authors are never sent to others, for the board's whole life.")
    columns: list[Annotated[str, StringConstraints(max_length=400)]] | None = Field(
        None, max_length=40, description="A free board's own columns (1–20); omitted: the event's fields of action."
    )


class BoardView(BoardPayload):
    editing: Id | None = Field(None, description="The idea the member is editing now, if any.")


class BoardPresent(BoardPayload):
    """The board the room's projector views show from now on."""


class IdeaCreate(BoardPayload):
    field_id: Id
    text: Text = Field(
        description="1–2,000 characters after trimming; no control characters. Stored as typed: a client shows "
        "it as text, never as HTML."
    )
    title: Annotated[str, StringConstraints(max_length=800)] = Field("", description="Up to 120 characters.")
    tags: list[Tag] = Field([], max_length=40, description="Up to 10 tags of 1–30 characters.")
    colour: Literal["yellow", "green", "blue", "pink", "orange", "purple"] | None = None
    client_id: ClientId | None = Field(
        None,
        description="Chosen by the client, unique per idea: sending the same one again (after a reconnect) "
        "returns the stored idea instead of a duplicate.",
    )


class IdeaEdit(BoardPayload):
    idea_id: Id
    text: Text | None = None
    title: Annotated[str, StringConstraints(max_length=800)] | None = None
    tags: list[Tag] | None = Field(None, max_length=40)
    colour: Literal["yellow", "green", "blue", "pink", "orange", "purple"] | None = None
    field_id: Id | None = None


class IdeaRef(BoardPayload):
    idea_id: Id


class IdeaDelete(IdeaRef):
    pass


class IdeaReport(IdeaRef):
    pass


class IdeaMove(IdeaRef):
    field_id: Id
    after_id: Id | None = Field(description="Place it right after this idea of the column; null: at the top.")


class IdeaModerate(IdeaRef):
    action: Literal["hide", "restore", "approve"]


class IdeaMerge(BoardPayload):
    target_id: Id
    idea_ids: list[Id] = Field(min_length=1, max_length=50, description="The duplicates merged into the target.")


class ClusterCreate(BoardPayload):
    idea_ids: list[Id] = Field(min_length=1, max_length=200)
    heading: Heading = Field("", description="Up to 80 characters.")


class ClusterAssign(IdeaRef):
    cluster_id: Id | None = Field(description="Null takes the idea out of its cluster.")


class ClusterRef(BoardPayload):
    cluster_id: Id


class ClusterRename(ClusterRef):
    heading: Heading


class ClusterNest(ClusterRef):
    parent_id: Id | None = Field(description="Null moves it to the top level.")


class ClusterDissolve(ClusterRef):
    pass


class CommentCreate(IdeaRef):
    text: Text = Field(description="1–1,000 characters.")


class CommentRef(BoardPayload):
    comment_id: Id


class CommentDelete(CommentRef):
    pass


class CommentModerate(CommentRef):
    hidden: bool


class BoardPhase(BoardPayload):
    phase: Phase
    silent: bool | None = Field(None, description="With `collect`: a silent collection.")


class BoardReveal(BoardPayload):
    pass


class BoardLock(BoardPayload):
    locked: bool


class BoardPremoderation(BoardPayload):
    on: bool


class ScopeIn(Payload):
    kind: Literal["board", "columns", "clusters", "ideas"] = "board"
    ids: list[Id] = Field([], max_length=200, description="Field, cluster or idea ids (not for `board`).")


class VoteOpen(BoardPayload):
    budget: int = Field(5, description="Dots per participant, 1–99.")
    cap: int = Field(3, description="Most dots per idea and participant, 1–budget.")
    blind: bool = True
    duration_s: int | None = Field(None, description="A timer (10 s – 24 h) that closes the vote by itself.")
    scope: ScopeIn = ScopeIn(kind="board", ids=[])
    moderators_vote: bool = Field(
        False,
        description="Facilitators and organizers get dots too and count as voters. By default they run the vote "
        "without taking part: no dots, not counted in the progress, `vote.cast` refused with `forbidden`.",
    )


class VoteRef(BoardPayload):
    session_id: Id


class VoteChange(VoteRef):
    budget: int | None = None
    cap: int | None = None


class VoteExtend(VoteRef):
    seconds: int = Field(description="10–3,600.")


class VoteClose(VoteRef):
    reveal: bool = False


class VoteReveal(VoteRef):
    pass


class VoteDot(VoteRef):
    idea_id: Id


class VoteState(BoardPayload):
    pass


# -- acknowledgements -----------------------------------------------------------------


class OkAck(Out):
    ok: Literal[True] = True


class RoomEnterAck(OkAck):
    me: MemberOut
    event: EventOut
    room: RoomOut
    presence: list[MemberOut]
    boards: list[BoardSummary]
    presented: str | None = Field(
        None,
        description="The board the room's facilitators present (the one a facilitator or organizer viewed or "
        "presented last; not stored); null until one did. A projector view shows it.",
    )


class BoardSyncAck(OkAck):
    board_id: str
    seq: int = Field(description="The board's sequence number after the returned changes or snapshot.")
    changes: list[Change] | None = Field(None, description="What happened after `since`, in order.")
    snapshot: BoardSnapshot | None = Field(
        None,
        description="The whole board, when `since` was omitted, too far behind, or above the board's `seq`.",
    )


class BoardCreated(OkAck):
    board: BoardSummary


class SeqAck(OkAck):
    seq: int = Field(description="The board's sequence number after the change.")


class IdeaAck(SeqAck):
    idea: IdeaOut


class IdeaDeletedAck(SeqAck):
    idea_id: str


class ClusterAck(SeqAck):
    cluster: ClusterOut


class CommentAck(SeqAck):
    comment: CommentOut


class SessionAck(SeqAck):
    session: SessionOut


class DotAck(OkAck):
    dots: MyDots


class VoteStateAck(OkAck):
    sessions: list[SessionOut]
    my_dots: MyDots | None
    progress: VoteProgress | None


class ViewAck(OkAck):
    viewers: list[BoardViewer]


class PresentAck(OkAck):
    board_id: str = Field(description="The room's presented board now.")


# -- server→client events ----------------------------------------------------------------


class PresenceChanged(Out):
    joined: list[MemberOut] = Field(description="Members present now whose presence changed (they arrived).")
    left: list[str] = Field(description="Ids of members not present now whose presence changed (they left).")


class BoardPresence(Out):
    board_id: str
    viewers: list[BoardViewer]


class BoardPresented(Out):
    board_id: str = Field(description="The room's presented board now.")


SERVER_EVENTS: dict[str, tuple[type[Out], str]] = {
    "board.changed": (
        Change,
        "A committed change of a board in the client's room, sent to everyone in the room (the author too), "
        "each in the form they may see. Apply it when `seq` is one more than yours; ignore it when you have it; "
        "on a gap, call `board.sync`.",
    ),
    "room.board": (BoardSummary, "A board was added to the room."),
    "board.presence": (
        BoardPresence,
        "Who views a board, and who edits which idea (not stored); sent at most every 0.25 s per board, "
        "with the list as it is then.",
    ),
    "board.presented": (
        BoardPresented,
        "The room's presented board changed: a facilitator or organizer viewed (`board.view`) or presented "
        "(`board.present`) another board. A projector view switches to it (`board.sync`).",
    ),
    "vote.dots": (MyDots, "Your own dots changed (from another tab too)."),
    "vote.progress": (
        VoteProgress,
        "The open vote's progress, at most twice a second while dots change; tallies only when not blind.",
    ),
    "presence.changed": (
        PresenceChanged,
        "Who arrived in the event and who left since the last such message; sent at most every 0.25 s "
        "(the first change after a quiet 0.25 s at once), so one message may carry many arrivals. "
        "Everyone whose presence changed meanwhile is listed as they are now: in `joined` if present, "
        "in `left` if not (possibly someone never announced, or already listed). Apply it to the list "
        "of `room.enter`: add or replace who joined, remove who left.",
    ),
}

# Codes that only HTTP answers carry (the join API's are documented with it, the organizer
# forms show their message on the page): see tests/test_error_codes.py.
HTTP_ONLY_CODES = frozenset(
    {
        "invalid_link",
        "foreign_origin",
        "pseudonym_taken",
        "invalid_date",
        "invalid_language",
        "field_in_use",
        "username_taken",
        "domain",
    }
)

ERROR_CODES: dict[str, str] = {
    "unauthenticated": "The connection carries no valid member token or organizer session (also sent as the "
    "`connect_error` data when a connection is refused).",
    "invalid_payload": "The payload does not match the event's schema (wrong type, unknown or missing key).",
    "unknown_event": "No such event.",
    "forbidden": "The role or ownership does not allow it (observers read only; only authors edit; only "
    "authors and facilitators put an idea into another field of action; facilitators and organizers place no "
    "dots unless the vote was opened with `moderators_vote`; a projector view sends only `room.enter` and `board.sync`).",
    "rate_limited": "Too many events from this connection; wait and retry.",
    "not_found": "The board, idea or column does not exist in the client's event.",
    "conflict": "The state does not allow it now.",
    "stale_board": "The board changed meanwhile on another node; retry.",
    "read_only": "The board is locked or closed.",
    "wrong_phase": "The board's phase does not allow it: participants post, edit, move and group only in the "
    "phases made for it (facilitators in any open phase), grouping waits for a silent collection's reveal, and "
    "`vote.open` needs the vote phase, for facilitators too (`board.phase` first).",
    "vote_open": "Not while a vote is open (or ideas with dots in it).",
    "vote_closed": "The vote is closed or its time is up.",
    "not_votable": "The idea cannot get dots (hidden, merged, waiting, or outside the vote's scope).",
    "budget_exhausted": "All your dots are placed.",
    "cap_reached": "The most dots per idea are placed on it.",
    "no_dot": "You have no dot on that idea to take back.",
    "below_cast": "A budget or cap below what someone has cast already.",
    "invalid_budget": "Dots per participant must be 1–99.",
    "invalid_cap": "The cap per idea must be 1 to the budget.",
    "invalid_timer": "A timer or extension out of range.",
    "nothing_to_vote": "The vote's scope holds no visible idea.",
    "no_fields": "`board.create` with an empty list of columns.",
    "duplicate_field": "`board.create` with a column twice.",
    "too_many_fields": "`board.create` with more than 20 columns.",
    "cluster_cycle": "A cluster cannot contain itself.",
    "wrong_column": "Clusters nest within one column only.",
    "not_visible": "Only visible ideas can be grouped or commented on.",
    "already_reported": "You reported this idea already.",
    "too_many_tags": "At most 10 tags.",
    "idea_deleted": "A post was retried with the `client_id` of an idea that has been deleted since.",
    "text_too_short": "A text is empty after trimming.",
    "text_too_long": "A text is longer than allowed.",
    "control_characters": "A text contains control characters.",
    "invalid_input": "A value breaks a rule.",
    "internal": "The server failed; it logged the cause. Nothing was changed.",
}
