"""A breakout round: its rooms, who is in which, its timer and help queue (decide/apply).

    draft ──Open──▶ open ──StartClose──▶ closing ──Close──▶ closed
                      └───────────────────Close─────────────▲

In draft a facilitator prepares the rooms and a preview of who goes where (``Assign``,
``Move``); participants state topic choices (``Prefer``) or pick a room (``Choose``). ``Open``
sends everyone present to their room; ``StartClose`` starts the countdown that everyone sees;
``Close`` brings everyone back to the plenary.

``decide(round, actor, command)`` checks a command and returns its events without changing the
round; ``apply(round, event)`` returns the round after one event. Identifiers, the time and the
random seed are given by the caller. Each event takes the round's next sequence number.

Participants only act for themselves (``Choose``, ``Prefer``, ``AskHelp``, ``WithdrawHelp``);
every other command needs a facilitator or organizer (``Arrive`` and ``Leave`` come from the
server, which acts as an organizer). After any command a member is in at most one room and no
room holds more than its capacity.

Error codes: ``no_such_room`` (NotFound), ``room_full``, ``already_open``, ``not_open``,
``already_closing``, ``round_closed``, ``wrong_mode`` (Conflict), ``no_rooms``,
``too_many_rooms``, ``duplicate_room``, ``duplicate_host``, ``invalid_capacity``,
``invalid_timer`` and the text codes of ``boards.text`` (InvalidInput), ``forbidden``.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as _field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from boards.actors import Actor
from boards.errors import Conflict, Forbidden, InvalidInput, NotFound
from boards.text import clean_text
from rooms import assignment
from rooms.assignment import Assignment, RoomSpec

ROOMS_MAX = 100
ROOM_NAME_MAX = 60
TOPIC_MAX = 200
CAPACITY_MAX = 500
DURATION_MIN_S = 60
DURATION_MAX_S = 4 * 3600
COUNTDOWN_MIN_S = 10
COUNTDOWN_MAX_S = 120
COUNTDOWN_DEFAULT_S = 60
EXTEND_MIN_S = 60
EXTEND_MAX_S = 3600


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSING = "closing"  # the countdown runs; closes_at is set
    CLOSED = "closed"


class Mode(enum.StrEnum):
    AUTOMATIC = "automatic"  # random, balanced
    PREFERENCE = "preference"  # by ranked topic choices
    MANUAL = "manual"  # the facilitator places people
    SELF_SELECT = "self_select"  # participants choose their room
    REUSE = "reuse"  # the groups of an earlier round again
    ROTATION = "rotation"  # World Café: hosts stay, the others move on


# -- state ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BreakoutRoom:
    id: str
    name: str
    topic: str = ""
    field: str | None = None  # the field of action it works on (the caller checks it exists)
    capacity: int | None = None  # None: no limit
    host: str | None = None  # a member who stays in this room (World Café table host)


@dataclass(frozen=True, slots=True)
class BreakoutRound:
    """One round of breakout rooms in an event. Its dicts are never changed: ``apply`` makes new ones."""

    id: str
    event_id: str
    number: int  # 1, 2, … per event
    rooms: tuple[BreakoutRoom, ...]
    created_at: datetime
    mode: Mode = Mode.AUTOMATIC
    status: RoundStatus = RoundStatus.DRAFT
    placement: dict[str, str] = _field(default_factory=dict)  # member → room; absent: in the plenary
    preferences: dict[str, tuple[str, ...]] = _field(default_factory=dict)  # member → ranked room ids
    help_queue: tuple[str, ...] = ()  # members asking for a facilitator, first asked first
    duration_s: int | None = None
    countdown_s: int = COUNTDOWN_DEFAULT_S
    opened_at: datetime | None = None
    ends_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    final_placement: dict[str, str] = _field(default_factory=dict)  # who was where when it closed
    seq: int = 0

    def room(self, room_id: str) -> BreakoutRoom:
        for room in self.rooms:
            if room.id == room_id:
                return room
        raise NotFound(f"There is no breakout room {room_id!r}.", code="no_such_room")

    def members_of(self, room_id: str) -> tuple[str, ...]:
        return tuple(m for m, r in self.placement.items() if r == room_id)

    def sizes(self) -> dict[str, int]:
        sizes = dict.fromkeys((r.id for r in self.rooms), 0)
        for room_id in self.placement.values():
            sizes[room_id] += 1
        return sizes

    @property
    def specs(self) -> tuple[RoomSpec, ...]:
        return tuple(RoomSpec(r.id, r.capacity, r.topic) for r in self.rooms)

    @property
    def hosts(self) -> dict[str, str]:
        """Room → host, for the rooms that have one."""
        return {r.id: r.host for r in self.rooms if r.host is not None}


def _check_timer(value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise InvalidInput(f"{what} must be {low} s to {high} s.", code="invalid_timer")


def clean_rooms(rooms: Sequence[BreakoutRoom]) -> tuple[BreakoutRoom, ...]:
    """1 to 100 rooms with distinct ids, names (1–60 characters) and hosts; capacity None or 1–500."""
    if not rooms:
        raise InvalidInput("Give at least one breakout room.", code="no_rooms")
    if len(rooms) > ROOMS_MAX:
        raise InvalidInput(f"At most {ROOMS_MAX} breakout rooms.", code="too_many_rooms")
    cleaned: list[BreakoutRoom] = []
    ids: set[str] = set()
    names: set[str] = set()
    hosts: set[str] = set()
    for room in rooms:
        name = clean_text(room.name, label="A room's name", min_len=1, max_len=ROOM_NAME_MAX)
        topic = clean_text(room.topic, label="A room's topic", min_len=0, max_len=TOPIC_MAX)
        if not room.id or room.id in ids:
            raise InvalidInput(f"Each room needs an id of its own ({room.id!r}).", code="duplicate_room")
        if name.casefold() in names:
            raise InvalidInput(f"The room name {name!r} is used twice.", code="duplicate_room")
        if room.capacity is not None and not 1 <= room.capacity <= CAPACITY_MAX:
            raise InvalidInput(f"A room holds 1 to {CAPACITY_MAX} people, or has no limit.", code="invalid_capacity")
        if room.host is not None and room.host in hosts:
            raise InvalidInput("A member can host one room only.", code="duplicate_host")
        ids.add(room.id)
        names.add(name.casefold())
        if room.host is not None:
            hosts.add(room.host)
        cleaned.append(replace(room, name=name, topic=topic))
    return tuple(cleaned)


def new_round(
    *,
    round_id: str,
    event_id: str,
    number: int,
    rooms: Sequence[BreakoutRoom],
    now: datetime,
    mode: Mode = Mode.AUTOMATIC,
    duration_s: int | None = None,
    countdown_s: int = COUNTDOWN_DEFAULT_S,
) -> BreakoutRound:
    """A draft round, its rooms checked by ``clean_rooms``; a duration of 1 min to 4 h, a countdown of 10 s to 2 min."""
    if number < 1:
        raise InvalidInput("Rounds are numbered from 1.")
    if duration_s is not None:
        _check_timer(duration_s, DURATION_MIN_S, DURATION_MAX_S, "The duration")
    _check_timer(countdown_s, COUNTDOWN_MIN_S, COUNTDOWN_MAX_S, "The countdown")
    return BreakoutRound(
        id=round_id,
        event_id=event_id,
        number=number,
        rooms=clean_rooms(rooms),
        created_at=now,
        mode=Mode(mode),
        duration_s=duration_s,
        countdown_s=countdown_s,
    )


def next_rotation(
    previous: BreakoutRound,
    history: Sequence[Mapping[str, str]],
    rng: random.Random,
    now: datetime,
    new_id: str,
    *,
    members: Sequence[str] | None = None,
    number: int | None = None,
) -> BreakoutRound:
    """The next World Café round as a draft: the same rooms and hosts, a rotation as its preview.

    ``history`` holds the placements of the rounds before ``previous`` (oldest first);
    ``previous``'s own (as it closed, or as it is if it has not) is added to it. ``members``
    are those to place (by default everyone of ``previous`` and the hosts); ``number`` is
    ``previous.number + 1`` unless given.
    """
    last = previous.final_placement if previous.status is RoundStatus.CLOSED else previous.placement
    past = [*history, last] if last else list(history)
    if members is None:
        members = list(dict.fromkeys([*last, *previous.hosts.values()]))
    draft = BreakoutRound(
        id=new_id,
        event_id=previous.event_id,
        number=previous.number + 1 if number is None else number,
        rooms=previous.rooms,
        created_at=now,
        mode=Mode.ROTATION,
        duration_s=previous.duration_s,
        countdown_s=previous.countdown_s,
    )
    result = assignment.rotate(members, draft.specs, past, draft.hosts, rng)
    return replace(draft, placement=result.placement)


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assign:
    """Compute the preview in draft. ``members``: those to place (present now).

    automatic: balanced at random; preference: by the round's ``preferences`` (``preferences``
    here adds to or overrides them, e.g. for someone on the phone; ``max_per_room`` as in
    ``assignment.by_preference``); reuse: ``previous`` groups again; rotation: by ``history``;
    manual: ``placement`` as given (None keeps the preview to adjust with ``Move``);
    self_select: nobody but the hosts is placed, everyone chooses. Hosts go to their rooms in
    every mode but manual.
    """

    mode: Mode
    seed: int
    members: tuple[str, ...] = ()
    preferences: Mapping[str, tuple[str, ...]] | None = None
    previous: Mapping[str, str] | None = None
    history: tuple[Mapping[str, str], ...] = ()
    placement: Mapping[str, str] | None = None
    max_per_room: int | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """A facilitator puts a member into a room (None: back to the plenary)."""

    member_id: str
    room_id: str | None


@dataclass(frozen=True, slots=True)
class Choose:
    """A participant picks their own room in self-select mode (None: back to the plenary)."""

    room_id: str | None


@dataclass(frozen=True, slots=True)
class Prefer:
    """A participant's ranked topic choices in preference mode; empty takes them back."""

    room_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Open:
    """Send everyone ``present`` to their room."""

    now: datetime
    present: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Arrive:
    """A member came (back) while the round is open."""

    member_id: str


