"""The Socket.IO endpoint at the level of its packets: what a raw websocket client sees.

The other integration tests connect with python-socketio's client (and the browser tests
with socket.io-client); these send what those clients never would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE, REALTIME, SETTINGS
from tests.support import base_url, join_and_connect, participant, start_server, until

PATH = "/socket.io/?EIO=4&transport=websocket"


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, ping_interval_s=0.2, ping_timeout_s=0.3)
    yield srv
    await srv.close()


@pytest.fixture
async def member(server: TestServer) -> dict[str, Any]:
    return await participant(server)


@contextlib.contextmanager
def slow_lookup(server: TestServer, seconds: float) -> Iterator[asyncio.Event]:
    """Looking a member token up takes ``seconds``: a connect in progress for that long. The
    event is set when a lookup starts."""
    store = server.app[LIVE].store
    real = store.member_by_token
    entered = asyncio.Event()

    async def slow(token_hash: str) -> Any:
        entered.set()
        await asyncio.sleep(seconds)
        return await real(token_hash)

    store.member_by_token = slow  # type: ignore[method-assign]
    try:
        yield entered
    finally:
        store.member_by_token = real  # type: ignore[method-assign]


async def connecting(http: aiohttp.ClientSession, server: TestServer, token: str) -> aiohttp.ClientWebSocketResponse:
    """A websocket that has sent its Socket.IO connect with ``token`` (the answer not awaited)."""
    ws, _ = await open_socket(http, server)
    await ws.send_str("40" + json.dumps({"token": token}))
    return ws


async def receive_text(ws: aiohttp.ClientWebSocketResponse, *, skip_pings: bool = True) -> str:
    while True:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        if not (skip_pings and msg.data == "2"):
            return str(msg.data)


async def closed(ws: aiohttp.ClientWebSocketResponse, within: float = 5) -> bool:
    async def until_closed() -> None:
        while (await ws.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            pass

    try:
        await asyncio.wait_for(until_closed(), within)
    except TimeoutError:
        return False
    return True


async def open_socket(http: aiohttp.ClientSession, server: TestServer) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
    ws = await http.ws_connect(base_url(server) + PATH)
    opened = await receive_text(ws)
    assert opened.startswith("0")
    return ws, json.loads(opened[1:])


async def test_handshake_connect_event_and_acknowledgement(server: TestServer, member: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        ws, handshake = await open_socket(http, server)
        assert handshake["upgrades"] == [] and handshake["pingInterval"] == 200 and handshake["pingTimeout"] == 300
        assert handshake["maxPayload"] == server.app[SETTINGS].max_message_bytes
        await ws.send_str("42" + json.dumps(["room.enter", {}]))  # before the connect: nobody answers
        await ws.send_str("40" + json.dumps({"token": member["token"]}))
        connected = await receive_text(ws)
        assert connected.startswith("40") and len(json.loads(connected[2:])["sid"]) >= 20
        await ws.send_str("4217" + json.dumps(["room.enter", {}]))
        answer = await receive_text(ws)
        while not answer.startswith("43"):  # presence.changed may come first
            answer = await receive_text(ws)
        assert answer.startswith("4317[")
        assert json.loads(answer[4:])[0]["me"]["pseudonym"] == "Rita"
        await ws.close()


async def test_compression_offered_as_browsers_do_is_declined(server: TestServer) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(base_url(server) + PATH, compress=15)
        assert ws.compress == 0 and (await receive_text(ws)).startswith("0")
        await ws.close()


async def test_refusals_before_the_websocket(server: TestServer) -> None:
    base = base_url(server)
    async with aiohttp.ClientSession() as http:
        for query, code in (("EIO=3&transport=websocket", 5), ("EIO=4&transport=polling", 0)):
            async with http.get(f"{base}/socket.io/?{query}") as response:
                assert response.status == 400 and (await response.json())["code"] == code
        async with http.get(base + PATH) as response:  # not an upgrade
            assert response.status == 400
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(base + PATH, headers={"Origin": "https://evil.example"})


@pytest.mark.parametrize(
    "packet",
    ["42not json", '42{"a":1}', "42[]", "42[7]", "4" + "2" * 20 + '["room.enter"]', "9", "4x", "42[NaN]", '42²["x"]'],
)
async def test_a_malformed_packet_closes_only_that_connection(
    server: TestServer, member: dict[str, Any], packet: str
) -> None:
    base = base_url(server)
    other = await join_and_connect(base, member["links"][Role.PARTICIPANT], "Otto")
    async with aiohttp.ClientSession() as http:
        ws, _ = await open_socket(http, server)
        await ws.send_str("40" + json.dumps({"token": member["token"]}))
        assert (await receive_text(ws)).startswith("40")
        await ws.send_str(packet)
        assert await closed(ws)
    assert (await other.call("room.enter"))["ok"]
    for _ in range(50):  # Rita's connection is gone from the server's state too
        if member["member_id"] not in {c.member.id for c in server.app[LIVE].connections.values()}:
            break
        await asyncio.sleep(0.02)
    assert member["member_id"] not in {c.member.id for c in server.app[LIVE].connections.values()}
    await other.disconnect()


async def test_binary_frames_and_other_namespaces_are_refused(server: TestServer, member: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        ws, _ = await open_socket(http, server)
        await ws.send_str("40/admin," + json.dumps({"token": member["token"]}))
        refused = await receive_text(ws)
        assert refused.startswith("44/admin,") and json.loads(refused[len("44/admin,") :])["message"]
        await ws.send_bytes(b"\x04binary")
        assert await closed(ws)


async def test_a_client_that_stops_answering_pings_is_dropped(server: TestServer, member: dict[str, Any]) -> None:
    """Pings every 0.2 s, 0.3 s to answer: the silent client is closed, the answering one stays."""
    live = server.app[LIVE]
    async with aiohttp.ClientSession() as http:
        silent, _ = await open_socket(http, server)
        await silent.send_str("40" + json.dumps({"token": member["token"]}))
        answering, _ = await open_socket(http, server)
        await answering.send_str("40" + json.dumps({"token": member["token"]}))
        pings = 0

        async def answer() -> None:
            nonlocal pings
            while True:
                msg = await answering.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    return
                if msg.data == "2":
                    pings += 1
                    await answering.send_str("3")

        answerer = asyncio.create_task(answer())
        assert await closed(silent, within=3)
        await asyncio.sleep(0.6)
        assert pings >= 3 and not answering.closed
        assert len(live.connections) == 1  # the silent one is gone, and disconnected properly
        assert [m["pseudonym"] for m in live.present_in_event(member["event_id"])] == ["Rita"]
        await answering.close()
        await answerer


async def test_a_client_gone_while_connecting_leaves_no_ghost(server: TestServer, member: dict[str, Any]) -> None:
    live = server.app[LIVE]
    async with aiohttp.ClientSession() as http:
        for _ in range(5):
            ws = await connecting(http, server, member["token"])
            await ws.close()
    await until(lambda: not live.connections and not live.present_in_event(member["event_id"]))
    assert live.connections == {} and live.present_in_event(member["event_id"]) == []


async def test_a_fault_while_connecting_drops_the_transport_so_the_client_retries(
    server: TestServer, member: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Not a refusal (which makes socket.io-client give up): the connection is dropped, and the
    next attempt, once the fault is gone, is accepted."""
    store = server.app[LIVE].store
    real = store.member_by_token
    calls = 0

    async def failing_once(token_hash: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database gone for a moment")
        return await real(token_hash)

    store.member_by_token = failing_once  # type: ignore[method-assign]
    try:
        async with aiohttp.ClientSession() as http:
            ws = await connecting(http, server, member["token"])
            msg = await asyncio.wait_for(ws.receive(), 5)
            while msg.type is aiohttp.WSMsgType.TEXT and msg.data == "2":
                msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR), msg
            again, _ = await open_socket(http, server)
            await again.send_str("40" + json.dumps({"token": member["token"]}))
            assert (await receive_text(again)).startswith("40")
            await again.close()
    finally:
        store.member_by_token = real  # type: ignore[method-assign]
    assert any("connecting" in r.getMessage() for r in caplog.records)


