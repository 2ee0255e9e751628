"""A light Socket.IO client for load generation: Engine.IO 4 / Socket.IO 5 over aiohttp websockets.

One simulated participant costs one websocket and one reader task; a frame is handled
synchronously as it arrives, with no task per message. Frames are told apart by their
first characters, and only events someone listens to are parsed (``on``); the others
are just counted. That keeps 1,000–2,000 participants in one process beside the server.

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
import time
from collections.abc import Callable
from typing import Any

import aiohttp

try:  # orjson is in the `bench` extra; the standard library does the same, more slowly
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

    loads: Callable[[str | bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    import json

    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    loads = json.loads

_ENDED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)

Handler = Callable[[Any, float], None]
"""Called with an event's payload and the ``time.perf_counter()`` of its arrival."""


class ClientError(Exception):
    """The connection was refused, lost, or an acknowledgement did not come in time."""


class Refused(ClientError):
    def __init__(self, data: Any) -> None:
        super().__init__(f"connection refused: {data}")
        self.data = data


class SioClient:
    """One simulated participant."""

    def __init__(self, http: aiohttp.ClientSession, base: str, *, compress: bool = False) -> None:
        self.http = http
        self.url = base.rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self.compress = compress
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.sid: str | None = None
        self.handlers: dict[str, Handler] = {}
        self.unhandled: dict[str, int] = {}  # events nobody listens to, by name
        self.pings = 0
        self.closed = False
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_ack = 0
        self._connected: asyncio.Future[Any] | None = None
        self._reader: asyncio.Task[None] | None = None

    def on(self, event: str, handler: Handler) -> None:
        """Parse and hand over ``event`` as it arrives (synchronously, in the reader)."""
        self.handlers[event] = handler

    async def connect(self, auth: dict[str, Any], *, wait_s: float = 30) -> dict[str, Any]:
        """Open the websocket, read the Engine.IO open packet, connect with ``auth``."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(wait_s):
            self.ws = await self.http.ws_connect(
                self.url, compress=15 if self.compress else 0, autoping=True, max_msg_size=0
            )
            first = await self.ws.receive()
            if first.type is not aiohttp.WSMsgType.TEXT or not first.data.startswith("0"):
                await self.ws.close()
                raise ClientError(f"no Engine.IO open packet: {first.type} {first.data!r}")
            self.sid = loads(first.data[1:])["sid"]
            self._connected = loop.create_future()
            self._reader = asyncio.create_task(self._read())
            await self.ws.send_str("40" + dumps(auth))
            return await self._connected

    async def emit(self, event: str, payload: Any) -> None:
        """Send an event without asking for an acknowledgement."""
        await self._send("42" + dumps([event, payload]))

    async def call(self, event: str, payload: Any = None, *, wait_s: float = 30) -> Any:
        """Send an event and wait for its acknowledgement (the first ack argument)."""
        self._next_ack += 1
        ack_id = self._next_ack
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        try:
            await self._send(f"42{ack_id}" + dumps([event, {} if payload is None else payload]))
            return await asyncio.wait_for(future, wait_s)
        except TimeoutError:
            raise ClientError(f"no acknowledgement of {event} within {wait_s} s") from None
        finally:
            self._acks.pop(ack_id, None)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41")
            except (ConnectionError, RuntimeError):
                pass
            await self.ws.close()
        if self._reader is not None:
            await self._reader

    # -- receiving ---------------------------------------------------------------------------

    async def _send(self, text: str) -> None:
        if self.ws is None or self.closed:
            raise ClientError("not connected")
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError) as exc:
            raise ClientError(f"send failed: {exc}") from exc

    async def _read(self) -> None:
        ws = self.ws
        assert ws is not None
        text = aiohttp.WSMsgType.TEXT
        try:
            while True:
                msg = await ws.receive()
                if msg.type is text:
                    self._frame(msg.data, time.perf_counter())
                elif msg.type in _ENDED:
                    break
        finally:
            self._lost("the connection closed")

    def _frame(self, data: str, now: float) -> None:
        if data.startswith("42"):
            if data[2] == "[":
                end = data.index('"', 4)
                name = data[4:end]
                handler = self.handlers.get(name)
                if handler is None:
                    self.unhandled[name] = self.unhandled.get(name, 0) + 1
                else:
                    handler(loads(data[2:])[1], now)
        elif data.startswith("43"):
            start = data.index("[")
            future = self._acks.get(int(data[2:start]))
            if future is not None and not future.done():
                args = loads(data[start:])
                future.set_result(args[0] if args else None)
        elif data == "2":
            self.pings += 1
            asyncio.ensure_future(self._pong())  # noqa: RUF006 - a failed pong shows as a closed connection
        elif data.startswith("40"):
            if self._connected is not None and not self._connected.done():
                self._connected.set_result(loads(data[2:]) if len(data) > 2 else {})
        elif data.startswith("44"):
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(Refused(loads(data[2:]) if len(data) > 2 else None))
        elif data.startswith(("41", "1")):
            asyncio.ensure_future(self.ws.close())  # type: ignore[union-attr]  # noqa: RUF006

    async def _pong(self) -> None:
        try:
            await self._send("3")
        except ClientError:
            pass

    def _lost(self, why: str) -> None:
        self.closed = True
        error = ClientError(why)
        if self._connected is not None and not self._connected.done():
            self._connected.set_exception(error)
        for future in self._acks.values():
            if not future.done():
                future.set_exception(error)


def http_session() -> aiohttp.ClientSession:
    """One session for all simulated participants: no cap on connections, no cookies shared."""
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
    client = SioClient(http, base, compress=compress)
    await client.connect({"token": member["token"]}, wait_s=wait_s)
    return client, member


async def gather_limited(factories: list[Callable[[], Any]], limit: int) -> list[Any]:
    """Run coroutine factories with at most ``limit`` at once; results (or exceptions) in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Any]) -> Any:
        async with semaphore:
            return await factory()

    return await asyncio.gather(*(one(f) for f in factories), return_exceptions=True)