@dataclass(frozen=True, slots=True)
class Leave:
    """A member left the event or was removed: out of their room and the help queue (their topic choices stay)."""

    member_id: str


@dataclass(frozen=True, slots=True)
class AskHelp:
    """A participant calls a facilitator."""


@dataclass(frozen=True, slots=True)
class WithdrawHelp:
    """A participant no longer needs help."""


@dataclass(frozen=True, slots=True)
class AnswerHelp:
    """A facilitator takes a call for help off the queue."""

    member_id: str


@dataclass(frozen=True, slots=True)
class StartClose:
    """Start the countdown: the round closes at ``now + countdown_s``."""

    now: datetime


@dataclass(frozen=True, slots=True)
class Close:
    """Close the round now (at the end of the countdown, or at once): everyone back to the plenary."""

    now: datetime


@dataclass(frozen=True, slots=True)
class Extend:
    """Give the open round more time: from its end (or from now when it has none or is over)."""

    seconds: int
    now: datetime


BreakoutCommand = (
    Assign
    | Move
    | Choose
    | Prefer
    | Open
    | Arrive
    | Leave
    | AskHelp
    | WithdrawHelp
    | AnswerHelp
    | StartClose
    | Close
    | Extend
)


# -- events ---------------------------------------------------------------------------------


