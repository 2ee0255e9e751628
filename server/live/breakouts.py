"""Breakout rounds live: the serializer of each event's round, and what its changes do to connections.

Each event has at most one current round (a draft, or open, or closing); its commands go through
one ``Serializer`` per event: decided on the round in arrival order (``rooms.breakouts``),
committed together (``store.commit_round``, which checks the stored sequence number so that two
nodes cannot both commit on the same state), applied, and only then carried out:

- members placed while the round is open (it opened, a facilitator moved someone, a participant
  chose a room, a late arrival was placed) or sent back when it closed have their connections
  moved (``LiveState.move_members``: ``room.moved`` to them, presence to both rooms);
- the round's end and its countdown are armed as deadlines (``_arm``): at ``ends_at`` the
  countdown starts, at ``closes_at`` the rooms close — each through the serializer, and only if
  the round still has that deadline: one that finds the round moved on (closed by hand, extended,
  fired by another node) is refused and ignored;
- ``breakout.changed`` tells the event (at most every 0.25 s): everyone the rooms, their sizes
  and times; facilitators and organizers also who is where and who asks for help.

Across nodes (``--redis``), the node that commits a change tells the others (``ROUND``, with the
moves it made): each reads the round as stored, arms its deadlines (so the round closes on time
even when the node that opened it is gone; whichever node fires first commits, the others find
the round moved on and are refused) and moves its own connections of those members, as the committing
node moved its own. ``breakout.changed`` goes out once, from the committing node, to the event's
channel on every node. A node that asks which participants are present (to preview or open a
round) asks the others too (``CENSUS``), and a node told that a round opened places those of its
participants whom the opening missed (they connected meanwhile), as it places late arrivals. A
command given to a node whose round is outdated is decided again on the stored one (``stale_round``),
and one for a round that node does not know yet reads the store first. When a node hears the others
again after losing Redis (``RESUMED``) it reads its events' rounds again and moves its connections
where those rounds have them. One node tells nobody and asks nobody.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from boards.actors import Actor, Role
from boards.errors import Conflict, DomainError, NotFound
from boards.rules import SYSTEM
from rooms import breakouts as b
from rooms.members import Member
from server.ids import new_id, utcnow
from server.live.serializer import Pending, Serializer
from server.live.throttle import Throttle
from server.store.idea_store import Room
from server.transport.fanout import RESUMED, Forms, event_channel
from server.transport.redisfanout import NODES, redis_channel

if TYPE_CHECKING:
    from server.live.state import LiveState

log = logging.getLogger("werkstatt.breakouts")

ANNOUNCE_INTERVAL = 0.25
# what nodes tell each other (``Fanout.tell``). A round changed (or a facilitator visits a room):
# {event, round, seq, moves: [[reason, [[member, room or null for the plenary], …]], …], closed, opened}
ROUND = "breakouts.round"
CENSUS = "breakouts.census"  # which participants of an event are present on your node? {event, ask}
PRESENT = "breakouts.present"  # the answer: {ask, members}
CENSUS_WAIT = 1.0  # seconds a node waits for the others' answers (a node that is going away answers no more)
LIVE_STATUSES = (b.RoundStatus.OPEN, b.RoundStatus.CLOSING)
REASONS = {  # MembersPlaced.kind → room.moved's reason
    "opened": "breakout_open",
    "closed": "breakout_close",
    "moved": "moved",
    "chosen": "breakout_choice",
    "arrived": "breakout_arrival",
    "left": "moved",
}


@dataclass(frozen=True, slots=True)
class RoundCommand:
    actor: Actor
    round_id: str | None  # None: whatever round is current (the server's own commands)
    command: b.BreakoutCommand
    due: datetime | None = None  # a deadline's command: only while the round's deadline is still this moment


# a round's moves, by reason in the order they happen: [(reason, [(member, room id or None for the plenary)])]
Moves = list[tuple[str, list[tuple[str, str | None]]]]


@dataclass(slots=True)
class _Census:
    """The answers to one census: the participants other nodes have present."""

    expected: int
    members: list[str] = field(default_factory=list)
    answered: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _still_due(rnd: b.BreakoutRound, command: b.BreakoutCommand, moment: datetime) -> bool:
    """Whether the deadline a command was armed for is still the round's (not extended, not fired yet)."""
    if isinstance(command, b.StartClose):
        return rnd.status is b.RoundStatus.OPEN and rnd.ends_at == moment
    return rnd.status is b.RoundStatus.CLOSING and rnd.closes_at == moment


