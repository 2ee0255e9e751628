"""Websockets (RFC 6455) on a bare transport: the handshake, a client's frames, the server's.

aiohttp parses the HTTP request of the upgrade; then the connection is taken over by a
small ``asyncio.Protocol`` (``WebSocketProtocol``) and aiohttp lets go of it. An open
connection is then only its transport and that protocol object: about 2 KB, where
aiohttp's request handler, request, parser and ``WebSocketResponse`` kept about 13 KB for
each of thousands of idle participants (docs/benchmarks.md).

Frames are written whole and synchronously to the transport, which queues what the
socket cannot take yet, so frames never interleave: a broadcast encodes its frame once
and writes the same bytes to every recipient without a task per recipient. A recipient
whose unsent bytes pass a bound (it stopped reading) is dropped, so that it cannot hold
memory or stall the others; its client reconnects and resyncs.

The server takes no extension: per-message compression offered by a browser is declined
(each compressed connection would hold about 200 KB of zlib state).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import struct
from typing import cast

from aiohttp import web

log = logging.getLogger("werkstatt.websocket")

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# close codes
NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED_DATA = 1000, 1001, 1002, 1003
INVALID_TEXT, POLICY_VIOLATION, MESSAGE_TOO_BIG = 1007, 1008, 1009

CLOSE_TIMEOUT = 2.0  # seconds a client has to answer the server's close before it is dropped

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeError(Exception):
    """The request is not a websocket upgrade this server takes (answered with 400)."""


def handshake(request: web.BaseRequest) -> bytes:
    """The ``101 Switching Protocols`` answer to a websocket upgrade request."""
    headers = request.headers
    if request.method != "GET":
        raise HandshakeError("A websocket opens with GET.")
    if "websocket" not in _tokens(headers.get("Upgrade", "")):
        raise HandshakeError("No websocket upgrade requested.")
    if "upgrade" not in _tokens(headers.get("Connection", "")):
        raise HandshakeError("No connection upgrade requested.")
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        raise HandshakeError("Unsupported websocket version (13 is spoken).")
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise HandshakeError("Invalid Sec-WebSocket-Key.")
    accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID, usedforsecurity=False).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def take_over(request: web.BaseRequest, protocol: asyncio.Protocol) -> bytes:
    """Move the request's connection from aiohttp to ``protocol`` (after the 101 is written).

    aiohttp is told its connection is gone: it stops counting it, reading from it and
    closing it, and frees its request handler once the web handler returns ``Switched()``.
    Returns what the client sent after its request, for ``protocol.data_received`` once the
    caller is ready for it (nothing from a client that waits for the handshake, as it must).
    """
    transport = request.transport
    handler = request.protocol
    assert transport is not None
    tail = bytes(getattr(handler, "_message_tail", b""))
    owner = transport.get_protocol()
    hand_over = getattr(owner, "hand_over", None)
    if hand_over is not None:  # a protocol that wraps aiohttp's (server.connections) passes it on
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
    """One unmasked, final frame (a server's frames are not masked)."""
    length = len(payload)
    first = 0x80 | opcode
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def close_frame(code: int, reason: str = "") -> bytes:
    return frame(struct.pack("!H", code) + reason.encode()[:120], CLOSE)


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


def unmask(data: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    """A client's payload XOR its 4-byte mask, as one big-integer XOR (fast in C)."""
    length = len(data)
    if not length:
        return b""
    key = (mask * (length // 4 + 1))[:length]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(length, "little")


class WebSocketProtocol(asyncio.Protocol):
    """A server's end of one websocket: reads the client's frames and answers its pings and close.

    Subclasses get each text message in ``on_text`` and the end of the connection in
    ``on_lost``; ``hold()`` stops reading (what is buffered waits) until ``release()``.
    Everything is written through ``send``, so that a client that does not read is dropped
    once ``send_limit`` bytes wait for it, whatever it makes the server write.
    """

    __slots__ = ("_buffer", "_closing", "_fragments", "_held", "max_message", "send_limit", "transport")

    def __init__(self, max_message: int, send_limit: int) -> None:
        self.transport: asyncio.Transport | None = None
        self.max_message = max_message
        self.send_limit = send_limit
        self._buffer: bytes | bytearray = b""  # what came and is not a whole frame yet
        self._fragments: bytearray | None = None  # a text message that came in several frames, so far
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

    def data_received(self, data: bytes) -> None:
        if not self._buffer:
            self._buffer = data  # the common case: whole frames, no copy
        elif isinstance(self._buffer, bytearray):
            self._buffer += data  # a frame arriving in pieces: appended in place, not copied again each time
        else:
            self._buffer = bytearray(self._buffer) + data
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
        self._buffer = b""
        self._fragments = None
        self.on_lost()

    # -- writing and closing -----------------------------------------------------------------------

    @property
    def open(self) -> bool:
        """Not closing: data may still be sent (RFC 6455 §5.5.1: none after the close frame)."""
        return self.transport is not None and self._closing is None and not self.transport.is_closing()

    def send(self, data: bytes) -> bool:
        """Write prepared frames; False when the connection is closing, or was dropped because
        ``send_limit`` bytes already waited for it."""
        return self._closing is None and write(self.transport, data, self.send_limit)

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Send a close frame; the client answers with its own and the connection ends, or is
        dropped after ``CLOSE_TIMEOUT``."""
        if self.open:
            self._end(close_frame(code, reason), wait_for_answer=not self._held)

    def fail(self, code: int, reason: str) -> None:
        """End a connection that broke the protocol: a close frame, and the connection at once."""
        if self.open:
            self._end(close_frame(code, reason), wait_for_answer=False)
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
        buffer = self._buffer
        pos, end = 0, len(buffer)
        while not self._held and end - pos >= 2:
            if self.transport is None or self.transport.is_closing():
                pos = end  # what a closed connection still sent is not read
                break
            first, second = buffer[pos], buffer[pos + 1]
            opcode, length, head = first & 0x0F, second & 0x7F, 2
            if length == 126:
                if end - pos < 4:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if end - pos < 10:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            problem = self._check(first, second, opcode, length)
            if problem is not None:
                self.fail(*problem)
                pos = end
                break
            start = pos + head + 4
            if end - start < length:
                break
            payload = unmask(buffer[start : start + length], buffer[pos + head : start])
            pos = start + length
            self._frame(opcode, bool(first & 0x80), payload)
        if pos >= end:
            self._buffer = b""
        elif isinstance(buffer, bytearray):
            del buffer[:pos]
        else:
            self._buffer = buffer[pos:]

    def _check(self, first: int, second: int, opcode: int, length: int) -> tuple[int, str] | None:
        """Why a frame's header is refused, before its payload is waited for."""
        if first & 0x70:
            return PROTOCOL_ERROR, "no extension was agreed"
        if not second & 0x80:
            return PROTOCOL_ERROR, "a client's frames are masked"
        if length >= 1 << 63:
            return PROTOCOL_ERROR, "invalid length"
        if opcode >= CLOSE:
            if opcode not in (CLOSE, PING, PONG) or not first & 0x80 or length > 125:
                return PROTOCOL_ERROR, "invalid control frame"
            return None
        if opcode == BINARY:
            return UNSUPPORTED_DATA, "binary packets are not supported"
        if opcode not in (TEXT, CONTINUATION) or (opcode == TEXT) == (self._fragments is not None):
            return PROTOCOL_ERROR, "unexpected frame"
        received = len(self._fragments) if self._fragments is not None else 0
        if received + length > self.max_message:
            return MESSAGE_TOO_BIG, "message too big"
        return None

    def _frame(self, opcode: int, final: bool, payload: bytes) -> None:
        if opcode == PING:
            self.send(frame(payload, PONG))  # a client that pings without reading meets the limit
        elif opcode == CLOSE:
            self._closed_by_client(payload)
        elif opcode != PONG and self._closing is None:  # once closing, what the client sends is not read
            self._data(final, payload)

    def _data(self, final: bool, payload: bytes) -> None:
        if not final:
            if self._fragments is None:
                self._fragments = bytearray(payload)
            else:
                self._fragments += payload  # in place: many small fragments cost no more than one
            return
        if self._fragments is not None:
            self._fragments += payload
            payload, self._fragments = bytes(self._fragments), None
        try:
            message = payload.decode()
        except UnicodeDecodeError:
            self.fail(INVALID_TEXT, "text is not UTF-8")
            return
        self.on_text(message)

    def _closed_by_client(self, payload: bytes) -> None:
        """The client's close frame: answered (see ``close_answer``), and the connection ends.
        After the server's own close it is the answer, and ends it."""
        assert self.transport is not None
        if self._closing is not None:
            self.transport.close()
        else:
            self._end(frame(struct.pack("!H", close_answer(payload)), CLOSE), wait_for_answer=False)


def close_answer(payload: bytes) -> int:
    """The code that answers a client's close frame: its own, or what is wrong with it (RFC 6455 §7.4)."""
    if not payload:
        return NORMAL
    if len(payload) == 1:
        return PROTOCOL_ERROR
    (code,) = struct.unpack("!H", payload[:2])
    if not _valid_close_code(code):
        return PROTOCOL_ERROR
    try:
        payload[2:].decode()
    except UnicodeDecodeError:
        return INVALID_TEXT
    return int(code)


def _valid_close_code(code: int) -> bool:
    """Codes a close frame may carry (RFC 6455 §7.4; 1005, 1006 and 1015 are never sent)."""
    return (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999


def _tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}
