"""The raise-hand events: a queue per room (``server.live.hands`` runs it, ``rooms.hands`` holds the rules)."""

from __future__ import annotations

from boards.errors import Forbidden
from rooms import hands
from server import protocol as p
from server.ids import utcnow
from server.live.audit import audit
from server.live.gateway import CONTRIBUTORS, MODERATORS
from server.live.handlers.common import registry
from server.live.lookup import room_of
from server.live.state import Connection, LiveState


async def _room(live: LiveState, conn: Connection, room_id: str | None) -> str:
    """The connection's room, or (for facilitators and organizers) another room of the event."""
    if room_id is None or room_id == conn.room_id:
        return conn.room_id
    if not conn.role.moderates:
        raise Forbidden("Only a facilitator can see to the hands of another room.")
    return (await room_of(live, conn.event_id, room_id)).id


@registry.on("hand.raise", payload=p.HandRaise, ack=p.HandsAck, roles=CONTRIBUTORS)
async def hand_raise(live: LiveState, conn: Connection, _payload: p.HandRaise) -> p.HandsAck:
    """Raise your hand in the room you are in. A raised hand keeps its place (a double click does not send you
    to the back). The room and the event's facilitators and organizers get `hands.changed`."""
    outcome = await live.facilitation.hands.change(conn, conn.room_id, hands.RaiseHand(utcnow()))
    return p.HandsAck(hands=outcome.hands)


@registry.on("hand.lower", payload=p.HandLower, ack=p.HandsAck, roles=CONTRIBUTORS)
async def hand_lower(live: LiveState, conn: Connection, payload: p.HandLower) -> p.HandsAck:
    """Lower your hand; facilitators and organizers lower anyone's (`member_id`), in their room or in the room
    where that hand is up (or `room_id`)."""
    desk = live.facilitation.hands
    member_id = payload.member_id or conn.member.id
    room_id = payload.room_id
    if room_id is None and member_id != conn.member.id and conn.role.moderates:
        raised = await desk.rooms_raised(conn.event_id, member_id)
        room_id = raised[0] if raised else None
    room_id = await _room(live, conn, room_id)
    outcome = await desk.change(conn, room_id, hands.LowerHand(utcnow(), member_id))
    if member_id != conn.member.id and outcome.changed:
        await audit(live, conn, "hand.lower", member_id, {"room_id": room_id})
    return p.HandsAck(hands=outcome.hands)


@registry.on("hand.next", payload=p.HandNext, ack=p.HandCalledAck, roles=MODERATORS)
async def hand_next(live: LiveState, conn: Connection, payload: p.HandNext) -> p.HandCalledAck:
    """Give the floor to the first in the queue (their hand goes down); the answer says who. With `expected`
    (the first your screen showed), a call made meanwhile by another facilitator refuses yours (`queue_moved`).
    An empty queue: `no_hands`."""
    room_id = await _room(live, conn, payload.room_id)
    outcome = await live.facilitation.hands.change(conn, room_id, hands.CallNext(utcnow(), payload.expected))
    assert outcome.called is not None  # CallNext calls someone or is refused
    await audit(live, conn, "hand.next", outcome.called.member_id, {"room_id": room_id})
    return p.HandCalledAck(called=outcome.called, hands=outcome.hands)


@registry.on("hand.clear", payload=p.HandClear, ack=p.HandsAck, roles=MODERATORS)
async def hand_clear(live: LiveState, conn: Connection, payload: p.HandClear) -> p.HandsAck:
    """Lower every hand in the room."""
    room_id = await _room(live, conn, payload.room_id)
    outcome = await live.facilitation.hands.change(conn, room_id, hands.ClearHands(utcnow()))
    if outcome.changed:
        await audit(live, conn, "hand.clear", room_id)
    return p.HandsAck(hands=outcome.hands)
