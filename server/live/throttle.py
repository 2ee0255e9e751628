"""Announcements that are sent at most so often, however often their subject changes.

Who is present, and who views a board, are whole lists that everyone in the room
receives. Sent on every change, a join storm of N people costs N² deliveries; sent at
most once per interval, it costs N × (storm length ÷ interval). The first change after a
quiet interval goes out on the next turn of the event loop, so a small workshop sees each
arrival at once; changes within the interval are sent together at its end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("werkstatt.throttle")


class Throttle:
    """Calls ``flush(key)`` at most once per ``interval`` seconds for each key that was marked."""

    def __init__(self, interval: float, flush: Callable[[str], Awaitable[None]]) -> None:
        self.interval = interval
        self._flush = flush
        self._last: dict[str, float] = {}
        self._due: dict[str, asyncio.TimerHandle] = {}
        self._running: set[asyncio.Task[None]] = set()

    def mark(self, key: str) -> None:
        """``key`` changed: flush it now if it was quiet for an interval, else at the interval's end."""
        if key in self._due:
            return
        loop = asyncio.get_running_loop()
        last = self._last.get(key)
        delay = 0.0 if last is None else max(0.0, last + self.interval - loop.time())
        self._due[key] = loop.call_later(delay, self._fire, key)

    def _fire(self, key: str) -> None:
        del self._due[key]
        loop = asyncio.get_running_loop()
        now = loop.time()
        for stale in [k for k, t in self._last.items() if now - t > self.interval and k not in self._due]:
            del self._last[stale]  # quiet for an interval: the next mark flushes at once anyway
        self._last[key] = now
        task = loop.create_task(self._run(key))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, key: str) -> None:
        try:
            await self._flush(key)
        except Exception:  # one failed announcement must not stop the next ones
            log.exception("announcing %s failed", key)

    async def close(self) -> None:
        """Drop what is due and wait for flushes under way (the server is shutting down)."""
        for handle in self._due.values():
            handle.cancel()
        self._due.clear()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
