"""The timer events: the event's (plenary) timer and each room's, run by facilitators and organizers, read by
everyone (``server.live.timers`` holds them and fires their warnings and ends)."""

from __future__ import annotations

from rooms import timers
from server import protocol as p
from server.ids import utcnow
from server.live.audit import audit
from server.live.gateway import EVERYONE, MODERATORS
from server.live.handlers.common import registry
from server.live.lookup import room_of
from server.live.state import Connection, LiveState


async def _scope(live: LiveState, conn: Connection, room_id: str | None) -> str | None:
    """The timer's room: None for the event's timer (asked for with null or the plenary's id)."""
    room = await room_of(live, conn.event_id, room_id)
    return None if room.kind == "plenary" else room.id


async def _change(
    live: LiveState,
    conn: Connection,
    room_id: str | None,
    command: timers.Command,
    action: str,
    details: dict[str, object],
) -> p.TimerAck:
    scope = await _scope(live, conn, room_id)
    timer, changed = await live.facilitation.timers.change(conn.member, scope, command)
    if changed:
        await audit(live, conn, action, scope, {"scope": "event" if scope is None else "room", **details})
    return p.TimerAck(timer=p.TimerOut.model_validate(timer.to_wire()))


@registry.on("timer.start", payload=p.TimerStart, ack=p.TimerAck, roles=MODERATORS)
async def timer_start(live: LiveState, conn: Connection, payload: p.TimerStart) -> p.TimerAck:
    """Start the event's timer, or a room's (`room_id`): 5 s – 8 h, with an optional label and a warning before
    the end. A running or paused timer is refused (`timer_running`): reset it first, so that two facilitators
    pressing start do not restart it twice. Everyone concerned gets `timer.changed`; the server sends
    `timer.warning` and `timer.finished` once each, when they are due."""
    command = timers.StartTimer(payload.duration_s, utcnow(), payload.label, payload.warn_s)
    details = {"duration_s": payload.duration_s, "label": payload.label, "warn_s": payload.warn_s}
    return await _change(live, conn, payload.room_id, command, "timer.start", details)


@registry.on("timer.pause", payload=p.TimerPause, ack=p.TimerAck, roles=MODERATORS)
async def timer_pause(live: LiveState, conn: Connection, payload: p.TimerPause) -> p.TimerAck:
    """Pause a running timer; what is left is kept (`timer_not_running` otherwise)."""
    return await _change(live, conn, payload.room_id, timers.PauseTimer(utcnow()), "timer.pause", {})


@registry.on("timer.resume", payload=p.TimerResume, ack=p.TimerAck, roles=MODERATORS)
async def timer_resume(live: LiveState, conn: Connection, payload: p.TimerResume) -> p.TimerAck:
    """Resume a paused timer with the time it had left (`timer_not_paused` otherwise)."""
    return await _change(live, conn, payload.room_id, timers.ResumeTimer(utcnow()), "timer.resume", {})


@registry.on("timer.extend", payload=p.TimerExtend, ack=p.TimerAck, roles=MODERATORS)
async def timer_extend(live: LiveState, conn: Connection, payload: p.TimerExtend) -> p.TimerAck:
    """Give a running or paused timer more time (a finished one starts again with it); an idle timer has none
    to extend (`timer_idle`)."""
    command = timers.ExtendTimer(payload.seconds, utcnow())
    return await _change(live, conn, payload.room_id, command, "timer.extend", {"seconds": payload.seconds})


@registry.on("timer.reset", payload=p.TimerReset, ack=p.TimerAck, roles=MODERATORS)
async def timer_reset(live: LiveState, conn: Connection, payload: p.TimerReset) -> p.TimerAck:
    """Stop the timer and clear it: the countdown disappears."""
    return await _change(live, conn, payload.room_id, timers.ResetTimer(utcnow()), "timer.reset", {})


@registry.on("timer.state", payload=p.TimerState, ack=p.TimerAck, roles=EVERYONE)
async def timer_state(live: LiveState, conn: Connection, payload: p.TimerState) -> p.TimerAck:
    """The event's timer, or a room's (`room_id`), as it is now."""
    scope = await _scope(live, conn, payload.room_id)
    timer = await live.facilitation.timers.timer(conn.event_id, scope)
    return p.TimerAck(timer=p.TimerOut.model_validate(timer.to_wire()))
