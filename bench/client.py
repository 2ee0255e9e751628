"""A light Socket.IO client for load generation: Engine.IO 4 / Socket.IO 5 over a bare websocket.

One simulated participant costs one ``asyncio.Protocol`` (``bench/websocket.py``) and no
task: a frame is parsed where it arrives, in ``data_received``, and handed on
synchronously. Packets are told apart by their first bytes, and only events someone
listens to are looked at: ``on`` parses an event's payload, ``on_packet`` hands over the
raw packet for a workload that can find what it needs without parsing it all; the other
events are just counted. That keeps 1,000–2,000 participants in one process beside the
server at a few microseconds of CPU per message.

The packets used (websocket transport only, default namespace)::

    server  0{"sid":…,"pingInterval":…}    Engine.IO open
    client  40{"token":…}                  Socket.IO connect with auth
    server  40{"sid":…} | 44{"message":…}  connected | refused
    server  2  →  client 3                 Engine.IO ping / pong
    client  42N["name",payload]            event with acknowledgement id N
    server  43N[ack]                       the acknowledgement
    server  42["name",payload]             an event pushed by the server
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from bench.websocket import HandshakeError, WebSocket

try:  # orjson is in the `bench` extra; the standard library does the same, more slowly
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)

    loads: Callable[[str | bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    import json

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    loads = json.loads

Handler = Callable[[Any, float], None]
"""Called with an event's payload and the ``time.perf_counter()`` of its arrival."""

PacketHandler = Callable[[bytes, float], None]
"""Called with the whole Socket.IO packet, ``42["name",payload]`` as UTF-8 bytes, and its arrival time."""

PONG = b"3"


class ClientError(Exception):
    """The connection was refused, lost, or an acknowledgement did not come in time."""


class Refused(ClientError):
    def __init__(self, data: Any) -> None:
        super().__init__(f"connection refused: {data}")
        self.data = data


