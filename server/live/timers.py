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

Several nodes (``live.redis`` set): a timer's running state is a record in Redis (``werkstatt:timer:<event>:<room
or "event">``, ``server.live.redis_records``) that expires a day after the timer's end. A command (or the clock's
look) reads it, is decided on it and written back only if no other node wrote it meanwhile, else read and decided
again. Every node that knows a timer arms a waker for it; when they all wake at its warning, each one's look
decides ``tick`` on what it read, but only the node whose write goes through sends the warning: the others' writes
fail, they read the timer warned already, and nothing is due. So each warning and finish goes out once across the
nodes, and still goes out when the node that started the timer is gone. A node that wrote a timer tells the others
(``timers.written``), which look at it and arm their wakers; a node also learns of a timer when it reads one for a
client, at its start (every timer in Redis) and after its Redis subscription came back (``RESUMED``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from boards.actors import Actor
from boards.errors import Conflict, DomainError
from rooms import timers as rules
from rooms.members import Member
from rooms.timers import Timer, TimerStatus
from server.ids import utcnow
from server.live.lookup import author
from server.live.redis_records import ABSENT, Record, Records
from server.live.serializer import Pending, Serializer
from server.live.state import LiveState
from server.transport.fanout import RESUMED, event_channel, room_channel

log = logging.getLogger("werkstatt.timers")

TOLD = "timers.written"  # what a node tells the others when it wrote a timer: {"event_id", "room_id"}
KEPT = timedelta(days=1)  # how long Redis keeps a timer after its end (a paused one's end: as if resumed now)
SWAPS = 5  # how often a command is decided again when other nodes wrote its timer meanwhile
LOOK_AGAIN = timedelta(seconds=1)  # a clock's look that failed (Redis away) is tried again after this
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TimerCommand:
    """A command for one timer; without ``by`` and ``command`` it is the server's clock looking."""

    event_id: str
    room_id: str | None  # None: the event's timer
    by: Member | None = None
    command: rules.Command | None = None


def timer_key(event_id: str, room_id: str | None) -> str:
    return f"{event_id}:{room_id or 'event'}"


def scope_of(key: str) -> tuple[str, str | None]:
    """The event and room (None: the event's timer) of a ``timer_key``."""
    event_id, _, room = key.partition(":")
    return event_id, None if room == "event" else room


def timer_channel(event_id: str, room_id: str | None) -> str:
    return event_channel(event_id) if room_id is None else room_channel(room_id)


@dataclass
class TimerDesk:
    live: LiveState
    # by ``timer_key``; idle timers are not kept (with several nodes: each timer as this node last read or wrote it)
    timers: dict[str, Timer] = field(default_factory=dict)
    wakers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    serializer: Serializer[TimerCommand, tuple[Timer, bool]] = field(init=False)
    shared: Records | None = field(init=False, default=None)  # the timers in Redis, with several nodes
    _looks: set[asyncio.Task[None]] = field(default_factory=set)  # looks at timers other nodes told of

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="timer")
        if self.live.redis is not None:
            self.shared = Records(self.live.redis, "timer")
            self.live.fanout.on_told(TOLD, self._told)
            self.live.fanout.on_told(RESUMED, lambda _data: self._spawn(self._look_at_all()))

    async def start(self) -> None:
        """Arm every timer that Redis holds (with several nodes): a node started after a timer was fires it too."""
        await self._look_at_all()

    async def timer(self, event_id: str, room_id: str | None) -> Timer:
        """The timer as it is now (an idle one when none was started); with several nodes read from Redis, and
        armed here from then on."""
        key = timer_key(event_id, room_id)
        timer, _record = await self._load(key, room_id)
        if self.shared is not None and key not in self.wakers:
            self._arm(key, event_id, room_id, timer)
        return timer

    async def change(self, by: Member, room_id: str | None, command: rules.Command) -> tuple[Timer, bool]:
        """Run a facilitator's command on the event's timer (``room_id`` None) or a room's: the timer after it,
        and whether it changed (resetting an idle timer does not)."""
        item = TimerCommand(by.event_id, room_id, by, command)
        return await self.serializer.submit(timer_key(by.event_id, room_id), item)

    async def _run_batch(self, key: str, batch: list[Pending[TimerCommand, tuple[Timer, bool]]]) -> None:
        item = batch[0].command
        event_id, room_id = item.event_id, item.room_id
        failed = True
        try:
            timer, record = await self._load(key, room_id)
            for pending in batch:
                if pending.answered:
                    continue
                for _attempt in range(SWAPS):
                    try:
                        events = _decide(timer, pending.command)
                    except DomainError as exc:
                        pending.refuse(exc)
                        break
                    after = timer
                    for event in events:
                        after = rules.apply(after, event)
                    if events and self.shared is not None:
                        written = await self._write(key, record, after)
                        if written is None:  # another node wrote the timer meanwhile: decide again on it
                            timer, record = await self._load(key, room_id)
                            continue
                        record = written
                    timer = after
                    self._keep(key, timer)
                    for event in events:
                        await self._send(event_id, event, pending.command.by)
                    if events and self.shared is not None:
                        await self.live.fanout.tell(TOLD, {"event_id": event_id, "room_id": room_id})
                    pending.answer((timer, bool(events)))
                    break
                else:
                    pending.refuse(Conflict("The timer is changing too fast; try again."))
            self._keep(key, timer)  # as last read, when other nodes changed it
            failed = False
        finally:
            self._arm(key, event_id, room_id, self.timers.get(key), retry=failed)

    def _keep(self, key: str, timer: Timer) -> None:
        if timer.status is rules.TimerStatus.IDLE:
            self.timers.pop(key, None)
        else:
            self.timers[key] = timer

    async def _load(self, key: str, room_id: str | None) -> tuple[Timer, Record]:
        """The timer, and its record in Redis (with several nodes)."""
        if self.shared is None:
            return self.timers.get(key) or Timer(room_id), ABSENT
        record = await self.shared.read(key)
        return (Timer(room_id) if record.data is None else timer_from_json(record.data)), record

    async def _write(self, key: str, before: Record, timer: Timer) -> Record | None:
        """Write the timer to Redis unless another node wrote it since ``before``; the record written, else None."""
        assert self.shared is not None
        if timer.status is TimerStatus.IDLE:
            return await self.shared.swap(key, before, None, KEPT)
        now = utcnow()
        ends = timer.deadline if timer.deadline is not None else now + timer.remaining(now)
        return await self.shared.swap(key, before, timer_json(timer), max(ends - now, timedelta(0)) + KEPT)

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

    def _arm(self, key: str, event_id: str, room_id: str | None, timer: Timer | None, *, retry: bool = False) -> None:
        """Wake up when the timer's warning or end is due (again after every change); ``retry``: the last look
        failed, so not before a moment has passed."""
        old = self.wakers.pop(key, None)
        if old is not None:
            old.cancel()
        at = timer.wake_at() if timer is not None else None
        if at is not None and retry:
            at = max(at, utcnow() + LOOK_AGAIN)
        if at is not None:
            self.wakers[key] = asyncio.get_running_loop().create_task(self._wake(key, event_id, room_id, at))

    async def _wake(self, key: str, event_id: str, room_id: str | None, at: datetime) -> None:
        await asyncio.sleep(max((at - utcnow()).total_seconds(), 0))
        if self.wakers.get(key) is asyncio.current_task():
            del self.wakers[key]  # from here on a change arms a new waker instead of cancelling this one
        await self._look(key, event_id, room_id)

    async def _look(self, key: str, event_id: str, room_id: str | None) -> None:
        """The server's clock looks at the timer: fires what is due, and arms its waker."""
        try:
            await self.serializer.submit(key, TimerCommand(event_id, room_id))
        except Exception:
            log.exception("the timer %s failed to fire", key)

    # -- what other nodes tell ------------------------------------------------------------------

    def _told(self, data: Any) -> None:
        """Another node wrote a timer: look at it (what it holds now, whatever order the nodes' words came in)."""
        if not isinstance(data, dict):
            raise ValueError("a timer's change names its event and room")
        event_id, room_id = data.get("event_id"), data.get("room_id")
        if not isinstance(event_id, str) or not (room_id is None or isinstance(room_id, str)):
            raise ValueError("a timer's change names its event and room")
        self._spawn(self._look(timer_key(event_id, room_id), event_id, room_id))

    async def _look_at_all(self) -> None:
        """Look at every timer this node knows and every timer in Redis (what other nodes told may be lost)."""
        if self.shared is None:
            return
        keys = set(self.timers) | set(await self.shared.names())
        for key in sorted(keys):
            self._spawn(self._look(key, *scope_of(key)))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._looks.add(task)
        task.add_done_callback(self._looks.discard)

    async def close(self) -> None:
        for task in (*self.wakers.values(), *self._looks):
            task.cancel()
        self.wakers.clear()
        await self.serializer.close()


def _decide(timer: Timer, item: TimerCommand) -> list[rules.TimerChanged]:
    if item.command is None or item.by is None:
        return rules.tick(timer, utcnow())
    return rules.decide(timer, Actor(item.by.id, item.by.role), item.command)


def timer_json(timer: Timer) -> bytes:
    """A timer as Redis holds it (``timer_from_json`` reads it back)."""
    return orjson.dumps(
        {
            "room_id": timer.room_id,
            "status": timer.status.value,
            "label": timer.label,
            "run_us": timer.run // _US,
            "deadline": timer.deadline,
            "left_us": None if timer.left is None else timer.left // _US,
            "warn_s": timer.warn_s,
            "warned": timer.warned,
        }
    )


def timer_from_json(data: bytes) -> Timer:
    held = orjson.loads(data)
    return Timer(
        room_id=held["room_id"],
        status=TimerStatus(held["status"]),
        label=held["label"],
        run=held["run_us"] * _US,
        deadline=None if held["deadline"] is None else datetime.fromisoformat(held["deadline"]),
        left=None if held["left_us"] is None else held["left_us"] * _US,
        warn_s=held["warn_s"],
        warned=held["warned"],
    )
