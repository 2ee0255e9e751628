"""The fast fan-out: every client gets every change once and in order; one that stops reading
is dropped after a bounded buffer, and the others do not wait for it."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time

from boards.actors import Role
from server.keys import LIVE
from tests.support import base_url, join, join_and_connect, make_event, start_server


class StalledClient:
    """A raw websocket Socket.IO client with a tiny receive buffer that stops reading after connecting."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host: str, port: int, token: str) -> StalledClient:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        reader, writer = await asyncio.open_connection(sock=sock)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n", 1)[0], head
        client = cls(reader, writer)
        assert (await client.frame()).startswith("0{")  # Engine.IO open
        client.send("40" + json.dumps({"token": token}))
        while not (await client.frame()).startswith("40{"):  # Socket.IO connected (events may come first)
            pass
        return client

    async def frame(self) -> str:
        _first, second = struct.unpack("!BB", await self.reader.readexactly(2))
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return (await self.reader.readexactly(length)).decode()

    def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 126
        self.writer.write(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)


async def test_every_client_gets_every_change_once_in_order_and_a_stalled_one_is_dropped(sqlite_url: str) -> None:
    server = await start_server(sqlite_url, send_buffer_limit=64 * 1024, rate_burst=10_000, rate_per_second=10_000.0)
    event, links = await make_event(server.app)
    base = base_url(server)
    poster = await join_and_connect(base, links[Role.PARTICIPANT], "Poster")
    watchers = [await join_and_connect(base, links[Role.PARTICIPANT], f"W{n}") for n in range(5)]
    board_id = (await poster.call("room.enter"))["boards"][0]["id"]
    _status, body = await join(base, links[Role.PARTICIPANT], "Stalled")
    stalled = await StalledClient.connect("127.0.0.1", server.port, body["token"])
    live = server.app[LIVE]
    assert body["member_id"] in {c.member.id for c in live.connections.values()}

    dropped_after = None
    slowest = 0.0
    text = "😀" * 1990  # 8 KB a change in UTF-8: the kernel's buffers (up to 4 MiB here) fill sooner
    for n in range(1500):
        started = time.monotonic()
        ack = await poster.call(
            "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": f"{n} {text}"}
        )
        assert ack["ok"], ack
        await watchers[-1].wait_for("board.changed", lambda c, seq=ack["seq"]: c["seq"] == seq)
        slowest = max(slowest, time.monotonic() - started)
        if dropped_after is None and body["member_id"] not in {c.member.id for c in live.connections.values()}:
            dropped_after = n
            break
    assert dropped_after is not None, "the stalled client was never dropped"
    assert dropped_after < 1200  # a bounded buffer: 64 KiB plus what the kernel holds
    assert slowest < 2.0  # the others never waited for it
    last = dropped_after + 1
    for client in (poster, *watchers):
        await client.wait_for("board.changed", lambda c: c["seq"] == last)
        seqs = [c["seq"] for c in client.received["board.changed"]]
        assert seqs == list(range(1, last + 1))  # every change, once, in order
    left = await watchers[0].wait_for("presence.changed", lambda d: body["member_id"] in d["left"])
    assert left
    stalled.writer.close()
    for client in (poster, *watchers):
        await client.disconnect()
    await server.close()
