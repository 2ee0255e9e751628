"""The load generator's websocket client (``bench/websocket.py``), fed bytes directly."""

from __future__ import annotations

import asyncio
import struct
import zlib

import pytest

from bench.websocket import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    HandshakeError,
    WebSocket,
    accept_for,
    check_upgrade,
    client_frame,
    mask,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.aborted = self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closing or self.aborted

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.aborted = True


def server_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", first, n) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", first, 126, n) + payload
    return struct.pack("!BBQ", first, 127, n) + payload


def response(*, extensions: str = "") -> bytes:
    lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"]
    lines.append(f"Sec-WebSocket-Accept: {accept_for(KEY)}")
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def unmask_client_frame(frame: bytes) -> tuple[int, bytes]:
    """The opcode and payload of one frame the client sent, checking that it is masked."""
    assert frame[1] & 0x80, "client frames must be masked"
    n, at = frame[1] & 0x7F, 2
    if n == 126:
        n, at = struct.unpack("!H", frame[2:4])[0], 4
    elif n == 127:
        n, at = struct.unpack("!Q", frame[2:10])[0], 10
    key, payload = frame[at : at + 4], frame[at + 4 :]
    assert len(payload) == n
    return frame[0] & 0x0F, mask(payload, key)


async def opened(*, compress: bool = False) -> tuple[WebSocket, FakeTransport, list[bytes], list[str]]:
    """A WebSocket as after connecting, before the server's answer to the upgrade."""
    messages: list[bytes] = []
    closes: list[str] = []
    ws = WebSocket(lambda data, _now: messages.append(data), closes.append)
    loop = asyncio.get_running_loop()
    ws._upgraded, ws._gone, ws._key, ws._offered = loop.create_future(), loop.create_future(), KEY, compress
    transport = FakeTransport()
    ws.connection_made(transport)  # type: ignore[arg-type]
    return ws, transport, messages, closes


def test_mask_is_its_own_inverse_and_frames_carry_their_length() -> None:
    for n in (0, 1, 3, 4, 5, 125, 126, 65535, 65536):
        payload = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
        assert mask(mask(payload, b"\x01\x02\x03\x04"), b"\x01\x02\x03\x04") == payload
        opcode, got = unmask_client_frame(client_frame(OP_TEXT, payload))
        assert (opcode, got) == (OP_TEXT, payload)


def test_check_upgrade() -> None:
    assert check_upgrade(response()[:-4], KEY, offered=True) is False
    head = response(extensions="permessage-deflate; client_max_window_bits=15")[:-4]
    assert check_upgrade(head, KEY, offered=True) is True
    with pytest.raises(HandshakeError, match="not offered"):
        check_upgrade(head, KEY, offered=False)
    with pytest.raises(HandshakeError, match="refused"):
        check_upgrade(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0", KEY, offered=False)
    with pytest.raises(HandshakeError, match="Accept"):
        check_upgrade(response()[:-4].replace(accept_for(KEY).encode(), b"wrong"), KEY, offered=False)


async def test_frames_split_anywhere_and_several_per_read() -> None:
    texts = [b"0" * 5, b"x" * 125, b"y" * 126, "ä€".encode() * 300, b"z" * 70_000]
    stream = response() + b"".join(server_frame(OP_TEXT, t) for t in texts)
    for size in (1, 2, 3, 7, 100, 4096, len(stream)):
        ws, _transport, messages, _closes = await opened()
        for at in range(0, len(stream), size):
            ws.data_received(stream[at : at + size])
        assert ws._upgraded is not None and ws._upgraded.done() and ws.upgraded
        assert messages == texts, size


async def test_fragments_pings_and_close() -> None:
    ws, transport, messages, closes = await opened()
    ws.data_received(response())
    ws.data_received(
        server_frame(OP_TEXT, b"42[", fin=False)
        + server_frame(OP_PING, b"hi")  # control frames may come between fragments
        + server_frame(0, b'"a"', fin=False)
        + server_frame(0, b"]")
    )
    assert messages == [b'42["a"]']
    assert [unmask_client_frame(f) for f in transport.written] == [(OP_PONG, b"hi")]
    ws.data_received(server_frame(OP_PONG, b"") + server_frame(OP_CLOSE, struct.pack("!H", 1001)))
    assert unmask_client_frame(transport.written[-1]) == (OP_CLOSE, struct.pack("!H", 1001))
    assert transport.closing and not ws.send_text(b"3")
    ws.connection_lost(None)
    assert ws.closed and closes == ["the connection closed"]


async def test_compressed_messages_are_inflated() -> None:
    ws, _transport, messages, _closes = await opened(compress=True)
    ws.data_received(response(extensions="permessage-deflate"))
    deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    texts = [b'42["board.changed",{"seq":1}]', b'42["board.changed",{"seq":2}]', b"2"]
    for text in texts:  # one compressor for all: the server keeps its context between messages
        body = deflate.compress(text) + deflate.flush(zlib.Z_SYNC_FLUSH)
        assert body.endswith(b"\x00\x00\xff\xff")
        ws.data_received(server_frame(OP_TEXT, body[:-4], rsv1=True))
    ws.data_received(server_frame(OP_TEXT, b"uncompressed"))  # a message may also come uncompressed
    assert messages == [*texts, b"uncompressed"]
    assert ws.compressed


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"\x81\x85" + b"\x00" * 9, "masked"),
        (server_frame(OP_TEXT, b"x", rsv1=True), "reserved bits"),
        (server_frame(0, b"x"), "continuation"),
        (server_frame(0x3, b""), "unknown opcode"),
    ],
)
async def test_protocol_errors_fail_the_connection(frame: bytes, why: str) -> None:
    ws, transport, _messages, closes = await opened()
    ws.data_received(response() + frame)
    assert transport.aborted and ws.closed
    assert why in closes[0]


async def test_a_refused_upgrade_fails_open() -> None:
    ws, transport, _messages, _closes = await opened()
    ws.data_received(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    assert ws._upgraded is not None
    with pytest.raises(HandshakeError, match="403"):
        await ws._upgraded
    assert transport.aborted
