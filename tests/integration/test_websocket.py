"""The websocket under the Socket.IO endpoint (RFC 6455), frame by frame.

werkstatt takes a connection over from aiohttp after the upgrade and reads the client's
frames itself (``server.transport.websocket``). A raw client sends here what browsers and
python-socketio never would: fragments, control frames in between, unmasked or oversized
frames, text that is not UTF-8.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import os
import socket
import struct
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE, REALTIME
from server.transport.endpoint import Socket, event_frame
from server.transport.websocket import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT
from tests.support import base_url, forget_served_apps, join, make_event, participant, start_server, until

PATH = "/socket.io/?EIO=4&transport=websocket"
MAX_MESSAGE = 4096


SEND_LIMIT = 64 * 1024


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, max_message_bytes=MAX_MESSAGE, send_buffer_limit=SEND_LIMIT)
    yield srv
    await srv.close()


@pytest.fixture
async def member(server: TestServer) -> dict[str, Any]:
    return await participant(server)


@pytest.fixture
async def raw(server: TestServer) -> AsyncIterator[Any]:
    """Opens raw clients to ``server``; they are closed after the test."""
    opened: list[RawClient] = []

    async def open_client(**headers: str) -> RawClient:
        opened.append(await RawClient.open(server, **headers))
        return opened[-1]

    yield open_client
    for client in opened:
        client.writer.close()
        with contextlib.suppress(ConnectionError):
            await client.writer.wait_closed()


class RawClient:
    """A websocket client that sends exactly the bytes it is told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.status = b""  # the server's answer to the upgrade, up to its blank line

    @classmethod
    async def open(cls, server: TestServer, **headers: str) -> RawClient:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        fields = {
            "Host": f"{server.host}:{server.port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            **{name.replace("_", "-"): value for name, value in headers.items()},
        }
        head = f"GET {PATH} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        writer.write(head.encode())
        client = cls(reader, writer)
        client.status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        return client

    def frame(
        self, payload: bytes, opcode: int = TEXT, *, fin: bool = True, masked: bool = True, rsv: int = 0
    ) -> bytes:
        first = (0x80 if fin else 0) | rsv | opcode
        length = len(payload)
        mask_bit = 0x80 if masked else 0
        if length < 126:
            head = struct.pack("!BB", first, mask_bit | length)
        elif length < 65536:
            head = struct.pack("!BBH", first, mask_bit | 126, length)
        else:
            head = struct.pack("!BBQ", first, mask_bit | 127, length)
        if not masked:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))

    async def receive(self) -> tuple[int, bytes]:
        """The next frame from the server (opcode, payload)."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), 5)
        assert not second & 0x80, "a server's frames are not masked"
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def text(self) -> str:
        """The next Engine.IO packet, pings and presence skipped."""
        while True:
            opcode, payload = await self.receive()
            assert opcode == TEXT, (opcode, payload)
            if payload != b"2" and not payload.startswith(b'42["presence'):
                return payload.decode()

    async def closed_with(self) -> int:
        """The code of the server's close frame; the connection then ends."""
        while True:
            opcode, payload = await self.receive()
            if opcode == CLOSE:
                break
        self.send(self.frame(payload[:2], CLOSE))  # as a client answers
        assert await asyncio.wait_for(self.reader.read(), 5) == b""
        return int(struct.unpack("!H", payload[:2])[0])

    async def frames_until_closed(self) -> list[tuple[int, bytes]]:
        """Every frame up to the end of the connection (the client does not answer a close)."""
        frames = []
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                frames.append(await self.receive())
        return frames

    async def connect(self, token: str) -> None:
        assert (await self.text()).startswith("0")
        self.send(self.frame(b"40" + json.dumps({"token": token}).encode()))
        assert (await self.text()).startswith("40")


