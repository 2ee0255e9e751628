"""A minimal websocket client (RFC 6455, RFC 7692) as an ``asyncio.Protocol``, for load generation.

The load generator holds thousands of connections in one process and receives tens of
thousands of messages per second; a general-purpose client (aiohttp's: a reader task per
socket, a message object and a queue hop per frame) costs more CPU than the server it
measures. This one does the HTTP upgrade itself over ``loop.create_connection`` and parses
the server's frames where they arrive, in ``data_received`` (several per call when they
come together), handing each complete text message to one callback with the time of its
arrival. Nothing else runs per message.

What it does and does not do:

* frames from the server: unmasked (a masked one fails the connection), 7-, 16- and 64-bit
  lengths, fragmented messages (continuation frames), ping (answered with a pong), pong
  (ignored), close (answered, then the connection is closed), binary messages (ignored: the
  workloads use none);
* frames to the server: text only, masked with a random key per frame (RFC 6455 §5.3);
* ``compress=True`` offers ``permessage-deflate`` as browsers do; when the server accepts,
  compressed messages (RSV1) are inflated; the client itself sends uncompressed frames,
  which the extension allows;
* plain ``http://`` (``ws://``) only: the harness talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import zlib
from collections.abc import Callable
from time import perf_counter
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
MAX_HEAD = 64 * 1024  # a longer upgrade response is not one
DEFLATE_TAIL = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.2: removed by the sender, appended before inflating
OFFER = "permessage-deflate; client_max_window_bits"  # what browsers send

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

OnMessage = Callable[[bytes, float], None]
"""Called with a text message's payload (UTF-8 bytes) and the ``time.perf_counter()`` of its arrival."""


