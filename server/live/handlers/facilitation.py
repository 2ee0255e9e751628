"""The facilitation events that span the areas: the clock, the state after (re)connecting, broadcasts, the
spotlight, and removing a member. Timers, the agenda, hands, chat and questions have their own modules."""

from __future__ import annotations

from boards.errors import InvalidInput
from boards.text import clean_text
from rooms.timers import epoch_ms
from server import protocol as p
from server.ids import utcnow
from server.live.agenda import agenda_out
from server.live.audit import audit
from server.live.facilitation import spotlight_out
from server.live.gateway import EVERYONE, MODERATORS
from server.live.handlers.common import registry
from server.live.lookup import author, room_of
from server.live.questions import questions_out
from server.live.state import Connection, LiveState
from server.transport.fanout import event_channel, room_channel

BROADCAST_MAX = 500


@registry.on("clock.sync", payload=p.ClockSync, ack=p.ClockAck, roles=EVERYONE)
async def clock_sync(_live: LiveState, _conn: Connection, _payload: p.ClockSync) -> p.ClockAck:
    """The server's clock, so that a client counts timers down against the server's time: send a few, keep the
    offset of the fastest round trip (NTP style: offset = now_ms + rtt / 2 − your clock on the answer)."""
    return p.ClockAck(now_ms=epoch_ms(utcnow()))


@registry.on("facilitation.state", payload=p.FacilitationState, ack=p.FacilitationStateAck, roles=EVERYONE)
async def facilitation_state(
    live: LiveState, conn: Connection, _payload: p.FacilitationState
) -> p.FacilitationStateAck:
    """What a client needs after (re)connecting, for its event and the room it is in: the agenda, the event's
    and the room's timer, the spotlight, the room's raised hands, the pinned question, whether your chat is
    silenced."""
    desk = live.facilitation
    plenary = await live.plenary(conn.event_id)
    in_plenary = conn.room_id == plenary.id
    state = await desk.questions.current(conn.event_id)
    pinned = None
    if state.pinned is not None:
        found = [q for q in state.items if q.id == state.pinned]
        pinned = next(iter(await questions_out(live, conn.event_id, found, conn.actor)), None)
    return p.FacilitationStateAck(
        room_id=conn.room_id,
        agenda=agenda_out(await desk.agenda.agenda(conn.event_id)),
        event_timer=p.TimerOut.model_validate((await desk.timers.timer(conn.event_id, None)).to_wire()),
        room_timer=None
        if in_plenary
        else p.TimerOut.model_validate((await desk.timers.timer(conn.event_id, conn.room_id)).to_wire()),
        spotlight=spotlight_out(await desk.current_spotlight(conn.event_id)),
        hands=await desk.hands.out(conn.event_id, await desk.hands.queue(conn.event_id, conn.room_id)),
        pinned=pinned,
        silenced=await desk.chat.silenced(conn.event_id, conn.member.id),
    )


@registry.on("broadcast.send", payload=p.BroadcastSend, ack=p.BroadcastAck, roles=MODERATORS)
async def broadcast_send(live: LiveState, conn: Connection, payload: p.BroadcastSend) -> p.BroadcastAck:
    """A message from the facilitators, shown prominently (`broadcast`): to everyone in the event, to one room
    (`room_id`, else `invalid_input`), or to every breakout room (not the plenary). Not stored, except in the
    audit log."""
    text = clean_text(payload.text, label="The message", min_len=1, max_len=BROADCAST_MAX, multiline=True)
    if payload.scope == "room":
        if payload.room_id is None:
            raise InvalidInput("A broadcast to a room needs the room's room_id.")
        rooms = [(await room_of(live, conn.event_id, payload.room_id)).id]
    else:
        rooms = _rooms_in_use(live, conn.event_id, breakouts_only=payload.scope == "breakouts")
    out = p.BroadcastOut.model_validate(
        {
            "text": text,
            "scope": payload.scope,
            "room_id": rooms[0] if payload.scope == "room" else None,
            "from": author(conn.member),
            "at": utcnow(),
        }
    )
    wire = out.model_dump(mode="json")
    if payload.scope == "everyone":
        await live.fanout.publish(event_channel(conn.event_id), "broadcast", wire)
    else:
        for room_id in rooms:
            await live.fanout.publish(room_channel(room_id), "broadcast", wire)
    await audit(live, conn, "broadcast.send", out.room_id, {"scope": payload.scope, "text": text, "rooms": len(rooms)})
    return p.BroadcastAck(broadcast=out, rooms=len(rooms))


def _rooms_in_use(live: LiveState, event_id: str, *, breakouts_only: bool) -> list[str]:
    """The rooms of the event that someone is connected to on this node; with ``breakouts_only`` all but the
    plenary (a message sent to an empty room reaches nobody, so only these matter)."""
    rooms = set()
    for conn in live.connections.values():
        if conn.event_id != event_id:
            continue
        room = live.room(conn.room_id)
        if breakouts_only and (room is None or room.kind == "plenary"):
            continue
        rooms.add(conn.room_id)
    return sorted(rooms)


@registry.on("board.spotlight", payload=p.BoardSpotlight, ack=p.SpotlightAck, roles=MODERATORS)
async def board_spotlight(live: LiveState, conn: Connection, payload: p.BoardSpotlight) -> p.SpotlightAck:
    """Put a board of the event in the spotlight: every client's view follows it (`board.spotlight` to the
    whole event), participants in other rooms read it. Null ends the spotlight. Not stored, like the
    presented board (several nodes share it in Redis); `facilitation.state` tells it after a reconnect."""
    change = await live.facilitation.spotlight(conn, payload.board_id)
    if change.changed:
        target = payload.board_id or (change.before.board_id if change.before else None)
        await audit(live, conn, "board.spotlight", target, {"on": payload.board_id is not None})
    return p.SpotlightAck(spotlight=spotlight_out(change.after))


@registry.on("member.remove", payload=p.MemberRemove, ack=p.RemoveAck, roles=MODERATORS)
async def member_remove(live: LiveState, conn: Connection, payload: p.MemberRemove) -> p.RemoveAck:
    """Remove a member from the event: their link stops working (a reconnect is refused with `unauthenticated`),
    their raised hand goes down, each of their connections gets `member.removed` and is closed. What they wrote
    stays (a facilitator hides what must go). Facilitators remove participants and observers, organizers
    facilitators too; nobody removes themselves or an organizer. The reason goes to the audit log only."""
    now = utcnow()
    removal, closed = await live.facilitation.remove(conn, payload.member_id, payload.reason, now)
    details = {"role": removal.role.value, "reason": removal.reason, "disconnected": closed}
    await audit(live, conn, "member.remove", removal.member_id, details)
    return p.RemoveAck(member_id=removal.member_id, disconnected=closed)
