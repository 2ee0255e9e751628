"""What a node holds for clients that stop reading: each is bounded, and so are they all together.

A client that stops reading leaves what is sent to it in the server's memory until it is
dropped. ``send_buffer_limit`` bounds that for one connection; ``send_buffer_total`` bounds
it for the node, so that a few thousand such clients cannot take its memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from server.keys import REALTIME
from server.transport.endpoint import Socket, event_frame
from server.transport.websocket import BEHIND
from tests.integration.test_websocket import RawClient, answered, enter
from tests.support import participant, start_server, until

CLIENTS = 500
SEND_LIMIT = 256 * 1024
TOTAL = 16 * 1024 * 1024
PIECE = 16 * 1024  # one board change with a long text, say


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, send_buffer_limit=SEND_LIMIT, send_buffer_total=TOTAL)
    yield srv
    await srv.close()


def unsent(sockets: list[Socket]) -> int:
    """What the server's transports hold, unsent, for these sockets (what asyncio says, not the budget)."""
    return sum(s.transport.get_write_buffer_size() for s in sockets if s.transport and not s.transport.is_closing())


@pytest.mark.timeout(240)
async def test_clients_that_stop_reading_never_take_the_node_past_its_bound(server: TestServer) -> None:
    realtime = server.app[REALTIME]
    member = await participant(server)
    clients: list[RawClient] = []
    stalled: list[Socket] = []
    reader: RawClient | None = None
    try:
        for _ in range(CLIENTS):
            before = set(realtime.sockets)
            client = await RawClient.open(server)
            await client.connect(member["token"])
            (server_side,) = (s for sid, s in realtime.sockets.items() if sid not in before)
            sock = client.writer.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.writer.transport.pause_reading()  # type: ignore[attr-defined]
            server_side.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            clients.append(client)
            stalled.append(server_side)
        reader = await RawClient.open(server)  # one who keeps reading
        await reader.connect(member["token"])
        (reading,) = (s for s in realtime.sockets.values() if s not in stalled)
        received = 0  # the changes the reader got

        async def read_all() -> None:
            nonlocal received
            while True:
                _opcode, payload = await reader.receive()
                received += payload.startswith(b'42["board.changed"')

        reading_task = asyncio.ensure_future(read_all())
        piece = event_frame("board.changed", {"seq": 0, "text": "x" * PIECE})
        most = 0
        for _round in range(40):  # 640 KB for each: 320 MB in all, were nobody dropped
            for receiver in [*stalled, reading]:
                realtime.send(receiver, piece)
            most = max(most, unsent(stalled))
            assert realtime.budget.unsent <= TOTAL
            await asyncio.sleep(0.01)  # the reader reads, the kernel takes what it takes
        assert await until(lambda: received == 40, within=30)  # the reader gets every change
        reading_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading_task

        # Never more than the bound, and less than BEHIND (16 KB) for each connection not counted as behind.
        assert most <= TOTAL + CLIENTS * BEHIND
        assert most < CLIENTS * SEND_LIMIT / 3  # what the per-connection limit alone would have let wait
        assert realtime.budget.dropped > 0
        print(f"most unsent {most / 2**20:.1f} MB, dropped by the budget {realtime.budget.dropped}")
        # The reader got everything and is still served.
        assert reading.sid in realtime.sockets
        reader.send(reader.frame(enter(9)))
        assert (await answered(reader, 9))["ok"]
        # What is dropped is no longer counted: the budget is all but spent on the ones still open.
        open_behind = [s for s in stalled if s.sid in realtime.sockets]
        assert realtime.budget.unsent <= TOTAL
        assert unsent(open_behind) <= realtime.budget.unsent + len(open_behind) * BEHIND
    finally:
        for client in [*clients, *([reader] if reader else [])]:
            client.writer.transport.abort()  # type: ignore[attr-defined]
            client.writer.close()
    assert await until(lambda: not realtime.sockets, within=30)
    assert realtime.budget.unsent == 0  # the dropped and the gone are no longer counted
