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


def take_over(request: web.BaseRequest, protocol: asyncio.Protocol) -> None:
    """Move the request's connection from aiohttp to ``protocol`` (after the 101 is written).

    aiohttp is told its connection is gone: it stops counting it, reading from it and
    closing it, and frees its request handler once the web handler returns ``Switched()``.
    """
    transport = request.transport
    handler = request.protocol
    assert transport is not None
    # Bytes that came after the request (none from a client that waits for the handshake, as it must).
    tail = bytes(getattr(handler, "_message_tail", b""))
    transport.set_protocol(protocol)
    handler.transport = None  # so that aiohttp does not close it as it lets go
    handler.connection_lost(None)
    protocol.connection_made(transport)
    if not transport.is_reading():
        transport.resume_reading()
    if tail:
        protocol.data_received(tail)


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


def unmask(data: bytes, mask: bytes) -> bytes:
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
    """

    __slots__ = ("_buffer", "_closing", "_fragments", "_held", "max_message", "transport")

    def __init__(self, max_message: int) -> None:
        self.transport: asyncio.Transport | None = None
        self.max_message = max_message
        self._buffer = b""
        self._fragments: list[bytes] | None = None  # a text message that came in several frames
        self._held = False
        self._closing: asyncio.TimerHandle | None = None  # the server sent its close; drop after a while

    # -- what a subclass handles -----------------------------------------------------------------

    def on_text(self, message: str) -> None:
        raise NotImplementedError

    def on_lost(self) -> None:
        raise NotImplementedError

    # -- asyncio's callbacks -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass, only alike

    def data_received(self, data: bytes) -> None:
        self._buffer = self._buffer + data if self._buffer else data
        self._read()

    def eof_received(self) -> bool:
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closing is not None:
            self._closing.cancel()
            self._closing = None
        self._buffer = b""
        self._fragments = None
        self.on_lost()

    # -- closing -----------------------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing() and self._closing is None

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Send a close; the client answers with its own and the connection ends (or is dropped
        after ``CLOSE_TIMEOUT``)."""
        if not self.open:
            return
        assert self.transport is not None
        self.transport.write(close_frame(code, reason))
        self._closing = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.abort)

    def fail(self, code: int, reason: str) -> None:
        """End a connection that broke the protocol: a close frame, and the connection at once."""
        if self.transport is not None and not self.transport.is_closing():
            if self._closing is None:
                self.transport.write(close_frame(code, reason))
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes and all."""
        if self.transport is not None:
            self.transport.abort()

    def hold(self) -> None:
        self._held = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def release(self) -> None:
        self._held = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
            self._read()

    # -- frames ------------------------------------------------------------------------------------

    def _read(self) -> None:
        buffer = self._buffer
        pos, end = 0, len(buffer)
        while not self._held and end - pos >= 2:
            transport = self.transport
            if transport is None or transport.is_closing():
                buffer, pos, end = b"", 0, 0
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
                buffer, pos, end = b"", 0, 0
                break
            start = pos + head + 4
            if end - start < length:
                break
            payload = unmask(buffer[start : start + length], buffer[pos + head : start])
            pos = start + length
            self._frame(opcode, bool(first & 0x80), payload)
        self._buffer = buffer[pos:] if pos < end else b""

    def _check(self, first: int, second: int, opcode: int, length: int) -> tuple[int, str] | None:
        """Why a frame's header is refused, before its payload is waited for."""
        if first & 0x70:
            return PROTOCOL_ERROR, "no extension was agreed"
        if not second & 0x80:
            return PROTOCOL_ERROR, "a client's frames are masked"
        if opcode >= CLOSE:
            if opcode not in (CLOSE, PING, PONG) or not first & 0x80 or length > 125:
                return PROTOCOL_ERROR, "invalid control frame"
            return None
        if opcode == BINARY:
            return UNSUPPORTED_DATA, "binary packets are not supported"
        if opcode not in (TEXT, CONTINUATION) or (opcode == TEXT) == (self._fragments is not None):
            return PROTOCOL_ERROR, "unexpected frame"
        received = sum(map(len, self._fragments)) if self._fragments else 0
        if received + length > self.max_message:
            return MESSAGE_TOO_BIG, "message too big"
        return None

    def _frame(self, opcode: int, final: bool, payload: bytes) -> None:
        assert self.transport is not None
        if opcode == PING:
            if self._closing is None:
                self.transport.write(frame(payload, PONG))
            return
        if opcode == PONG:
            return
        if opcode == CLOSE:
            if self._closing is None:  # the client closes: answer, then the connection ends
                code = payload[:2] if len(payload) >= 2 else struct.pack("!H", NORMAL)
                self.transport.write(frame(code, CLOSE))
            self.transport.close()
            return
        if self._closing is not None:
            return  # closing: what the client still sends is not read
        if not final:
            self._fragments = [*(self._fragments or ()), payload]
            return
        if self._fragments is not None:
            payload = b"".join([*self._fragments, payload])
            self._fragments = None
        try:
            message = payload.decode()
        except UnicodeDecodeError:
            self.fail(INVALID_TEXT, "text is not UTF-8")
            return
        self.on_text(message)


def _tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}