async def test_a_message_in_fragments_with_a_ping_between(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    client = await raw()
    assert client.status.startswith(b"HTTP/1.1 101 ")
    assert (await client.text()).startswith("0")
    connect = b"40" + json.dumps({"token": member["token"]}).encode()
    client.send(
        client.frame(connect[:5], TEXT, fin=False),
        client.frame(b"still there?", PING),
        client.frame(connect[5:12], CONTINUATION, fin=False),
    )
    assert await client.receive() == (PONG, b"still there?")  # control frames are answered in between
    client.send(client.frame(connect[12:], CONTINUATION))
    assert (await client.text()).startswith("40")


async def test_what_follows_the_connect_waits_for_it(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    """A client may send an event right behind its connect packet, in the same write."""
    client = await raw()
    assert (await client.text()).startswith("0")
    client.send(
        client.frame(b"40" + json.dumps({"token": member["token"]}).encode()),
        client.frame(b"421" + json.dumps(["room.enter", {}]).encode()),
    )
    assert (await client.text()).startswith("40")
    answer = await client.text()
    assert answer.startswith("431[") and json.loads(answer[3:])[0]["ok"] is True


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (lambda c: c.frame(b"40", masked=False), 1002),  # a client's frames are masked
        (lambda c: c.frame(b"40", rsv=0x40), 1002),  # no extension (compression) was agreed
        (lambda c: c.frame(b"40", 0x3), 1002),  # no such opcode
        (lambda c: c.frame(b"40", CONTINUATION), 1002),  # nothing to continue
        (lambda c: c.frame(b"ping", PING, fin=False), 1002),  # control frames come whole
        (lambda c: c.frame(b"x" * 126, PING), 1002),  # and short
        (lambda c: c.frame(b"4\xff\xfe", TEXT), 1007),  # not UTF-8
        (lambda c: c.frame(b"\x00\x01", BINARY), 1003),  # no binary packets
        (lambda c: c.frame(b"42" + b" " * MAX_MESSAGE), 1009),  # past max_message_bytes
        (lambda c: c.frame(b"4" * 1000, fin=False) + c.frame(b"2" * MAX_MESSAGE, CONTINUATION), 1009),
    ],
)
async def test_a_frame_that_breaks_the_protocol_closes_only_that_connection(
    server: TestServer, raw: Any, member: dict[str, Any], frame: Any, code: int
) -> None:
    other = await raw()
    await other.connect(member["token"])
    client = await raw()
    await client.connect(member["token"])
    client.send(frame(client))
    assert await client.closed_with() == code
    other.send(other.frame(b"427" + json.dumps(["room.enter", {}]).encode()))
    assert (await other.text()).startswith("437[")


async def test_a_too_big_frame_is_refused_by_its_header(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    """The server does not wait for (or buffer) a payload it would refuse."""
    client = await raw()
    await client.connect(member["token"])
    client.send(struct.pack("!BBQ", 0x81, 0x80 | 127, 2**40) + os.urandom(4))
    assert await client.closed_with() == 1009


async def test_the_client_closing_is_answered_and_its_departure_recorded(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    live = server.app[LIVE]
    client = await raw()
    await client.connect(member["token"])
    assert [m["pseudonym"] for m in live.present_in_event(member["event_id"])] == ["Rita"]
    client.send(client.frame(struct.pack("!H", 1000) + b"bye", CLOSE))
    assert await client.closed_with() == 1000
    await until(lambda: not live.connections)
    assert live.connections == {} and live.present_in_event(member["event_id"]) == []


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Sec_WebSocket_Key": "too-short"}, b"Sec-WebSocket-Key"),
        ({"Upgrade": "h2c"}, b"upgrade"),
        ({"Connection": "keep-alive"}, b"upgrade"),
    ],
)
async def test_an_upgrade_that_is_not_a_websocket_is_refused(
    server: TestServer, raw: Any, headers: dict[str, str], why: bytes
) -> None:
    client = await raw(**headers)
    assert client.status.startswith(b"HTTP/1.1 400 ")
    body = await asyncio.wait_for(client.reader.read(1000), 5)
    assert why in body


async def test_another_websocket_version_is_told_the_one_spoken(server: TestServer, raw: Any) -> None:
    """RFC 6455 §4.2.2: 426 Upgrade Required, with the version the server speaks."""
    client = await raw(Sec_WebSocket_Version="8")
    assert client.status.startswith(b"HTTP/1.1 426 ")
    assert b"\r\nSec-WebSocket-Version: 13\r\n" in client.status
    body = await asyncio.wait_for(client.reader.read(1000), 5)
    assert b"version" in body


@pytest.mark.parametrize(
    "header",
    [
        struct.pack("!BBH", 0x81, 0x80 | 126, 2),  # 2 in 16 bits, where 7 would do
        struct.pack("!BBQ", 0x81, 0x80 | 127, 2),  # 2 in 64 bits
        struct.pack("!BBQ", 0x81, 0x80 | 127, 300),  # 300 in 64 bits, where 16 would do
    ],
)
async def test_a_length_in_more_bytes_than_needed_is_refused(
    server: TestServer, raw: Any, member: dict[str, Any], header: bytes
) -> None:
    """RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length."""
    client = await raw()
    await client.connect(member["token"])
    length = struct.unpack("!H" if header[1] & 0x7F == 126 else "!Q", header[2:])[0]
    client.send(header + b"\0\0\0\0" + b"3" * length)
    assert await client.closed_with() == 1002


