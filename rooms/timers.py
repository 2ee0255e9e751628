"""A countdown timer, held by the server as a deadline.

A timer belongs to a scope: the event (its plenary, ``room_id=None``) or one room (``room_id``). The server
keeps the deadline, not a ticking count: clients get the deadline as epoch milliseconds
(``Timer.to_wire``) and count down against their own clock, corrected by the offset the connection
measures; a paused timer sends its remaining milliseconds instead.

States and rules (``decide`` checks people's commands; ``tick`` is the server's clock):

- idle → running (start) ⇄ paused (pause, resume) → finished (the deadline passes, see ``due``/``tick``);
  reset takes any state back to idle (it is also "stop": the countdown disappears).
- Only facilitators and organizers run timers (Forbidden "forbidden").
- start: ``duration_s`` 5 s to 8 h, an optional label of up to 80 characters, a warning ``warn_s`` 0 to 3600 s
  before the end (default 60 s; 0: none). Out of range: InvalidInput "invalid_timer". Starting a running or
  paused timer is refused (Conflict "timer_running"), so two facilitators pressing start do not restart it
  twice; reset it first. Starting an idle or finished timer is fine.
- pause: only a running timer (Conflict "timer_not_running"); the remaining time is kept.
- resume: only a paused timer (Conflict "timer_not_paused"); the new deadline is now + the remaining time.
- extend by 1 to 3600 s (+60 and +300 are the buttons): a running timer's deadline moves, a paused timer's
  remaining time grows, a finished timer starts again with that amount (keeping label and warning). The
  remaining time after it may not exceed 8 h (InvalidInput "invalid_timer"). An idle timer has nothing to
  extend (Conflict "timer_idle").
- A running timer whose deadline has passed counts as finished for every command, even before the server's
  ``finish`` arrives: pausing it is refused, extending it starts it again from now.
- The warning comes ``warn_s`` before the deadline, or at 20 % of the run's length when that is shorter (a
  2-minute timer warns 24 s before the end). The run's length is the started duration plus every extension.
  An extension re-arms a warning that was given when the new warning time lies ahead (for a paused timer:
  when more than the warning's lead is left).
- ``due(now)`` says what the server must fire now (the finish wins when both are late); ``tick`` returns its
  events; ``wake_at`` is when to look next.
- A command whose outcome holds already (resetting an idle timer) yields nothing.

``now`` is always given by the caller and must be timezone-aware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from boards.actors import Actor, Role
from boards.errors import Conflict, Forbidden, InvalidInput
from boards.text import clean_text

START_MIN_S = 5
MAX_S = 8 * 3600  # the longest a timer may run or have left
EXTEND_MIN_S = 1
EXTEND_MAX_S = 3600
COMMON_EXTENSIONS_S = (60, 300)
WARN_DEFAULT_S = 60
WARN_MAX_S = 3600
WARN_SHARE = 0.2  # the warning comes at most this share of the run before the end
LABEL_MAX = 80
SYSTEM = Actor("system", Role.ORGANIZER)  # the server's clock, firing warnings and finishes

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_ZERO = timedelta(0)


class TimerStatus(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


class Due(enum.StrEnum):
    WARNING = "warning"
    FINISH = "finish"


def epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


@dataclass(frozen=True, slots=True)
class Timer:
    room_id: str | None = None  # None: the event's (plenary) timer
    status: TimerStatus = TimerStatus.IDLE
    label: str = ""
    run: timedelta = _ZERO  # the run's length: started duration plus extensions
    deadline: datetime | None = None  # running: when it ends; finished: when it ended
    left: timedelta | None = None  # paused: the time that was left
    warn_s: int = WARN_DEFAULT_S
    warned: bool = False  # the warning of this run was fired

    @property
    def scope(self) -> str:
        """``"event"`` or ``"room:<id>"``: one timer per scope."""
        return "event" if self.room_id is None else f"room:{self.room_id}"

    def running_at(self, now: datetime) -> bool:
        return self.status is TimerStatus.RUNNING and self.deadline is not None and now < self.deadline

    def remaining(self, now: datetime) -> timedelta:
        """The time left at ``now``; never negative."""
        if self.status is TimerStatus.RUNNING and self.deadline is not None:
            return max(self.deadline - now, _ZERO)
        if self.status is TimerStatus.PAUSED and self.left is not None:
            return self.left
        return _ZERO

    @property
    def warn_before(self) -> timedelta:
        """How long before the end the warning comes: ``warn_s``, or 20 % of the run when that is shorter."""
        return min(timedelta(seconds=self.warn_s), self.run * WARN_SHARE)

    @property
    def warning_at(self) -> datetime | None:
        """When a running timer warns; None when it is not running or warns not at all."""
        if self.status is not TimerStatus.RUNNING or self.deadline is None or self.warn_before <= _ZERO:
            return None
        return self.deadline - self.warn_before

    def due(self, now: datetime) -> Due | None:
        """What the server must fire at ``now``: the finish, the warning, or nothing."""
        if self.status is not TimerStatus.RUNNING or self.deadline is None:
            return None
        if now >= self.deadline:
            return Due.FINISH
        warning_at = self.warning_at
        if not self.warned and warning_at is not None and now >= warning_at:
            return Due.WARNING
        return None

    def wake_at(self) -> datetime | None:
        """When ``due`` will next say something; None when nothing is pending."""
        if self.status is not TimerStatus.RUNNING or self.deadline is None:
            return None
        warning_at = self.warning_at
        if not self.warned and warning_at is not None:
            return warning_at
        return self.deadline

    def to_wire(self) -> dict[str, Any]:
        """What clients get: the deadline as epoch ms while running, the remaining ms while paused.

        A client shows ``deadline_ms - (Date.now() + offset)`` with the clock offset its connection measured.
        """
        deadline_ms = epoch_ms(self.deadline) if self.deadline is not None else None
        remaining_ms: int | None
        if self.status is TimerStatus.PAUSED and self.left is not None:
            remaining_ms = self.left // _MS
        elif self.status is TimerStatus.RUNNING:
            remaining_ms = None  # the client computes it from deadline_ms
        else:
            remaining_ms = 0
        return {
            "scope": "event" if self.room_id is None else "room",
            "room_id": self.room_id,
            "status": self.status.value,
            "label": self.label,
            "duration_ms": self.run // _MS,
            "deadline_ms": deadline_ms if self.status in (TimerStatus.RUNNING, TimerStatus.FINISHED) else None,
            "remaining_ms": remaining_ms,
            "warning_at_ms": epoch_ms(self.warning_at) if self.warning_at is not None else None,
        }


# -- transitions: pure, no permission check (``decide`` adds it) --------------------------------


def _seconds(value: int, low: int, high: int, what: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} must be {low} to {high} seconds.", code="invalid_timer")
    return timedelta(seconds=value)


def _settled(timer: Timer, now: datetime) -> Timer:
    """A running timer past its deadline, as the finished timer it is."""
    if timer.status is TimerStatus.RUNNING and not timer.running_at(now):
        return replace(timer, status=TimerStatus.FINISHED)
    return timer


def start(timer: Timer, duration_s: int, now: datetime, label: str = "", warn_s: int = WARN_DEFAULT_S) -> Timer:
    run = _seconds(duration_s, START_MIN_S, MAX_S, "A timer")
    _seconds(warn_s, 0, WARN_MAX_S, "The warning")
    label = clean_text(label, label="The timer's label", min_len=0, max_len=LABEL_MAX)
    if _settled(timer, now).status in (TimerStatus.RUNNING, TimerStatus.PAUSED):
        raise Conflict("The timer is running; reset it first.", code="timer_running")
    return Timer(timer.room_id, TimerStatus.RUNNING, label=label, run=run, deadline=now + run, warn_s=warn_s)


def pause(timer: Timer, now: datetime) -> Timer:
    if not timer.running_at(now) or timer.deadline is None:
        raise Conflict("The timer is not running.", code="timer_not_running")
    return replace(timer, status=TimerStatus.PAUSED, deadline=None, left=timer.deadline - now)


def resume(timer: Timer, now: datetime) -> Timer:
    if timer.status is not TimerStatus.PAUSED or timer.left is None:
        raise Conflict("The timer is not paused.", code="timer_not_paused")
    return replace(timer, status=TimerStatus.RUNNING, deadline=now + timer.left, left=None)


def extend(timer: Timer, seconds: int, now: datetime) -> Timer:
    more = _seconds(seconds, EXTEND_MIN_S, EXTEND_MAX_S, "An extension")
    timer = _settled(timer, now)
    if timer.status is TimerStatus.IDLE:
        raise Conflict("The timer has not been started.", code="timer_idle")
    if timer.status is TimerStatus.FINISHED:
        return Timer(
            timer.room_id, TimerStatus.RUNNING, label=timer.label, run=more, deadline=now + more, warn_s=timer.warn_s
        )
    left = timer.remaining(now) + more
    if left > timedelta(seconds=MAX_S):
        raise InvalidInput(f"A timer may have at most {MAX_S // 3600} h left.", code="invalid_timer")
    extended = replace(timer, run=timer.run + more)
    if timer.status is TimerStatus.PAUSED:
        extended = replace(extended, left=left)
    else:
        extended = replace(extended, deadline=now + left)
    if extended.remaining(now) > extended.warn_before:  # the warning lies ahead again
        extended = replace(extended, warned=False)
    return extended


def reset(timer: Timer) -> Timer:
    return Timer(timer.room_id)


def warn(timer: Timer, now: datetime) -> Timer:
    if timer.due(now) is not Due.WARNING:
        raise Conflict("No warning is due.")
    return replace(timer, warned=True)


def finish(timer: Timer, now: datetime) -> Timer:
    """The finished timer, once its deadline has passed."""
    if timer.due(now) is not Due.FINISH:
        raise Conflict("The timer is not due to finish.")
    return replace(timer, status=TimerStatus.FINISHED, warned=True)


# -- commands and events -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartTimer:
    duration_s: int
    now: datetime
    label: str = ""
    warn_s: int = WARN_DEFAULT_S


@dataclass(frozen=True, slots=True)
class PauseTimer:
    now: datetime


@dataclass(frozen=True, slots=True)
class ResumeTimer:
    now: datetime


@dataclass(frozen=True, slots=True)
class ExtendTimer:
    seconds: int
    now: datetime


@dataclass(frozen=True, slots=True)
class ResetTimer:
    """Stop the timer and clear it (reset and stop are one command)."""

    now: datetime


Command = StartTimer | PauseTimer | ResumeTimer | ExtendTimer | ResetTimer


@dataclass(frozen=True, slots=True)
class TimerChanged:
    actor: Actor  # SYSTEM for warned and finished
    kind: str  # started, paused, resumed, extended, reset, warned, finished
    timer: Timer  # after the change
    at: datetime


def decide(timer: Timer, actor: Actor, command: Command) -> list[TimerChanged]:
    """Check a person's command; return its event (none when nothing changes) or raise a DomainError."""
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can run the timer.")
    if isinstance(command, StartTimer):
        kind, changed = "started", start(timer, command.duration_s, command.now, command.label, command.warn_s)
    elif isinstance(command, PauseTimer):
        kind, changed = "paused", pause(timer, command.now)
    elif isinstance(command, ResumeTimer):
        kind, changed = "resumed", resume(timer, command.now)
    elif isinstance(command, ExtendTimer):
        kind, changed = "extended", extend(timer, command.seconds, command.now)
    elif isinstance(command, ResetTimer):
        kind, changed = "reset", reset(timer)
    else:  # pragma: no cover - a programming error
        raise TypeError(f"unknown command {command!r}")
    return [] if changed == timer else [TimerChanged(actor, kind, changed, command.now)]


def tick(timer: Timer, now: datetime) -> list[TimerChanged]:
    """What the server's clock fires at ``now``: a warning, a finish, or nothing."""
    due = timer.due(now)
    if due is Due.FINISH:
        return [TimerChanged(SYSTEM, "finished", finish(timer, now), now)]
    if due is Due.WARNING:
        return [TimerChanged(SYSTEM, "warned", warn(timer, now), now)]
    return []


def apply(timer: Timer, event: TimerChanged) -> Timer:
    if event.timer.room_id != timer.room_id:
        raise Conflict("The change is for another timer.")
    return event.timer
