"""Websockets (RFC 6455) on a bare transport, framed by wsproto.

aiohttp parses the HTTP request of the upgrade; wsproto (python-hyper's sans-I/O websocket
library) checks it and writes the answer, and then the connection is taken over by a small
``asyncio.Protocol`` (``WebSocketProtocol``) and aiohttp lets go of it. An open connection is
then only its transport, that protocol object and wsproto's ``Connection`` (about 1.7 KB),
where aiohttp's request handler, request, parser and ``WebSocketResponse`` kept about 13 KB
for each of thousands of idle participants (docs/benchmarks.md).

wsproto parses every frame the client sends (RFC 6455: masks, minimal length encodings,
fragments with control frames between them, UTF-8, close codes) and writes the control
frames (pongs and closes). The server's text frames are the one thing written here
(``frame``): a broadcast encodes its frame once and writes the same bytes to every recipient,
which wsproto, whose ``send`` takes a ``str`` and returns a fresh ``bytearray`` per call,
cannot do; tests/integration/test_websocket_frames.py checks ``frame`` against wsproto's parser.

Frames are written whole and synchronously to the transport, which queues what the socket
cannot take yet, so frames never interleave and no task is needed per recipient. A recipient
whose unsent bytes pass a bound (it stopped reading) is dropped, so that it cannot hold
memory or stall the others; its client reconnects and resyncs.

The server takes no extension: per-message compression offered by a browser is declined
(each compressed connection would hold about 200 KB of zlib state).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import struct
from typing import cast

import h11
from aiohttp import web
from wsproto import ConnectionType
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    TextMessage,
)
from wsproto.frame_protocol import CloseReason
from wsproto.handshake import H11Handshake
from wsproto.utilities import RemoteProtocolError

log = logging.getLogger("werkstatt.websocket")

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# close codes
NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED_DATA = 1000, 1001, 1002, 1003
INVALID_TEXT, POLICY_VIOLATION, MESSAGE_TOO_BIG = 1007, 1008, 1009

CLOSE_TIMEOUT = 2.0  # seconds a client has to answer the server's close before it is dropped


class HandshakeError(Exception):
    """The request is not a websocket upgrade this server takes: answered with ``status``
    (400, or 426 with the version spoken for another websocket version) and ``headers``."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def handshake(request: web.BaseRequest) -> tuple[bytes, Connection]:
    """The ``101 Switching Protocols`` answer to a websocket upgrade request, and the
    connection's wsproto state for the frames that follow."""
    if request.method != "GET":
        raise HandshakeError("A websocket opens with GET.")
    key = request.headers.get("Sec-WebSocket-Key", "").strip()
    try:  # wsproto takes any key; RFC 6455 §4.2.1: 16 bytes in base64
        valid = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid and "Sec-WebSocket-Key" in request.headers:
        raise HandshakeError("Invalid Sec-WebSocket-Key.")
    shake = H11Handshake(ConnectionType.SERVER)
    try:
        shake.initiate_upgrade_connection(list(request.raw_headers), request.raw_path)
    except RemoteProtocolError as exc:
        hint = exc.event_hint
        status = hint.status_code if isinstance(hint, RejectConnection) else 400
        headers = {k.decode(): v.decode() for k, v in hint.headers} if isinstance(hint, RejectConnection) else {}
        if status == 426:
            raise HandshakeError(
                "Unsupported websocket version: this server speaks version 13.", 426, headers
            ) from None
        raise HandshakeError(f"Not a websocket upgrade this server takes: {exc}.") from None
    except h11.ProtocolError as exc:
        raise HandshakeError(f"Not a websocket upgrade this server takes: {exc}.") from None
    answer = shake.send(AcceptConnection())  # no extension, no subprotocol
    connection = shake.connection
    assert connection is not None
    return answer, connection


