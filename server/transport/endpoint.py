"""The Socket.IO endpoint: Engine.IO 4 and Socket.IO 5 over websockets, and nothing more.

werkstatt speaks to browsers (socket.io-client) and programs (python-socketio's client)
through the websocket transport, in the default namespace, with text packets: events with
acknowledgements from the client, events from the server. That is all this module speaks,
and it speaks it cheaply, because a node holds thousands of connections:

- aiohttp answers the upgrade request, then a ``Socket`` (an ``asyncio.Protocol``, see
  ``server.transport.websocket``) takes the connection over: no task, request or aiohttp handler per
  open connection, only the transport and the socket (about 2 KB);
- no send queue and no writer task: every packet is written synchronously and whole to the
  connection's transport, which queues what the socket cannot take yet;
- one timer for all connections sends Engine.IO's pings and drops those that stopped
  answering, instead of a timer per connection;
- channels (a room, a member's tabs, the moderators) are dicts of sockets that the fan-out
  walks directly.

python-socketio's server kept per connection a queue, a writer task and a task per read
(about 40 KB for an idle connection) and spent about 60 µs per delivery; see
docs/benchmarks.md. Its client is still what the tests connect with.

Packets (``docs/protocol.md`` has the whole protocol)::

    server  0{"sid":…,"upgrades":[],"pingInterval":…,"pingTimeout":…,"maxPayload":…}   Engine.IO open
    client  40{"token":…}       Socket.IO connect (auth)    server  40{"sid":…} | 44{"message":…,"data":…}
    server  2                   ping                        client  3  pong
    client  42N["name",{…}]     event, acknowledgement N    server  43N[{…}]
    server  42["name",{…}]      event                       client  41  leaving
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from wsproto.connection import Connection

from server.transport import jsoncodec
from server.transport.websocket import (
    CLOSE_TIMEOUT,
    GOING_AWAY,
    POLICY_VIOLATION,
    HandshakeError,
    SendBudget,
    Switched,
    WebSocketProtocol,
    frame,
    handshake,
    take_over,
)

log = logging.getLogger("werkstatt.realtime")

NAMESPACE = "/"

# The Engine.IO packet types a client sends, by their first character (numbered as in
# python-engineio's packet.py; tests/test_packets.py holds them side by side)
EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE, EIO_UPGRADE, EIO_NOOP = "1", "2", "3", "4", "5", "6"


class Refused(Exception):
    """Raised by the connect handler: the client gets ``connect_error`` with ``data``."""

    def __init__(self, message: str, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


# (sid, the cookies of the upgrade request, the connect packet's auth)
ConnectHandler = Callable[[str, Mapping[str, str], Any], Awaitable[None]]
DisconnectHandler = Callable[[str], Awaitable[None]]
EventHandler = Callable[[str, str, list[Any]], Awaitable[Any]]
ImmediateHandler = Callable[[str, str, list[Any]], bool]


class Socket(WebSocketProtocol):
    """One open connection: its websocket, and where it stands in Socket.IO."""

    __slots__ = ("channels", "connected", "connecting", "cookies", "opened", "pong_due", "server", "sid")

    def __init__(self, server: RealtimeServer, sid: str, cookies: Mapping[str, str], connection: Connection) -> None:
        super().__init__(connection, server.max_message_bytes, server.send_buffer_limit, server.budget)
        self.server = server
        self.sid = sid
        self.connected = False  # the Socket.IO connect was accepted
        self.pong_due: float | None = None  # loop time by which the outstanding ping must be answered
        # the channels it is in: two to four, so a list (88 bytes for four, a set takes 216 for one), of
        # names shared by every socket in the channel (``RealtimeServer.join``)
        self.channels: list[str] = []
        self.cookies: Mapping[str, str] | None = cookies  # until the connect packet is handled
        self.connecting: asyncio.Task[None] | None = None
        self.opened = asyncio.get_running_loop().time()

    def on_text(self, message: str) -> None:
        self.server._message(self, message)

    def on_lost(self) -> None:
        self.server._lost(self)


class RealtimeServer:
    def __init__(
        self,
        *,
        origin_allowed: Callable[[web.Request, str], bool],
        max_message_bytes: int,
        send_buffer_limit: int,
        send_buffer_total: int = 64 * 1024 * 1024,
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        path: str = "/socket.io/",
        connect_timeout: float = 45.0,
        connecting_limit: float = 30.0,
    ) -> None:
        self.on_connect: ConnectHandler | None = None  # set by ``bind`` once the store is open
        self.on_disconnect: DisconnectHandler | None = None
        self.on_event: EventHandler | None = None
        self.on_event_now: ImmediateHandler | None = None
        # called with a channel's name when its last connection on this node left it, however it left
        # (a fan-out across nodes stops listening to it then: ``server.transport.redisfanout``)
        self.on_channel_closed: Callable[[str], None] | None = None
        self.origin_allowed = origin_allowed
        self.max_message_bytes = max_message_bytes
        self.send_buffer_limit = send_buffer_limit
        self.budget = SendBudget(send_buffer_total)
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.path = path
        self.connect_timeout = connect_timeout  # to send the connect packet (socket.io's connectTimeout)
        self.connecting_limit = connecting_limit  # for the connect handler, before the connection is dropped
        self.sockets: dict[str, Socket] = {}
        self.channels: dict[str, dict[str, Socket]] = {}
        self._pinger: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # connects, events and disconnects under way
        self._emptied: asyncio.Event | None = None  # set when the last connection is gone, while shutting down
        self._open = b"0" + jsoncodec.dumpb(
            {
                "sid": "",
                "upgrades": [],
                "pingInterval": int(ping_interval * 1000),
                "pingTimeout": int(ping_timeout * 1000),
                "maxPayload": max_message_bytes,
            }
        )

    def bind(
        self,
        on_connect: ConnectHandler,
        on_disconnect: DisconnectHandler,
        on_event: EventHandler,
        on_event_now: ImmediateHandler | None = None,
    ) -> None:
        """What to call when a client connects, leaves, or sends an event. ``on_event_now``, when given, is
        offered each event sent without an acknowledgement id first, where it is read: True when it handled it
        (no task is spawned for it; see ``Gateway.event_now``)."""
        self.on_connect, self.on_disconnect, self.on_event = on_connect, on_disconnect, on_event
        self.on_event_now = on_event_now

    def attach(self, app: web.Application) -> None:
        app.router.add_get(self.path, self.handle)
        app.on_shutdown.append(self._shutdown)

    # -- channels ----------------------------------------------------------------------------

    def join(self, sid: str, channel: str) -> None:
        socket = self.sockets.get(sid)
        if socket is not None and channel not in socket.channels:
            channel = sys.intern(channel)  # one string for a room's name, not one per socket in the room
            self.channels.setdefault(channel, {})[sid] = socket
            socket.channels.append(channel)

    def leave(self, sid: str, channel: str) -> None:
        socket = self.sockets.get(sid)
        if socket is not None:
            if channel in socket.channels:
                socket.channels.remove(channel)
            members = self.channels.get(channel)
            if members is not None:
                members.pop(sid, None)
                if not members:
                    self._close_channel(channel)

    def members(self, channel: str) -> list[Socket]:
        """The sockets in a channel (a copy: writing to one may drop it)."""
        return list(self.channels.get(channel, {}).values())

    def send(self, socket: Socket, data: bytes) -> bool:
        """Write one prepared frame; False (and the socket dropped) when it stopped reading."""
        try:
            if socket.send(data):
                return True
        except Exception:  # one broken socket must not keep a message from the others
            log.exception("writing to %s failed", socket.sid)
            socket.abort()  # not a connection that misses messages silently: it reconnects and resyncs
        self._leave_channels(socket)
        return False

    async def disconnect(self, sid: str) -> None:
        """Close a connection from the server's side (the client does not reconnect by itself)."""
        socket = self.sockets.get(sid)
        if socket is not None:
            if socket.connected:
                self.send(socket, frame(b"41"))
            socket.close()
            self._leave_channels(socket)  # nothing more is sent to it (RFC 6455: no data after the close)

    def _leave_channels(self, socket: Socket) -> None:
        for channel in socket.channels:
            members = self.channels.get(channel)
            if members is not None:
                members.pop(socket.sid, None)
                if not members:
                    self._close_channel(channel)
        socket.channels.clear()

    def _close_channel(self, channel: str) -> None:
        del self.channels[channel]
        if self.on_channel_closed is not None:
            self.on_channel_closed(channel)

    # -- opening a connection ------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.on_connect is None:
            return web.json_response({"code": 3, "message": "The server is starting."}, status=503)
        query = request.query
        if query.get("EIO") != "4":
            return _bad_request(5, "Unsupported protocol version")
        if query.get("transport") != "websocket" or "sid" in query:
            return _bad_request(0, "Transport unknown")
        origin = request.headers.get("Origin")
        if origin is not None and not self.origin_allowed(request, origin):
            return _bad_request(4, "Not an accepted origin.")
        try:
            switching, connection = handshake(request)
        except HandshakeError as exc:
            return _bad_request(3, str(exc), exc.status, exc.headers)
        transport = request.transport
        if transport is None or transport.is_closing():
            return _bad_request(3, "The connection is gone.")
        socket = Socket(self, secrets.token_urlsafe(15), dict(request.cookies), connection)
        transport.write(switching)
        early = take_over(request, socket)
        self.sockets[socket.sid] = socket
        self._start_pinger()
        self.send(socket, frame(self._open.replace(b'"sid":""', b'"sid":"' + socket.sid.encode() + b'"', 1)))
        if early:
            socket.data_received(early)
        return Switched()

    # -- packets -------------------------------------------------------------------------------

    def _message(self, socket: Socket, data: str) -> None:
        """One Engine.IO packet from a client (a websocket text message)."""
        kind = data[:1]
        if kind == EIO_MESSAGE:
            if not self._packet(socket, data[1:]):
                socket.fail(POLICY_VIOLATION, "malformed packet")
        elif kind == EIO_PONG:
            socket.pong_due = None
        elif kind == EIO_CLOSE:
            socket.close()
        elif kind == EIO_PING:  # a ping from the client (Engine.IO 3 style): answer it
            self.send(socket, frame(EIO_PONG.encode() + data[1:].encode()))
        elif kind not in (EIO_UPGRADE, EIO_NOOP):  # they mean nothing on a websocket
            socket.fail(POLICY_VIOLATION, "malformed packet")

    def _packet(self, socket: Socket, packet: str) -> bool:
        """Handle one Socket.IO packet; False when it is malformed (the connection is closed)."""
        kind, namespace, rest = split_packet(packet)
        if namespace != NAMESPACE:
            if kind == "0":
                self.send(socket, _connect_error(namespace, "Invalid namespace", None))
            return True
        if kind == "2":
            return self._event(socket, rest)
        if kind == "0":
            return self._connect(socket, rest)
        if kind == "1":
            socket.close()
            return True
        return kind == "3"  # acknowledgements from the client: the server asks for none

    def _connect(self, socket: Socket, rest: str) -> bool:
        if socket.connected or socket.connecting is not None:
            return True
        parsed = parse_connect(rest)
        if parsed is None:
            return False
        (auth,) = parsed
        # What the client sends next waits until it is connected.
        socket.hold()
        socket.connecting = self._spawn(self._connecting(socket, auth))
        return True

    async def _connecting(self, socket: Socket, auth: Any) -> None:
        assert self.on_connect is not None
        cookies = socket.cookies or {}
        try:
            try:
                async with asyncio.timeout(self.connecting_limit):
                    await self.on_connect(socket.sid, cookies, auth)
            except Refused as refused:
                self.send(socket, _connect_error(NAMESPACE, refused.message, refused.data))
                return
            except TimeoutError:
                log.warning("connecting %s took more than %g s; dropped", socket.sid, self.connecting_limit)
                socket.abort()
                return
            except Exception:
                # Not a refusal: drop the transport, so that the client reconnects with its backoff (a
                # connect_error would make socket.io-client give up until the page is reloaded).
                log.exception("connecting %s failed", socket.sid)
                socket.abort()
                return
            # connected even if the client went away meanwhile: its disconnect then undoes the connect.
            # No await since the handler joined the channels: nothing was sent to them in between.
            socket.connected = True
            socket.cookies = None  # kept until now for a retry after a refusal
            self.send(socket, frame(b"40" + jsoncodec.dumpb({"sid": socket.sid})))
        finally:
            socket.connecting = None
            socket.release()  # what the client sent meanwhile is read now

    def _event(self, socket: Socket, rest: str) -> bool:
        event = parse_event(rest)
        if event is None:
            return False
        ack_id, data = event
        if socket.connected:  # an event before the connect: nobody to answer
            if ack_id is None and self.on_event_now is not None:
                try:
                    if self.on_event_now(socket.sid, data[0], data[1:]):
                        return True
                except Exception:
                    log.exception("event %s from %s failed", data[0][:60], socket.sid)
                    return True
            self._spawn(self._handle_event(socket, data[0], data[1:], ack_id))
        return True

    async def _handle_event(self, socket: Socket, name: str, args: list[Any], ack_id: int | None) -> None:
        """Events run concurrently (one slow event does not hold up the client's next ones)."""
        assert self.on_event is not None
        try:
            result = await self.on_event(socket.sid, name, args)
        except Exception:
            log.exception("event %s from %s failed", name[:60], socket.sid)
            return
        if ack_id is not None and socket.connected:
            self.send(socket, frame(b"43" + str(ack_id).encode() + jsoncodec.dumpb([result])))

    # -- the end of a connection ---------------------------------------------------------------

    def _lost(self, socket: Socket) -> None:
        if self.sockets.pop(socket.sid, None) is None:
            return
        self._leave_channels(socket)
        self._spawn(self._gone(socket))
        if not self.sockets and self._emptied is not None:
            self._emptied.set()

    async def _gone(self, socket: Socket) -> None:
        if socket.connecting is not None:  # the disconnect undoes the connect, once it is done
            await asyncio.wait([socket.connecting])  # (it joins no channel any more: ``join`` looks the sid up)
        if socket.connected and self.on_disconnect is not None:
            socket.connected = False
            try:
                await self.on_disconnect(socket.sid)
            except Exception:
                log.exception("disconnecting %s failed", socket.sid)

    def _spawn(self, work: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- pings and shutting down ---------------------------------------------------------------

    def _start_pinger(self) -> None:
        if self._pinger is None or self._pinger.done():
            self._pinger = asyncio.get_running_loop().create_task(self._ping_all())

    async def _ping_all(self) -> None:
        """Every ``ping_interval``: drop whoever did not answer the last ping in time, ping the rest."""
        ping = frame(b"2")
        loop = asyncio.get_running_loop()
        while self.sockets:
            await asyncio.sleep(self.ping_interval)
            now = loop.time()
            for socket in list(self.sockets.values()):
                if not socket.connected and socket.connecting is None and now - socket.opened > self.connect_timeout:
                    socket.close(POLICY_VIOLATION, "no connect packet")  # refused, or never asked
                elif socket.pong_due is None:
                    socket.pong_due = now + self.ping_timeout
                    self.send(socket, ping)
                elif now > socket.pong_due:
                    log.info("closing %s: no answer to the ping", socket.sid)
                    socket.abort()  # it does not read; a close handshake would only wait

    async def _shutdown(self, _app: web.Application) -> None:
        """Close every connection, so that shutting down does not wait for them; clients reconnect.

        Clients answer the close at once; one that does not is dropped after ``CLOSE_TIMEOUT``,
        and whatever is still open at the deadline is dropped then."""
        if self._pinger is not None:
            self._pinger.cancel()
        emptied = self._emptied = asyncio.Event()
        for socket in list(self.sockets.values()):
            socket.close(GOING_AWAY, "server shutdown")
        if self.sockets and not await _within(emptied, CLOSE_TIMEOUT + 1):
            for socket in list(self.sockets.values()):
                socket.abort()
            await _within(emptied, 1)  # their connection_lost
        if self._tasks:  # disconnects (and events) under way
            await asyncio.wait(list(self._tasks), timeout=5)


async def _within(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` is set within ``seconds``."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()


def split_packet(packet: str) -> tuple[str, str, str]:
    """A Socket.IO packet's type, namespace and what follows, split as python-socketio's
    ``Packet.decode`` splits them (a namespace's query is not part of it)."""
    kind, rest = packet[:1], packet[1:]
    namespace = NAMESPACE
    if rest.startswith("/"):
        namespace, _, rest = rest.partition(",")
        namespace = namespace.partition("?")[0]
    return kind, namespace, rest


def parse_connect(rest: str) -> tuple[Any] | None:
    """A connect packet's auth (after its type and namespace), in a 1-tuple; None when malformed."""
    if not rest:
        return (None,)
    try:
        return (jsoncodec.loads(rest),)
    except ValueError:
        return None


def parse_event(rest: str) -> tuple[int | None, list[Any]] | None:
    """A Socket.IO event packet after its type (and namespace): its acknowledgement id and
    ``[name, *args]``, or None when it is malformed.

    Parses as python-socketio's ``Packet.decode`` does (tests/test_packets.py holds them
    side by side), and refuses more: ids of more than 15 ASCII digits, JSON that is not an
    array starting with the event's name, and what orjson refuses (NaN, integers past 64 bits)."""
    digits = 0
    while digits < len(rest) and "0" <= rest[digits] <= "9":  # ASCII digits only ("²" is a digit too)
        digits += 1
    if digits > 15:
        return None
    try:
        data = jsoncodec.loads(rest[digits:])
    except ValueError:
        return None
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        return None
    return (int(rest[:digits]) if digits else None), data


def event_frame(event: str, data: Any) -> bytes:
    """One websocket text frame carrying the Socket.IO event packet ``42[event, data]``."""
    return frame(b"42" + jsoncodec.dumpb([event, data]))


def _connect_error(namespace: str, message: str, data: Any) -> bytes:
    prefix = b"44" if namespace == NAMESPACE else b"44" + namespace.encode() + b","
    body: dict[str, Any] = {"message": message}
    if data is not None:
        body["data"] = data
    return frame(prefix + jsoncodec.dumpb(body))


def _bad_request(code: int, message: str, status: int = 400, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status, headers=headers)
