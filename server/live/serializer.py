"""One serializer per aggregate: its commands run one batch at a time, in arrival order.

A client's events run concurrently (``server.transport.endpoint``), and so do different
clients'; an aggregate (a board, a board's dots, an event's breakout round) must still see its
commands one after another. ``Serializer.submit(key, item)`` queues a command for the
aggregate ``key`` and returns its outcome once answered. While a batch of an aggregate is being
committed, the commands that arrive for it wait and then go together as the next batch:

    decide each on the state the ones before it left  →  commit the batch in one transaction
    →  make the new state the one others read  →  answer each  →  fan out

``commit_batch(key, batch)`` does that for its aggregate and answers each ``Pending`` with data
(``pending.outcome.set_result(...)``) or with the refusal its command earned. If it raises,
every command of the batch it left unanswered gets that error: the batch did not happen. A
busy aggregate so costs one commit and one fan-out per batch instead of per command, and the
batches grow with the load.

How each aggregate keeps what is not committed from its readers: a board's batch applies each
command to the cached board as it decides it (the next is decided on its effects), under the
board's lock, which every reader takes; a failed commit forgets the board, and it is loaded again
from the store (``server.live.state``). Dots go the same way (``server.live.dots``). A breakout
round is immutable: its batch decides on new values and the desk keeps the new round only after
the commit; its members are moved after the answers (``server.live.breakouts``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger("werkstatt.serializer")

C = TypeVar("C")  # what a command carries
R = TypeVar("R")  # what its outcome carries

MAX_BATCH = 200  # commands committed together at most


@dataclass(slots=True)
class Pending(Generic[C, R]):
    """A command waiting for its aggregate's next batch."""

    command: C
    outcome: asyncio.Future[R]

    @property
    def answered(self) -> bool:
        return self.outcome.done()

    def answer(self, result: R) -> None:
        if not self.outcome.done():  # its caller may have gone away meanwhile
            self.outcome.set_result(result)

    def refuse(self, error: BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(error)


@dataclass
class Serializer(Generic[C, R]):
    commit_batch: Callable[[str, list[Pending[C, R]]], Awaitable[None]]
    name: str = "aggregate"
    max_batch: int = MAX_BATCH
    _queued: dict[str, list[Pending[C, R]]] = field(default_factory=dict)
    _workers: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def submit(self, key: str, command: C) -> R:
        """Queue a command for the aggregate ``key``; its outcome once its batch is committed."""
        pending: Pending[C, R] = Pending(command, asyncio.get_running_loop().create_future())
        self._queued.setdefault(key, []).append(pending)
        if key not in self._workers:
            self._workers[key] = asyncio.get_running_loop().create_task(self._work(key))
        return await pending.outcome

    def busy(self, key: str) -> bool:
        return key in self._workers

    async def _work(self, key: str) -> None:
        try:
            while queued := self._queued.pop(key, None):
                batch, rest = queued[: self.max_batch], queued[self.max_batch :]
                if rest:
                    self._queued[key] = rest
                try:
                    await self.commit_batch(key, batch)
                except Exception as exc:  # below the rules (the store failed): the batch did not happen
                    log.exception("a batch of %d commands on %s %s failed", len(batch), self.name, key)
                    for item in batch:
                        item.refuse(exc)
        finally:
            del self._workers[key]

    async def close(self) -> None:
        for task in self._workers.values():
            task.cancel()
        for queued in self._queued.values():
            for item in queued:
                item.outcome.cancel()
        self._queued.clear()


def unanswered(batch: list[Pending[Any, Any]]) -> list[Pending[Any, Any]]:
    return [item for item in batch if not item.answered]
