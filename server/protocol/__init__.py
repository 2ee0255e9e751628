"""The wire protocol: every Socket.IO event's payload and acknowledgement, defined once.

``docs/protocol.md`` and ``docs/protocol.json`` are generated from this module
(``python -m server.protocol.docs``), and a test fails when they differ.

The models live by area (``common``, ``rooms``, ``boards``, ``votes``); this module gathers them as
``p.<Model>`` and holds the catalogs that span the areas: the server→client events and the error codes.
"""

from __future__ import annotations

from server.protocol.boards import (  # noqa: F401
    CHANGE_TYPES,
    BoardCreate,
    BoardCreated,
    BoardLock,
    BoardPhase,
    BoardPremoderation,
    BoardPresence,
    BoardPresent,
    BoardPresented,
    BoardReveal,
    BoardSnapshot,
    BoardSync,
    BoardSyncAck,
    BoardView,
    BoardViewer,
    Change,
    ClusterAck,
    ClusterAssign,
    ClusterCreate,
    ClusterDissolve,
    ClusterNest,
    ClusterOut,
    ClusterRef,
    ClusterRename,
    ColumnOut,
    CommentAck,
    CommentCreate,
    CommentDelete,
    CommentModerate,
    CommentOut,
    CommentRef,
    Heading,
    IdeaAck,
    IdeaCreate,
    IdeaDelete,
    IdeaDeletedAck,
    IdeaEdit,
    IdeaMerge,
    IdeaModerate,
    IdeaMove,
    IdeaOut,
    IdeaRef,
    IdeaReport,
    Phase,
    PresentAck,
    SettingsOut,
    Tag,
    ViewAck,
)
from server.protocol.common import (  # noqa: F401
    AuthorOut,
    BoardPayload,
    ClientId,
    ErrorAck,
    ErrorBody,
    Id,
    MemberOut,
    OkAck,
    Out,
    Payload,
    SeqAck,
    Text,
)
from server.protocol.rooms import BoardSummary, EventOut, FieldOut, PresenceChanged, RoomEnter, RoomEnterAck, RoomOut  # noqa: F401
from server.protocol.votes import (  # noqa: F401
    DotAck,
    MyDots,
    ResultOut,
    ScopeIn,
    ScopeOut,
    SessionAck,
    SessionOut,
    VoteChange,
    VoteClose,
    VoteDot,
    VoteExtend,
    VoteOpen,
    VoteProgress,
    VoteRef,
    VoteReveal,
    VoteState,
    VoteStateAck,
)

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