def round_out(
    rnd: b.BreakoutRound, member_id: str | None, moderates: bool, names: Mapping[str, Member] | None = None
) -> dict[str, Any]:
    """The round as a member sees it (``protocol.RoundOut``): who is where (and their pseudonyms, from
    ``names``) only for moderators."""
    sizes = rnd.sizes()
    return {
        "id": rnd.id,
        "number": rnd.number,
        "status": rnd.status.value,
        "mode": rnd.mode.value,
        "rooms": [
            {
                "id": r.id,
                "name": r.name,
                "topic": r.topic,
                "field_id": r.field,
                "capacity": r.capacity,
                "host_id": r.host,
                "size": sizes[r.id],
            }
            for r in rnd.rooms
        ],
        "duration_s": rnd.duration_s,
        "countdown_s": rnd.countdown_s,
        "opened_at": _iso(rnd.opened_at),
        "ends_at": _iso(rnd.ends_at),
        "closes_at": _iso(rnd.closes_at),
        "closed_at": _iso(rnd.closed_at),
        "seq": rnd.seq,
        "my_room": rnd.placement.get(member_id) if member_id else None,
        "asked_help": member_id in rnd.help_queue if member_id else False,
        "my_preferences": list(rnd.preferences.get(member_id, ())) if member_id else [],
        "placement": dict(rnd.placement) if moderates else None,
        "help_queue": list(rnd.help_queue) if moderates else None,
        "names": _names(rnd, names) if moderates else None,
    }