async def test_aiohttp_lets_go_of_the_connection_and_shutting_down_closes_it(sqlite_url: str) -> None:
    """After the upgrade the web server no longer holds the connection (its handler and request
    are freed); stopping the server still closes every websocket, with 1001, promptly."""
    server = await start_server(sqlite_url)
    _event, links = await make_event(server.app)
    _status, body = await join(base_url(server), links[Role.PARTICIPANT], "Rita")
    assert server.runner is not None
    web_server = server.runner.server
    assert web_server is not None
    before = len(web_server.connections)
    clients = [await RawClient.open(server) for _ in range(5)]
    for client in clients:
        await client.connect(body["token"])
    assert len(web_server.connections) <= before
    loop = asyncio.get_running_loop()
    started = loop.time()
    closing = asyncio.ensure_future(server.close())
    codes = await asyncio.gather(*(client.closed_with() for client in clients))
    await closing
    for client in clients:
        client.writer.close()
    assert codes == [1001] * 5
    assert loop.time() - started < 2  # the clients answered the close: no waiting for a timeout
    assert server.app[LIVE].connections == {}


async def test_a_closed_server_is_freed(sqlite_url: str) -> None:
    """Once closed, nothing keeps the app that served a join and a websocket (nor its live state,
    store and engine) but aiohttp's cache of handlers, which the suite empties after each test.
    Kept, hundreds of them made garbage collections stop the event loop for seconds
    (``tests.support.forget_served_apps``)."""
    server = await start_server(sqlite_url)
    member = await participant(server)
    client = await RawClient.open(server)
    await client.connect(member["token"])
    closing = asyncio.ensure_future(server.close())
    assert await client.closed_with() == 1001
    await closing
    client.writer.close()
    app = weakref.ref(server.app)
    del server
    forget_served_apps()
    gc.collect()
    assert app() is None


def enter(ack: int, padding: int = 0) -> bytes:
    """The packet of a ``room.enter`` with acknowledgement ``ack`` (JSON whitespace as padding)."""
    return b"42%d" % ack + b'["room.enter",' + b" " * padding + b"{}]"


async def answered(client: RawClient, ack: int) -> dict[str, Any]:
    while not (text := await client.text()).startswith(f"43{ack}["):
        pass
    result: dict[str, Any] = json.loads(text[len(f"43{ack}") :])[0]
    return result


