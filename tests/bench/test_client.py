"""The load generator's Socket.IO client against a real server on an ephemeral port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.client import ClientError, Refused, SioClient, http_session, join, join_and_connect
from boards.actors import Role
from server.keys import REALTIME
from tests.support import base_url, make_event, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


@pytest.fixture
async def workshop(server: TestServer) -> dict[str, Any]:
    event, links = await make_event(server.app)
    return {"base": base_url(server), "event": event, "links": links}


async def test_connect_call_and_receive(workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    async with http_session() as http:
        anna, member = await join_and_connect(http, base, links[Role.PARTICIPANT], "Anna")
        arrivals: list[tuple[Any, float]] = []
        anna.on("board.changed", lambda change, now: arrivals.append((change, now)))
        enter = await anna.call("room.enter")
        assert enter["ok"] is True and enter["me"]["id"] == member["member_id"]
        board_id = enter["boards"][0]["id"]

        ben, _ = await join_and_connect(http, base, links[Role.PARTICIPANT], "Ben")
        payload = {"board_id": board_id, "field_id": workshop["event"].fields[0].id, "text": "Radwege „sicher“"}
        posted = await ben.call("board.idea.create", payload)
        assert posted["ok"] is True, posted
        for _ in range(100):
            if arrivals:
                break
            await asyncio.sleep(0.02)
        change, arrived = arrivals[0]
        assert change["type"] == "idea.created" and change["idea"]["text"] == "Radwege „sicher“"
        assert change["seq"] == posted["seq"] and arrived > 0
        assert anna.unhandled.get("presence.changed", 0) >= 1  # counted, not parsed

        # acknowledgements find their call when several are under way at once
        many = await asyncio.gather(*(anna.call("board.sync", {"board_id": board_id}) for _ in range(10)))
        assert all(a["ok"] and a["seq"] == posted["seq"] for a in many)
        refused = await anna.call("no.such.event")
        assert refused["ok"] is False and refused["error"]["code"] == "unknown_event"

        await anna.close()
        assert anna.closed
        with pytest.raises(ClientError):
            await anna.call("room.enter")
        await ben.close()


async def test_refused_connection(workshop: dict[str, Any]) -> None:
    async with http_session() as http:
        client = SioClient(workshop["base"])
        with pytest.raises(Refused) as refused:
            await client.connect({"token": "x" * 43})
        assert refused.value.data["data"]["code"] == "unauthenticated"
        await client.close()
        with pytest.raises(ClientError, match="join refused"):
            await join(http, workshop["base"], "y" * 43, "Carla")


async def test_pings_are_answered(server: TestServer, workshop: dict[str, Any]) -> None:
    realtime = server.app[REALTIME]
    realtime.ping_interval, realtime.ping_timeout = 0.1, 0.5  # unanswered, the server would close within 0.6 s
    async with http_session() as http:
        client, _ = await join_and_connect(http, workshop["base"], workshop["links"][Role.PARTICIPANT], "Dora")
        await asyncio.sleep(1.2)
        assert client.pings >= 3 and not client.closed
        assert (await client.call("room.enter"))["ok"] is True
        await client.close()


async def test_timeouts_and_a_disconnect_by_the_server(server: TestServer, workshop: dict[str, Any]) -> None:
    async with http_session() as http:
        client = SioClient(workshop["base"])
        member = await join(http, workshop["base"], workshop["links"][Role.PARTICIPANT], "Emil")
        connected = await client.connect({"token": member["token"]})
        with pytest.raises(ClientError, match="no acknowledgement"):
            await client.call("room.enter", wait_s=0)
        assert (await client.call("room.enter"))["ok"] is True  # the late answer of the first is dropped

        await server.app[REALTIME].disconnect(connected["sid"])
        for _ in range(100):
            if client.closed:
                break
            await asyncio.sleep(0.02)
        assert client.closed
        with pytest.raises(ClientError):
            await client.call("room.enter")
        await client.close()


async def test_compression_when_the_server_accepts_it() -> None:
    """A server that takes up the compression offer (werkstatt declines it; a relay may not):
    its compressed messages are inflated, big and small, and calls are answered."""
    big = {"ok": True, "presence": [{"id": f"m-{i}", "pseudonym": f"Gast {i}"} for i in range(2000)]}

    async def socket_io(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=True)
        await ws.prepare(request)
        await ws.send_str('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}')
        async for msg in ws:
            if msg.data.startswith("40"):
                await ws.send_str('40{"sid":"t"}')
            elif msg.data.startswith("42"):
                ack_id = msg.data[2 : msg.data.index("[")]
                await ws.send_str("43" + ack_id + json.dumps([big]))
                await ws.send_str("42" + json.dumps(["board.changed", {"seq": 1}]))
        return ws

    app = web.Application()
    app.router.add_get("/socket.io/", socket_io)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        client = SioClient(base_url(srv), compress=True)
        await client.connect({"token": "x" * 43})
        changes: list[Any] = []
        client.on("board.changed", lambda change, _now: changes.append(change))
        assert client.compressed
        assert await client.call("room.enter") == big
        for _ in range(100):
            if changes:
                break
            await asyncio.sleep(0.02)
        assert changes == [{"seq": 1}]
        await client.close()
    finally:
        await srv.close()
