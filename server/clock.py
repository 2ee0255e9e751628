"""The server's notion of now, as one object the app factory takes: ``create_app(settings, clock=...)``.

Board commands carry their time (``now``), so the rules stay pure; the live core takes that time
from ``LiveState.clock`` when it builds a command, and reads the same clock for what depends on
the moment (whether a board's window is open in a snapshot, when a vote's timer runs out).

Why an object handed to the factory rather than ``server.ids.utcnow`` patched in tests: an
asynchronous board runs for weeks, and a test of it on two days must move the server's time
while the server runs, on every path that reads it, without reaching into modules (a patch of
one import misses the others, and leaks into the next test). ``SystemClock`` is the default;
``ManualClock`` is the one tests move. The other areas (timers, breakouts, chat) still read
``utcnow`` and can move to ``live.clock`` the same way when a test needs them to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until it is set or moved on (for tests and demonstrations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs timezone-aware times")
        self._now = moment

    def advance(self, delta: timedelta) -> None:
        self._now += delta