def _names(rnd: b.BreakoutRound, members: Mapping[str, Member] | None) -> dict[str, str]:
    members = members or {}
    named = {}
    for member_id in (*rnd.placement, *rnd.help_queue):
        member = members.get(member_id)
        if member is not None:
            named[member_id] = member.pseudonym
    return named


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class BreakoutDesk:
    def __init__(self, live: LiveState, announce_interval: float = ANNOUNCE_INTERVAL) -> None:
        self.live = live
        self.rounds: dict[str, b.BreakoutRound] = {}  # event → its current round (or its last one)
        self.serializer: Serializer[RoundCommand, b.BreakoutRound] = Serializer(
            self._commit_batch, name="round of event"
        )
        self.timers: dict[str, asyncio.Task[None]] = {}
        self._throttle = Throttle(announce_interval, self._announce)
        # per event: a batch of the round's commands, a new round, the next rotation and what another node
        # said about the round exclude each other
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # acting on what other nodes said
        self._asks: dict[str, _Census] = {}  # this node's censuses waiting for answers
        fanout = live.fanout
        fanout.on_told(ROUND, self._told_round)
        fanout.on_told(CENSUS, self._told_census)
        fanout.on_told(PRESENT, self._told_present)
        fanout.on_told(RESUMED, self._resumed)

    async def close(self) -> None:
        await self.serializer.close()
        for task in (*self.timers.values(), *self._tasks):
            task.cancel()
        self.timers.clear()
        await self._throttle.close()

    # -- reading ------------------------------------------------------------------------------

    async def current(self, event_id: str, round_id: str | None = None) -> b.BreakoutRound | None:
        """The event's current round: open or closing, else the newest draft or closed one.

        ``round_id``: the round the caller means; when the cached round is another one, the store is
        read again (another node may have made that round since).
        """
        rnd = self.rounds.get(event_id)
        if rnd is None or (round_id is not None and rnd.id != round_id):
            rnd = await self._load(event_id)
        return rnd

    async def _load(self, event_id: str) -> b.BreakoutRound | None:
        """The event's current round as stored, cached and its deadlines armed."""
        rnd = await self.live.store.open_round(event_id)
        if rnd is None:
            rounds = await self.live.store.rounds_of(event_id)
            rnd = rounds[-1] if rounds else None
        return None if rnd is None else self._adopt(rnd)

    async def _reload(self, event_id: str) -> b.BreakoutRound | None:
        """Drop the cached round and read the current one from the store."""
        self.rounds.pop(event_id, None)
        return await self._load(event_id)

    def _adopt(self, rnd: b.BreakoutRound) -> b.BreakoutRound:
        """Cache a round read from the store, unless the cache holds a newer state, and arm the deadlines
        of what is cached; what is cached."""
        cached = self.rounds.get(rnd.event_id)
        if cached is None or (cached.number, cached.seq) <= (rnd.number, rnd.seq):
            self._remember(rnd)
            cached = rnd
        self._arm(cached)
        return cached

    def room_of(self, rnd: b.BreakoutRound, room_id: str) -> Room:
        room = rnd.room(room_id)
        known = self.live.room(room.id)
        if known is None:
            known = Room(room.id, rnd.event_id, "breakout", room.name)
            self.live.know_room(known)
        return known

    async def room_for(self, member: Member) -> Room:
        """Where a member's new connection goes: their breakout room while a round is open (a
        participant who is not placed yet is placed now, unless the round is self-select), else
        the plenary."""
        plenary = await self.live.plenary(member.event_id)
        rnd = await self.current(member.event_id)
        if rnd is None or rnd.status not in LIVE_STATUSES:
            return plenary
        room_id = rnd.placement.get(member.id)
        if room_id is None and member.role is Role.PARTICIPANT and rnd.status is b.RoundStatus.OPEN:
            try:
                rnd = await self.run(member.event_id, SYSTEM, None, b.Arrive(member.id))
            except DomainError:
                return plenary
            room_id = rnd.placement.get(member.id)
        return plenary if room_id is None else self.room_of(rnd, room_id)

    # -- changing --------------------------------------------------------------------------------

    async def create(
        self,
        event_id: str,
        actor: Actor,
        rooms: list[b.BreakoutRoom],
        *,
        mode: b.Mode,
        duration_s: int | None,
        countdown_s: int,
    ) -> b.BreakoutRound:
        """A new draft round with a board in each room. Refused while a round is open or closing (as stored:
        another node may have opened one)."""
        async with self._lock(event_id):
            current = await self._reload(event_id)
            if current is not None and current.status in LIVE_STATUSES:
                raise Conflict("Close the open breakout round first.", code="already_open")
            number = await self.live.store.next_round_number(event_id)
            rnd = b.new_round(
                round_id=new_id("br"),
                event_id=event_id,
                number=number,
                rooms=[b.BreakoutRoom(new_id("rm"), r.name, r.topic, r.field, r.capacity, r.host) for r in rooms],
                now=utcnow(),
                mode=mode,
                duration_s=duration_s,
                countdown_s=countdown_s,
            )
            await self.live.store.create_round(rnd)
            for room in rnd.rooms:
                await self.live.store.create_board(event_id, room.id, room.name)
                self.live.board_added(room.id)
                for board_id in await self.live.board_ids(room.id):  # cached now, not when everyone moves
                    await self.live.load(board_id)
            self._remember(rnd)
            await self._tell(rnd, [])
        self._throttle.mark(event_id)
        return rnd

    async def rotate(
        self, previous: b.BreakoutRound, history: list[dict[str, str]], members: tuple[str, ...]
    ) -> b.BreakoutRound:
        """World Café: the next round as a draft in the same rooms (with their boards and hosts), its
        preview a rotation in which people meet whom they have not met (``history``: earlier rounds)."""
        event_id = previous.event_id
        async with self._lock(event_id):
            current = await self._reload(event_id)  # as stored: another node may have rotated already
            if current is None or current.id != previous.id or current.status is not b.RoundStatus.CLOSED:
                raise Conflict("Close the breakout round first; the next one follows the last.", code="already_open")
            rnd = b.next_rotation(
                previous,
                history,
                random.SystemRandom(),
                utcnow(),
                new_id("br"),
                members=[*members, *previous.hosts.values()],
                number=await self.live.store.next_round_number(event_id),
            )
            await self.live.store.create_round(rnd)
            self._remember(rnd)
            await self._tell(rnd, [])
        self._throttle.mark(event_id)
        return rnd

    async def run(
        self, event_id: str, actor: Actor, round_id: str | None, command: b.BreakoutCommand
    ) -> b.BreakoutRound:
        """Decide, commit, apply and carry out one command on the event's current round; the round
        right after it, once committed."""
        return await self.serializer.submit(event_id, RoundCommand(actor, round_id, command))

    async def visit(self, event_id: str, member_id: str, room: Room) -> None:
        """A facilitator goes to a room (a breakout room of the round, or the plenary): their connections
        on every node."""
        rnd = self.rounds.get(event_id)
        moves: Moves = [("visit", [(member_id, None if room.kind == "plenary" else room.id)])]
        if rnd is not None:
            await self._tell(rnd, moves)
        else:
            await self.live.fanout.tell(ROUND, {"event": event_id, "round": None, "moves": moves})
        await self.live.move_member(member_id, room, "visit")

    def _lock(self, event_id: str) -> asyncio.Lock:
        return self._locks.setdefault(event_id, asyncio.Lock())

    async def _commit_batch(self, event_id: str, batch: list[Pending[RoundCommand, b.BreakoutRound]]) -> None:
        async with self._lock(event_id):  # not while a new round is made: it would change what is current
            await self._commit_locked(event_id, batch)

    async def _commit_locked(self, event_id: str, batch: list[Pending[RoundCommand, b.BreakoutRound]]) -> None:
        for attempt in range(3):
            rnd = await self.current(event_id)
            if rnd is not None and attempt == 0:
                named = {p.command.round_id for p in batch if p.command.round_id is not None}
                if named - {rnd.id}:  # a round this node has not seen yet (another node made it): read the store
                    rnd = await self._reload(event_id)
            if rnd is None:
                for pending in batch:
                    pending.refuse(NotFound("There is no breakout round in this event.", code="no_such_round"))
                return
            before = after = rnd
            events: list[b.BreakoutEvent] = []
            answers: list[tuple[Pending[RoundCommand, b.BreakoutRound], b.BreakoutRound]] = []
            for pending in batch:
                if pending.answered:
                    continue
                item = pending.command
                if item.round_id is not None and item.round_id != after.id:
                    pending.refuse(NotFound("That breakout round is not the current one.", code="no_such_round"))
                    continue
                if item.due is not None and not _still_due(after, item.command, item.due):
                    pending.refuse(Conflict("The round moved on before this deadline.", code="stale_round"))
                    continue
                try:
                    decided = b.decide(after, item.actor, item.command)
                    state = after
                    for event in decided:
                        state = b.apply(state, event)
                except DomainError as exc:
                    pending.refuse(exc)
                    continue
                except Exception as exc:  # a fault in this command alone
                    log.exception("deciding %s failed", type(item.command).__name__)
                    pending.refuse(exc)
                    continue
                events.extend(decided)
                after = state
                answers.append((pending, after))
            if events:
                try:
                    await self.live.store.commit_round(before, events, after)
                except Conflict as exc:
                    if exc.code != "stale_round" or attempt == 2:
                        raise
                    self.rounds.pop(event_id, None)  # another node committed: decide again on its state
                    continue
                self._remember(after)
            for pending, state in answers:
                pending.answer(state)
            await asyncio.sleep(0)  # the answers go out before the moves
            if events:
                moves, closed = _moves_of(before, events)
                opened = any(isinstance(e, b.RoundChanged) and e.kind == "opened" for e in events)
                await self._tell(after, moves, closed=closed, opened=opened)
                await self._move(event_id, moves, after if closed else None)
                self._arm(after)
                self._throttle.mark(event_id)
            return

    async def _move(self, event_id: str, moves: Moves, closed: b.BreakoutRound | None = None) -> None:
        """Move this node's connections of those members (``LiveState.move_members``), the moves of one
        reason together; ``closed``: the round that closed, whose visitors (facilitators) go back too."""
        plenary = await self.live.plenary(event_id)
        batches: list[tuple[str, list[tuple[str, Room]]]] = []

        def add(reason: str, member_id: str, room: Room) -> None:
            if not batches or batches[-1][0] != reason:
                batches.append((reason, []))
            batches[-1][1].append((member_id, room))

        for reason, members in moves:
            for member_id, room_id in members:
                room = plenary if room_id is None else self.live.room(room_id)
                if room is None:  # (every room of a round this node read is known)
                    log.warning("a move into room %s, which this node does not know, was left out", room_id)
                    continue
                add(reason, member_id, room)
        if closed is not None:
            rooms = {room.id for room in closed.rooms}
            for conn in list(self.live.connections.values()):
                if conn.room_id in rooms and conn.event_id == closed.event_id and not conn.projector:
                    add("breakout_close", conn.member.id, plenary)
        for reason, batch in batches:
            try:
                await self.live.move_members(batch, reason)
            except Exception:  # the round is committed: its members reconnect into their rooms
                log.exception("moving %d members (%s) failed", len(batch), reason)

    def _remember(self, rnd: b.BreakoutRound) -> None:
        self.rounds[rnd.event_id] = rnd
        for room in rnd.rooms:
            self.room_of(rnd, room.id)

    # -- the round's clock ------------------------------------------------------------------------

    def _arm(self, rnd: b.BreakoutRound) -> None:
        """Start the countdown at ``ends_at``, close at ``closes_at`` (re-armed on every change)."""
        old = self.timers.pop(rnd.event_id, None)
        if old is not None and old is not asyncio.current_task():
            old.cancel()
        if rnd.status is b.RoundStatus.OPEN and rnd.ends_at is not None:
            self.timers[rnd.event_id] = asyncio.create_task(self._at(rnd, rnd.ends_at, "countdown"))
        elif rnd.status is b.RoundStatus.CLOSING and rnd.closes_at is not None:
            self.timers[rnd.event_id] = asyncio.create_task(self._at(rnd, rnd.closes_at, "close"))

    async def _at(self, rnd: b.BreakoutRound, moment: datetime, what: str) -> None:
        delay = (moment - utcnow()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        command: b.BreakoutCommand = b.StartClose(utcnow()) if what == "countdown" else b.Close(utcnow())
        try:
            await self.serializer.submit(rnd.event_id, RoundCommand(SYSTEM, rnd.id, command, due=moment))
        except DomainError:
            pass  # moved on meanwhile (closed by hand, extended, fired by another node): refused
        except Exception:
            log.exception("the %s of round %s failed", what, rnd.id)

    # -- telling ---------------------------------------------------------------------------------

    async def _announce(self, event_id: str) -> None:
        rnd = self.rounds.get(event_id)
        if rnd is None:
            return
        names = await self.members(event_id, rnd)
        forms = Forms(public=round_out(rnd, None, False), moderated=round_out(rnd, None, True, names))
        await self.live.fanout.publish_forms(event_channel(event_id), "breakout.changed", forms)

    async def members(self, event_id: str, rnd: b.BreakoutRound | None = None) -> Mapping[str, Member]:
        """The event's members by id, to name them (the node's cache, loaded again if it lacks someone the
        round places or who asks for help: they may have joined on another node)."""
        cache = self.live.members.get(event_id)
        wanted = () if rnd is None else (*rnd.placement, *rnd.help_queue)
        if cache is None or any(member_id not in cache for member_id in wanted):
            cache = self.live.members[event_id] = await self.live.store.members_of(event_id)
        return cache

    def present_participants(self, event_id: str) -> tuple[str, ...]:
        """The participants connected to this node in the event (each once)."""
        seen: dict[str, None] = {}
        for conn in self.live.connections.values():
            if conn.event_id == event_id and conn.role is Role.PARTICIPANT and not conn.projector:
                seen[conn.member.id] = None
        return tuple(seen)

    async def everyone_present(self, event_id: str) -> tuple[str, ...]:
        """The participants connected in the event on any node (each once), for ``Assign`` and ``Open``:
        this node's, then those the other nodes name within ``CENSUS_WAIT``."""
        here = self.present_participants(event_id)
        redis = self.live.redis
        if redis is None:  # one node
            return here
        try:
            [(_channel, nodes)] = await redis.pubsub_numsub(redis_channel(NODES))
        except (RedisError, OSError) as exc:
            log.warning("could not count the nodes (%s); only this node's participants are placed", exc)
            return here
        if nodes <= 1:
            return here
        ask = new_id("ask")
        census = self._asks[ask] = _Census(expected=nodes - 1)
        try:
            await self.live.fanout.tell(CENSUS, {"event": event_id, "ask": ask})
            await asyncio.wait_for(census.done.wait(), CENSUS_WAIT)
        except TimeoutError:
            log.warning("%d of %d other nodes said who is present in time", census.answered, census.expected)
        finally:
            del self._asks[ask]
        return tuple(dict.fromkeys((*here, *census.members)))

    @staticmethod
    def seed(value: int | None) -> int:
        return random.SystemRandom().randrange(2**31) if value is None else value

    # -- across nodes ------------------------------------------------------------------------------

    async def _tell(self, rnd: b.BreakoutRound, moves: Moves, *, closed: bool = False, opened: bool = False) -> None:
        """Tell the other nodes that the round changed (as committed) and whom this node moved where."""
        data = {
            "event": rnd.event_id,
            "round": rnd.id,
            "seq": rnd.seq,
            "moves": [[reason, [[m, r] for m, r in members]] for reason, members in moves],
            "closed": closed,
            "opened": opened,
        }
        await self.live.fanout.tell(ROUND, data)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _told_round(self, data: Any) -> None:
        self._spawn(self._follow(data))

    async def _follow(self, data: dict[str, Any]) -> None:
        """Another node changed the event's round (or moved a visitor): take the round as stored, with its
        deadlines, and move this node's connections as that node moved its own (in the order it said so)."""
        event_id, round_id = data["event"], data.get("round")
        try:
            async with self._lock(event_id):
                rnd = self.rounds.get(event_id)
                if round_id is not None and (rnd is None or rnd.id != round_id or rnd.seq < data["seq"]):
                    if rnd is not None and rnd.id == round_id:
                        rnd = self._adopt(await self.live.store.load_round(round_id))
                    else:
                        rnd = await self._reload(event_id)
                told = rnd if rnd is not None and rnd.id == round_id else None
                if told is None and round_id is not None:  # a round before the current one (it moved on since)
                    try:
                        told = await self.live.store.load_round(round_id)
                    except NotFound:  # not in this node's database (another deployment on the same Redis)
                        return
                    for room in told.rooms:
                        self.room_of(told, room.id)
                moves: Moves = [(reason, [(m, r) for m, r in members]) for reason, members in data.get("moves", ())]
                await self._move(event_id, moves, told if data.get("closed") else None)
            if data.get("opened") and told is not None:
                await self._place_missing(event_id, told.id)
        except Exception:
            log.exception("following round %s of event %s from another node failed", round_id, event_id)

    async def _place_missing(self, event_id: str, round_id: str) -> None:
        """Another node opened the round: this node's participants whom the opening did not place (they
        connected while it was made) are placed as late arrivals are."""
        rnd = self.rounds.get(event_id)
        if rnd is None or rnd.id != round_id or rnd.status is not b.RoundStatus.OPEN or rnd.mode is b.Mode.SELF_SELECT:
            return
        missing = [m for m in self.present_participants(event_id) if m not in rnd.placement]
        results = await asyncio.gather(
            *(self.run(event_id, SYSTEM, round_id, b.Arrive(m)) for m in missing), return_exceptions=True
        )
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, DomainError):
                log.error("placing a participant who arrived during the opening failed: %r", result)

    def _told_census(self, data: Any) -> None:
        members = list(self.present_participants(data["event"]))
        self._spawn(self.live.fanout.tell(PRESENT, {"ask": data["ask"], "members": members}))

    def _told_present(self, data: Any) -> None:
        census = self._asks.get(data["ask"])
        if census is None:  # another node's census, or one that stopped waiting
            return
        census.members.extend(data["members"])
        census.answered += 1
        if census.answered >= census.expected:
            census.done.set()

    def _resumed(self, _data: Any) -> None:
        events = dict.fromkeys([*self.rounds, *(conn.event_id for conn in self.live.connections.values())])
        for event_id in events:
            self._spawn(self._catch_up(event_id))

    async def _catch_up(self, event_id: str) -> None:
        """What other nodes said while Redis was away is lost: read the round again (its deadlines with it)
        and move this node's connections where it has them — participants into their rooms, those not
        placed and everyone once the round is over into the plenary (facilitators may stay on a visit)."""
        try:
            async with self._lock(event_id):
                rnd = await self._reload(event_id)
                plenary = await self.live.plenary(event_id)
                live = rnd is not None and rnd.status in LIVE_STATUSES
                rooms = {room.id for room in rnd.rooms} if rnd is not None and live else set()
                moves: dict[str, str | None] = {}
                for conn in list(self.live.connections.values()):
                    if conn.event_id != event_id or conn.projector:
                        continue
                    target = rnd.placement.get(conn.member.id) if rnd is not None and live else None
                    visiting = target is None and conn.role.moderates and conn.room_id in rooms
                    if conn.room_id != (target or plenary.id) and not visiting:
                        moves[conn.member.id] = target
                reason = "moved" if live else "breakout_close"
                if moves:
                    await self._move(event_id, [(reason, list(moves.items()))])
        except Exception:
            log.exception("reading the round of event %s again failed", event_id)


