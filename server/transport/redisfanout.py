"""Fan-out across nodes through Redis: ``RedisFanout`` replaces ``FrameFanout`` when ``--redis`` is set.

Each werkstatt channel is one Redis channel (``werkstatt:room:…``), so a node receives only what its
own connections need: it subscribes to a channel when its first connection there joins it and
unsubscribes when its last one leaves (however it leaves: ``RealtimeServer.on_channel_closed``).

A publish is encoded once, written at once to this node's connections (as ``FrameFanout`` writes
it), and published once: a short header and the ready websocket frames. A receiving node decodes
nothing but the header and writes those bytes to its members. Redis sends the message back to the
sender too (it is subscribed to the channel as every node there is); the sender skips it where it
reads it, by its ``MAGIC`` and node id at the start of the payload, before copying or decoding
anything (``parse_messages``; counted in ``echoes``). ``Forms`` travel as all their frames, and the
receiving node picks each connection's frame by ``recipient(connection_id)``, as ``FrameFanout``
does. ``write`` stays on this node.

Messages (after ``MAGIC``, the 8-byte node id and a kind byte)::

    F  frames                         written to every member as they are
    T  JSON [topic, data]             what a node tells the others (``tell``), on ``werkstatt:_nodes``,
                                      which every node listens to for as long as it runs
    V  H n, n × (I length, frame),    the distinct frames of a Forms, then which is
       H public, H moderated,         the public one, the moderators' one and each
       H m, m × (H length, member id, H frame)    member's own
    R  bytes                          a node's own message (``post``) on a channel other nodes ``listen`` to,
                                      not one of connections (a room space's inbox, ``server.live.space_nodes``)

Publishes of one node go out on one connection in call order (written at once; queued in order
while the connection is lost or full), and Redis delivers the messages of one connection in
order: a node receives another's messages of a channel in the order they were published. The
publishing connection asks for no replies (``CLIENT REPLY OFF``): a publish is not waited for, as
a local one is not. The subscribing connection's messages are split and delivered where they
arrive, not by redis-py's parser (``Subscription``: a few µs a message instead of about 25).

While Redis is unreachable, each node goes on serving its own connections; what was published
meanwhile does not reach the other nodes (a client converges with ``sync``). Both connections
are opened again with backoff, and the channels still needed are subscribed again.

Besides the channels, every node listens to ``werkstatt:_nodes`` for as long as it runs: what nodes tell
each other (``tell``: a board committed, a round changed, a timer started) so that their copies of the
shared state follow. While the subscription is lost, ``LOST`` is told on this node; when it is back,
``RESUMED`` (what the others said meanwhile is lost: each part drops or reads again what it holds).
A node may also listen to channels of its own (``listen``; others ``post`` to them): the space's protocol
between the node that runs a room's space and the others (``server.live.space_nodes``).
docs/running.md "Several nodes" says what each part shares and how.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from server.transport.endpoint import RealtimeServer, event_frame
from server.transport.fanout import LOST, RESUMED, Forms, FrameFanout, Recipient

log = logging.getLogger("werkstatt.redis")

PREFIX = b"werkstatt:"
MAGIC = b"W1"
FRAMES, FORMS, TOLD, RAW = b"F", b"V", b"T", b"R"
NODES = "_nodes"  # the channel every node listens to: what nodes tell each other (no werkstatt channel starts so)
HEADER = len(MAGIC) + 8 + 1  # magic, node id, kind
SUBSCRIBE_WAIT = 2.0  # seconds a first subscription waits for Redis before its connection joins anyway
OUTBOX_LIMIT = 100_000  # messages waiting for the Redis connection; past this they are dropped (and logged)
OUT_BUFFER = 4 * 1024 * 1024  # bytes written but not yet taken by Redis, past which publishes queue
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0

_MESSAGE = b"*3\r\n$7\r\nmessage\r\n$"  # how every pub/sub message starts, up to its channel's length
_H = struct.Struct("!H")
_I = struct.Struct("!I")


# what a node does with a message another node posted to a channel it listens to: (the sender's node id, the
# message); runs where it is read (no await)
Heard = Callable[[bytes, bytes], None]


class MalformedMessage(ValueError):
    """A message on a werkstatt channel that no werkstatt node wrote."""


def redis_channel(channel: str) -> bytes:
    return PREFIX + channel.encode()


class RedisFanout(FrameFanout):
    def __init__(
        self,
        server: RealtimeServer,
        url: str,
        recipient: Callable[[str], Recipient] | None = None,
        *,
        node_id: bytes | None = None,
    ) -> None:
        super().__init__(server, recipient)
        self.node = node_id or os.urandom(8)
        if len(self.node) != 8:
            raise ValueError("a node id has 8 bytes")
        name = f"werkstatt-{self.node.hex()}"
        # RESP2: the subscription splits its pub/sub messages itself (``Subscription``)
        self._pool = ConnectionPool.from_url(url, protocol=2)
        self._publisher = self._connection(f"{name}-pub")
        self._subscriber = self._connection(f"{name}-sub")
        self._subscribed: set[str] = {NODES}  # channels subscribed in Redis (or asked for); the nodes' always
        self._listeners: dict[str, Heard] = {}  # channels this node listens to itself (``listen``)
        self._pending: dict[str, asyncio.Future[None]] = {}  # first subscriptions waiting for Redis's answer
        self._joining: dict[str, int] = {}  # connections waiting for a channel's subscription, by channel
        self._commands = asyncio.Lock()  # subscribe and unsubscribe go out in the order they were asked for
        self._outbox: list[bytes] = []  # publishes waiting for the connection (while it is lost or full)
        self._out: asyncio.StreamWriter | None = None  # the publishing connection's stream, while it is usable
        self._out_eof: asyncio.StreamReader | None = None  # (it answers nothing: at its end when Redis closed it)
        self._out_full = False
        self._subscription: Subscription | None = None
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self.linked = True  # while the subscription to Redis holds: this node hears the others
        self.dropped = 0  # publishes given up while Redis could not take them
        self.received = 0  # messages of other nodes read from Redis
        self.echoes = 0  # this node's own messages that Redis sent back, skipped where they were read
        server.on_channel_closed = self._channel_closed

    def _connection(self, name: str) -> AbstractConnection:
        kwargs = dict(self._pool.connection_kwargs, client_name=name)
        connection: AbstractConnection = self._pool.connection_class(**kwargs)
        return connection

    @property
    def names(self) -> tuple[str, str]:
        """The client names of the publishing and the subscribing connection (``CLIENT LIST`` shows them)."""
        return f"werkstatt-{self.node.hex()}-pub", f"werkstatt-{self.node.hex()}-sub"

    # -- life ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect both connections; raises when Redis cannot be reached (a node does not start without
        the Redis it was told to use). Once started, a lost connection is reconnected with backoff."""
        await self._connect_publisher()
        listening = self._pending[NODES] = asyncio.get_running_loop().create_future()
        await self._connect_subscriber()
        await asyncio.wait_for(listening, SUBSCRIBE_WAIT)  # from here on this node hears what the others tell
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._writer = asyncio.get_running_loop().create_task(self._write())

    async def close(self) -> None:
        for task in (self._reader, self._writer, *self._tasks):
            if task is not None:
                task.cancel()
        for task in (self._reader, self._writer, *self._tasks):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._outbox and self._out is not None and not self._out.is_closing():
            self._out.writelines(self._outbox)
            with contextlib.suppress(OSError):
                await self._out.drain()
        self._out = None
        for connection in (self._publisher, self._subscriber):
            await connection.disconnect(nowait=True)
        await self._pool.aclose()
        if self.server.on_channel_closed == self._channel_closed:
            self.server.on_channel_closed = None

    async def _connect_publisher(self) -> None:
        """redis-py opens the connection (address, TLS, AUTH, SELECT, the client's name); then it is asked to
        answer nothing, and this node writes its PUBLISH commands to its stream directly."""
        self._out = None
        await self._publisher.connect()
        await self._publisher.send_packed_command(
            self._publisher.pack_command("CLIENT", "REPLY", "OFF"), check_health=False
        )
        self._out_eof, self._out = self._publisher._reader, self._publisher._writer

    async def _connect_subscriber(self) -> None:
        """redis-py opens the connection; then a ``Subscription`` takes its transport over, so that what
        Redis sends is split and delivered where it arrives, with no task woken per message."""
        await self._subscriber.connect()
        writer = self._subscriber._writer
        assert writer is not None
        self._subscription = Subscription(writer.transport, self._received, MAGIC + self.node, self._echoed)
        async with self._commands:
            if self._subscribed:
                await self._subscriber.send_command(
                    "SUBSCRIBE", *map(redis_channel, self._subscribed), check_health=False
                )

    # -- channels --------------------------------------------------------------------------------

    async def subscribe(self, connection_id: str, channel: str) -> None:
        """The first connection of this node in a channel joins once Redis confirmed the subscription
        (or after ``SUBSCRIBE_WAIT`` without Redis): what another node publishes after this returns
        reaches it. No await follows the join (as on one node)."""
        await self.subscribe_many([(connection_id, channel)])

    async def subscribe_many(self, joins: Sequence[tuple[str, str]]) -> None:
        """Every channel that is new here is subscribed and confirmed first (all at once); then the
        connections join, one after the other, without an await between them or after them: nothing
        reaches one of them before what its caller sends next (a connect's ``40``, ``room.moved``)."""
        channels = list(dict.fromkeys(channel for _sid, channel in joins))
        for channel in channels:
            self._joining[channel] = self._joining.get(channel, 0) + 1  # not given up meanwhile
        try:
            for channel in channels:
                if channel not in self._subscribed:
                    self._subscribed.add(channel)
                    self._pending[channel] = asyncio.get_running_loop().create_future()
                    await self._command("SUBSCRIBE", channel)
            waiting = [(c, p) for c in channels if (p := self._pending.get(c)) is not None]
            if waiting:
                _done, late = await asyncio.wait(
                    [asyncio.ensure_future(asyncio.shield(p)) for _c, p in waiting], timeout=SUBSCRIBE_WAIT
                )
                for task in late:
                    task.cancel()
                for channel, pending in waiting:
                    if not pending.done():
                        log.warning("Redis did not confirm the subscription to %s; joining without it", channel)
        finally:
            for channel in channels:
                self._joining[channel] -= 1
                if not self._joining[channel]:
                    del self._joining[channel]
        for connection_id, channel in joins:
            self.server.join(connection_id, channel)
        for channel in channels:
            if channel not in self.server.channels:  # its connections were gone: nobody needs the channel here
                self._channel_closed(channel)

    async def listen(self, channel: str, heard: Heard) -> None:
        """Hear what other nodes ``post`` to ``channel`` (a channel of the node's own, with no connections in it),
        from when this returns (once Redis confirmed the subscription, or after ``SUBSCRIBE_WAIT``) until
        ``unlisten``."""
        self._listeners[channel] = heard
        if channel not in self._subscribed:
            self._subscribed.add(channel)
            self._pending[channel] = asyncio.get_running_loop().create_future()
            await self._command("SUBSCRIBE", channel)
        pending = self._pending.get(channel)
        if pending is not None:
            try:
                await asyncio.wait_for(asyncio.shield(pending), SUBSCRIBE_WAIT)
            except TimeoutError:
                log.warning("Redis did not confirm the subscription to %s; listening without it", channel)

    def unlisten(self, channel: str) -> None:
        if self._listeners.pop(channel, None) is not None:
            self._channel_closed(channel)

    def post(self, channel: str, message: bytes) -> None:
        """A message to the nodes that listen to ``channel`` (not to this one), in order with this node's
        publishes, without waiting."""
        self._send(channel, self.node_header(RAW), message)

    def subscribed(self) -> set[str]:
        """The channels this node listens to in Redis."""
        return set(self._subscribed)

    def _channel_closed(self, channel: str) -> None:
        if channel in self._subscribed and channel != NODES and channel not in self._listeners:
            self._spawn(self._unsubscribe(channel))

    async def _unsubscribe(self, channel: str) -> None:
        async with self._commands:
            if (
                channel in self.server.channels
                or channel in self._joining
                or channel in self._listeners
                or channel not in self._subscribed
            ):
                return  # joined again meanwhile, or about to be
            self._subscribed.discard(channel)
            await self._send_command("UNSUBSCRIBE", channel)

    async def _command(self, command: str, channel: str) -> None:
        async with self._commands:
            await self._send_command(command, channel)

    async def _send_command(self, command: str, channel: str) -> None:
        """On the subscribing connection when it is up; else the reader's reconnection subscribes to what is
        wanted then (a connection opened here would listen to nothing else)."""
        if self._subscriber.is_connected:
            with contextlib.suppress(RedisError, OSError):
                await self._subscriber.send_command(command, redis_channel(channel), check_health=False)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- publishing ------------------------------------------------------------------------------

    async def publish(self, channel: str, event: str, data: Any) -> None:
        data_frame = event_frame(event, data)
        self._write_local(channel, data_frame)
        self._send(channel, self.node_header(FRAMES), data_frame)

    async def publish_all(self, channel: str, event: str, items: Sequence[Any]) -> None:
        frames = b"".join(event_frame(event, item) for item in items)
        self._write_local(channel, frames)
        self._send(channel, self.node_header(FRAMES), frames)

    async def publish_each(self, channels: Sequence[str], event: str, data: Any) -> None:
        data_frame = event_frame(event, data)
        header = self.node_header(FRAMES)
        for channel in channels:
            self._write_local(channel, data_frame)
            self._send(channel, header, data_frame)

    async def publish_forms(self, channel: str, event: str, forms: Forms) -> None:
        frames: list[bytes] = []
        index: dict[int, int] = {}  # by the form's identity: each form is encoded once

        def frame_of(form: Any) -> int:
            key = id(form)
            if key not in index:
                index[key] = len(frames)
                frames.append(event_frame(event, form))
            return index[key]

        public, moderated = frame_of(forms.public), frame_of(forms.moderated)
        members = {member_id: frame_of(form) for member_id, form in forms.members.items()}
        self._write_forms(channel, frames[public], frames[moderated], {m: frames[i] for m, i in members.items()})
        self._send(channel, self.node_header(FORMS), forms_body(frames, public, moderated, members))

    async def tell(self, topic: str, data: Any) -> None:
        self._send(NODES, self.node_header(TOLD), orjson.dumps([topic, data]))

    def node_header(self, kind: bytes) -> bytes:
        return MAGIC + self.node + kind

    def _write_local(self, channel: str, frame: bytes) -> None:
        send = self.server.send
        for socket in self.server.members(channel):
            send(socket, frame)

    def _write_forms(self, channel: str, public: bytes, moderated: bytes, members: dict[str, bytes]) -> None:
        send = self.server.send
        recipient = self.recipient
        for socket in self.server.members(channel):
            reader = recipient(socket.sid)
            own = members.get(reader.member_id) if reader.member_id is not None else None
            send(socket, own if own is not None else moderated if reader.moderates else public)

    def _send(self, channel: str, header: bytes, body: bytes) -> None:
        """One PUBLISH (RESP, packed here: the frames are not copied again), written at once when the
        connection is up and takes it, else queued for the writer task (in order either way)."""
        name = redis_channel(channel)
        command = (
            b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%b\r\n$%d\r\n%b" % (len(name), name, len(header) + len(body), header),
            body,
            b"\r\n",
        )
        out = self._out
        if out is not None and not self._outbox:
            if not (out.is_closing() or (self._out_eof is not None and self._out_eof.at_eof())):
                out.writelines(command)
                if out.transport.get_write_buffer_size() > OUT_BUFFER:
                    self._out_full = True
                    self._wake.set()  # the writer waits until Redis took it; meanwhile publishes queue
                return
            self._out = None  # Redis closed it: the writer task connects again
        if len(self._outbox) >= OUTBOX_LIMIT * 3:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                log.warning("Redis takes no publishes: %d dropped", self.dropped)
            return
        self._outbox += command
        self._wake.set()

    async def _write(self) -> None:
        """Connects the publishing connection again when it was lost (with backoff), waits while it is full,
        and writes what was queued meanwhile, in order."""
        backoff = BACKOFF_FIRST
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                out = self._out
                if out is None or out.is_closing() or (self._out_eof is not None and self._out_eof.at_eof()):
                    log.warning("the Redis connection for publishing was lost; connecting again")
                    await self._publisher.disconnect(nowait=True)
                    await self._connect_publisher()
                    out = self._out
                    assert out is not None
                    log.info("publishing to Redis again")
                if self._out_full:
                    await out.drain()
                    self._out_full = False
                while self._outbox:
                    batch, self._outbox = self._outbox, []
                    out.writelines(batch)
                    await out.drain()
                backoff = BACKOFF_FIRST
            except (RedisError, OSError) as exc:
                self._out = None
                log.warning("publishing to Redis failed (%s); retrying in %g s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                self._wake.set()

    # -- receiving -------------------------------------------------------------------------------

    async def _read(self) -> None:
        """Keep the subscription: while it lasts, its protocol writes what other nodes published to this
        node's members; when it is lost, connect again with backoff and subscribe to what is needed."""
        backoff = BACKOFF_FIRST
        while True:
            try:
                if self._subscription is None or self._subscription.lost.done():
                    await self._subscriber.disconnect(nowait=True)
                    await self._connect_subscriber()
                    log.info("subscribed to Redis again (%d channels)", len(self._subscribed))
                    self.linked = True
                    if RESUMED in self.listeners:  # what the others told meanwhile is lost: caches are doubtful
                        self.told(RESUMED, None)
                assert self._subscription is not None
                backoff = BACKOFF_FIRST
                await self._subscription.lost
                raise ConnectionError("Redis closed the connection")
            except (RedisError, OSError) as exc:
                log.warning("the Redis subscription was lost (%s); reconnecting in %g s", exc, backoff)
                if self.linked:
                    self.linked = False
                    if LOST in self.listeners:
                        self.told(LOST, None)
                self._subscription = None
                await self._subscriber.disconnect(nowait=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def _received(self, message: list[Any]) -> None:
        kind = message[0]
        if kind == b"message":
            self.received += 1
            try:
                self._deliver(message[1][len(PREFIX) :].decode(), message[2])
            except (MalformedMessage, UnicodeDecodeError) as exc:
                log.warning("a malformed message on %r was dropped: %s", message[1][:80], exc)
            except Exception:  # the reader goes on for the other channels
                log.exception("delivering a message on %r failed", message[1][:80])
        elif kind == b"subscribe":
            channel = message[1][len(PREFIX) :].decode()
            pending = self._pending.pop(channel, None)
            if pending is not None and not pending.done():
                pending.set_result(None)
            if channel not in self.server.channels and channel not in self._joining:
                self._channel_closed(channel)  # confirmed late (Redis was away): nobody here needs it any more

    def _echoed(self) -> None:
        self.echoes += 1

    def _deliver(self, channel: str, data: bytes) -> None:
        if data[:2] != MAGIC or len(data) < HEADER:
            raise MalformedMessage("no werkstatt header")
        if data[2:10] == self.node:
            return  # written to this node's members when it was published (``Subscription`` skips these first)
        kind = data[10:11]
        if kind == FRAMES:
            self._write_local(channel, data[HEADER:])
        elif kind == FORMS:
            self._write_forms(channel, *read_forms(data, HEADER))
        elif kind == RAW:
            heard = self._listeners.get(channel)
            if heard is not None:  # (else it came after this node stopped listening)
                heard(data[2:10], data[HEADER:])
        elif kind == TOLD and channel == NODES:
            try:
                topic, said = orjson.loads(data[HEADER:])
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                raise MalformedMessage("what a node told is not [topic, data]") from exc
            if not isinstance(topic, str):
                raise MalformedMessage("a topic is a string")
            self.told(topic, said)
        else:
            raise MalformedMessage(f"unknown kind {kind!r}")

    def write(self, connection_ids: Iterable[str], frame: bytes) -> None:
        """On this node only (see ``Fanout.write``)."""
        super().write(connection_ids, frame)


class Subscription(asyncio.Protocol):
    """The subscribing connection's protocol once redis-py opened it: every pub/sub message that arrives is
    handed to ``received`` at once (as a list: ``[b"message", channel, data]``, ``[b"subscribe", channel,
    count]`` …), except a ``message`` whose payload starts with ``own``, which is skipped where it is read
    (``echoed`` is called for it). redis-py's parser reads a message with a line read per element and a
    task switch per message (about 25 µs); this splits what arrived in one go (a few µs a message)."""

    def __init__(
        self,
        transport: asyncio.BaseTransport,
        received: Callable[[list[Any]], None],
        own: bytes = b"",
        echoed: Callable[[], None] | None = None,
    ) -> None:
        self.transport = transport
        self.received = received
        self.own = own
        self.echoed = echoed
        self.buffer = bytearray()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        transport.set_protocol(self)

    def data_received(self, data: bytes) -> None:
        try:
            if self.buffer:
                self.buffer += data
                del self.buffer[: parse_messages(self.buffer, self.received, self.own, self.echoed)]
            else:  # the usual case: whole messages, parsed where they arrived
                done = parse_messages(data, self.received, self.own, self.echoed)
                if done < len(data):
                    self.buffer += data[done:]
        except RedisError:
            log.exception("Redis sent what is not a pub/sub message; connecting again")
            self.transport.abort()  # type: ignore[attr-defined]

    def eof_received(self) -> bool:
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


def parse_messages(
    buffer: bytes | bytearray,
    received: Callable[[list[Any]], None],
    own: bytes = b"",
    echoed: Callable[[], None] | None = None,
) -> int:
    """Hand every whole message at the start of ``buffer`` to ``received``; how many bytes they took.

    With ``own`` (a node's ``MAGIC`` and id), a pub/sub ``message`` whose payload starts with it is the node's
    own, which Redis sends back to it as to every subscriber: it is skipped once it is whole, without
    copying it or handing it on (``echoed`` is called instead)."""
    done, end = 0, len(buffer)
    while done < end:
        if buffer.startswith(_MESSAGE, done):  # the usual case: a pub/sub message, its three items read here
            at = done + len(_MESSAGE)  # the channel's length
            line = buffer.find(b"\r\n", at)
            if line < 0:
                return done
            try:
                channel = line + 2
                channel_end = channel + int(buffer[at:line])
                at = channel_end + 3  # the data's length, after "\r\n$"
                line = buffer.find(b"\r\n", at)
                if line < 0:
                    return done
                if buffer[at - 1] != 0x24:
                    raise ValueError
                start = line + 2
                stop = start + int(buffer[at:line])
            except ValueError:
                raise RedisError(
                    f"unexpected in a message from Redis: {bytes(buffer[at - 1 : line])[:200]!r}"
                ) from None
            if stop + 2 > end:
                return done
            done = stop + 2
            if own and buffer.startswith(own, start, stop):
                if echoed is not None:
                    echoed()
                continue
            received([b"message", bytes(buffer[channel:channel_end]), bytes(buffer[start:stop])])
            continue
        line = buffer.find(b"\r\n", done)
        if line < 0:
            return done
        if buffer[done] != 0x2A:  # "*": an array; an error ("-…") would mean a command was wrong
            raise RedisError(f"unexpected from Redis: {bytes(buffer[done:line])[:200]!r}")
        try:
            count = int(buffer[done + 1 : line])
        except ValueError:
            raise RedisError(f"unexpected from Redis: {bytes(buffer[done:line])[:200]!r}") from None
        at = line + 2
        items: list[Any] = []
        for _ in range(count):
            line = buffer.find(b"\r\n", at)
            if line < 0:
                return done
            kind = buffer[at]
            if kind == 0x24:  # "$": a bulk string
                start = line + 2
                stop = start + _number(buffer, at, line)
                if stop + 2 > end:
                    return done
                items.append(bytes(buffer[start:stop]))
                at = stop + 2
            elif kind == 0x3A:  # ":": an integer
                items.append(_number(buffer, at, line))
                at = line + 2
            else:
                raise RedisError(f"unexpected in a message from Redis: {bytes(buffer[at:line])[:200]!r}")
        done = at
        received(items)
    return done


def _number(buffer: bytes | bytearray, at: int, line: int) -> int:
    try:
        return int(buffer[at + 1 : line])
    except ValueError:
        raise RedisError(f"unexpected in a message from Redis: {bytes(buffer[at:line])[:200]!r}") from None


def forms_body(frames: list[bytes], public: int, moderated: int, members: dict[str, int]) -> bytes:
    parts = [_H.pack(len(frames))]
    for frame in frames:
        parts += (_I.pack(len(frame)), frame)
    parts += (_H.pack(public), _H.pack(moderated), _H.pack(len(members)))
    for member_id, index in members.items():
        encoded = member_id.encode()
        parts += (_H.pack(len(encoded)), encoded, _H.pack(index))
    return b"".join(parts)


def read_forms(data: bytes, offset: int) -> tuple[bytes, bytes, dict[str, bytes]]:
    """The public, moderated and members' frames of a forms message (``forms_body``)."""
    try:
        return _read_forms(data, offset)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"not a forms message: {exc}") from None


def _read_forms(data: bytes, offset: int) -> tuple[bytes, bytes, dict[str, bytes]]:
    view = memoryview(data)
    (count,) = _H.unpack_from(data, offset)
    offset += 2
    frames = []
    for _ in range(count):
        (length,) = _I.unpack_from(data, offset)
        offset += 4
        if offset + length > len(data):
            raise MalformedMessage("a frame runs past the message")
        frames.append(bytes(view[offset : offset + length]))
        offset += length
    public, moderated, n_members = struct.unpack_from("!HHH", data, offset)
    offset += 6
    members: dict[str, bytes] = {}
    for _ in range(n_members):
        (length,) = _H.unpack_from(data, offset)
        member_id = bytes(view[offset + 2 : offset + 2 + length]).decode()
        (index,) = _H.unpack_from(data, offset + 2 + length)
        offset += 4 + length
        members[member_id] = frames[index]
    if offset != len(data):
        raise MalformedMessage("bytes after the forms")
    return frames[public], frames[moderated], members
