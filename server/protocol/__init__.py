"""The wire protocol: every Socket.IO event's payload and acknowledgement, defined once.

``docs/protocol.md`` and ``docs/protocol.json`` are generated from this module
(``python -m server.protocol.docs``), and a test fails when they differ.

The models live by area (``common``, ``rooms``, ``boards``, ``votes``, ``facilitation``, ``agenda``, ``chat``,
``questions``); this module gathers them as ``p.<Model>`` and holds the catalogs that span the areas: the server→client events and the error codes.
"""

from __future__ import annotations

from server.protocol.agenda import (  # noqa: F401
    AgendaAck,
    AgendaAdd,
    AgendaChanged,
    AgendaEdit,
    AgendaFinish,
    AgendaGet,
    AgendaMove,
    AgendaOut,
    AgendaRemove,
    AgendaSetCurrent,
    AgendaStep,
    StepKindName,
    StepOut,
    Versioned,
)
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
from server.protocol.breakouts import (  # noqa: F401
    BreakoutAssign,
    BreakoutChoose,
    BreakoutClose,
    BreakoutCreate,
    BreakoutExtend,
    BreakoutHelp,
    BreakoutHelpAnswer,
    BreakoutMove,
    BreakoutOpen,
    BreakoutPrefer,
    BreakoutResults,
    BreakoutResultsAck,
    BreakoutRoomIn,
    BreakoutRoomOut,
    BreakoutState,
    BreakoutStateAck,
    BreakoutVisit,
    RoomResult,
    RoundAck,
    RoundOut,
    RoundRef,
    VisitAck,
)
from server.protocol.chat import (  # noqa: F401
    ChatHidden,
    ChatHide,
    ChatHistory,
    ChatHistoryAck,
    ChatSend,
    ChatSilence,
    ChatSilenced,
    MessageAck,
    MessageOut,
    SilenceAck,
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
from server.protocol.facilitation import (  # noqa: F401
    BoardSpotlight,
    BroadcastAck,
    BroadcastOut,
    BroadcastSend,
    ClockAck,
    ClockSync,
    FacilitationState,
    FacilitationStateAck,
    HandCalledAck,
    HandClear,
    HandLower,
    HandNext,
    HandOut,
    HandRaise,
    HandRoom,
    HandsAck,
    HandsChanged,
    HandsOut,
    MemberRemove,
    MemberRemoved,
    RemoveAck,
    SpotlightAck,
    SpotlightOut,
    TimerAck,
    TimerChanged,
    TimerExtend,
    TimerFired,
    TimerOut,
    TimerPause,
    TimerRef,
    TimerReset,
    TimerResume,
    TimerStart,
    TimerState,
)
from server.protocol.questions import (  # noqa: F401
    PinAck,
    QuestionAck,
    QuestionAnswer,
    QuestionAsk,
    QuestionChanged,
    QuestionHide,
    QuestionList,
    QuestionListAck,
    QuestionOut,
    QuestionPin,
    QuestionUpvote,
)
from server.protocol.rooms import (  # noqa: F401
    BoardSummary,
    EventOut,
    FieldOut,
    NodeLink,
    PresenceChanged,
    RoomEnter,
    RoomEnterAck,
    RoomMoved,
    RoomOut,
)
from server.protocol.space import (  # noqa: F401
    AvatarOut,
    BubbleChat,
    BubbleLock,
    BubbleMessage,
    ConversationAck,
    ConversationChanged,
    ConversationOut,
    IceServerOut,
    PositionOut,
    RtcData,
    RtcRelayed,
    RtcSignal,
    SpaceEnter,
    SpaceEnterAck,
    SpaceFollow,
    SpaceFollowAck,
    SpaceGone,
    SpaceGoto,
    SpaceGotoAck,
    SpaceLocate,
    SpaceLocateAck,
    SpaceMove,
    SpaceMoves,
    SpaceSettings,
    SpaceStatus,
    SpaceStatusAck,
    SpaceStatusChanged,
    SpaceUnfollowed,
    SpaceZones,
    ZoneOut,
)
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
    "node.link": (
        NodeLink,
        "Sent only where several servers share a workshop (through Redis): the client's server lost its link to "
        "the others (`linked` false; show that the connection is being restored) or has it back (`linked` true; "
        "resync as after a reconnect). Your own connection stays open meanwhile.",
    ),
    "presence.changed": (
        PresenceChanged,
        "Who arrived in the client's room and who left it since the last such message; sent at most every "
        "0.25 s per room (the first change after a quiet 0.25 s at once), so one message may carry many arrivals. "
        "Everyone whose presence changed meanwhile is listed as they are now: in `joined` if present, "
        "in `left` if not (possibly someone never announced, or already listed). Apply it to the list "
        "of `room.enter` (or `room.moved`): add or replace who joined, remove who left.",
    ),
    "breakout.changed": (
        RoundOut,
        "The event's breakout round changed (created, previewed, opened, someone moved or chose, the countdown "
        "started, closed); sent to everyone in the event at most every 0.25 s. Facilitators and organizers get "
        "`placement` and `help_queue`; others the rooms and their sizes (your own room comes with `room.moved`). "
        "While `status` is `closing`, show the countdown to `closes_at` (correct your clock with `clock.sync`).",
    ),
    "room.moved": (
        RoomMoved,
        "Your connections were moved to another room (a breakout round opened or closed, a facilitator moved "
        "you, you chose a room or visit one). Carries what `room.enter` tells of the new room; the boards of "
        "the old one are no longer sent to you, its presence neither.",
    ),
    "timer.changed": (
        TimerChanged,
        "A facilitator or organizer started, paused, resumed, extended or reset a timer: the event's timer goes to "
        "everyone in the event, a room's to that room. Count down to `deadline_ms` on the server's clock "
        "(`clock.sync`).",
    ),
    "timer.warning": (
        TimerFired,
        "A running timer reached its warning (`warn_s` before the end, at most 20 % of the run); sent once per run, "
        "to the same readers as `timer.changed`.",
    ),
    "timer.finished": (
        TimerFired,
        "A running timer reached its end; sent once, to the same readers as `timer.changed`. The timer is "
        "`finished` now (extending it starts it again).",
    ),
    "broadcast": (
        BroadcastOut,
        "A message from a facilitator or organizer to everyone in the event, to your room, or to every breakout "
        "room: show it prominently, as text.",
    ),
    "board.spotlight": (
        SpotlightOut,
        "A facilitator or organizer put a board in the spotlight (or ended it: `board_id` null): show it "
        "(`board.sync`). Sent to the whole event; a board of another room is read-only for participants.",
    ),
    "hands.changed": (
        HandsChanged,
        "The raise-hand queue of a room changed: the whole queue, to the room and to the event's facilitators and "
        "organizers (who may get it twice when they are in the room: apply it as it is). `called` names who was "
        "given the floor, when that was the change.",
    ),
    "agenda.changed": (
        AgendaChanged,
        "A facilitator or organizer changed or steered the agenda; the whole agenda after it, to the whole event.",
    ),
    "chat.message": (MessageOut, "A message posted to your room's chat (yours too, in every tab)."),
    "chat.hidden": (
        ChatHidden,
        "A message of your room's chat was hidden or shown again. `message` is null when you may not see it now: "
        "remove it. Facilitators, organizers and its author get it marked `hidden`; everyone gets it back when it "
        "is shown again.",
    ),
    "chat.silenced": (
        ChatSilenced,
        "A member's chat was silenced in the event, or no longer; sent to that member and to the event's "
        "facilitators and organizers.",
    ),
    "question.changed": (
        QuestionChanged,
        "A question of the event was asked, upvoted, answered, hidden or shown again, or the pinned question "
        "changed; to the whole event, each in the form they may see (`question` null when hidden from you).",
    ),
    "member.removed": (
        MemberRemoved,
        "A facilitator or organizer removed you from the event: the server closes your connections right after "
        "this, and your link no longer lets you in (a reconnect is refused with `unauthenticated`).",
    ),
    # the space (docs/space.md)
    "space.settings": (
        SpaceSettings,
        "The STUN/TURN servers for audio and video (the `ice_servers` setting); sent on `space.enter`, right "
        "before its answer.",
    ),
    "space.moves": (
        SpaceMoves,
        "Once per tick (every 100 ms while anyone in the room's space moves) the moves near you: of everyone in "
        "your cell of the map (10 × 10 tiles) and the 8 around it, of your conversation wherever they are, and of "
        "whom you follow; also the position of whoever came into your view. Your own entry may be in it: ignore "
        "it (the server places you only with `space.corrected` and `space.goto`'s answer). Sent to connections "
        "that entered the space (`space.enter`).",
    ),
    "space.gone": (
        SpaceGone,
        "Members no longer near you (their moves no longer reach you; they stay in the room: `presence.changed` "
        "tells who left it), or who left the room's space.",
    ),
    "space.corrected": (
        PositionOut,
        "Your position as the server has it, to every tab of yours: your move was refused (`invalid_move`: a "
        "wall, off the map, too fast; `zone_full`), or the server moved you (you follow someone, or another tab "
        "of yours used `space.goto`). Nobody else sees a refused move.",
    ),
    "space.zones": (
        SpaceZones,
        "Who is in which table, private zone and stage (for the list view); sent to the room's space at most "
        "every 0.25 s while it changes.",
    ),
    "space.status": (SpaceStatusChanged, "A member of the room changed their status (`space.status`)."),
    "space.unfollowed": (
        SpaceUnfollowed,
        "You no longer follow `member_id`: they left the room's space (to every tab of yours that entered the "
        "space). Walking yourself or `space.follow` with `member_id: null` ends following without this event.",
    ),
    "conversation.changed": (
        ConversationChanged,
        "Your conversation changed: you joined or left one, someone joined or left yours, or it was locked or "
        "unlocked. Connect audio and video to its members (`rtc.signal`), hang up on who left.",
    ),
    "bubble.message": (BubbleMessage, "A message to your conversation (`bubble.chat`; not stored)."),
    "rtc.signal": (
        RtcRelayed,
        "WebRTC signalling (an offer, answer, ICE candidate or `bye`) from a member of your conversation, or "
        "between a stage and its room, relayed as they sent it.",
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
        "invalid_window",
        "window_end_before_start",
        "window_too_short",
        "window_too_long",
        "window_past",
        "no_board",
        "no_window",
        "domain",
        # the organizer console's forms: curation, criteria, the list's filters (server/web/console.py)
        *("duplicate_criterion", "invalid_duplicate", "invalid_rating", "invalid_status", "invalid_weight"),
        *("nothing_chosen", "too_many", "too_many_criteria", "no_criteria", "no_original"),
        *("invalid_page", "invalid_round", "invalid_sort", "query_too_long"),
        # open data (server/web/exports.py) and personal data (server/web/personal_data.py)
        *("invalid_contributor", "invalid_licence", "licence_missing", "publisher_missing"),
        *("cannot_erase_organizer", "open_vote"),
        # importing a file of ideas (server/store/import_files.py, server/store/imports.py)
        *("ambiguous_columns", "bad_csv", "bad_separator", "bad_xlsx", "empty", "encrypted", "missing_columns"),
        *("not_xlsx", "old_excel", "too_large", "too_many_empty_rows", "too_many_rows", "wrong_separator"),
        *("zip_bomb", "import_changed", "import_done", "import_empty", "import_expired", "import_has_errors"),
        # uploading a map (rooms/space/tiled.py, server/web/maps.py)
        *("invalid_map", "no_such_map", "too_many_maps"),
    }
)

