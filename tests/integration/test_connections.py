"""Connections as an attacker opens them: requests that never finish arriving, connections
that never send one or sit idle, and more connections than a node or an address may hold
(server.transport.guard).

Most tests run ``werkstatt serve`` in a child process, as an operator starts it (with uvloop
where installed), and speak raw HTTP to it over real sockets. A second source address is
127.0.0.2 (Linux answers on all of 127.0.0.0/8).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from server.app import create_app
from server.keys import CONNECTIONS
from server.ratelimit import address_keys
from server.transport.guard import ADDRESS_FULL, ConnectionGuard
from tests.support import GuardedTestServer, base_url, connect, participant, settings_for, start_server, until

DEADLINE = 1.0  # request_timeout_s in these tests
KEEPALIVE = 1.0  # keepalive_timeout_s where a test is about it
MARGIN = 10.0  # for a loaded machine: a timer fires late under load, never early
EARLY = 0.25  # what a timer may seem early, measured in another process (clocks read at loop turns)
OTHER = "127.0.0.2"
PATH = "/socket.io/?EIO=4&transport=websocket"


@dataclass
class Served:
    """A ``werkstatt serve`` child process."""

    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Served]]]:
    """Starts ``werkstatt serve`` with the given settings (as ``WERKSTATT_*`` variables)."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(**settings: Any) -> Served:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}
        env.update({f"WERKSTATT_{name.upper()}": str(value) for name, value in settings.items()})
        env["PYTHONUNBUFFERED"] = "1"
        log = tmp_path / f"server-{len(processes)}.log"
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", "0"),
                *("--database", "sqlite://"),
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=tmp_path,
            )
        processes.append(process)
        assert process.stdout is not None
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            assert line, f"serve ended before listening:\n{log.read_text()}"
            if "listening on" in line:
                return Served(port=int(line.rsplit(":", 1)[1]), log=log)

    yield start
    for process in processes:
        process.terminate()
        await process.wait()