def take_over(request: web.BaseRequest, protocol: asyncio.Protocol) -> bytes:
    """Move the request's connection from aiohttp to ``protocol`` (after the 101 is written).

    aiohttp is told its connection is gone: it stops counting it, reading from it and
    closing it, and frees its request handler once the web handler returns ``Switched()``.
    Returns what the client sent after its request, for ``protocol.data_received`` once the
    caller is ready for it (nothing from a client that waits for the handshake, as it must).

    This reaches into aiohttp's request handler (``_message_tail``, ``transport``,
    ``connection_lost``); pyproject.toml pins aiohttp to the minor versions tested, and
    tests/integration/test_take_over.py fails loudly if those internals change.
    """
    transport = request.transport
    handler = request.protocol
    assert transport is not None
    tail = bytes(getattr(handler, "_message_tail", b""))
    owner = transport.get_protocol()
    hand_over = getattr(owner, "hand_over", None)
    if hand_over is not None:  # a protocol that wraps aiohttp's (server.transport.guard) passes it on
        hand_over(protocol)
    else:
        transport.set_protocol(protocol)
    handler.transport = None  # so that aiohttp does not close it as it lets go
    handler.connection_lost(None)
    protocol.connection_made(transport)
    if not transport.is_reading():
        transport.resume_reading()
    return tail