async def test_frames_that_arrive_a_byte_at_a_time(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    client = await raw()
    await client.connect(member["token"])
    frames = client.frame(enter(1, padding=300)) + client.frame(enter(2))  # a 16-bit length, then a short one
    for byte in range(len(frames)):
        client.send(frames[byte : byte + 1])
        await client.writer.drain()
        await asyncio.sleep(0.001)
    assert (await answered(client, 1))["ok"] and (await answered(client, 2))["ok"]


async def test_a_character_split_between_fragments(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    client = await raw()
    assert (await client.text()).startswith("0")
    connect = b"40" + json.dumps({"token": member["token"], "greeting": "Grüße"}, ensure_ascii=False).encode()
    cut = connect.index("ü".encode()) + 1  # between the two bytes of "ü"
    client.send(client.frame(connect[:cut], fin=False), client.frame(connect[cut:], CONTINUATION))
    assert (await client.text()).startswith("40")


async def test_the_upgrade_and_a_first_packet_in_one_write(server: TestServer, member: dict[str, Any]) -> None:
    """What comes with the upgrade request is read after the Engine.IO open packet is sent."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {PATH} HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"
    ).encode()
    client = RawClient(reader, writer)
    writer.write(request + client.frame(b"2probe"))
    try:
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 101 ")
        assert (await client.receive())[1].startswith(b"0{")
        assert await client.receive() == (TEXT, b"3probe")
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("close", "answer"),
    [
        (struct.pack("!H", 1000) + "tschüss".encode(), 1000),
        (struct.pack("!H", 3000), 3000),  # a code an application registered: echoed
        (b"", 1000),  # no code at all
        (b"\x03", 1002),  # half a code
        (struct.pack("!H", 1005), 1002),  # "no status": never sent in a frame
        (struct.pack("!H", 999), 1002),
        (struct.pack("!H", 1000) + b"\xff", 1007),  # a reason that is not UTF-8
    ],
)
async def test_the_client_closes(
    server: TestServer, raw: Any, member: dict[str, Any], close: bytes, answer: int
) -> None:
    """The close is answered (with the client's code, or the problem with it), and nothing is
    answered after it."""
    client = await raw()
    await client.connect(member["token"])
    client.send(client.frame(close, CLOSE), client.frame(enter(5)))
    frames = await client.frames_until_closed()
    assert [opcode for opcode, _ in frames if opcode != TEXT] == [CLOSE]
    assert not any(payload.startswith(b"435") for _opcode, payload in frames)
    assert struct.unpack("!H", frames[-1][1][:2])[0] == answer


async def test_nothing_is_sent_after_the_servers_close(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    """RFC 6455 §5.5.1: a disconnected member's room is still busy; none of it follows the close."""
    realtime = server.app[REALTIME]
    client = await raw()
    await client.connect(member["token"])
    (sid,) = realtime.sockets
    channels = set(realtime.sockets[sid].channels)
    await realtime.disconnect(sid)
    for channel in channels:  # what changes in the member's room and event would send
        for receiver in realtime.members(channel):
            realtime.send(receiver, event_frame("board.changed", {"seq": 1}))
    assert not realtime.sockets[sid].channels  # in no channel any more
    assert not realtime.send(realtime.sockets[sid], event_frame("board.changed", {"seq": 2}))
    frames = await client.frames_until_closed()  # the client does not answer: dropped after 2 s
    opcodes = [opcode for opcode, _ in frames]
    assert opcodes[-1] == CLOSE and opcodes.count(CLOSE) == 1
    assert frames[-2] == (TEXT, b"41")  # the Socket.IO disconnect, then the close, then nothing


async def test_a_flood_of_empty_fragments_does_not_hold_up_the_others(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    flooder = await raw()
    await flooder.connect(member["token"])
    other = await raw()
    await other.connect(member["token"])
    empty = flooder.frame(b"", CONTINUATION, fin=False)
    flooder.send(flooder.frame(b"421", fin=False), empty * 40_000)  # 240 KB, nothing of a message
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    other.send(other.frame(enter(7)))
    assert (await answered(other, 7))["ok"]
    # before the fix, one such flood held the server for 3 to 13 s on a quiet machine; now the answer
    # comes in well under a second there (1.05 s was seen once with the suite sharing 2 cores with other
    # work): the bound keeps room for a loaded machine and still fails at the old behaviour
    assert loop.time() - started < 3
    flooder.send(flooder.frame(b'["room.enter",{}]', CONTINUATION))  # the message, whole at last
    assert (await answered(flooder, 1))["ok"]


async def connected(raw: Any, server: TestServer, token: str) -> tuple[RawClient, Socket]:
    """A raw client connected as the member with ``token``, and its socket on the server."""
    realtime = server.app[REALTIME]
    before = set(realtime.sockets)
    client = await raw()
    await client.connect(token)
    (server_side,) = (s for sid, s in realtime.sockets.items() if sid not in before)
    return client, server_side


def stop_reading(client: RawClient, server_side: Any) -> None:
    """The client reads nothing any more, and the kernel holds little for it on either side."""
    client.writer.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.writer.transport.pause_reading()  # type: ignore[attr-defined]
    server_side.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)


async def test_a_client_that_pings_without_reading_is_dropped(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    """Every pong waits for the client; past ``send_buffer_limit`` unsent it is dropped, not queued on."""
    realtime = server.app[REALTIME]
    other, other_side = await connected(raw, server, member["token"])
    pinger, server_side = await connected(raw, server, member["token"])
    stop_reading(pinger, server_side)
    ping = pinger.frame(b"x" * 125, PING)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    with contextlib.suppress(ConnectionError):
        while len(realtime.sockets) == 2 and loop.time() < deadline:
            pinger.send(ping * 200)
            await pinger.writer.drain()
            unsent = max(s.transport.get_write_buffer_size() for s in realtime.sockets.values() if s.transport)
            assert unsent <= SEND_LIMIT + 2 * 127  # the limit, and the one pong that went past it
            await asyncio.sleep(0.005)
    assert list(realtime.sockets.values()) == [other_side]
    other.send(other.frame(enter(3)))
    assert (await answered(other, 3))["ok"]


async def test_a_protocol_error_from_a_client_that_does_not_read(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    """The close frame cannot reach it, and the server does not wait for it to read: the
    connection is dropped within the close timeout (2 s)."""
    realtime = server.app[REALTIME]
    client, server_side = await connected(raw, server, member["token"])
    stop_reading(client, server_side)
    for seq in range(40):  # about 40 KB waiting for it, under the send limit
        realtime.send(server_side, event_frame("board.changed", {"seq": seq, "text": "x" * 1000}))
    assert 0 < server_side.transport.get_write_buffer_size() < SEND_LIMIT
    loop = asyncio.get_running_loop()
    started = loop.time()
    client.send(client.frame(b"40", masked=False))
    await until(lambda: not realtime.sockets)
    assert realtime.sockets == {} and loop.time() - started < 3


async def test_a_protocol_error_while_the_servers_close_waits(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    """The server closed and waits for the answer; a broken frame instead ends it at once."""
    client, server_side = await connected(raw, server, member["token"])
    await server.app[REALTIME].disconnect(server_side.sid)
    client.send(client.frame(b"40", masked=False))
    loop = asyncio.get_running_loop()
    started = loop.time()
    frames = await client.frames_until_closed()
    assert frames[-1][0] == CLOSE and loop.time() - started < 1  # not the close timeout's 2 s


async def test_a_client_that_half_closes(server: TestServer, raw: Any, member: dict[str, Any]) -> None:
    """End of input from the client ends the connection, and the member's presence."""
    live = server.app[LIVE]
    client = await raw()
    await client.connect(member["token"])
    client.writer.write_eof()
    await asyncio.wait_for(client.reader.read(), 5)  # to the end: the server closes its side too
    await until(lambda: not live.connections)
    assert live.connections == {} and live.present_in_event(member["event_id"]) == []


async def test_shutting_down_with_a_client_that_does_not_answer(sqlite_url: str) -> None:
    """Its close goes unanswered: it is dropped after the close timeout, and shutting down ends."""
    server = await start_server(sqlite_url)
    member = await participant(server)
    client = await RawClient.open(server)
    await client.connect(member["token"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.close()
    took = loop.time() - started
    frames = await client.frames_until_closed()
    client.writer.close()
    assert frames[-1][0] == CLOSE and struct.unpack("!H", frames[-1][1][:2])[0] == 1001
    assert 1.5 < took < 4  # the close timeout (2 s), not the 5 s of aiohttp's shutdown
    assert server.app[LIVE].connections == {} and server.app[REALTIME].sockets == {}


async def test_a_long_close_reason_is_cut_between_characters(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    """A close frame carries at most 123 bytes of reason (RFC 6455 §5.5), cut on a whole character."""
    client, server_side = await connected(raw, server, member["token"])
    long = "x" + "ü" * 100  # 201 bytes; 120 of them would end inside an "ü"
    server_side.close(1000, long)
    frames = await client.frames_until_closed()
    opcode, payload = frames[-1]
    assert opcode == CLOSE and struct.unpack("!H", payload[:2])[0] == 1000
    reason = payload[2:].decode()  # whole characters only
    assert len(payload) <= 125 and long.startswith(reason) and len(reason) > 50


async def test_a_slow_client_gets_a_snapshot_larger_than_the_limit_and_what_follows(
    server: TestServer, raw: Any, member: dict[str, Any]
) -> None:
    """A big board's snapshot passes the send limit by itself; the changes behind it are let
    through up to the limit again, so that a slow client is not dropped and made to ask for it
    anew; past that it is dropped as not reading."""
    realtime = server.app[REALTIME]
    client, server_side = await connected(raw, server, member["token"])
    stop_reading(client, server_side)
    snapshot = event_frame("board.synced", {"seq": 1, "text": "x" * (4 * SEND_LIMIT)})
    changes = [event_frame("board.changed", {"seq": 2 + i, "text": "y" * 1000}) for i in range(40)]  # 40 KB
    assert realtime.send(server_side, snapshot)
    assert server_side.transport.get_write_buffer_size() > SEND_LIMIT
    assert all(realtime.send(server_side, change) for change in changes)
    assert server_side.sid in realtime.sockets
    client.writer.transport.resume_reading()  # type: ignore[attr-defined]
    received = [await client.text() for _ in range(41)]
    assert received[0].startswith('42["board.synced"') and len(received[0]) > 4 * SEND_LIMIT
    assert [json.loads(text[2:])[1]["seq"] for text in received[1:]] == list(range(2, 42))
    # Past the limit behind the snapshot it is dropped (what the kernel takes on the way varies:
    # bounded here by 8 MB written in all).
    client.writer.transport.pause_reading()  # type: ignore[attr-defined]
    sent = 0
    while sent < 8 * 1024 * 1024 and realtime.send(server_side, snapshot if sent == 0 else changes[0]):
        sent += len(snapshot if sent == 0 else changes[0])
    assert sent < 8 * 1024 * 1024
    assert await until(lambda: server_side.sid not in realtime.sockets)