class Conn:
    """One raw HTTP/1.1 connection, from ``source``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader, self.writer, self.port = reader, writer, port

    @classmethod
    async def open(cls, server: Served, source: str = "127.0.0.1") -> Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(source, 0))
        return cls(reader, writer, server.port)

    @property
    def head(self) -> bytes:
        return f"Host: 127.0.0.1:{self.port}\r\n".encode()

    async def get(self, path: str = "/healthz") -> tuple[int, dict[str, str]]:
        """A whole GET on this connection (kept alive): the answer's status and headers."""
        self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.head + b"\r\n")
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
        await asyncio.wait_for(self.reader.readexactly(int(headers.get("content-length", "0"))), 10)
        return int(status_line.split()[1]), headers

    async def trickle(self, every: float = 0.2) -> None:
        """One more byte every ``every`` seconds, until the server closes the connection."""
        with contextlib.suppress(ConnectionError):
            while not self.writer.is_closing():
                self.writer.write(b"a")
                await self.writer.drain()
                await asyncio.sleep(every)

    async def closed_within(self, seconds: float, since: float | None = None) -> tuple[bytes, float]:
        """What the server sent until it closed the connection, and when (seconds from
        ``since``, a ``loop.time()``; default now); fails when the connection is still open
        ``seconds`` after ``since``."""
        loop = asyncio.get_running_loop()
        start = loop.time() if since is None else since
        received = b""

        async def until_closed() -> None:
            nonlocal received
            with contextlib.suppress(ConnectionError):
                while chunk := await self.reader.read(65536):
                    received += chunk

        try:
            await asyncio.wait_for(until_closed(), max(0.0, start + seconds - loop.time()))
        except TimeoutError:
            self.writer.close()  # not left to the garbage collector's warning in another test
            pytest.fail(f"the connection was still open after {seconds} s")
        return received, loop.time() - start

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def admitted_again(server: Served, source: str = "127.0.0.1", within: float = 5) -> bool:
    """Whether a new connection from ``source`` is served (tried until ``within`` seconds pass):
    the server counts a closed connection out as soon as it notices the close."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        conn = await Conn.open(server, source)
        try:
            status, _ = await conn.get()
        finally:
            await conn.close()
        if status == 200 or loop.time() > end:
            return status == 200
        await asyncio.sleep(0.05)


# -- the request deadline ---------------------------------------------------------------------


async def test_headers_that_trickle_are_cut_off_at_the_deadline(serve: Callable[..., Awaitable[Served]]) -> None:
    server = await serve(request_timeout_s=DEADLINE)
    start = asyncio.get_running_loop().time()  # before the connection opens: the deadline runs after it
    slow = await Conn.open(server)
    slow.writer.write(b"GET /healthz HTTP/1.1\r\n" + slow.head + b"X-Slow: ")
    trickling = asyncio.create_task(slow.trickle())

    fine = await Conn.open(server)  # meanwhile, another client is served as always
    assert (await fine.get())[0] == 200

    received, after = await slow.closed_within(DEADLINE + MARGIN, since=start)
    assert received == b""  # closed, not answered
    assert after >= DEADLINE - EARLY
    await trickling
    for conn in (slow, fine):
        await conn.close()


async def test_a_body_that_trickles_is_cut_off_at_the_deadline(serve: Callable[..., Awaitable[Served]]) -> None:
    server = await serve(request_timeout_s=DEADLINE)
    start = asyncio.get_running_loop().time()
    slow = await Conn.open(server)
    slow.writer.write(
        b"POST /api/join HTTP/1.1\r\n"
        + slow.head
        + b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
        + b'{"link": "'
    )
    trickling = asyncio.create_task(slow.trickle())

    fine = await Conn.open(server)
    assert (await fine.get())[0] == 200

    received, after = await slow.closed_within(DEADLINE + MARGIN, since=start)
    assert received == b""
    assert after >= DEADLINE - EARLY
    await trickling
    for conn in (slow, fine):
        await conn.close()
    assert "Error handling request" not in server.log.read_text()  # a client cut off is not a server error


async def test_a_connection_that_sends_nothing_is_closed_at_the_deadline(
    serve: Callable[..., Awaitable[Served]],
) -> None:
    """A client that connects and stays silent holds its place no longer than one that
    trickles: thousands of them would otherwise fill the caps (and lock everyone else out)."""
    server = await serve(request_timeout_s=DEADLINE, keepalive_timeout_s=600)
    start = asyncio.get_running_loop().time()
    silent = await Conn.open(server)
    received, after = await silent.closed_within(DEADLINE + MARGIN, since=start)
    assert received == b""
    assert after >= DEADLINE - EARLY
    await silent.close()
    assert "Error handling request" not in server.log.read_text()


async def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout(
    serve: Callable[..., Awaitable[Served]],
) -> None:
    server = await serve(request_timeout_s=600, keepalive_timeout_s=KEEPALIVE)
    conn = await Conn.open(server)
    start = asyncio.get_running_loop().time()  # the idle time starts once the answer is out, after this
    assert (await conn.get())[0] == 200
    received, after = await conn.closed_within(KEEPALIVE + MARGIN, since=start)
    assert received == b""
    assert after >= KEEPALIVE - EARLY
    await conn.close()


async def test_an_idle_keep_alive_connection_outlives_the_deadline(serve: Callable[..., Awaitable[Served]]) -> None:
    """The deadline runs from a request's first byte to its last, not while a connection waits."""
    server = await serve(request_timeout_s=DEADLINE, keepalive_timeout_s=600)
    conn = await Conn.open(server)
    assert (await conn.get())[0] == 200
    await asyncio.sleep(DEADLINE * 2)  # idle, as a browser's connection between two requests
    assert (await conn.get())[0] == 200
    await conn.close()