class Switched(web.StreamResponse):
    """What the web handler returns for a connection taken over: aiohttp writes nothing more."""

    def __init__(self) -> None:
        super().__init__(status=101)
        self.force_close()

    async def prepare(self, request: web.BaseRequest) -> None:
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One unmasked, final frame (a server's frames are not masked), in the shortest length
    encoding (RFC 6455 §5.2)."""
    length = len(payload)
    first = 0x80 | opcode
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def write(transport: asyncio.Transport | None, data: bytes, limit: int) -> bool:
    """Write prepared frames; False (and the connection dropped) when its unsent bytes are past
    ``limit`` or it is closing."""
    if transport is None or transport.is_closing():
        return False
    unsent = transport.get_write_buffer_size()
    if unsent > limit:
        log.warning("dropping a connection that stopped reading (%d bytes unsent)", unsent)
        transport.abort()
        return False
    transport.write(data)
    return True


class SendBudget:
    """What a node lets wait, in all, for connections that fell behind.

    A connection falls behind when its transport holds more than ``BEHIND`` unsent bytes
    (asyncio's ``pause_writing``), and catches up when all is sent (``resume_writing``).
    What waits for connections that fell behind is counted here, as it stood after the last
    write to each (it only shrinks in between, so the count errs on the high side); a write
    that takes the count past ``limit`` drops the connection it went to. Each connection on
    its own is dropped past its ``send_limit``. So a node never holds more than ``limit``,
    plus less than ``BEHIND`` for each connection that keeps up, for its readers."""

    __slots__ = ("dropped", "limit", "unsent")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.unsent = 0  # bytes counted for connections that fell behind
        self.dropped = 0  # connections dropped because the node's limit was reached


BEHIND = 16 * 1024  # unsent bytes past which a connection counts as behind (its transport's high-water mark)


class WebSocketProtocol(asyncio.Protocol):
    """A server's end of one websocket: reads the client's frames and answers its pings and close.

    Subclasses get each text message in ``on_text`` and the end of the connection in
    ``on_lost``; ``hold()`` stops reading (what is buffered waits) until ``release()``.
    Everything is written through ``send``, so that a client that does not read is dropped
    once ``send_limit`` bytes wait for it, whatever it makes the server write.
    """

    __slots__ = (
        "_backlog",
        "_big",
        "_budget",
        "_closing",
        "_held",
        "_parts",
        "_received",
        "_ws",
        "max_message",
        "send_limit",
        "transport",
    )

    def __init__(self, connection: Connection, max_message: int, send_limit: int, budget: SendBudget) -> None:
        self.transport: asyncio.Transport | None = None
        self.max_message = max_message
        self.send_limit = send_limit
        self._budget = budget
        self._backlog = -1  # unsent bytes counted in the budget; -1 while the connection keeps up
        self._big = 0  # the largest frame written since the connection last caught up
        # wsproto's state of the connection, while it holds any: part of a frame or a message, or
        # the closing handshake. Between messages there is none to keep (a new Connection is in the
        # same state), so an idle connection holds no wsproto objects (about 1.7 KB each).
        self._ws: Connection | None = connection
        self._parts: list[str] | None = None  # a text message that came in several frames, so far
        self._received = 0  # bytes of the text message under way
        self._held = False
        self._closing: asyncio.TimerHandle | None = None  # the close was sent: the connection ends by then

    # -- what a subclass handles -----------------------------------------------------------------

    def on_text(self, message: str) -> None:
        raise NotImplementedError

    def on_lost(self) -> None:
        raise NotImplementedError

    # -- asyncio's callbacks -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass, only alike
        self.transport.set_write_buffer_limits(high=BEHIND, low=0)  # caught up when all is sent

    def pause_writing(self) -> None:  # (inside transport.write: ``send`` counts it right after)
        if self._backlog < 0:
            self._backlog = 0

    def resume_writing(self) -> None:
        self._big = 0
        self._uncount()

    def data_received(self, data: bytes) -> None:
        ws = self._wsproto()
        if ws.state in (ConnectionState.OPEN, ConnectionState.LOCAL_CLOSING):
            ws.receive_data(data)  # after the client's close, what it sends is not read
            self._read()

    def eof_received(self) -> bool:
        if self._closing is None:  # the transport closes itself once what is queued is written; a
            # client that does not read cannot keep it open
            self._closing = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.abort)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closing is not None:
            self._closing.cancel()
        self._closing = None
        self._parts = None
        self._uncount()
        self.on_lost()

    # -- writing and closing -----------------------------------------------------------------------

    @property
    def open(self) -> bool:
        """Not closing: data may still be sent (RFC 6455 §5.5.1: none after the close frame)."""
        return self.transport is not None and self._closing is None and not self.transport.is_closing()

    def send(self, data: bytes) -> bool:
        """Write prepared frames; False when the connection is closing, or was dropped because
        ``send_limit`` bytes already waited for it.

        A frame larger than the limit (a big board's snapshot) is let through, and so is up to
        ``send_limit`` more behind it while it is on its way: a slow client that asked for a big
        snapshot is not dropped by the next change, only once it falls ``send_limit`` behind that."""
        if self._closing is not None or not write(self.transport, data, self.send_limit + self._big):
            return False
        if len(data) > self._big:
            self._big = len(data)
        if self._backlog >= 0:
            return self._count()
        return True

    def _count(self) -> bool:
        """Count what waits for this connection (behind) in the node's budget; False, and the
        connection dropped, when that takes the budget past its limit."""
        assert self.transport is not None
        unsent = self.transport.get_write_buffer_size()
        budget = self._budget
        budget.unsent += unsent - self._backlog
        self._backlog = unsent
        if budget.unsent <= budget.limit:
            return True
        log.warning("dropping a connection that fell behind: the node's send budget is spent (%d bytes)", budget.unsent)
        budget.dropped += 1
        self._uncount()
        self.transport.abort()
        return False

    def _uncount(self) -> None:
        if self._backlog > 0:
            self._budget.unsent -= self._backlog
        self._backlog = -1

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Send a close frame; the client answers with its own and the connection ends, or is
        dropped after ``CLOSE_TIMEOUT``."""
        if self.open and self._wsproto().state is ConnectionState.OPEN:
            self._end(self._wsproto().send(CloseConnection(code, reason)), wait_for_answer=not self._held)

    def fail(self, code: int, reason: str) -> None:
        """End a connection that broke the protocol: a close frame, and the connection at once."""
        if self.open and self._wsproto().state is ConnectionState.OPEN:
            self._end(self._wsproto().send(CloseConnection(code, reason)), wait_for_answer=False)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.close()  # while the server's close waits for its answer: no waiting any more

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes and all."""
        if self.transport is not None:
            self.transport.abort()

    def _end(self, last: bytes, *, wait_for_answer: bool) -> None:
        assert self.transport is not None
        write(self.transport, last, self.send_limit)
        if not wait_for_answer:
            self.transport.close()  # once what is queued is written; a client that does not read
        # cannot keep it: whatever is left is dropped after CLOSE_TIMEOUT
        self._closing = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.abort)

    def hold(self) -> None:
        self._held = True
        if self.open:
            assert self.transport is not None
            self.transport.pause_reading()

    def release(self) -> None:
        self._held = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
            # soon, not now: release() may be called while this protocol is still reading
            asyncio.get_running_loop().call_soon(self._read)

    # -- frames ------------------------------------------------------------------------------------

    def _read(self) -> None:
        """Handle what wsproto made of the bytes so far, up to a hold or the end of the connection."""
        ws = self._wsproto()
        for event in ws.events():
            if self.transport is None or self.transport.is_closing():
                return  # what a closed connection still sent is not read
            if isinstance(event, TextMessage):
                self._text(event)
            elif isinstance(event, Ping):
                if ws.state is ConnectionState.OPEN:  # a client that pings without reading meets the limit
                    self.send(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._closed(event)
                return
            elif isinstance(event, BytesMessage):
                self.fail(UNSUPPORTED_DATA, "binary packets are not supported")
                return
            if self._held:
                return  # the rest stays with wsproto until release()
        if self.open and self._announced() > self.max_message:
            self.fail(MESSAGE_TOO_BIG, "message too big")  # refused by its header: its payload is not awaited
        elif self._parts is None and ws.state is ConnectionState.OPEN:
            decoder = ws._proto._frame_decoder
            if decoder.header is None and not len(decoder.buffer):
                self._ws = None  # between messages: nothing to keep

    def _wsproto(self) -> Connection:
        if self._ws is None:
            self._ws = Connection(ConnectionType.SERVER)
        return self._ws

    def _announced(self) -> int:
        """The bytes of the text message under way, with all that the frame being read announces.

        wsproto hands out a frame's payload as it arrives and does not say what its header
        announced; this reads its frame decoder (pinned in pyproject.toml; the test of
        ``test_a_too_big_frame_is_refused_by_its_header`` fails if this stops working)."""
        assert self._ws is not None
        decoder = self._ws._proto._frame_decoder
        header = decoder.header
        if header is None or header.opcode >= CLOSE:
            return self._received
        return self._received + header.payload_len - decoder.payload_consumed

    def _text(self, event: TextMessage) -> None:
        if self._closing is not None:
            return  # once closing, what the client sends is not read
        data = event.data
        self._received += len(data) if data.isascii() else len(data.encode())
        if self._received > self.max_message:
            self.fail(MESSAGE_TOO_BIG, "message too big")
            return
        if not event.message_finished:
            if self._parts is None:
                self._parts = []  # a message under way (wsproto's state is kept until it ends)
            if data:  # many small fragments cost no more than one
                self._parts.append(data)
            return
        if self._parts is not None:
            self._parts.append(data)
            data, self._parts = "".join(self._parts), None
        self._received = 0
        self.on_text(data)

    def _closed(self, event: CloseConnection) -> None:
        """A close frame from the client, or what wsproto refused in its frames (RFC 6455 §7.4).

        The client's own close is answered with its code and ends the connection; after the
        server's close it is the answer, and ends it. A frame that breaks the protocol is
        answered with the close code that says why, and ends it too."""
        assert self.transport is not None
        ws = self._wsproto()
        if ws.state is ConnectionState.REMOTE_CLOSING:
            code = NORMAL if event.code == CloseReason.NO_STATUS_RCVD else event.code
            self._end(ws.send(CloseConnection(code)), wait_for_answer=False)
        elif ws.state is ConnectionState.CLOSED:
            self.transport.close()
        else:  # wsproto refused a frame (the connection is still open, or waits for our close's answer)
            self.fail(event.code, event.reason or "")
