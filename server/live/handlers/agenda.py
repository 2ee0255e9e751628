"""The agenda events: everyone reads the event's agenda; facilitators and organizers change and steer it
(``server.live.agenda`` commits and fans out, ``rooms.agenda`` holds the rules)."""

from __future__ import annotations

from typing import Any

from rooms import agenda
from server import protocol as p
from server.ids import new_id, utcnow
from server.live.agenda import agenda_out
from server.live.audit import audit
from server.live.gateway import EVERYONE, MODERATORS
from server.live.handlers.common import registry
from server.live.state import Connection, LiveState


async def _change(
    live: LiveState,
    conn: Connection,
    command: agenda.Command,
    action: str,
    target: str | None,
    details: dict[str, Any] | None = None,
) -> p.AgendaAck:
    """Run the command; the audit log gets it when it changed the agenda (``target`` None: the step gone to)."""
    after, changed = await live.facilitation.agenda.run(conn, command)
    if changed:
        target = target if target is not None or action == "agenda.finish" else after.current
        await audit(live, conn, action, target, {"version": after.version, **(details or {})})
    return p.AgendaAck(agenda=agenda_out(after))


@registry.on("agenda.get", payload=p.AgendaGet, ack=p.AgendaAck, roles=EVERYONE)
async def agenda_get(live: LiveState, conn: Connection, _payload: p.AgendaGet) -> p.AgendaAck:
    """The event's agenda: its steps, the one running now, its version."""
    return p.AgendaAck(agenda=agenda_out(await live.facilitation.agenda.agenda(conn.event_id)))


@registry.on("agenda.add", payload=p.AgendaAdd, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_add(live: LiveState, conn: Connection, payload: p.AgendaAdd) -> p.AgendaAck:
    """Add a step (at most 50): a title, a kind, a planned duration, a note. The whole event gets
    `agenda.changed` with the whole agenda."""
    step_id = new_id("st")
    command = agenda.AddStep(
        step_id,
        payload.title,
        payload.kind,
        payload.duration_s,
        payload.note,
        payload.position,
        payload.expected_version,
    )
    return await _change(live, conn, command, "agenda.add", step_id, {"title": payload.title, "kind": payload.kind})


@registry.on("agenda.edit", payload=p.AgendaEdit, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_edit(live: LiveState, conn: Connection, payload: p.AgendaEdit) -> p.AgendaAck:
    """Change a step's title, kind, duration or note (what is null stays)."""
    command = agenda.EditStep(
        payload.step_id,
        payload.title,
        payload.kind,
        payload.duration_s,
        payload.note,
        payload.expected_version,
    )
    changed = {k: v for k, v in payload.model_dump().items() if k in ("title", "kind", "duration_s") and v is not None}
    return await _change(live, conn, command, "agenda.edit", payload.step_id, changed)


@registry.on("agenda.remove", payload=p.AgendaRemove, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_remove(live: LiveState, conn: Connection, payload: p.AgendaRemove) -> p.AgendaAck:
    """Remove a step; not the one running now (`step_is_current`)."""
    command = agenda.RemoveStep(payload.step_id, payload.expected_version)
    return await _change(live, conn, command, "agenda.remove", payload.step_id)


@registry.on("agenda.move", payload=p.AgendaMove, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_move(live: LiveState, conn: Connection, payload: p.AgendaMove) -> p.AgendaAck:
    """Put a step at another place in the order."""
    command = agenda.MoveStep(payload.step_id, payload.position, payload.expected_version)
    return await _change(live, conn, command, "agenda.move", payload.step_id, {"position": payload.position})


@registry.on("agenda.set_current", payload=p.AgendaSetCurrent, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_set_current(live: LiveState, conn: Connection, payload: p.AgendaSetCurrent) -> p.AgendaAck:
    """Go to a step by its id (this also opens a finished agenda again)."""
    command = agenda.SetCurrent(payload.step_id, utcnow(), payload.expected_version)
    return await _change(live, conn, command, "agenda.set_current", payload.step_id)


@registry.on("agenda.next", payload=p.AgendaStep, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_next(live: LiveState, conn: Connection, payload: p.AgendaStep) -> p.AgendaAck:
    """Go on to the next step (the first, before the start). Carries the step it was pressed on: when two
    facilitators press at once, the second is refused (`step_moved`) and the agenda moves one step."""
    return await _change(live, conn, agenda.NextStep(payload.from_step, utcnow()), "agenda.next", None)


@registry.on("agenda.previous", payload=p.AgendaStep, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_previous(live: LiveState, conn: Connection, payload: p.AgendaStep) -> p.AgendaAck:
    """Go back to the step before, as `agenda.next` does forward."""
    return await _change(live, conn, agenda.PreviousStep(payload.from_step, utcnow()), "agenda.previous", None)


@registry.on("agenda.finish", payload=p.AgendaFinish, ack=p.AgendaAck, roles=MODERATORS)
async def agenda_finish(live: LiveState, conn: Connection, payload: p.AgendaFinish) -> p.AgendaAck:
    """Finish the agenda: no step runs any more."""
    command = agenda.FinishAgenda(utcnow(), payload.expected_version)
    return await _change(live, conn, command, "agenda.finish", None)
