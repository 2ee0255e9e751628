"""An event's agenda: its steps in order, and the one running now.

Rules (``decide`` checks them; ``apply`` takes the event it returned):

- Everyone reads the agenda; only facilitators and organizers change or steer it (Forbidden "forbidden").
- A step has an id (given by the caller, unique in the agenda: Conflict "conflict"), a title of 1–80
  characters, a duration of 0 (open-ended) or 60 s to 8 h (InvalidInput "invalid_duration"), a kind out of
  input, plenary, breakout, voting, break (InvalidInput "invalid_kind") and an optional note of up to 1000
  characters. An agenda holds at most 50 steps (Conflict "too_many_steps"). A position outside the agenda is
  InvalidInput "invalid_position"; an unknown step id is NotFound "not_found".
- The current step cannot be removed (Conflict "step_is_current"): go on to another step first.
- Each accepted change yields one ``AgendaChanged`` and raises ``version`` by one. A command whose outcome
  holds already (an edit to the same values, a move to where the step is, going to the current step,
  finishing a finished agenda) is accepted and yields nothing: the version stays.
- Several facilitators steer one event at once. Every command but next/previous may carry
  ``expected_version``, the version the facilitator's screen showed; when the agenda has changed since, a
  command that would change it is refused with Conflict "stale_agenda" (the screen reloads and the person
  decides again). ``None`` skips the check (scripts, the server itself).
- Next and previous carry the step they were pressed on (``from_step``, ``None`` before the start) instead of
  a version: when two facilitators press "next" at once, the first moves the agenda on and the second is
  refused with Conflict "step_moved", so the agenda moves one step, not two. An edit of another step in
  between does not refuse them, as a version would.
- Next before the start begins the first step; next on the last step is refused (Conflict "no_next_step":
  finishing is its own command); previous on the first step or before the start is refused (Conflict
  "no_previous_step"). A finished agenda refuses next and previous (Conflict "agenda_finished"); going to a
  step by id opens it again.
- Going to a step (next, previous, by id) sets ``started_at`` to the time the caller gives; finishing clears
  the current step and sets ``finished_at``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from boards.actors import Actor
from boards.errors import Conflict, Forbidden, InvalidInput, NotFound
from boards.text import clean_text

STEPS_MAX = 50
TITLE_MAX = 80
NOTE_MAX = 1000
DURATION_MIN_S = 60
DURATION_MAX_S = 8 * 3600


class StepKind(enum.StrEnum):
    INPUT = "input"
    PLENARY = "plenary"
    BREAKOUT = "breakout"
    VOTING = "voting"
    BREAK = "break"


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: str
    kind: StepKind
    duration_s: int = 0  # 0: open-ended
    note: str = ""


@dataclass(frozen=True, slots=True)
class Agenda:
    event_id: str
    steps: tuple[Step, ...] = ()
    version: int = 0
    current: str | None = None  # the id of the step running now
    started_at: datetime | None = None  # when the current step began
    finished_at: datetime | None = None  # set by finish; cleared by going to a step

    def index(self, step_id: str) -> int:
        for n, step in enumerate(self.steps):
            if step.id == step_id:
                return n
        raise NotFound(f"The agenda has no step {step_id!r}.")

    def step(self, step_id: str) -> Step:
        return self.steps[self.index(step_id)]

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def planned_s(self) -> int:
        """The planned length of the agenda in seconds (open-ended steps count 0)."""
        return sum(s.duration_s for s in self.steps)


# -- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddStep:
    """Insert a step at ``position`` (0: first; None: at the end)."""

    step_id: str
    title: str
    kind: StepKind | str
    duration_s: int = 0
    note: str = ""
    position: int | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class EditStep:
    """Change what is given; None keeps a value."""

    step_id: str
    title: str | None = None
    kind: StepKind | str | None = None
    duration_s: int | None = None
    note: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class RemoveStep:
    step_id: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class MoveStep:
    """Put a step at ``position`` in the new order (0: first)."""

    step_id: str
    position: int
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class SetCurrent:
    """Go to a step by its id."""

    step_id: str
    now: datetime
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class NextStep:
    from_step: str | None  # the current step the facilitator's screen showed
    now: datetime


@dataclass(frozen=True, slots=True)
class PreviousStep:
    from_step: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class FinishAgenda:
    now: datetime
    expected_version: int | None = None


Command = AddStep | EditStep | RemoveStep | MoveStep | SetCurrent | NextStep | PreviousStep | FinishAgenda


# -- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgendaChanged:
    actor: Actor
    kind: str  # step_added, step_edited, step_removed, step_moved, current_set, next, previous, finished
    step_id: str | None  # the step added, edited, removed, moved or gone to; None for finished
    agenda: Agenda  # after the change; its version is the one before plus one


# -- values ----------------------------------------------------------------------------------


def clean_title(title: str) -> str:
    return clean_text(title, label="The step's title", min_len=1, max_len=TITLE_MAX)


def clean_note(note: str) -> str:
    return clean_text(note, label="The note", min_len=0, max_len=NOTE_MAX, multiline=True)


def check_duration(duration_s: int) -> int:
    if isinstance(duration_s, bool) or not isinstance(duration_s, int):
        raise InvalidInput("The duration must be a whole number of seconds.", code="invalid_duration")
    if duration_s != 0 and not DURATION_MIN_S <= duration_s <= DURATION_MAX_S:
        raise InvalidInput(
            f"A step lasts 0 (open-ended) or {DURATION_MIN_S // 60} min to {DURATION_MAX_S // 3600} h.",
            code="invalid_duration",
        )
    return duration_s


def check_kind(kind: StepKind | str) -> StepKind:
    try:
        return StepKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in StepKind)
        raise InvalidInput(f"Unknown kind of step {kind!r}; choose one of {names}.", code="invalid_kind") from None


def _position(position: int, last: int) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= last:
        raise InvalidInput(f"The position must be 0 to {last}.", code="invalid_position")
    return position


# -- decide ----------------------------------------------------------------------------------


def decide(agenda: Agenda, actor: Actor, command: Command) -> list[AgendaChanged]:
    """Check ``command``; return its event (none when its outcome holds already) or raise a DomainError."""
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can change the agenda.")
    handler = _HANDLERS.get(type(command))
    if handler is None:  # pragma: no cover - a programming error
        raise TypeError(f"unknown command {command!r}")
    kind, step_id, changed = handler(agenda, command)
    if changed == agenda:
        return []
    expected = getattr(command, "expected_version", None)
    if expected is not None and expected != agenda.version:
        raise Conflict(
            f"The agenda has changed since (version {agenda.version}, your screen showed {expected}); look again.",
            code="stale_agenda",
        )
    return [AgendaChanged(actor, kind, step_id, replace(changed, version=agenda.version + 1))]


def _add(agenda: Agenda, cmd: AddStep) -> tuple[str, str | None, Agenda]:
    step = Step(
        id=cmd.step_id,
        title=clean_title(cmd.title),
        kind=check_kind(cmd.kind),
        duration_s=check_duration(cmd.duration_s),
        note=clean_note(cmd.note),
    )
    position = len(agenda.steps) if cmd.position is None else _position(cmd.position, len(agenda.steps))
    if any(s.id == cmd.step_id for s in agenda.steps):
        raise Conflict(f"The agenda has a step {cmd.step_id!r} already.")
    if len(agenda.steps) >= STEPS_MAX:
        raise Conflict(f"An agenda holds at most {STEPS_MAX} steps.", code="too_many_steps")
    steps = (*agenda.steps[:position], step, *agenda.steps[position:])
    return "step_added", step.id, replace(agenda, steps=steps)


def _edit(agenda: Agenda, cmd: EditStep) -> tuple[str, str | None, Agenda]:
    n = agenda.index(cmd.step_id)
    step = agenda.steps[n]
    edited = replace(
        step,
        title=step.title if cmd.title is None else clean_title(cmd.title),
        kind=step.kind if cmd.kind is None else check_kind(cmd.kind),
        duration_s=step.duration_s if cmd.duration_s is None else check_duration(cmd.duration_s),
        note=step.note if cmd.note is None else clean_note(cmd.note),
    )
    steps = (*agenda.steps[:n], edited, *agenda.steps[n + 1 :])
    return "step_edited", step.id, replace(agenda, steps=steps)


def _remove(agenda: Agenda, cmd: RemoveStep) -> tuple[str, str | None, Agenda]:
    n = agenda.index(cmd.step_id)
    if agenda.current == cmd.step_id:
        raise Conflict("This step is running now; go on to another step first.", code="step_is_current")
    return "step_removed", cmd.step_id, replace(agenda, steps=agenda.steps[:n] + agenda.steps[n + 1 :])


def _move(agenda: Agenda, cmd: MoveStep) -> tuple[str, str | None, Agenda]:
    n = agenda.index(cmd.step_id)
    position = _position(cmd.position, len(agenda.steps) - 1)
    rest = agenda.steps[:n] + agenda.steps[n + 1 :]
    steps = (*rest[:position], agenda.steps[n], *rest[position:])
    return "step_moved", cmd.step_id, replace(agenda, steps=steps)


def _go(agenda: Agenda, step_id: str, now: datetime) -> Agenda:
    return replace(agenda, current=step_id, started_at=now, finished_at=None)


def _set_current(agenda: Agenda, cmd: SetCurrent) -> tuple[str, str | None, Agenda]:
    agenda.index(cmd.step_id)
    if agenda.current == cmd.step_id:
        return "current_set", cmd.step_id, agenda
    return "current_set", cmd.step_id, _go(agenda, cmd.step_id, cmd.now)


def _pressed_on(agenda: Agenda, from_step: str | None) -> None:
    if agenda.current != from_step:
        raise Conflict("The agenda has moved on already; look again.", code="step_moved")
    if agenda.finished:
        raise Conflict("The agenda is finished; go to a step to open it again.", code="agenda_finished")


def _next(agenda: Agenda, cmd: NextStep) -> tuple[str, str | None, Agenda]:
    _pressed_on(agenda, cmd.from_step)
    n = -1 if agenda.current is None else agenda.index(agenda.current)
    if n + 1 >= len(agenda.steps):
        raise Conflict("There is no next step; finish the agenda instead.", code="no_next_step")
    step_id = agenda.steps[n + 1].id
    return "next", step_id, _go(agenda, step_id, cmd.now)


def _previous(agenda: Agenda, cmd: PreviousStep) -> tuple[str, str | None, Agenda]:
    _pressed_on(agenda, cmd.from_step)
    n = 0 if agenda.current is None else agenda.index(agenda.current)
    if n == 0:
        raise Conflict("There is no previous step.", code="no_previous_step")
    step_id = agenda.steps[n - 1].id
    return "previous", step_id, _go(agenda, step_id, cmd.now)


def _finish(agenda: Agenda, cmd: FinishAgenda) -> tuple[str, str | None, Agenda]:
    if agenda.finished:
        return "finished", None, agenda
    return "finished", None, replace(agenda, current=None, started_at=None, finished_at=cmd.now)


_HANDLERS: dict[type, Callable[[Agenda, Any], tuple[str, str | None, Agenda]]] = {
    AddStep: _add,
    EditStep: _edit,
    RemoveStep: _remove,
    MoveStep: _move,
    SetCurrent: _set_current,
    NextStep: _next,
    PreviousStep: _previous,
    FinishAgenda: _finish,
}


# -- apply -----------------------------------------------------------------------------------


def apply(agenda: Agenda, event: AgendaChanged) -> Agenda:
    """The agenda after ``event``, which ``decide`` returned for exactly this agenda."""
    if event.agenda.version != agenda.version + 1:
        raise Conflict(
            f"Change {event.agenda.version} does not follow the agenda's version {agenda.version}.",
            code="stale_agenda",
        )
    return event.agenda
