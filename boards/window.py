"""Asynchronous participation: a board open to participants from one moment to another.

Between workshops a board can stay open for weeks (Jena's participation ran from March to June).
The organizer gives it a window; participants come back with their link and post, comment and
vote as on a live board, by the same rules, with no facilitator connected. Outside the window:

- before it opens, participants read the board but change nothing (``not_open_yet``);
- after it closes, the board is read-only for participants (``board_closed``), as if locked.

Facilitators and organizers act at any time (they prepare the board before, and evaluate it
after). Reporting an idea stays possible, as on a locked board. Pure: the time is the one the
command carries (its ``now``), never read here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from boards.actors import Actor
from boards.errors import Conflict, InvalidInput

WINDOW_MAX = timedelta(days=366)  # a participation phase of a year at most
WINDOW_MIN = timedelta(hours=1)


class WindowState(enum.StrEnum):
    NOT_OPEN_YET = "not_open_yet"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Window:
    """From ``opens_at`` (included) to ``closes_at`` (excluded), both timezone-aware."""

    opens_at: datetime
    closes_at: datetime

    def state(self, now: datetime) -> WindowState:
        if now < self.opens_at:
            return WindowState.NOT_OPEN_YET
        if now >= self.closes_at:
            return WindowState.CLOSED
        return WindowState.OPEN


def clean_window(opens_at: datetime, closes_at: datetime, now: datetime) -> Window:
    """A window the organizer may set: the end after the start, not past already, at most a year long."""
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise InvalidInput("The window's times need a time zone.", code="invalid_window")
    if closes_at <= opens_at:
        raise InvalidInput("The end must be after the start.", code="window_end_before_start")
    if closes_at - opens_at < WINDOW_MIN:
        raise InvalidInput("The window must be open for at least an hour.", code="window_too_short")
    if closes_at - opens_at > WINDOW_MAX:
        raise InvalidInput("The window can be open for a year at most.", code="window_too_long")
    if closes_at <= now:
        raise InvalidInput("The end is past already: choose a later one.", code="window_past")
    return Window(opens_at, closes_at)


def check_window(window: Window | None, actor: Actor, now: datetime) -> None:
    """Participants change a board with a window only while it is open; moderators at any time."""
    if window is None or actor.role.moderates:
        return
    state = window.state(now)
    if state is WindowState.NOT_OPEN_YET:
        raise Conflict("The board opens for participation later; until then you can read it.", code="not_open_yet")
    if state is WindowState.CLOSED:
        raise Conflict("The participation on this board has ended: it is read-only now.", code="board_closed")