def _moves_of(before: b.BreakoutRound, events: Sequence[b.BreakoutEvent]) -> tuple[Moves, bool]:
    """Whom the events move where (the moves of one reason together, in order), and whether the round closed:
    those the events placed while the round is live, or sent back; at the opening everyone it placed."""
    rnd = before
    moves: Moves = []

    def add(reason: str, member_id: str, room_id: str | None) -> None:
        if not moves or moves[-1][0] != reason:
            moves.append((reason, []))
        moves[-1][1].append((member_id, room_id))

    opened = closed = False
    for event in events:
        rnd = b.apply(rnd, event)
        if isinstance(event, b.RoundChanged):
            opened = opened or event.kind == "opened"
            closed = closed or event.kind == "closed"
            continue
        if not isinstance(event, b.MembersPlaced) or event.kind == "opened":
            continue  # the opening moves everyone at once, below
        if rnd.status not in LIVE_STATUSES and event.kind != "closed":
            continue  # a preview: nobody moves yet
        for move in event.moves:
            add(REASONS.get(event.kind, "moved"), move.member_id, move.to_room)
    if opened and rnd.status in LIVE_STATUSES:
        # everyone the round placed goes, as the batch left it (the preview placed people
        # without moving them; the opening's own placement holds only its changes to it)
        for member_id, room_id in rnd.placement.items():
            add("breakout_open", member_id, room_id)
    return moves, closed