class MemberMove(NamedTuple):
    member_id: str
    from_room: str | None  # None: from the plenary
    to_room: str | None  # None: to the plenary


@dataclass(frozen=True, slots=True)
class RoundChanged:
    """The round's own fields after the change."""

    seq: int
    actor: Actor
    kind: str  # mode, opened, closing, extended, closed
    status: RoundStatus
    mode: Mode
    opened_at: datetime | None
    ends_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class MembersPlaced:
    seq: int
    actor: Actor
    kind: str  # preview, moved, chosen, opened, arrived, left, closed
    moves: tuple[MemberMove, ...]


@dataclass(frozen=True, slots=True)
class PreferencesChanged:
    seq: int
    actor: Actor
    member_id: str
    room_ids: tuple[str, ...]  # the member's ranked choices now; empty: none


@dataclass(frozen=True, slots=True)
class HelpChanged:
    seq: int
    actor: Actor
    kind: str  # asked, withdrawn, answered, left, cleared
    member_id: str | None  # whom it concerns; None when the queue is cleared
    queue: tuple[str, ...]  # the queue after the change


BreakoutEvent = RoundChanged | MembersPlaced | PreferencesChanged | HelpChanged


# -- decide ---------------------------------------------------------------------------------


def _moderator(actor: Actor) -> None:
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can do that.")