async def test_a_connection_dropped_while_connecting_leaves_no_ghost(
    server: TestServer, member: dict[str, Any]
) -> None:
    """Dropped (by the pinger or the send limit) while the connect handler is still at work: once
    the handler is done, its connect is undone and nothing of the connection is left."""
    live, realtime = server.app[LIVE], server.app[REALTIME]
    with slow_lookup(server, 0.3) as looking_up:
        async with aiohttp.ClientSession() as http:
            ws = await connecting(http, server, member["token"])
            await looking_up.wait()
            (socket,) = realtime.sockets.values()
            assert socket.connecting is not None
            socket.abort()
            assert await closed(ws)
            await until(lambda: not realtime._tasks)
    assert realtime.sockets == {} and realtime.channels == {} and realtime._tasks == set()
    assert live.connections == {} and live.present_in_event(member["event_id"]) == []


async def test_a_socket_that_never_connects_is_closed(server: TestServer) -> None:
    """An open websocket without a Socket.IO connect (or one refused) does not stay for ever."""
    realtime = server.app[REALTIME]
    realtime.connect_timeout = 0.3  # pings every 0.2 s look at it
    async with aiohttp.ClientSession() as http:
        ws, _ = await open_socket(http, server)
        assert await closed(ws, within=3)
        assert ws.close_code == 1008
    assert await until(lambda: not realtime.sockets)


async def test_a_connect_that_takes_too_long_is_dropped_and_leaves_nothing(
    server: TestServer, member: dict[str, Any]
) -> None:
    live, realtime = server.app[LIVE], server.app[REALTIME]
    realtime.connecting_limit = 0.2
    with slow_lookup(server, 30):
        async with aiohttp.ClientSession() as http:
            ws = await connecting(http, server, member["token"])
            assert await closed(ws, within=3)  # dropped, not refused: the client tries again
    assert await until(lambda: not realtime.sockets and not realtime._tasks)
    assert live.connections == {}


async def test_closing_a_socket_while_it_connects(server: TestServer, member: dict[str, Any]) -> None:
    """The close goes out at once (reading is paused while connecting: no answer is waited for),
    and the connect that completes afterwards sends nothing and is undone."""
    live, realtime = server.app[LIVE], server.app[REALTIME]
    with slow_lookup(server, 0.3) as looking_up:
        async with aiohttp.ClientSession() as http:
            ws = await connecting(http, server, member["token"])
            await looking_up.wait()
            (sid,) = realtime.sockets
            await realtime.disconnect(sid)
            texts = []
            while (msg := await asyncio.wait_for(ws.receive(), 5)).type is aiohttp.WSMsgType.TEXT:
                texts.append(msg.data)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert not any(text.startswith("40") for text in texts)
            await until(lambda: not realtime._tasks)
    assert realtime.sockets == {} and live.connections == {} and live.present_in_event(member["event_id"]) == []
