"""An event's agenda on a node: facilitators' changes committed before anyone hears of them (``rooms.agenda``
holds the rules, the store keeps the agenda whole with its version).

An event's agenda has one serializer key. Each command is decided on the node's copy, committed with the
version it was decided on, applied and sent to the whole event as ``agenda.changed``. When the store has a newer
version (another node changed it), the copy is loaded again and the command decided again on it; so is a
refusal that the copy may have caused (``stale_agenda``, ``step_moved``), before it is given.

Several nodes: what a command decides is safe so, but the copy that ``agenda.state`` and ``facilitation.state``
show would be outdated after a change on another node. So a node that changed the agenda tells the others
(``agenda.outdated``), which drop their copy of the event's agenda (``server.live.copies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boards.errors import Conflict
from rooms import agenda as rules
from rooms.agenda import Agenda
from rooms.members import Member
from server import protocol as p
from server.live.copies import Copies, drop_when_told
from server.live.lookup import author
from server.live.serializer import Pending, Serializer
from server.live.state import Connection, LiveState
from server.transport.fanout import event_channel

STALE_RETRIES = 3
CHANGED = "agenda.outdated"  # what a node tells the others when it changed an event's agenda: {"event_id"}
RECHECKED = frozenset({"stale_agenda", "step_moved", "no_next_step", "no_previous_step", "agenda_finished"})


@dataclass(frozen=True, slots=True)
class AgendaCommand:
    conn: Connection
    command: rules.Command


@dataclass
class AgendaDesk:
    live: LiveState
    agendas: Copies[Agenda] = field(default_factory=Copies)  # by event: the node's copy, as committed
    serializer: Serializer[AgendaCommand, tuple[Agenda, bool]] = field(init=False)

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="agenda of event")
        drop_when_told(self.live, CHANGED, self.agendas)

    async def agenda(self, event_id: str) -> Agenda:
        if event_id not in self.agendas:
            return await self._load(event_id)
        return self.agendas[event_id]

    async def _load(self, event_id: str) -> Agenda:
        """The stored agenda, kept as the copy unless the copy was dropped meanwhile."""
        count = self.agendas.count(event_id)
        stored = await self.live.store.load_agenda(event_id)
        self.agendas.keep(event_id, stored, count)
        return stored

    async def run(self, conn: Connection, command: rules.Command) -> tuple[Agenda, bool]:
        """The agenda once the command is committed, and whether it changed it (not when its outcome held)."""
        return await self.serializer.submit(conn.event_id, AgendaCommand(conn, command))

    async def _run_batch(self, event_id: str, batch: list[Pending[AgendaCommand, tuple[Agenda, bool]]]) -> None:
        for pending in batch:
            if pending.answered:
                continue
            count = self.agendas.count(event_id)
            try:
                before, changed = await self._decide_and_commit(event_id, pending.command)
            except Exception as exc:  # refused, or the store failed for this command: the others go on
                pending.refuse(exc)
                continue
            if changed is None:
                pending.answer((before, False))
                continue
            after = rules.apply(before, changed)
            self.agendas.keep(event_id, after, count)
            await self._send(event_id, changed, pending.command.conn.member)
            if self.live.redis is not None:
                await self.live.fanout.tell(CHANGED, {"event_id": event_id})  # others' copies are outdated
            pending.answer((after, True))

    async def _decide_and_commit(self, event_id: str, item: AgendaCommand) -> tuple[Agenda, rules.AgendaChanged | None]:
        """Decide the command and commit its change: the agenda it was decided on, and the change (None when its
        outcome holds already)."""
        fresh = False
        for _attempt in range(STALE_RETRIES):
            before = await self.agenda(event_id)
            try:
                events = rules.decide(before, item.conn.actor, item.command)
            except Conflict as exc:
                if fresh or exc.code not in RECHECKED:
                    raise
                fresh = await self._reload(event_id, before)
                if not fresh:
                    raise
                continue
            if not events:
                return before, None
            [changed] = events
            try:
                await self.live.store.commit_agenda(before, changed.agenda)
            except Conflict as exc:
                if exc.code != "stale_agenda":
                    raise
                self.agendas.pop(event_id, None)  # another node changed it: decide again on the stored agenda
                fresh = True
                continue
            return before, changed
        raise Conflict("The agenda is changing too fast; try again.", code="stale_agenda")

    async def _reload(self, event_id: str, before: Agenda) -> bool:
        """Load the stored agenda; whether it differs from the node's copy."""
        stored = await self._load(event_id)
        return stored.version != before.version

    async def _send(self, event_id: str, changed: rules.AgendaChanged, by: Member) -> None:
        message = p.AgendaChanged.model_validate(
            {"kind": changed.kind, "step_id": changed.step_id, "agenda": agenda_out(changed.agenda), "by": author(by)}
        )
        await self.live.fanout.publish(event_channel(event_id), "agenda.changed", message.model_dump(mode="json"))

    async def close(self) -> None:
        await self.serializer.close()


def agenda_out(state: Agenda) -> p.AgendaOut:
    steps: list[dict[str, Any]] = [
        {"id": s.id, "title": s.title, "kind": s.kind.value, "duration_s": s.duration_s, "note": s.note}
        for s in state.steps
    ]
    return p.AgendaOut.model_validate(
        {
            "version": state.version,
            "steps": steps,
            "current": state.current,
            "started_at": state.started_at,
            "finished_at": state.finished_at,
            "planned_s": state.planned_s,
        }
    )