def _require(rnd: BreakoutRound, *allowed: RoundStatus) -> None:
    status = rnd.status
    if status in allowed:
        return
    if status is RoundStatus.CLOSED:
        raise Conflict("The breakout round is closed.", code="round_closed")
    if status is RoundStatus.DRAFT:
        raise Conflict("The breakout round is not open yet.", code="not_open")
    if status is RoundStatus.CLOSING and RoundStatus.OPEN in allowed:
        raise Conflict("The breakout round is closing already.", code="already_closing")
    raise Conflict("The breakout round is open already.", code="already_open")


def _mode(rnd: BreakoutRound, mode: Mode) -> None:
    if rnd.mode is not mode:
        raise Conflict(f"That is for rounds in {mode.value} mode; this one is {rnd.mode.value}.", code="wrong_mode")


def _room_with_space(rnd: BreakoutRound, member_id: str, room_id: str | None) -> None:
    """The room exists and has a seat for the member (who may sit there already); None is the plenary."""
    if room_id is None:
        return
    room = rnd.room(room_id)
    if room.capacity is not None and rnd.placement.get(member_id) != room_id:
        if sum(1 for r in rnd.placement.values() if r == room_id) >= room.capacity:
            raise Conflict(f"{room.name} is full ({room.capacity}).", code="room_full")


