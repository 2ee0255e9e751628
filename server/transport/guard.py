"""Connections as they arrive: how many may be open, and how long a request may take to arrive.

aiohttp reads a request for as long as its client takes: a client that sends a request's
headers or body a byte every few seconds (slowloris) holds its connection, and thousands of
them hold the node. Here every connection passes a small protocol in front of aiohttp's:

    ConnectionGuard     one per node: the limits, and the connections open, in total and per
                        address (an IPv6 client counts in its /64, /56 and /48, server.ratelimit)
    GuardedConnection   one per connection, an ``asyncio.Protocol`` that forwards to aiohttp's
                        request handler and, once a websocket takes the connection over
                        (``hand_over``), to the websocket's protocol
    GuardedRunner       an ``AppRunner`` whose sites open their connections through the guard

The request deadline: from the moment a connection opens, the client has ``request_timeout_s``
to send its first request whole, headers and body, and from the first byte of each later
request on the connection as long for that one; a connection still short of it then is
aborted. So a connection that never sends a byte holds its place no longer than one that
trickles. The deadline is disarmed when the request's body has arrived (``request_read``,
told by the outermost middleware), so a slow handler or a slow response never counts against
it. An idle keep-alive connection, between two requests, is closed by aiohttp after
``keepalive_timeout_s`` (``GuardedRunner`` hands it to aiohttp, whose own default is an hour).
A websocket has neither: Socket.IO closes one that never connects (server.transport.endpoint), and
pings the others.

The caps: a connection over ``max_connections`` (node) or ``max_connections_per_address``
(for an IPv6 client also 4 times that for its /56 and 16 times for its /48,
``server.ratelimit.NETWORK_SHARES``) is not handed to aiohttp at all. Its first bytes (the
request) are answered with a raw ``503`` (node full) or ``429`` (this address has too many),
``Retry-After`` and a close;
read first, because closing a socket with unread data sends a reset that can destroy the
answer on its way. A refused client that sends nothing is dropped after ``REFUSAL_GRACE_S``,
and while ``REFUSING_MAX`` refused connections wait, further ones are dropped at once.
A websocket counts until it closes, whether or not it ever connected to Socket.IO.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web

from server.ratelimit import address_keys
from server.settings import Settings

log = logging.getLogger("werkstatt.connections")

REFUSAL_GRACE_S = 1.0  # a refused client has this long to send its request and read the answer
REFUSING_MAX = 256  # refused connections waiting for their request at once; beyond, dropped at once
RETRY_AFTER_S = 5
WARN_EVERY_S = 60.0  # a cap reached is logged at most this often

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refusal(status: int, reason: str, text: str) -> bytes:
    body = text.encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: {RETRY_AFTER_S}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


NODE_FULL = _refusal(503, "Service Unavailable", "The server has too many open connections. Try again shortly.\n")
ADDRESS_FULL = _refusal(429, "Too Many Requests", "Too many open connections from your address. Try again shortly.\n")


class ConnectionGuard:
    """The limits of one node and the connections open on it."""

    def __init__(
        self,
        *,
        request_timeout_s: float,
        max_connections: int,
        max_connections_per_address: int,
        keepalive_timeout_s: float = 30.0,
    ) -> None:
        self.request_timeout_s = request_timeout_s
        self.keepalive_timeout_s = keepalive_timeout_s
        self.max_connections = max_connections  # 0: no cap
        self.max_connections_per_address = max_connections_per_address  # 0: no cap
        self.open = 0
        self.per_address: dict[str, int] = {}  # by each key of ``address_keys``
        self.refusing = 0  # refused connections not closed yet
        self._warned = -WARN_EVERY_S

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionGuard:
        return cls(
            request_timeout_s=settings.request_timeout_s,
            max_connections=settings.max_connections,
            max_connections_per_address=settings.max_connections_per_address,
            keepalive_timeout_s=settings.keepalive_timeout_s,
        )

    def attach(self, app: web.Application) -> None:
        """Disarm each request's deadline when its body has arrived: the outermost middleware,
        so that no other middleware's answer (a refused host, a CSRF failure) can skip it."""
        app.middlewares.insert(0, request_read)

    def open_from(self, address: str) -> int:
        return self.per_address.get(address_keys(address)[0][0], 0)

    def admit(self, keys: tuple[tuple[str, int], ...]) -> bytes | None:
        """Count a new connection from the address with these ``address_keys`` in, or the answer
        that refuses it."""
        if self.max_connections and self.open >= self.max_connections:
            self._warn("%d connections open on the node (max_connections): new ones are refused", self.open)
            return NODE_FULL
        cap = self.max_connections_per_address
        per_address = self.per_address
        if cap:
            for key, share in keys:
                count = per_address.get(key, 0)
                if count >= cap * share:
                    self._warn(
                        "%d connections open from %s (max_connections_per_address): new ones are refused", count, key
                    )
                    return ADDRESS_FULL
        self.open += 1
        for key, _share in keys:
            per_address[key] = per_address.get(key, 0) + 1
        return None

    def release(self, keys: tuple[tuple[str, int], ...]) -> None:
        self.open -= 1
        per_address = self.per_address
        for key, _share in keys:
            count = per_address[key] - 1
            if count:
                per_address[key] = count
            else:
                del per_address[key]

    def _warn(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_S:
            self._warned = now
            log.warning(message, *args)


class GuardedConnection(asyncio.Protocol):
    """One connection: counted, its requests under the deadline, forwarded to ``_inner``."""

    __slots__ = ("_address", "_deadline", "_factory", "_guard", "_inner", "_refusal", "_taken_over", "_transport")

    def __init__(self, guard: ConnectionGuard, factory: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._factory = factory
        self._inner: asyncio.Protocol | None = None  # None while refused
        self._transport: asyncio.Transport | None = None
        self._address: tuple[tuple[str, int], ...] | None = None  # its address_keys, while counted
        self._deadline: asyncio.TimerHandle | None = None
        self._refusal: bytes | None = None
        self._taken_over = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        address = address_keys(str(peer[0]) if isinstance(peer, tuple) and peer else "")
        refusal = self._guard.admit(address)
        if refusal is not None:
            self._refuse(refusal)
            return
        self._address = address
        # the first request's deadline runs from now: a client that connects and sends nothing
        # holds its connection no longer than one that sends a byte now and then
        self._deadline = asyncio.get_running_loop().call_later(self._guard.request_timeout_s, self._expire)
        self._inner = self._factory()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        inner = self._inner
        if inner is None:
            self._answer_refusal()
            return
        if self._deadline is None and not self._taken_over:  # the first byte of a later request
            self._deadline = asyncio.get_running_loop().call_later(self._guard.request_timeout_s, self._expire)
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self._inner is None:
            return None  # the transport closes
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._address is not None:
            self._guard.release(self._address)
            self._address = None
        elif self._inner is None:  # refused
            self._guard.refusing -= 1
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def request_read(self) -> None:
        """The request in progress has arrived whole (headers and body): no deadline until the next."""
        self._disarm()

    def hand_over(self, protocol: asyncio.Protocol) -> None:
        """From now on the connection is ``protocol``'s (a websocket): forwarded to it, counted
        until it closes, with no request deadline (server.transport.websocket.take_over calls this)."""
        self._taken_over = True
        self._disarm()
        self._inner = protocol

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        log.debug("a request took longer than %s s to arrive: connection closed", self._guard.request_timeout_s)
        assert self._transport is not None
        self._transport.abort()

    def _refuse(self, refusal: bytes) -> None:
        guard = self._guard
        guard.refusing += 1
        assert self._transport is not None
        if guard.refusing > REFUSING_MAX:
            self._transport.abort()
            return
        self._refusal = refusal
        self._deadline = asyncio.get_running_loop().call_later(REFUSAL_GRACE_S, self._transport.abort)

    def _answer_refusal(self) -> None:
        """The refused client's request has come: answer it (once) and close."""
        if not self._refusal or self._transport is None:
            return
        self._transport.write(self._refusal)
        self._refusal = b""  # answered
        self._transport.close()


@web.middleware
async def request_read(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tell the connection when the request's body has arrived (at once for a request without one)."""
    transport = request.transport
    connection = transport.get_protocol() if transport is not None else None
    if not isinstance(connection, GuardedConnection):
        return await handler(request)
    request.content.on_eof(connection.request_read)
    try:
        return await handler(request)
    except ConnectionResetError:
        if request.transport is None:  # the connection is gone (its deadline passed, or the client left)
            return web.Response(status=408)  # not sent: aiohttp drops it quietly instead of logging an error
        raise


class GuardedServer:
    """aiohttp's ``web.Server`` as the sites see it: called (as the protocol factory of
    ``loop.create_server``), it makes a guarded connection around aiohttp's request handler;
    everything else (``connections``, ``shutdown`` …) is the server's own."""

    __slots__ = ("guard", "server")

    def __init__(self, guard: ConnectionGuard, server: web.Server) -> None:
        self.guard = guard
        self.server = server

    def __call__(self) -> GuardedConnection:
        return GuardedConnection(self.guard, self.server)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)


class GuardedRunner(web.AppRunner):
    """An ``AppRunner`` whose sites open every connection through ``guard``.

    A site (``TCPSite``, ``SockSite`` …) creates its connections with ``runner.server`` as the
    protocol factory; here that is aiohttp's server behind a ``GuardedServer``, while setting
    up, shutting down and cleaning up work on aiohttp's server itself. aiohttp closes a
    keep-alive connection idle for the guard's ``keepalive_timeout_s`` (unless the caller
    passes its own ``keepalive_timeout``): aiohttp's default of an hour would let idle
    connections fill the caps.
    """

    __slots__ = ("_guard",)

    def __init__(self, app: web.Application, guard: ConnectionGuard, **kwargs: Any) -> None:
        kwargs.setdefault("keepalive_timeout", guard.keepalive_timeout_s)  # aiohttp's own default: 3630 s
        super().__init__(app, **kwargs)
        self._guard = guard

    @property
    def server(self) -> web.Server | None:
        inner = super().server
        if inner is None:
            return None
        return cast(web.Server, GuardedServer(self._guard, inner))