class SioClient:
    """One simulated participant."""

    def __init__(self, base: str, *, compress: bool = False) -> None:
        self.url = base.rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self.compress = compress
        self.sid: str | None = None
        self.unhandled: dict[str, int] = {}  # events nobody listens to, by name
        self.pings = 0
        self.closed = False
        self._handlers: dict[bytes, PacketHandler] = {}  # by the event's name as it is on the wire
        self._socket = WebSocket(self._packet, self._lost)
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_ack = 0
        self._opened: asyncio.Future[None] | None = None
        self._connected: asyncio.Future[Any] | None = None

    @property
    def compressed(self) -> bool:
        """Whether the server accepted per-message compression."""
        return self._socket.compressed

    def on(self, event: str, handler: Handler) -> None:
        """Parse and hand over ``event`` as it arrives (synchronously, where it is read)."""

        def parsed(packet: bytes, now: float) -> None:
            handler(loads(packet[2:])[1], now)

        self._handlers[event.encode()] = parsed

    def on_packet(self, event: str, handler: PacketHandler) -> None:
        """Hand over ``event`` unparsed, as the packet's bytes: for a handler that finds what it
        needs more cheaply than a full parse (the fan-out workload's, tens of thousands per second)."""
        self._handlers[event.encode()] = handler

    async def connect(self, auth: dict[str, Any], *, wait_s: float = 30) -> dict[str, Any]:
        """Open the websocket, read the Engine.IO open packet, connect with ``auth``."""
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        self._connected = loop.create_future()
        async with asyncio.timeout(wait_s):
            try:
                await self._socket.open(self.url, compress=self.compress)
            except (OSError, HandshakeError) as exc:
                self._socket.abort()
                raise ClientError(f"websocket connect failed: {exc}") from exc
            await self._opened
            self._send("40" + dumps(auth).decode())
            return await self._connected

    async def emit(self, event: str, payload: Any) -> None:
        """Send an event without asking for an acknowledgement."""
        self.send(event, payload)

    def send(self, event: str, payload: Any) -> None:
        """``emit`` without a coroutine: for a workload that sends thousands a second from one loop."""
        self._send("42" + dumps([event, payload]).decode())

    async def call(self, event: str, payload: Any = None, *, wait_s: float = 30) -> Any:
        """Send an event and wait for its acknowledgement (the first ack argument)."""
        self._next_ack += 1
        ack_id = self._next_ack
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        try:
            self._send(f"42{ack_id}" + dumps([event, {} if payload is None else payload]).decode())
            return await asyncio.wait_for(future, wait_s)
        except TimeoutError:
            raise ClientError(f"no acknowledgement of {event} within {wait_s} s") from None
        finally:
            self._acks.pop(ack_id, None)

    async def close(self) -> None:
        """Disconnect from the namespace and close the websocket (also after a failed connect)."""
        if not self.closed:
            self._socket.send_text(b"41")
        await self._socket.close()
        self._lost("closed by the client")

    # -- sending and receiving ---------------------------------------------------------------

    def _send(self, text: str) -> None:
        if self.closed or not self._socket.send_text(text.encode()):
            raise ClientError("not connected")

    def _packet(self, data: bytes, now: float) -> None:
        """One Engine.IO packet (a websocket text message); the hot path is the first branch."""
        if data.startswith(b'42["'):  # an event without acknowledgement id
            name = data[4 : data.find(b'"', 4)]
            handler = self._handlers.get(name)
            if handler is not None:
                handler(data, now)
            else:
                key = name.decode()
                self.unhandled[key] = self.unhandled.get(key, 0) + 1
            return
        kind = data[:2]
        if data == b"2":
            self.pings += 1
            self._socket.send_text(PONG)  # a failed pong shows as a closed connection
        elif kind == b"43":
            start = data.index(b"[")
            future = self._acks.get(int(data[2:start]))
            if future is not None and not future.done():
                args = loads(data[start:])
                future.set_result(args[0] if args else None)
        elif kind == b"40":
            if self._connected is not None and not self._connected.done():
                self._connected.set_result(loads(data[2:]) if len(data) > 2 else {})
        elif kind == b"44":
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(Refused(loads(data[2:]) if len(data) > 2 else None))
        elif kind[:1] == b"0":
            self._open(data)
        elif kind == b"41" or kind[:1] == b"1":
            asyncio.ensure_future(self._socket.close())  # noqa: RUF006 - the end shows as a closed connection

    def _open(self, data: bytes) -> None:
        """The Engine.IO open packet, the first one of a connection."""
        if self._opened is None or self._opened.done():
            return
        try:
            self.sid = loads(data[1:])["sid"]
        except (ValueError, KeyError, TypeError):
            self._opened.set_exception(ClientError(f"no Engine.IO open packet: {data[:200]!r}"))
            return
        self._opened.set_result(None)

    def _lost(self, why: str) -> None:
        self.closed = True
        error = ClientError(why)
        for future in (self._opened, self._connected, *self._acks.values()):
            if future is not None and not future.done():
                future.set_exception(error)


def http_session() -> aiohttp.ClientSession:
    """One session for every participant's HTTP requests (``POST /api/join``): no cap on
    connections, no cookies shared. The websockets do not go through it."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=False),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def join(
    http: aiohttp.ClientSession, base: str, link: str, pseudonym: str, colour: str = "blue"
) -> dict[str, Any]:
    """``POST /api/join``: a member token for ``link`` (raises ClientError when refused)."""
    token = link.rstrip("/").rsplit("/", 1)[-1]
    try:
        async with http.post(
            f"{base}/api/join", json={"link": token, "pseudonym": pseudonym, "colour": colour}
        ) as response:
            text = await response.text()
            if response.status != 201:
                raise ClientError(f"join refused ({response.status}): {text[:200]}")
            return loads(text)
    except aiohttp.ClientError as exc:
        raise ClientError(f"join failed: {exc!r}") from exc


async def join_and_connect(
    http: aiohttp.ClientSession, base: str, link: str, pseudonym: str, *, compress: bool = False, wait_s: float = 30
) -> tuple[SioClient, dict[str, Any]]:
    """Join with ``link`` and connect as the new member; returns the client and the join answer."""
    member = await join(http, base, link, pseudonym)
    client = SioClient(base, compress=compress)
    await client.connect({"token": member["token"]}, wait_s=wait_s)
    return client, member


async def gather_limited(factories: list[Callable[[], Any]], limit: int) -> list[Any]:
    """Run coroutine factories with at most ``limit`` at once; results (or exceptions) in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Any]) -> Any:
        async with semaphore:
            return await factory()

    return await asyncio.gather(*(one(f) for f in factories), return_exceptions=True)
