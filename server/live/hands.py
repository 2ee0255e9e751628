"""The raise-hand queues of a node: one per room, held in memory (``rooms.hands`` holds the rules).

Each room's queue has its own serializer key, so a facilitator's "next" and people raising and lowering take
turns. Every change sends the whole queue as ``hands.changed`` to the room and to the event's facilitators and
organizers, wherever they are (a facilitator in the room gets it twice: it is the whole queue, so that is harmless).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from boards.actors import Actor
from rooms import hands
from rooms.hands import Hands
from rooms.members import Member
from server import protocol as p
from server.live.lookup import members_of
from server.live.serializer import Pending, Serializer
from server.live.state import Connection, LiveState
from server.transport.fanout import moderators_channel, room_channel


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
    queues: dict[str, Hands] = field(default_factory=dict)  # by room; empty queues are not kept
    events: dict[str, str] = field(default_factory=dict)  # room → its event, for the rooms with a queue
    serializer: Serializer[HandCommand, HandOutcome] = field(init=False)

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="hands of room")

    def queue(self, room_id: str) -> Hands:
        return self.queues.get(room_id) or Hands(room_id)

    async def change(self, conn: Connection, room_id: str, command: hands.Command) -> HandOutcome:
        return await self.change_as(conn.actor, conn.event_id, room_id, command)

    async def change_as(self, actor: Actor, event_id: str, room_id: str, command: hands.Command) -> HandOutcome:
        """A change by someone who need not be connected (an organizer erasing a member's data on the console)."""
        return await self.serializer.submit(room_id, HandCommand(actor, event_id, room_id, command))

    def rooms_raised(self, event_id: str, member_id: str) -> list[str]:
        """The rooms of the event where the member's hand is up (one, unless they moved meanwhile)."""
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

    async def _run_batch(self, room_id: str, batch: list[Pending[HandCommand, HandOutcome]]) -> None:
        queue = self.queue(room_id)
        for pending in batch:
            if pending.answered:
                continue
            item = pending.command
            try:
                events = hands.decide(queue, item.actor, item.command)
            except Exception as exc:  # a DomainError, or a fault in this command alone
                pending.refuse(exc)
                continue
            called = None
            for event in events:
                if isinstance(event, hands.HandCalled):
                    member = (await members_of(self.live, item.event_id, [event.member_id])).get(event.member_id)
                    raised_at = next(h.raised_at for h in queue.queue if h.member_id == event.member_id)
                    called = hand_out(event.member_id, raised_at, member)
                queue = hands.apply(queue, event)
            if queue.queue:
                self.queues[room_id] = queue
                self.events[room_id] = item.event_id
            else:
                self.queues.pop(room_id, None)
                self.events.pop(room_id, None)
            out = await self.out(item.event_id, queue)
            if events:
                message = p.HandsChanged(room_id=room_id, queue=out.queue, called=called).model_dump(mode="json")
                await self.live.fanout.publish(room_channel(room_id), "hands.changed", message)
                await self.live.fanout.publish(moderators_channel(item.event_id), "hands.changed", message)
            pending.answer(HandOutcome(out, called, bool(events)))

    async def close(self) -> None:
        await self.serializer.close()


def hand_out(member_id: str, raised_at: datetime, member: Member | None) -> p.HandOut:
    return p.HandOut(member_id=member_id, pseudonym=member.pseudonym if member else "", raised_at=raised_at)