class HandshakeError(Exception):
    """The server did not upgrade the connection to a websocket as asked."""


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``key`` repeated (RFC 6455 §5.3), as one big-integer XOR:
    no Python loop per byte. Sends are rare (posts, acknowledgements, pongs), so this is plenty."""
    n = len(payload)
    if n == 0:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked frame from the client."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = os.urandom(4)
    return head + key + mask(payload, key)


def upgrade_request(host: str, path: str, key: str, *, compress: bool) -> bytes:
    """The HTTP/1.1 GET that asks for the websocket (RFC 6455 §4.1)."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if compress:
        lines.append(f"Sec-WebSocket-Extensions: {OFFER}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()  # RFC 6455 §4.2.2 asks for SHA-1


def check_upgrade(head: bytes, key: str, *, offered: bool) -> bool:
    """Check the server's answer to the upgrade; returns whether ``permessage-deflate`` was
    accepted. Raises HandshakeError when the server did not switch protocols properly."""
    status, *lines = head.decode("latin-1").split("\r\n")
    parts = status.split(" ", 2)
    if len(parts) < 2 or parts[1] != "101":
        raise HandshakeError(f"websocket upgrade refused: {status!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    if headers.get("upgrade", "").lower() != "websocket":
        raise HandshakeError(f"no websocket upgrade: {headers.get('upgrade')!r}")
    if headers.get("sec-websocket-accept") != accept_for(key):
        raise HandshakeError("wrong Sec-WebSocket-Accept")
    extensions = [e.split(";", 1)[0].strip() for e in headers.get("sec-websocket-extensions", "").split(",")]
    extensions = [e for e in extensions if e]
    if not extensions:
        return False
    if extensions != ["permessage-deflate"] or not offered:
        raise HandshakeError(f"the server chose extensions that were not offered: {extensions}")
    return True


class WebSocket(asyncio.Protocol):
    """One client connection. ``open()`` connects and upgrades; ``on_message`` gets each text
    message; ``on_close`` is called once when the connection is gone, however it ended."""

    def __init__(self, on_message: OnMessage, on_close: Callable[[str], None]) -> None:
        self.on_message = on_message
        self.on_close = on_close
        self.transport: asyncio.Transport | None = None
        self.upgraded = False  # the server switched to the websocket protocol
        self.compressed = False  # permessage-deflate accepted by the server
        self.closed = False
        self._key = ""
        self._offered = False
        self._upgraded: asyncio.Future[None] | None = None
        self._gone: asyncio.Future[None] | None = None
        self._buffer = b""  # an incomplete frame (or the upgrade response so far)
        self._fragments: list[bytes] = []  # a fragmented message so far
        self._fragment_deflated = False
        self._fragment_opcode = OP_TEXT
        self._inflater: zlib._Decompress | None = None
        self._close_sent = False

    async def open(self, url: str, *, compress: bool = False) -> None:
        """Connect to ``url`` (``http://host:port/path?query``) and upgrade to a websocket."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "ws") or parts.hostname is None:
            raise HandshakeError(f"only plain http:// and ws:// URLs, not {url!r}")
        port = parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        loop = asyncio.get_running_loop()
        self._upgraded = loop.create_future()
        self._gone = loop.create_future()
        self._key = base64.b64encode(os.urandom(16)).decode()
        self._offered = compress
        await loop.create_connection(lambda: self, parts.hostname, port)
        assert self.transport is not None
        self.transport.write(upgrade_request(parts.netloc, path, self._key, compress=compress))
        await self._upgraded

    def send_text(self, text: bytes) -> bool:
        """Send one text message; False when the connection is closing or gone."""
        if self.transport is None or self.closed or self._close_sent or self.transport.is_closing():
            return False
        self.transport.write(client_frame(OP_TEXT, text))
        return True

    async def close(self, *, wait_s: float = 5.0) -> None:
        """Send a close frame (1000), wait for the server to end the connection, abort after ``wait_s``."""
        if self.transport is None or self.closed:
            return
        assert self._gone is not None
        if self.upgraded:
            self._send_close(1000)
        else:  # not a websocket (yet): nothing to say goodbye to
            self.transport.abort()
        try:
            await asyncio.wait_for(asyncio.shield(self._gone), wait_s)
        except TimeoutError:
            self.transport.abort()
            await self._gone

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        why = f"the connection closed: {exc}" if exc else "the connection closed"
        if self._upgraded is not None and not self._upgraded.done():
            self._upgraded.set_exception(HandshakeError(f"{why} before the upgrade"))
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)
        self.on_close(why)

    def data_received(self, data: bytes) -> None:
        """Handle every complete frame in what arrived; keep an incomplete one for the next call.

        Nearly every read is one whole, small text frame: that case is taken first, without
        the general loop's bookkeeping, since it runs tens of thousands of times a second."""
        now = perf_counter()
        if len(data) > 3 and data[0] == 0x81 and not self._buffer and self.upgraded:
            length = data[1]
            if length == 126:
                if len(data) == 4 + ((data[2] << 8) | data[3]):
                    return self.on_message(data[4:], now)
            elif length < 126 and len(data) == 2 + length:
                return self.on_message(data[2:], now)
        self._frames(data, now)

    def _frames(self, data: bytes, now: float) -> None:
        """The general case: the upgrade response, several or partial frames, control frames."""
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        if not self.upgraded:
            data = self._handshake(data)
        size = len(data)
        pos = 0
        while size - pos >= 2:
            first = data[pos]
            length = data[pos + 1]
            if length & 0x80:
                return self._fail("the server masked a frame")
            head = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (data[head] << 8) | data[head + 1]
                head += 2
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[head : head + 8], "big")
                head += 8
            end = head + length
            if end > size:
                break
            pos = end
            if first == 0x81:  # a whole text message, uncompressed: nearly every frame
                self.on_message(data[head:end], now)
            else:
                self._frame(first, data[head:end], now)
            if self.closed:
                return
        if pos < size:
            self._buffer = data[pos:]

    # -- the rest --------------------------------------------------------------------------

    def _handshake(self, data: bytes) -> bytes:
        """Wait for the whole upgrade response, check it; returns the bytes after it (frames)."""
        end = data.find(b"\r\n\r\n")
        if end < 0:
            if len(data) > MAX_HEAD:
                self._fail_upgrade(HandshakeError("no end of the upgrade response"))
                return b""
            self._buffer = data
            return b""
        try:
            self.compressed = check_upgrade(data[:end], self._key, offered=self._offered)
        except HandshakeError as exc:
            self._fail_upgrade(exc)
            return b""
        if self.compressed:
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # any window the server chose fits in 15 bits
        self.upgraded = True
        assert self._upgraded is not None
        if not self._upgraded.done():  # not when open() was cancelled meanwhile
            self._upgraded.set_result(None)
        return data[end + 4 :]

    def _fail_upgrade(self, error: HandshakeError) -> None:
        assert self._upgraded is not None
        if not self._upgraded.done():
            self._upgraded.set_exception(error)
        self.abort()

    def _frame(self, first: int, payload: bytes, now: float) -> None:
        """Every frame but a whole uncompressed text message (that one takes the fast path)."""
        fin, rsv1, opcode = first & 0x80, first & 0x40, first & 0x0F
        if first & 0x30 or (rsv1 and (not self.compressed or opcode >= OP_CLOSE or opcode == OP_CONTINUATION)):
            return self._fail(f"unexpected reserved bits in a frame (first byte {first:#04x})")
        if opcode == OP_TEXT or opcode == OP_BINARY:
            if self._fragments:
                return self._fail("a new message before the last one ended")
            if fin:
                return self._message(opcode, payload, bool(rsv1), now)
            self._fragments = [payload]
            self._fragment_deflated = bool(rsv1)
            self._fragment_opcode = opcode
        elif opcode == OP_CONTINUATION:
            if not self._fragments:
                return self._fail("a continuation frame without a message")
            self._fragments.append(payload)
            if fin:
                whole = b"".join(self._fragments)
                self._fragments = []
                self._message(self._fragment_opcode, whole, self._fragment_deflated, now)
        elif opcode == OP_PING:
            if self.transport is not None and not self._close_sent:
                self.transport.write(client_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            if not self._close_sent:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
                self._send_close(code if code in (1000, 1001) else 1000)
            if self.transport is not None:
                self.transport.close()
        elif opcode != OP_PONG:
            self._fail(f"unknown opcode {opcode}")

    def _message(self, opcode: int, payload: bytes, deflated: bool, now: float) -> None:
        if deflated:
            assert self._inflater is not None
            payload = self._inflater.decompress(payload + DEFLATE_TAIL)
        if opcode == OP_TEXT:
            self.on_message(payload, now)

    def _send_close(self, code: int) -> None:
        if self.transport is None or self._close_sent or self.transport.is_closing():
            return
        self._close_sent = True
        self.transport.write(client_frame(OP_CLOSE, struct.pack("!H", code)))

    def _fail(self, why: str) -> None:
        """A protocol error: the connection cannot be trusted any more (RFC 6455 §7.1.7)."""
        self._send_close(1002)
        self.abort()
        self.connection_lost(ConnectionError(why))