async def test_the_time_the_server_takes_to_answer_does_not_count(sqlite_url: str) -> None:
    """The deadline ends when the request has arrived: a handler may take longer to answer."""
    app = create_app(settings_for(sqlite_url, request_timeout_s=DEADLINE))

    async def slow(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(DEADLINE * 2)  # a slow export, say
        return web.Response(text=f"{len(body)} bytes")

    app.router.add_post("/api/slow", slow)
    server = GuardedTestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http, http.post(base_url(server) + "/api/slow", data=b"x" * 1000) as r:
            assert (r.status, await r.text()) == (200, "1000 bytes")
    finally:
        await server.close()


async def test_websockets_outlive_the_deadline_and_the_keep_alive_timeout(sqlite_url: str) -> None:
    """A websocket taken over from aiohttp has neither: it is idle between events by nature,
    and Socket.IO's pings look after it."""
    server = await start_server(sqlite_url, request_timeout_s=DEADLINE, keepalive_timeout_s=KEEPALIVE)
    guard = server.app[CONNECTIONS]
    try:
        member = await participant(server)
        client = await connect(base_url(server), member["token"], member["member_id"])
        async with aiohttp.ClientSession() as http:
            raw = await http.ws_connect(base_url(server) + PATH)  # never sends its Socket.IO connect
            assert (await raw.receive_str(timeout=10)).startswith("0")
            await asyncio.sleep(3 * max(DEADLINE, KEEPALIVE))  # idle, well past both
            assert (await client.call("room.enter"))["ok"] is True
            assert guard.open == 2
            assert not raw.closed
            await raw.close()
        await client.disconnect()
    finally:
        await server.close()


# -- the caps -----------------------------------------------------------------------------------


async def test_an_address_over_its_cap_is_refused_while_others_get_in(
    serve: Callable[..., Awaitable[Served]],
) -> None:
    server = await serve(max_connections_per_address=3)
    held = [await Conn.open(server) for _ in range(3)]
    for conn in held:
        assert (await conn.get())[0] == 200  # served, and kept open

    extra = await Conn.open(server)
    status, headers = await extra.get()
    assert status == 429
    assert headers["retry-after"].isdigit()
    assert (await extra.closed_within(MARGIN))[0] == b""
    await extra.close()

    other = await Conn.open(server, OTHER)  # another address is not held back
    assert (await other.get())[0] == 200

    await held.pop().close()
    assert await admitted_again(server)  # the closed one is counted out
    for conn in [*held, other]:
        await conn.close()


async def test_over_the_node_cap_every_new_connection_is_refused(serve: Callable[..., Awaitable[Served]]) -> None:
    server = await serve(max_connections=3)
    held = [await Conn.open(server), await Conn.open(server), await Conn.open(server, OTHER)]
    for conn in held:
        assert (await conn.get())[0] == 200

    for source in ("127.0.0.1", OTHER):
        refused = await Conn.open(server, source)
        status, headers = await refused.get()
        assert status == 503
        assert headers["retry-after"].isdigit()
        await refused.close()

    await held.pop().close()
    assert await admitted_again(server, OTHER)
    for conn in held:
        await conn.close()


async def test_websockets_that_never_connect_count_until_they_close(
    serve: Callable[..., Awaitable[Served]],
) -> None:
    """Websockets left open without a Socket.IO connect fill an address's share like any
    connection, and give it back when they close."""
    server = await serve(max_connections_per_address=2)
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(server.base + PATH) for _ in range(2)]
        for ws in sockets:
            assert (await ws.receive_str(timeout=10)).startswith("0")  # Engine.IO open; nothing sent back

        refused = await Conn.open(server)
        assert (await refused.get())[0] == 429
        await refused.close()
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await http.ws_connect(server.base + PATH)  # a websocket is refused the same way
        assert exc.value.status == 429

        await sockets.pop().close()
        assert await admitted_again(server)
        await sockets.pop().close()


def test_an_ipv6_customer_is_capped_in_its_56_and_48_too() -> None:
    """A home line is given a /56 (256 /64s): its /64s together get 4 times one /64's share,
    the /56s of a /48 together 16 times, not 256 times each."""
    guard = ConnectionGuard(request_timeout_s=DEADLINE, max_connections=0, max_connections_per_address=2)
    line = [address_keys(f"2001:db8:0:{n:x}::1") for n in range(256)]  # each /64 of 2001:db8::/56
    assert [guard.admit(line[0]), guard.admit(line[0]), guard.admit(line[0])] == [None, None, ADDRESS_FULL]
    assert [guard.admit(keys) for keys in line[1:7]] == [None] * 6  # 8 in the /56: 4 times 2
    assert guard.admit(line[7]) == ADDRESS_FULL  # a fresh /64 of the same /56
    guard.release(line[0])
    assert guard.admit(line[7]) is None  # room again once one of them closes
    for site in range(1, 4):  # three more /56s of the /48, 8 connections each
        for n in range(8):
            assert guard.admit(address_keys(f"2001:db8:0:{site * 256 + n:x}::1")) is None
    assert guard.admit(address_keys("2001:db8:0:ff00::1")) == ADDRESS_FULL  # the /48 holds 32: 16 times 2
    assert guard.admit(address_keys("2001:db8:1::1")) is None  # another /48
    assert guard.admit(address_keys("198.51.100.7")) is None  # IPv4: one address, one share


# -- the guard under the test fixtures ---------------------------------------------------------


async def test_the_test_server_counts_a_participants_websocket(sqlite_url: str) -> None:
    """tests.support.start_server runs the guard as serve does (so every integration test goes
    through it): a Socket.IO connection, taken over from aiohttp, counts until it closes."""
    server = await start_server(sqlite_url)
    guard = server.app[CONNECTIONS]
    try:
        member = await participant(server)
        assert await until(lambda: guard.open == 0)  # the join's connection closed
        client = await connect(base_url(server), member["token"], member["member_id"])
        assert guard.open == 1
        assert guard.open_from("127.0.0.1") == 1
        await client.disconnect()
        assert await until(lambda: guard.open == 0)
        assert guard.per_address == {}
    finally:
        await server.close()
