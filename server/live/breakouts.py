"""Breakout rounds live: the serializer of each event's round, and what its changes do to connections.

Each event has at most one current round (a draft, or open, or closing); its commands go through
one ``Serializer`` per event: decided on the round in arrival order (``rooms.breakouts``),
committed together (``store.commit_round``, which checks the stored sequence number so that two
nodes cannot both commit on the same state), applied, and only then carried out:

- members placed while the round is open (it opened, a facilitator moved someone, a participant
  chose a room, a late arrival was placed) or sent back when it closed have their connections
  moved (``LiveState.move_member``: ``room.moved`` to them, presence to both rooms);
- the round's end and its countdown are armed as deadlines (``_arm``): at ``ends_at`` the
  countdown starts, at ``closes_at`` the rooms close — each fires once, through the serializer,
  and a command that finds the round moved on already is refused by the rules and ignored;
- ``breakout.changed`` tells the event (at most every 0.25 s): everyone the rooms, their sizes
  and times; facilitators and organizers also who is where and who asks for help.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boards.actors import Actor, Role
from boards.errors import Conflict, DomainError, NotFound
from boards.rules import SYSTEM
from rooms import breakouts as b
from rooms.members import Member
from server.ids import new_id, utcnow
from server.live.serializer import Pending, Serializer
from server.live.throttle import Throttle
from server.store.idea_store import Room
from server.transport.fanout import Forms, event_channel

if TYPE_CHECKING:
    from server.live.state import LiveState

log = logging.getLogger("werkstatt.breakouts")

ANNOUNCE_INTERVAL = 0.25
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
        # per event: a batch of the round's commands, a new round and the next rotation exclude each other
        self._locks: dict[str, asyncio.Lock] = {}

    async def close(self) -> None:
        await self.serializer.close()
        for task in self.timers.values():
            task.cancel()
        self.timers.clear()
        await self._throttle.close()

    # -- reading ------------------------------------------------------------------------------

    async def current(self, event_id: str) -> b.BreakoutRound | None:
        """The event's current round: open or closing, else the newest draft or closed one."""
        rnd = self.rounds.get(event_id)
        if rnd is None:
            rnd = await self.live.store.open_round(event_id)
            if rnd is None:
                rounds = await self.live.store.rounds_of(event_id)
                rnd = rounds[-1] if rounds else None
            if rnd is not None:
                self._remember(rnd)
                self._arm(rnd)
        return rnd

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
        """A new draft round with a board in each room. Refused while a round is open or closing."""
        async with self._lock(event_id):
            current = await self.current(event_id)
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
        self._throttle.mark(event_id)
        return rnd

    async def rotate(
        self, previous: b.BreakoutRound, history: list[dict[str, str]], members: tuple[str, ...]
    ) -> b.BreakoutRound:
        """World Café: the next round as a draft in the same rooms (with their boards and hosts), its
        preview a rotation in which people meet whom they have not met (``history``: earlier rounds)."""
        event_id = previous.event_id
        async with self._lock(event_id):
            current = await self.current(event_id)
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
        self._throttle.mark(event_id)
        return rnd

    async def run(
        self, event_id: str, actor: Actor, round_id: str | None, command: b.BreakoutCommand
    ) -> b.BreakoutRound:
        """Decide, commit, apply and carry out one command on the event's current round; the round
        right after it, once committed."""
        return await self.serializer.submit(event_id, RoundCommand(actor, round_id, command))

    def _lock(self, event_id: str) -> asyncio.Lock:
        return self._locks.setdefault(event_id, asyncio.Lock())

    async def _commit_batch(self, event_id: str, batch: list[Pending[RoundCommand, b.BreakoutRound]]) -> None:
        async with self._lock(event_id):  # not while a new round is made: it would change what is current
            await self._commit_locked(event_id, batch)

    async def _commit_locked(self, event_id: str, batch: list[Pending[RoundCommand, b.BreakoutRound]]) -> None:
        for attempt in range(3):
            rnd = await self.current(event_id)
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
                await self._carry_out(before, events)
                self._arm(after)
                self._throttle.mark(event_id)
            return

    async def _carry_out(self, before: b.BreakoutRound, events: list[b.BreakoutEvent]) -> None:
        """Move the connections of those the events placed while the round is live, or sent back:
        the moves of one reason together (``LiveState.move_members``)."""
        rnd = before
        plenary = await self.live.plenary(before.event_id)
        batches: list[tuple[str, list[tuple[str, Room]]]] = []

        def add(reason: str, member_id: str, room: Room) -> None:
            if not batches or batches[-1][0] != reason:
                batches.append((reason, []))
            batches[-1][1].append((member_id, room))

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
                room = plenary if move.to_room is None else self.room_of(rnd, move.to_room)
                add(REASONS.get(event.kind, "moved"), move.member_id, room)
        if opened and rnd.status in LIVE_STATUSES:
            # everyone the round placed goes, as the batch left it (the preview placed people
            # without moving them; the opening's own placement holds only its changes to it)
            for member_id, room_id in rnd.placement.items():
                add("breakout_open", member_id, self.room_of(rnd, room_id))
        if closed:  # facilitators who visit a room go back too
            rooms = {room.id for room in rnd.rooms}
            for conn in list(self.live.connections.values()):
                if conn.room_id in rooms and conn.event_id == rnd.event_id and not conn.projector:
                    add("breakout_close", conn.member.id, plenary)
        for reason, moves in batches:
            try:
                await self.live.move_members(moves, reason)
            except Exception:  # the round is committed: its members reconnect into their rooms
                log.exception("moving %d members (%s) failed", len(moves), reason)

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

    async def _at(self, rnd: b.BreakoutRound, moment: Any, what: str) -> None:
        delay = (moment - utcnow()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        command: b.BreakoutCommand = b.StartClose(utcnow()) if what == "countdown" else b.Close(utcnow())
        try:
            await self.run(rnd.event_id, SYSTEM, rnd.id, command)
        except DomainError:
            pass  # moved on meanwhile (closed by hand, extended): the rules refused it
        except Exception:
            log.exception("the %s of round %s failed", what, rnd.id)

    # -- telling ---------------------------------------------------------------------------------

    async def _announce(self, event_id: str) -> None:
        rnd = self.rounds.get(event_id)
        if rnd is None:
            return
        names = await self.members(event_id)
        forms = Forms(public=round_out(rnd, None, False), moderated=round_out(rnd, None, True, names))
        await self.live.fanout.publish_forms(event_channel(event_id), "breakout.changed", forms)

    async def members(self, event_id: str) -> Mapping[str, Member]:
        """The event's members by id, to name them (the node's cache, loaded if need be)."""
        cache = self.live.members.get(event_id)
        if cache is None:
            cache = self.live.members[event_id] = await self.live.store.members_of(event_id)
        return cache

    def present_participants(self, event_id: str) -> tuple[str, ...]:
        """The participants connected to this node in the event (each once), for ``Open``."""
        seen: dict[str, None] = {}
        for conn in self.live.connections.values():
            if conn.event_id == event_id and conn.role is Role.PARTICIPANT and not conn.projector:
                seen[conn.member.id] = None
        return tuple(seen)

    @staticmethod
    def seed(value: int | None) -> int:
        return random.SystemRandom().randrange(2**31) if value is None else value
