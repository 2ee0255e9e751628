"""The raise-hand queues of a node: one per room, held in memory (``rooms.hands`` holds the rules).

Each room's queue has its own serializer key, so a facilitator's "next" and people raising and lowering take
turns. Every change sends the whole queue as ``hands.changed`` to the room and to the event's facilitators and
organizers, wherever they are (a facilitator in the room gets it twice: it is the whole queue, so that is harmless).

Several nodes (``live.redis`` set): the queues are in Redis instead, one hash per event (``werkstatt:hands:<event>``,
a field per room with raised hands, ``server.live.redis_records``), kept a day after its last change. A command
is decided on the queue as read and written only if no other node wrote it meanwhile, else read and decided again:
raising, lowering and calling the next are atomic across the nodes, and a call names the first in line as every
node sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson

from boards.actors import Actor
from boards.errors import Conflict
from rooms import hands
from rooms.hands import Hand, Hands
from rooms.members import Member
from server import protocol as p
from server.live.lookup import members_of
from server.live.redis_records import ABSENT, Record, Records
from server.live.serializer import Pending, Serializer
from server.live.state import Connection, LiveState
from server.transport.fanout import moderators_channel, room_channel

KEPT = timedelta(days=1)  # how long Redis keeps an event's queues after their last change
SWAPS = 5  # how often a command is decided again when other nodes changed the queue meanwhile


@dataclass(frozen=True, slots=True)
class HandCommand:
    actor: Actor
    event_id: str
    room_id: str
    command: hands.Command


@dataclass(frozen=True, slots=True)
class HandOutcome:
    hands: p.HandsOut  # the queue after the command
    called: p.HandOut | None  # whom ``hand.next`` called
    changed: bool  # whether the queue changed (raising a raised hand does not)


@dataclass
class HandDesk:
    live: LiveState
    queues: dict[str, Hands] = field(default_factory=dict)  # by room; empty queues are not kept (one node)
    events: dict[str, str] = field(default_factory=dict)  # room → its event, for the rooms with a queue (one node)
    serializer: Serializer[HandCommand, HandOutcome] = field(init=False)
    shared: Records | None = field(init=False, default=None)  # the queues in Redis, with several nodes

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="hands of room")
        if self.live.redis is not None:
            self.shared = Records(self.live.redis, "hands")

    async def queue(self, event_id: str, room_id: str) -> Hands:
        """The room's queue as it is now."""
        return (await self._load(event_id, room_id))[0]

    async def change(self, conn: Connection, room_id: str, command: hands.Command) -> HandOutcome:
        return await self.change_as(conn.actor, conn.event_id, room_id, command)

    async def change_as(self, actor: Actor, event_id: str, room_id: str, command: hands.Command) -> HandOutcome:
        """A change by someone who need not be connected (an organizer erasing a member's data on the console)."""
        return await self.serializer.submit(room_id, HandCommand(actor, event_id, room_id, command))

    async def rooms_raised(self, event_id: str, member_id: str) -> list[str]:
        """The rooms of the event where the member's hand is up (one, unless they moved meanwhile)."""
        if self.shared is not None:
            held = await self.shared.read_fields(event_id)
            queues = {room_id: hands_from_json(room_id, r.data) for room_id, r in held.items() if r.data is not None}
            return sorted(room_id for room_id, queue in queues.items() if queue.raised(member_id))
        return [
            room_id
            for room_id, queue in self.queues.items()
            if self.events.get(room_id) == event_id and queue.raised(member_id)
        ]

    async def out(self, event_id: str, queue: Hands) -> p.HandsOut:
        """The queue with each member's pseudonym."""
        members = await members_of(self.live, event_id, (h.member_id for h in queue.queue))
        return p.HandsOut(
            room_id=queue.room_id,
            queue=[hand_out(h.member_id, h.raised_at, members.get(h.member_id)) for h in queue.queue],
        )

    async def _load(self, event_id: str, room_id: str) -> tuple[Hands, Record]:
        """The room's queue, and its record in Redis (with several nodes)."""
        if self.shared is None:
            return self.queues.get(room_id) or Hands(room_id), ABSENT
        record = await self.shared.read(event_id, room_id)
        return (Hands(room_id) if record.data is None else hands_from_json(room_id, record.data)), record

    async def _run_batch(self, room_id: str, batch: list[Pending[HandCommand, HandOutcome]]) -> None:
        event_id = batch[0].command.event_id
        queue, record = await self._load(event_id, room_id)
        for pending in batch:
            if pending.answered:
                continue
            item = pending.command  # (of the batch's event: a room is in one event)
            for _attempt in range(SWAPS):
                try:
                    events = hands.decide(queue, item.actor, item.command)
                except Exception as exc:  # a DomainError, or a fault in this command alone
                    pending.refuse(exc)
                    break
                called = None
                for event in events:
                    if isinstance(event, hands.HandCalled):
                        member = (await members_of(self.live, event_id, [event.member_id])).get(event.member_id)
                        raised_at = next(h.raised_at for h in queue.queue if h.member_id == event.member_id)
                        called = hand_out(event.member_id, raised_at, member)
                    queue = hands.apply(queue, event)
                if events and self.shared is not None:
                    data = hands_json(queue) if queue.queue else None
                    written = await self.shared.swap(event_id, record, data, KEPT, room_id)
                    if written is None:  # another node changed the queue meanwhile: decide again on it
                        queue, record = await self._load(event_id, room_id)
                        continue
                    record = written
                elif queue.queue:
                    self.queues[room_id] = queue
                    self.events[room_id] = event_id
                else:
                    self.queues.pop(room_id, None)
                    self.events.pop(room_id, None)
                out = await self.out(event_id, queue)
                if events:
                    message = p.HandsChanged(room_id=room_id, queue=out.queue, called=called).model_dump(mode="json")
                    await self.live.fanout.publish(room_channel(room_id), "hands.changed", message)
                    await self.live.fanout.publish(moderators_channel(event_id), "hands.changed", message)
                pending.answer(HandOutcome(out, called, bool(events)))
                break
            else:
                pending.refuse(Conflict("The queue is changing too fast; try again."))

    async def close(self) -> None:
        await self.serializer.close()


def hand_out(member_id: str, raised_at: datetime, member: Member | None) -> p.HandOut:
    return p.HandOut(member_id=member_id, pseudonym=member.pseudonym if member else "", raised_at=raised_at)


def hands_json(queue: Hands) -> bytes:
    """A room's queue as Redis holds it: [member id, when raised] in order."""
    return orjson.dumps([[h.member_id, h.raised_at] for h in queue.queue])


def hands_from_json(room_id: str, data: bytes) -> Hands:
    return Hands(room_id, tuple(Hand(member_id, datetime.fromisoformat(at)) for member_id, at in orjson.loads(data)))
