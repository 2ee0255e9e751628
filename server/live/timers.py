"""The countdown timers of a node: the event's (plenary) timer and each room's, held in memory.

A timer is a deadline (``rooms.timers``); its running state is ephemeral, as presence is, and is lost with the
node. Each timer has its own serializer key, so the commands of several facilitators and the server's clock take
turns: a command is decided on the timer as the one before left it, applied, fanned out and answered.

The server's clock: after every change the timer's wake-up is armed again (an asyncio task sleeping until
``Timer.wake_at``, like the vote timers of ``server.live.dots``). It goes through the serializer too, where
``rooms.rules.tick`` fires only what is due and marks it done, so each warning and each finish is sent exactly
once: a wake-up that comes early finds nothing due and arms again, one that comes after a pause finds nothing.

The event's timer goes to everyone in the event (``event_channel``), a room's to that room (``room_channel``):
``timer.changed`` for facilitators' changes, ``timer.warning`` and ``timer.finished`` from the clock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boards.actors import Actor
from boards.errors import DomainError
from rooms import timers as rules
from rooms.members import Member
from rooms.timers import Timer
from server.ids import utcnow
from server.live.lookup import author
from server.live.serializer import Pending, Serializer
from server.live.state import LiveState
from server.transport.fanout import event_channel, room_channel

log = logging.getLogger("werkstatt.timers")


@dataclass(frozen=True, slots=True)
class TimerCommand:
    """A command for one timer; without ``by`` and ``command`` it is the server's clock looking."""

    event_id: str
    room_id: str | None  # None: the event's timer
    by: Member | None = None
    command: rules.Command | None = None


def timer_key(event_id: str, room_id: str | None) -> str:
    return f"{event_id}:{room_id or 'event'}"


def timer_channel(event_id: str, room_id: str | None) -> str:
    return event_channel(event_id) if room_id is None else room_channel(room_id)


@dataclass
class TimerDesk:
    live: LiveState
    timers: dict[str, Timer] = field(default_factory=dict)  # by ``timer_key``; idle timers are not kept
    wakers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    serializer: Serializer[TimerCommand, tuple[Timer, bool]] = field(init=False)

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="timer")

    def timer(self, event_id: str, room_id: str | None) -> Timer:
        """The timer as it is now (an idle one when none was started)."""
        return self.timers.get(timer_key(event_id, room_id)) or Timer(room_id)

    async def change(self, by: Member, room_id: str | None, command: rules.Command) -> tuple[Timer, bool]:
        """Run a facilitator's command on the event's timer (``room_id`` None) or a room's: the timer after it,
        and whether it changed (resetting an idle timer does not)."""
        item = TimerCommand(by.event_id, room_id, by, command)
        return await self.serializer.submit(timer_key(by.event_id, room_id), item)

    async def _run_batch(self, key: str, batch: list[Pending[TimerCommand, tuple[Timer, bool]]]) -> None:
        item = batch[0].command
        event_id, room_id = item.event_id, item.room_id
        timer = self.timer(event_id, room_id)
        try:
            for pending in batch:
                if pending.answered:
                    continue
                command, by = pending.command.command, pending.command.by
                try:
                    if command is None or by is None:
                        events = rules.tick(timer, utcnow())
                    else:
                        events = rules.decide(timer, Actor(by.id, by.role), command)
                except DomainError as exc:
                    pending.refuse(exc)
                    continue
                for event in events:
                    timer = rules.apply(timer, event)
                self._keep(key, timer)
                for event in events:
                    await self._send(event_id, event, by)
                pending.answer((timer, bool(events)))
        finally:
            self._arm(key, event_id, room_id)

    def _keep(self, key: str, timer: Timer) -> None:
        if timer.status is rules.TimerStatus.IDLE:
            self.timers.pop(key, None)
        else:
            self.timers[key] = timer

    async def _send(self, event_id: str, event: rules.TimerChanged, by: Member | None) -> None:
        channel = timer_channel(event_id, event.timer.room_id)
        wire: dict[str, Any] = {"timer": event.timer.to_wire()}
        if event.kind == "warned":
            await self.live.fanout.publish(channel, "timer.warning", wire)
        elif event.kind == "finished":
            await self.live.fanout.publish(channel, "timer.finished", wire)
        else:
            assert by is not None  # people's changes carry who made them
            await self.live.fanout.publish(
                channel, "timer.changed", {"kind": event.kind, **wire, "by": author(by).model_dump(mode="json")}
            )

    # -- the server's clock ---------------------------------------------------------------------

    def _arm(self, key: str, event_id: str, room_id: str | None) -> None:
        """Wake up when the timer's warning or end is due (again after every change)."""
        old = self.wakers.pop(key, None)
        if old is not None:
            old.cancel()
        timer = self.timers.get(key)
        at = timer.wake_at() if timer is not None else None
        if at is not None:
            self.wakers[key] = asyncio.get_running_loop().create_task(self._wake(key, event_id, room_id, at))

    async def _wake(self, key: str, event_id: str, room_id: str | None, at: datetime) -> None:
        await asyncio.sleep(max((at - utcnow()).total_seconds(), 0))
        if self.wakers.get(key) is asyncio.current_task():
            del self.wakers[key]  # from here on a change arms a new waker instead of cancelling this one
        try:
            await self.serializer.submit(key, TimerCommand(event_id, room_id))
        except Exception:
            log.exception("the timer %s failed to fire", key)

    async def close(self) -> None:
        for task in self.wakers.values():
            task.cancel()
        self.wakers.clear()
        await self.serializer.close()