ERROR_CODES: dict[str, str] = {
    "unauthenticated": "The connection carries no valid member token or organizer session (also sent as the "
    "`connect_error` data when a connection is refused).",
    "invalid_payload": "The payload does not match the event's schema (wrong type, unknown or missing key).",
    "unknown_event": "No such event.",
    "forbidden": "The role or ownership does not allow it (observers read only; only authors edit; only "
    "authors and facilitators put an idea into another field of action; facilitators and organizers place no "
    "dots unless the vote was opened with `moderators_vote`; a projector view sends only `room.enter` and `board.sync`; "
    "observers neither chat, ask, upvote nor raise their hand; only facilitators and organizers run timers, the agenda, "
    "broadcasts, the spotlight, hiding, silencing and removing).",
    "rate_limited": "Too many events from this connection; wait and retry.",
    "not_found": "The board, idea, column, room, member, agenda step, chat message or question does not exist in the "
    "client's event (or the client may not see it, as a hidden question).",
    "conflict": "The state does not allow it now.",
    "stale_board": "The board changed meanwhile on another node; retry.",
    "read_only": "The board is locked or closed.",
    "not_open_yet": "The board is open for asynchronous participation later (`settings.opens_at`): participants "
    "read it until then.",
    "board_closed": "The board's asynchronous participation has ended (`settings.closes_at`): it is read-only for "
    "participants.",
    "wrong_phase": "The board's phase does not allow it: participants post, edit, move and group only in the "
    "phases made for it (facilitators in any open phase), grouping waits for a silent collection's reveal, and "
    "`vote.open` needs the vote phase, for facilitators too (`board.phase` first), except on a board with a window of "
    "asynchronous participation, which votes in the collect phase too.",
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
    "invalid_tag": "A tag holds a comma or a semicolon (spreadsheets separate tags with them).",
    "idea_deleted": "A post was retried with the `client_id` of an idea that has been deleted since.",
    "text_too_short": "A text is empty after trimming.",
    "text_too_long": "A text is longer than allowed.",
    "control_characters": "A text contains control characters.",
    "invalid_input": "A value breaks a rule (e.g. a broadcast to a room without its `room_id`).",
    "no_such_round": "No such breakout round in this event, or not the current one.",
    "not_in_room": "A participant changes only the boards of the room they are in (the plenary, or their breakout room while a round is open); the others they may read.",
    "too_many_in_flight": "Too many events of this connection wait for their answer; wait for them, then retry.",
    # breakout rounds
    "no_rooms": "A breakout round needs at least one room.",
    "too_many_rooms": "A breakout round has at most 100 rooms.",
    "duplicate_room": "Two rooms with one name, or a room chosen twice among one's preferences.",
    "duplicate_host": "One member hosts two rooms.",
    "invalid_capacity": "A room's capacity must be 1–500 (or none).",
    "no_such_room": "No such room in this breakout round.",
    "room_full": "The room is at its capacity.",
    "already_open": "The breakout round is open already.",
    "not_open": "The breakout round is not open.",
    "already_closing": "The breakout round is closing already.",
    "round_closed": "The breakout round is closed.",
    "wrong_mode": "The round's assignment mode does not allow it (e.g. choosing a room outside self-select).",
    "stale_round": "The breakout round changed meanwhile on another node; retry.",
    # agenda
    "invalid_duration": "A step's duration must be 0 or 1 minute to 8 hours.",
    "invalid_kind": "A step's kind must be input, plenary, breakout, voting or break.",
    "invalid_position": "A position outside the agenda.",
    "too_many_steps": "An agenda has at most 50 steps.",
    "step_is_current": "The current step cannot be removed.",
    "stale_agenda": "The agenda changed since your screen showed it (another facilitator); look again and retry.",
    "step_moved": "Another facilitator moved the agenda on already.",
    "no_next_step": "The current step is the last one (finish the agenda instead).",
    "no_previous_step": "There is no step before this one.",
    "agenda_finished": "The agenda is finished; go to a step to reopen it.",
    # timers
    "timer_running": "The timer runs already (pause or reset it first).",
    "timer_not_running": "The timer is not running.",
    "timer_not_paused": "The timer is not paused.",
    "timer_idle": "The timer has not been started.",
    # chat, questions, hands, removal
    "silenced": "A facilitator silenced your chat in this event.",
    "cannot_silence_moderator": "Facilitators and organizers cannot be silenced.",
    "already_upvoted": "You upvoted this question already.",
    "not_upvoted": "You have not upvoted this question.",
    "question_hidden": "The question is hidden.",
    "too_many_questions": "At most 3 of your questions may be open at once.",
    "no_hands": "No hand is raised.",
    "queue_moved": "Another facilitator called someone from the queue meanwhile.",
    "cannot_remove_self": "You cannot remove yourself.",
    "cannot_remove_moderator": "A facilitator cannot remove an organizer or another facilitator.",
    # the space
    "invalid_move": "A move the rules refuse: off the map, onto a wall, through one, or faster than walking "
    "(the mover gets `space.corrected`).",
    "zone_full": "The private zone or table is at its capacity, or the stage holds 6 people already.",
    "unreachable": "No free tile next to the target can be reached from where you stand.",
    "no_bubble": "You are in no bubble to lock or unlock (tables, private zones and stages cannot be locked).",
    "not_in_conversation": "`rtc.signal` to someone not in your conversation (nor between a stage and its "
    "room), or `bubble.chat` while you are in no conversation.",
    "not_in_space": "You are not in the room's space yet (`space.enter` first), or the member is not in it.",
    "space_moving": "The server that ran the room's space stopped and another one is taking it over; retry in a "
    "moment.",
    "internal": "The server failed; it logged the cause. Nothing was changed.",
}
