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
    # breakout rounds (rooms.breakouts, server.store.breakouts)
    "no_such_room": "The room is not one of the event's (or of the breakout round's).",
    "room_full": "The breakout room holds as many people as its capacity allows.",
    "already_open": "The breakout round is open already, or another round of the event is open.",
    "not_open": "The breakout round is not open yet.",
    "already_closing": "The breakout round's countdown to close runs already.",
    "round_closed": "The breakout round is closed.",
    "wrong_mode": "The command is for breakout rounds of another mode (choosing a room is for self-select "
    "rounds, topic choices for preference rounds).",
    "stale_round": "The breakout round changed meanwhile on another node; retry.",
    "no_rooms": "A breakout round needs at least one room.",
    "too_many_rooms": "A breakout round has at most 100 rooms.",
    "duplicate_room": "A room is named twice (in a round, or in a list of topic choices).",
    "duplicate_host": "A member hosts one breakout room only.",
    "invalid_capacity": "A room's capacity is 1–500 people, or none.",
    # the agenda (rooms.agenda)
    "stale_agenda": "The agenda changed since your screen showed it; look again.",
    "step_moved": "Another facilitator moved the agenda on meanwhile; look again.",
    "step_is_current": "The step running now cannot be removed; go on to another step first.",
    "too_many_steps": "An agenda has at most 50 steps.",
    "no_next_step": "The current step is the last one; finish the agenda instead.",
    "no_previous_step": "The current step is the first one.",
    "agenda_finished": "The agenda is finished; go to a step to open it again.",
    "invalid_duration": "A step lasts 0 (open-ended) or 1 min to 8 h.",
    "invalid_kind": "Unknown kind of step (input, plenary, breakout, voting, break).",
    "invalid_position": "A position outside the agenda.",
    # chat, questions, hands, timers, removals (rooms.chat, questions, hands, timers, removals)
    "silenced": "A facilitator has silenced your chat in this event.",
    "cannot_silence_moderator": "Facilitators and organizers cannot be silenced.",
    "too_many_questions": "You have 3 open questions; wait until one is answered.",
    "already_upvoted": "You have upvoted this question already.",
    "not_upvoted": "You have not upvoted this question.",
    "question_hidden": "A hidden question takes no upvotes and cannot be pinned.",
    "no_hands": "No hand is raised.",
    "queue_moved": "Another facilitator called someone meanwhile; look again.",
    "timer_running": "The timer runs already; reset it first.",
    "timer_not_running": "The timer is not running.",
    "timer_not_paused": "The timer is not paused.",
    "timer_idle": "The timer has not been started.",
    "cannot_remove_self": "You cannot remove yourself from the event.",
    "cannot_remove_moderator": "Facilitators remove participants and observers; organizers facilitators too; "
    "nobody removes an organizer.",
    "internal": "The server failed; it logged the cause. Nothing was changed.",
}
