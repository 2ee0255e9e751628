"""One room's space across two nodes: two app nodes in one process on one PostgreSQL database and a real Redis.

The node whose member enters a room's space first runs it; members on the other node walk, talk and signal
through it, and when it stops (or dies) the other node takes the space over where people stood
(``server.live.space_nodes``). The map is ``tests/space_map.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE
from server.live.space import SpaceDesk
from server.live.space_nodes import SpaceNodes, inbox_channel, lease_key, node_of, positions_key
from server.transport.redisfanout import MAGIC, RAW, redis_channel
from tests.integration.team import gone, ok, refused
from tests.integration.test_space import CANDIDATE, OFFER, STEP, at, conversation_with, goto, walk
from tests.space_map import map_source
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server, until


async def node(pg_url: str, redis_url: str) -> TestServer:
    server = await start_server(pg_url, redis=redis_url, join_burst_per_address=1000)
    server.app[LIVE].space.maps = map_source
    return server


def desk(server: TestServer) -> SpaceDesk:
    space: SpaceDesk = server.app[LIVE].space
    return space


def nodes(server: TestServer) -> SpaceNodes:
    found = desk(server).nodes
    assert found is not None
    return found


@pytest.fixture
async def pair(pg_url: str, redis_url: str) -> AsyncIterator[tuple[TestServer, TestServer]]:
    first = await node(pg_url, redis_url)
    second = await node(pg_url, redis_url)
    yield first, second
    for server in (first, second):
        await server.close()  # (again, for one a test stopped: nothing happens)


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def people(
    servers: tuple[TestServer, ...], *names: tuple[str, int], role: Role = Role.PARTICIPANT
) -> dict[str, Client]:
    """Participants of one new event, each connected to the node of the given index, in the plenary's space
    (entered in the order given: the first one's node runs it)."""
    _event, links = await make_event(servers[0].app)
    clients = {}
    for name, index in names:
        client = await join_and_connect(base_url(servers[index]), links[role], name.capitalize())
        await ok(client, "space.enter")
        clients[name] = client
    return clients


async def barrier(client: Client) -> None:
    await ok(client, "clock.sync")


async def test_members_on_two_nodes_walk_talk_and_signal_in_one_space(
    pair: tuple[TestServer, TestServer], admin: aioredis.Redis
) -> None:
    first, second = pair
    clients = await people(pair, ("anna", 0), ("ben", 1), ("cem", 1))
    anna, ben, cem = clients["anna"], clients["ben"], clients["cem"]
    try:
        room_id = first.app[LIVE].connections_of(anna.member_id)[0].room_id
        assert set(desk(first).rooms) == {room_id} and desk(second).rooms == {}  # one node runs the space
        assert set(nodes(second).proxies) == {room_id}
        owner = await admin.get(lease_key(room_id))
        assert node_of(owner) == nodes(first).node
        entered = await ok(ben, "space.enter")  # (again: ben's second look) everyone, from the one space
        assert sorted(a["id"] for a in entered["avatars"]) == sorted(c.member_id for c in (anna, ben, cem))

        # anna and ben meet at the board landmark: each gets the other's position and moves
        near = await goto(anna, {"zone_id": "z6"})
        start = await goto(ben, {"member_id": anna.member_id})
        await anna.wait_for("space.moves", at(start)(ben.member_id))
        for client in (anna, ben):
            changed = await client.wait_for("conversation.changed", conversation_with(anna.member_id, ben.member_id))
            assert changed["conversation"]["kind"] == "bubble"
        end = await walk(ben, start, 0, STEP, 2)  # 48 px down: still together
        await anna.wait_for("space.moves", at(end)(ben.member_id))
        back = await walk(anna, near, 0, STEP, 2)
        await ben.wait_for("space.moves", at(back)(anna.member_id))

        # signalling, both ways, inside the conversation only; the bubble's chat reaches both nodes
        await goto(cem, {"zone_id": "z4"})
        await ok(anna, "rtc.signal", {"to": ben.member_id, "data": OFFER})
        assert await ben.wait_for("rtc.signal") == {"from": anna.member_id, "data": OFFER}
        await ok(ben, "rtc.signal", {"to": anna.member_id, "data": CANDIDATE})
        assert await anna.wait_for("rtc.signal") == {"from": ben.member_id, "data": CANDIDATE}
        assert await refused(cem, "rtc.signal", {"to": anna.member_id, "data": OFFER}) == "not_in_conversation"
        assert await refused(anna, "rtc.signal", {"to": cem.member_id, "data": OFFER}) == "not_in_conversation"
        await ok(ben, "bubble.chat", {"text": "Hallo Anna"})
        message = await anna.wait_for("bubble.message")
        assert message["text"] == "Hallo Anna" and message["author"]["id"] == ben.member_id
        assert message["author"]["pseudonym"] == "Ben"
        await ben.wait_for("bubble.message")
        # what the owner checks, it checks for members on the other node too
        assert await refused(ben, "space.goto", {"zone_id": "z99"}) == "not_found"
        assert await refused(cem, "bubble.chat", {"text": "Hallo?"}) == "not_in_conversation"
        locked = await ok(ben, "bubble.lock", {"locked": True})
        assert locked["conversation"]["locked"] is True
        await anna.wait_for("conversation.changed", lambda d: d["conversation"] and d["conversation"]["locked"])
        located = await ok(cem, "space.locate", {"member_id": anna.member_id})
        assert (located["position"]["x"], located["position"]["y"]) == (back["x"], back["y"])
        await ok(ben, "space.status", {"status": "hand"})
        assert await anna.wait_for("space.status") == {"member_id": ben.member_id, "status": "hand"}

        # ben walks away: anna loses him from view, and the conversation ends for both
        await goto(ben, {"zone_id": "z4"})
        await anna.wait_for("space.gone", lambda d: ben.member_id in d["members"])
        for client in (anna, ben):
            await client.wait_for("conversation.changed", lambda d: d["conversation"] is None)
        await barrier(anna)
        assert await refused(anna, "rtc.signal", {"to": ben.member_id, "data": OFFER}) == "not_in_conversation"
        assert len(ben.received["rtc.signal"]) == 1
    finally:
        for client in clients.values():
            await gone(client)


async def test_a_room_with_its_members_on_one_node_sends_nothing_through_redis(
    pair: tuple[TestServer, TestServer], admin: aioredis.Redis
) -> None:
    first, second = pair
    clients = await people(pair, ("anna", 0), ("ben", 0))
    anna, ben = clients["anna"], clients["ben"]
    watch = admin.pubsub()
    await watch.psubscribe(redis_channel("space-*"))  # whatever any node says about any space
    try:
        near = await goto(anna, {"zone_id": "z6"})
        start = await goto(ben, {"member_id": anna.member_id})
        await ben.wait_for("conversation.changed", conversation_with(anna.member_id, ben.member_id))
        end = await walk(ben, start, 0, STEP, 3)
        await anna.wait_for("space.moves", at(end)(ben.member_id))
        back = await walk(anna, near, 0, STEP, 2)
        await ben.wait_for("space.moves", at(back)(anna.member_id))
        room_id = next(iter(desk(first).rooms))
        assert nodes(second).proxies == {} and desk(second).rooms == {}
        remote = desk(first).rooms[room_id].remote
        assert remote is not None and remote.nodes_of == {} and remote.watching == {}
        said = [m for m in [await watch.get_message(timeout=0.2) for _ in range(5)] if m and m["type"] == "pmessage"]
        assert said == []  # nothing of the space went through Redis
    finally:
        await watch.aclose()
        for client in clients.values():
            await gone(client)


async def test_a_members_tabs_on_two_nodes_share_one_avatar(pair: tuple[TestServer, TestServer]) -> None:
    first, second = pair
    _event, links = await make_event(first.app)
    anna = await join_and_connect(base_url(first), links[Role.PARTICIPANT], "Anna")
    await ok(anna, "space.enter")
    tab = await connect(base_url(second), anna.token, anna.member_id)
    ben = await join_and_connect(base_url(second), links[Role.PARTICIPANT], "Ben")
    try:
        mine = await ok(tab, "space.enter")
        assert [a["id"] for a in mine["avatars"]].count(anna.member_id) == 1
        assert mine["me"]["id"] == anna.member_id
        await ok(ben, "space.enter")
        await goto(ben, {"zone_id": "z6"})
        near = await goto(tab, {"member_id": ben.member_id})  # the tab on the other node walks anna
        await anna.wait_for("space.corrected", lambda d: (d["x"], d["y"]) == (near["x"], near["y"]))
        await tab.disconnect()  # one tab closes: the avatar stays for the other
        await barrier(anna)
        room_id = next(iter(desk(first).rooms))
        assert await until(lambda: not desk(first).rooms[room_id].remote.nodes_of.get(anna.member_id))  # type: ignore[union-attr]
        assert anna.member_id in desk(first).rooms[room_id].avatars
        located = await ok(ben, "space.locate", {"member_id": anna.member_id})
        assert (located["position"]["x"], located["position"]["y"]) == (near["x"], near["y"])
    finally:
        for client in (anna, tab, ben):
            await gone(client)


async def test_when_the_node_running_a_space_stops_the_other_takes_it_over_where_people_stood(
    pair: tuple[TestServer, TestServer],
) -> None:
    first, second = pair
    clients = await people(pair, ("anna", 0), ("ben", 1), ("cem", 1))
    anna, ben, cem = clients["anna"], clients["ben"], clients["cem"]
    try:
        start = await goto(ben, {"zone_id": "z6"})
        near = await goto(cem, {"member_id": ben.member_id})
        for client in (ben, cem):
            await client.wait_for("conversation.changed", conversation_with(ben.member_id, cem.member_id))
        await ok(ben, "space.status", {"status": "away"})
        await anna.wait_for("space.status", lambda d: d["member_id"] == ben.member_id)
        room_id = next(iter(desk(first).rooms))
        seen_by_cem = len(cem.received["conversation.changed"])

        await gone(anna)
        await first.close()  # the node running the space stops: it hands the space on
        assert await until(lambda: room_id in desk(second).rooms)
        space = desk(second).rooms[room_id]
        assert sorted(space.avatars) == sorted([ben.member_id, cem.member_id])
        assert (space.avatars[ben.member_id].pos.x, space.avatars[ben.member_id].pos.y) == (start["x"], start["y"])
        assert space.avatars[ben.member_id].status == "away"
        assert nodes(second).proxies == {}
        # the members there are told their conversation again, and moves flow
        told = await cem.wait_for_all("conversation.changed", seen_by_cem + 1)
        assert told[-1]["conversation"]["members"] == sorted([ben.member_id, cem.member_id])
        end = await walk(ben, start, 0, STEP, 2)
        await cem.wait_for("space.moves", at(end)(ben.member_id))
        located = await ok(ben, "space.locate", {"member_id": cem.member_id})
        assert (located["position"]["x"], located["position"]["y"]) == (near["x"], near["y"])
    finally:
        for client in clients.values():
            await gone(client)


async def test_when_the_node_running_a_space_dies_its_lease_expires_and_the_other_takes_over(
    pair: tuple[TestServer, TestServer], monkeypatch: pytest.MonkeyPatch, admin: aioredis.Redis
) -> None:
    first, second = pair
    for server in pair:
        nodes(server).lease_s, nodes(server).renew_s = 1.5, 0.3
    clients = await people(pair, ("anna", 0), ("ben", 1), ("cem", 1))
    anna, ben, cem = clients["anna"], clients["ben"], clients["cem"]
    try:
        start = await goto(ben, {"zone_id": "z6"})
        await goto(cem, {"member_id": ben.member_id})
        await cem.wait_for("conversation.changed", conversation_with(ben.member_id, cem.member_id))
        room_id = next(iter(desk(first).rooms))
        for _ in range(250):  # a round of the lease writes the positions
            stored = await admin.hget(positions_key(room_id), ben.member_id)
            if stored is not None and orjson.loads(stored)[:2] == [start["x"], start["y"]]:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("ben's position was not written to Redis")

        async def dies() -> None:  # renews nothing, releases nothing, says nothing
            beat = nodes(first)._beat
            if beat is not None:
                beat.cancel()

        monkeypatch.setattr(nodes(first), "close", dies)
        await gone(anna)
        await first.close()
        assert await until(lambda: room_id in desk(second).rooms, within=10)
        space = desk(second).rooms[room_id]
        assert (space.avatars[ben.member_id].pos.x, space.avatars[ben.member_id].pos.y) == (start["x"], start["y"])
        end = await walk(ben, start, 0, STEP, 2)
        await cem.wait_for("space.moves", at(end)(ben.member_id))
        owner = await admin.get(lease_key(room_id))
        assert node_of(owner) == nodes(second).node
    finally:
        for client in clients.values():
            await gone(client)


async def test_what_no_node_could_have_said_on_a_spaces_inbox_is_dropped_and_the_space_goes_on(
    pair: tuple[TestServer, TestServer], admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    first, _second = pair
    clients = await people(pair, ("anna", 0), ("ben", 1))
    anna, ben = clients["anna"], clients["ben"]
    try:
        room_id = next(iter(desk(first).rooms))
        channel = redis_channel(inbox_channel(room_id))
        stranger = MAGIC + b"\x01" * 8 + RAW
        for bad in (
            b"not json",
            b"{}",
            b'["x"]',
            b'["m", [["nobody", 1, 2, "sideways", true]]]',
            b'["m", "moves"]',
            b'["c", 1, "teleport", "nobody", []]',
            b'["h", true, "everyone"]',
            orjson.dumps(["c", 2, "goto", ben.member_id, ["too", "many", "args"]]),
        ):
            await admin.publish(channel, stranger + bad)
        await admin.publish(channel, b"no header at all")
        await goto(anna, {"zone_id": "z6"})  # the space goes on for both nodes
        near = await goto(ben, {"member_id": anna.member_id})
        await anna.wait_for("space.moves", at(near)(ben.member_id))
        assert "malformed message" in caplog.text
    finally:
        for client in clients.values():
            await gone(client)


async def test_a_node_that_lost_redis_a_while_gets_its_members_views_anew(
    pair: tuple[TestServer, TestServer], admin: aioredis.Redis
) -> None:
    """What was said while a node's subscription was lost is lost: once it hears again, the node running the
    space sends its members there their view anew (who is near, their conversation)."""
    _first, second = pair
    clients = await people(pair, ("anna", 0), ("ben", 1))
    anna, ben = clients["anna"], clients["ben"]
    try:
        near = await goto(anna, {"zone_id": "z6"})
        start = await goto(ben, {"member_id": anna.member_id})
        both = conversation_with(anna.member_id, ben.member_id)
        await ben.wait_for("conversation.changed", both)
        await barrier(ben)
        told = len(ben.received["conversation.changed"])
        seen = len(ben.received["space.moves"])

        _publisher, subscriber = nodes(second).fanout.names
        assert await kill(admin, subscriber) == 1
        again = await ben.wait_for_all("conversation.changed", told + 1)
        assert both(again[-1])  # told again, unchanged
        await ben.wait_for_all("space.moves", seen + 1)  # and who is near: anna where she stands
        assert any(
            item[0] == anna.member_id and (item[1], item[2]) == (near["x"], near["y"])
            for frame in ben.received["space.moves"][seen:]
            for item in frame["moves"]
        )
        end = await walk(ben, start, 0, STEP, 2)
        await anna.wait_for("space.moves", at(end)(ben.member_id))
    finally:
        for client in clients.values():
            await gone(client)


async def kill(admin: aioredis.Redis, name: str) -> int:
    ids = [c["id"] for c in await admin.client_list() if c.get("name") == name]
    for client_id in ids:
        await admin.client_kill_filter(_id=client_id)
    return len(ids)
