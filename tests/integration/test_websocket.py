"""The websocket under the Socket.IO endpoint (RFC 6455), frame by frame.

werkstatt takes a connection over from aiohttp after the upgrade and reads the client's
frames itself (``server.websocket``). A raw client sends here what browsers and
python-socketio never would: fragments, control frames in between, unmasked or oversized
frames, text that is not UTF-8.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE
from server.websocket import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT
from tests.support import base_url, join, make_event, participant, start_server

PATH = "/socket.io/?EIO=4&transport=websocket"
MAX_MESSAGE = 4096


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, max_message_bytes=MAX_MESSAGE)
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
    assert [m["pseudonym"] for m in live.present(member["event_id"])] == ["Rita"]
    client.send(client.frame(struct.pack("!H", 1000) + b"bye", CLOSE))
    assert await client.closed_with() == 1000
    for _ in range(100):
        if not live.connections:
            break
        await asyncio.sleep(0.02)
    assert live.connections == {} and live.present(member["event_id"]) == []


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Sec_WebSocket_Version": "8"}, b"version"),
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