def _diff(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[MemberMove, ...]:
    moves = [MemberMove(m, r, new.get(m)) for m, r in old.items() if new.get(m) != r]
    moves += [MemberMove(m, None, r) for m, r in new.items() if m not in old]
    return tuple(moves)


class _Decision:
    def __init__(self, rnd: BreakoutRound, actor: Actor) -> None:
        self.round, self.actor = rnd, actor
        self.events: list[BreakoutEvent] = []

    @property
    def seq(self) -> int:
        return self.round.seq + len(self.events) + 1

    def changed(self, kind: str, **fields: Any) -> None:
        r = replace(self.round, **fields)
        self.events.append(
            RoundChanged(self.seq, self.actor, kind, r.status, r.mode, r.opened_at, r.ends_at, r.closes_at, r.closed_at)
        )

    def placed(self, kind: str, moves: Sequence[MemberMove], *, always: bool = False) -> None:
        if moves or always:
            self.events.append(MembersPlaced(self.seq, self.actor, kind, tuple(moves)))

    def help(self, kind: str, member_id: str | None, queue: tuple[str, ...]) -> None:
        self.events.append(HelpChanged(self.seq, self.actor, kind, member_id, queue))


def decide(rnd: BreakoutRound, actor: Actor, command: BreakoutCommand) -> list[BreakoutEvent]:
    """Check ``command`` against the rules; return its events (none: nothing to change) or raise a DomainError."""
    handler = _HANDLERS.get(type(command))
    if handler is None:  # pragma: no cover - a programming error
        raise TypeError(f"unknown command {command!r}")
    d = _Decision(rnd, actor)
    handler(d, command)
    return d.events


def _fixed_hosts(rnd: BreakoutRound, members: Sequence[str]) -> dict[str, str]:
    present = set(members)
    return {host: room for room, host in rnd.hosts.items() if host in present}


def _assign(d: _Decision, cmd: Assign) -> None:
    _moderator(d.actor)
    rnd = d.round
    _require(rnd, RoundStatus.DRAFT)
    mode = Mode(cmd.mode)
    members = list(dict.fromkeys(cmd.members))
    rng = random.Random(cmd.seed)
    specs = rnd.specs
    fixed = _fixed_hosts(rnd, members)
    result: Assignment | None = None
    if mode is Mode.AUTOMATIC:
        result = assignment.balanced(members, specs, rng, fixed=fixed)
    elif mode is Mode.PREFERENCE:
        if cmd.max_per_room is not None and cmd.max_per_room < 1:
            raise InvalidInput("A room takes at least one person by choice.", code="invalid_capacity")
        preferences = {**rnd.preferences, **(cmd.preferences or {})}
        result = assignment.by_preference(members, specs, preferences, rng, fixed=fixed, max_per_room=cmd.max_per_room)
    elif mode is Mode.REUSE:
        result = assignment.reuse(members, specs, cmd.previous or {}, rng, fixed=fixed)
    elif mode is Mode.ROTATION:
        result = assignment.rotate(members, specs, cmd.history, rnd.hosts, rng)
    elif mode is Mode.MANUAL:
        if cmd.placement is not None:
            result = assignment.check_manual(cmd.placement, specs)
    else:  # self_select
        result = assignment.check_manual(fixed, specs)
    new = rnd.placement if result is None else result.placement
    if mode is not rnd.mode:
        d.changed("mode", mode=mode)
    d.placed("preview", _diff(rnd.placement, new))


def _move(d: _Decision, cmd: Move) -> None:
    _moderator(d.actor)
    rnd = d.round
    _require(rnd, RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSING)
    _room_with_space(rnd, cmd.member_id, cmd.room_id)
    current = rnd.placement.get(cmd.member_id)
    if current != cmd.room_id:
        d.placed("moved", [MemberMove(cmd.member_id, current, cmd.room_id)])


def _choose(d: _Decision, cmd: Choose) -> None:
    rnd, me = d.round, d.actor.member_id
    _require(rnd, RoundStatus.DRAFT, RoundStatus.OPEN)
    _mode(rnd, Mode.SELF_SELECT)
    _room_with_space(rnd, me, cmd.room_id)
    current = rnd.placement.get(me)
    if current != cmd.room_id:
        d.placed("chosen", [MemberMove(me, current, cmd.room_id)])


def _prefer(d: _Decision, cmd: Prefer) -> None:
    rnd, me = d.round, d.actor.member_id
    _require(rnd, RoundStatus.DRAFT)
    _mode(rnd, Mode.PREFERENCE)
    for room_id in cmd.room_ids:
        rnd.room(room_id)
    if len(set(cmd.room_ids)) != len(cmd.room_ids):
        raise InvalidInput("Name each room once.", code="duplicate_room")
    if rnd.preferences.get(me, ()) != tuple(cmd.room_ids):
        d.events.append(PreferencesChanged(d.seq, d.actor, me, tuple(cmd.room_ids)))


def _open(d: _Decision, cmd: Open) -> None:
    _moderator(d.actor)
    rnd = d.round
    _require(rnd, RoundStatus.DRAFT)
    present = list(dict.fromkeys(cmd.present))
    placement = {m: rnd.placement[m] for m in present if m in rnd.placement}
    for host, room_id in _fixed_hosts(rnd, present).items():
        room = rnd.room(room_id)
        taken = sum(1 for r in placement.values() if r == room_id)
        if host not in placement and (room.capacity is None or taken < room.capacity):
            placement[host] = room_id
    if rnd.mode is not Mode.SELF_SELECT:
        placement = assignment.fill(present, rnd.specs, placement).placement
    ends_at = None if rnd.duration_s is None else cmd.now + timedelta(seconds=rnd.duration_s)
    d.changed("opened", status=RoundStatus.OPEN, opened_at=cmd.now, ends_at=ends_at)
    d.placed("opened", _diff(rnd.placement, placement))


def _arrive(d: _Decision, cmd: Arrive) -> None:
    """Placed in their hosted room, else the least-filled room with space; nothing in other states or modes."""
    _moderator(d.actor)
    rnd, m = d.round, cmd.member_id
    if rnd.status is not RoundStatus.OPEN or rnd.mode is Mode.SELF_SELECT or m in rnd.placement:
        return
    hosted = _fixed_hosts(rnd, [m]).get(m)
    if hosted is not None:
        room = rnd.room(hosted)
        if room.capacity is None or len(rnd.members_of(hosted)) < room.capacity:
            d.placed("arrived", [MemberMove(m, None, hosted)])
            return
    room_id = assignment.fill([m], rnd.specs, rnd.placement).room_of(m)
    if room_id is not None:
        d.placed("arrived", [MemberMove(m, None, room_id)])


def _leave(d: _Decision, cmd: Leave) -> None:
    _moderator(d.actor)
    rnd, m = d.round, cmd.member_id
    if m in rnd.placement:
        d.placed("left", [MemberMove(m, rnd.placement[m], None)])
    if m in rnd.help_queue:
        d.help("left", m, tuple(x for x in rnd.help_queue if x != m))


def _ask_help(d: _Decision, _cmd: AskHelp) -> None:
    rnd, me = d.round, d.actor.member_id
    _require(rnd, RoundStatus.OPEN, RoundStatus.CLOSING)
    if me not in rnd.help_queue:
        d.help("asked", me, (*rnd.help_queue, me))


def _withdraw_help(d: _Decision, _cmd: WithdrawHelp) -> None:
    rnd, me = d.round, d.actor.member_id
    if me in rnd.help_queue:
        d.help("withdrawn", me, tuple(x for x in rnd.help_queue if x != me))


def _answer_help(d: _Decision, cmd: AnswerHelp) -> None:
    _moderator(d.actor)
    rnd = d.round
    if cmd.member_id in rnd.help_queue:
        d.help("answered", cmd.member_id, tuple(x for x in rnd.help_queue if x != cmd.member_id))


def _start_close(d: _Decision, cmd: StartClose) -> None:
    _moderator(d.actor)
    _require(d.round, RoundStatus.OPEN)
    d.changed("closing", status=RoundStatus.CLOSING, closes_at=cmd.now + timedelta(seconds=d.round.countdown_s))


def _close(d: _Decision, cmd: Close) -> None:
    _moderator(d.actor)
    rnd = d.round
    _require(rnd, RoundStatus.OPEN, RoundStatus.CLOSING)
    d.placed("closed", [MemberMove(m, r, None) for m, r in rnd.placement.items()], always=True)
    if rnd.help_queue:
        d.help("cleared", None, ())
    d.changed("closed", status=RoundStatus.CLOSED, closed_at=cmd.now)


def _extend(d: _Decision, cmd: Extend) -> None:
    _moderator(d.actor)
    rnd = d.round
    _require(rnd, RoundStatus.OPEN)
    _check_timer(cmd.seconds, EXTEND_MIN_S, EXTEND_MAX_S, "An extension")
    start = cmd.now if rnd.ends_at is None else max(rnd.ends_at, cmd.now)
    ends_at = start + timedelta(seconds=cmd.seconds)
    if rnd.opened_at is not None and ends_at - rnd.opened_at > timedelta(seconds=DURATION_MAX_S):
        raise InvalidInput(f"A round lasts at most {DURATION_MAX_S // 3600} h.", code="invalid_timer")
    d.changed("extended", ends_at=ends_at)


_HANDLERS: dict[type, Callable[[_Decision, Any], None]] = {
    Assign: _assign,
    Move: _move,
    Choose: _choose,
    Prefer: _prefer,
    Open: _open,
    Arrive: _arrive,
    Leave: _leave,
    AskHelp: _ask_help,
    WithdrawHelp: _withdraw_help,
    AnswerHelp: _answer_help,
    StartClose: _start_close,
    Close: _close,
    Extend: _extend,
}


# -- apply ----------------------------------------------------------------------------------


def apply(rnd: BreakoutRound, event: BreakoutEvent) -> BreakoutRound:
    """The round after one event that ``decide`` produced (and the store committed)."""
    if event.seq != rnd.seq + 1:
        raise Conflict(f"Event {event.seq} does not follow the round's sequence {rnd.seq}.")
    if isinstance(event, RoundChanged):
        return replace(
            rnd,
            seq=event.seq,
            status=event.status,
            mode=event.mode,
            opened_at=event.opened_at,
            ends_at=event.ends_at,
            closes_at=event.closes_at,
            closed_at=event.closed_at,
        )
    if isinstance(event, MembersPlaced):
        placement = dict(rnd.placement)
        for member_id, _from, to in event.moves:
            if to is None:
                placement.pop(member_id, None)
            else:
                placement[member_id] = to
        final = rnd.final_placement
        if event.kind == "closed":
            final = {m: r for m, r, _to in event.moves if r is not None}
        return replace(rnd, seq=event.seq, placement=placement, final_placement=final)
    if isinstance(event, PreferencesChanged):
        preferences = dict(rnd.preferences)
        if event.room_ids:
            preferences[event.member_id] = event.room_ids
        else:
            preferences.pop(event.member_id, None)
        return replace(rnd, seq=event.seq, preferences=preferences)
    return replace(rnd, seq=event.seq, help_queue=event.queue)
