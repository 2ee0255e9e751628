"""The fan-out across nodes through the real Redis: two nodes (each a ``RealtimeServer`` with a
``RedisFanout``) and connections that record what is written to them."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from boards.actors import Role
from server.transport import jsoncodec
from server.transport.endpoint import RealtimeServer, Socket
from server.transport.fanout import RESUMED, Forms, Recipient
from server.transport.redisfanout import FORMS, RedisFanout, redis_channel
from tests.support import base_url, join_and_connect, make_event, start_server, until


class Recording:
    """A connection of a node: what was written to it, as Socket.IO events."""

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.channels: list[str] = []
        self.connected = True
        self.connecting = None
        self.frames: list[bytes] = []

    def send(self, data: bytes) -> bool:
        self.frames.append(data)
        return True

    @property
    def events(self) -> list[list[Any]]:
        """Every ``42[…]`` packet in the frames written (small frames: a 2-byte header each)."""
        out = []
        for data in self.frames:
            while data:
                length = data[1] & 0x7F
                assert length < 126
                out.append(jsoncodec.loads(data[4 : 2 + length]))
                data = data[2 + length :]
        return out


class Node:
    def __init__(self, url: str) -> None:
        self.server = RealtimeServer(
            origin_allowed=lambda _r, _o: True, max_message_bytes=1 << 16, send_buffer_limit=1 << 16
        )
        self.fanout = RedisFanout(self.server, url)
        self.readers: dict[str, Recipient] = {}
        self.fanout.recipient = lambda sid: self.readers.get(sid, Recipient(None, False))

    def connect(self, sid: str, reader: Recipient | None = None) -> Recording:
        connection = Recording(sid)
        self.server.sockets[sid] = cast(Socket, connection)
        if reader is not None:
            self.readers[sid] = reader
        return connection


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[tuple[Node, Node]]:
    a, b = Node(redis_url), Node(redis_url)
    await a.fanout.start()
    await b.fanout.start()
    yield a, b
    await a.fanout.close()
    await b.fanout.close()


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


def fresh(kind: str = "room") -> str:
    return f"{kind}:{secrets.token_hex(6)}"


async def one_each(a: Node, b: Node) -> tuple[str, Recording, Recording]:
    """A fresh room with one connection of each node in it."""
    room = fresh()
    here, there = a.connect("a1"), b.connect("b1")
    await a.fanout.subscribe(here.sid, room)
    await b.fanout.subscribe(there.sid, room)
    return room, here, there


async def subscribers(admin: aioredis.Redis, channel: str) -> int:
    ((_name, count),) = await admin.pubsub_numsub(redis_channel(channel))
    return int(count)


async def test_a_publish_reaches_every_member_on_both_nodes_once_and_in_order(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    room = fresh()
    here, there, also_there = a.connect("a1"), b.connect("b1"), b.connect("b2")
    for node, conn in ((a, here), (b, there), (b, also_there)):
        await node.fanout.subscribe(conn.sid, room)
    for n in range(50):
        await a.fanout.publish(room, "board.changed", {"seq": n})
    await a.fanout.publish_all(room, "chat.message", [{"n": 1}, {"n": 2}])
    await a.fanout.publish_each([room, fresh()], "note", {"to": "each"})
    expected = [["board.changed", {"seq": n}] for n in range(50)]
    expected += [["chat.message", {"n": 1}], ["chat.message", {"n": 2}], ["note", {"to": "each"}]]
    assert await until(lambda: len(also_there.events) >= len(expected))
    # the sender's own message came back through Redis and was skipped: a message from b after them arrives after them
    await b.fanout.publish(room, "marker", {})
    assert await until(lambda: len(here.events) > len(expected))
    for conn in (there, also_there):
        assert conn.events[: len(expected)] == expected
    assert here.events == [*expected, ["marker", {}]]
    # each node read its own messages back and skipped them: a's 50 publishes, publish_all's one message (both
    # events), the note to the room (the one to a channel nobody is in came back to no node); b's marker
    assert (a.fanout.echoes, b.fanout.echoes) == (52, 1)


async def test_a_node_without_members_in_a_channel_is_not_subscribed_to_it_and_receives_nothing(
    nodes: tuple[Node, Node], admin: aioredis.Redis
) -> None:
    a, b = nodes
    mine, elsewhere = fresh(), fresh()
    here, there = a.connect("a1"), b.connect("b1")
    await a.fanout.subscribe(here.sid, mine)
    await b.fanout.subscribe(there.sid, elsewhere)
    assert mine not in b.fanout.subscribed() and await subscribers(admin, mine) == 1
    await a.fanout.publish(mine, "only.a", {})
    await a.fanout.publish(elsewhere, "to.b", {})
    assert await until(lambda: there.events == [["to.b", {}]])
    assert here.events == [["only.a", {}]]


async def test_forms_are_chosen_per_recipient_on_the_receiving_node(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    room = fresh()
    sender = a.connect("a1", Recipient("m-sender", False))
    public = b.connect("b-projector")
    moderator = b.connect("b-mod", Recipient("m-mod", True))
    author = b.connect("b-author", Recipient("m-author", False))
    other = b.connect("b-other", Recipient("m-other", False))
    await a.fanout.subscribe(sender.sid, room)
    for conn in (public, moderator, author, other):
        await b.fanout.subscribe(conn.sid, room)
    forms = Forms(
        {"text": "hidden"}, {"text": "Bänke", "author": "Rita"}, {"m-author": {"text": "Bänke", "mine": True}}
    )
    await a.fanout.publish_forms(room, "board.changed", forms)
    assert await until(lambda: bool(other.events))
    assert public.events == other.events == [["board.changed", {"text": "hidden"}]]
    assert moderator.events == [["board.changed", {"text": "Bänke", "author": "Rita"}]]
    assert author.events == [["board.changed", {"text": "Bänke", "mine": True}]]
    assert sender.events == [["board.changed", {"text": "hidden"}]]


async def test_the_last_member_leaving_unsubscribes_the_channel(
    nodes: tuple[Node, Node], admin: aioredis.Redis
) -> None:
    a, b = nodes
    room = fresh()
    here, first, second = a.connect("a1"), b.connect("b1"), b.connect("b2")
    await a.fanout.subscribe(here.sid, room)
    await b.fanout.subscribe(first.sid, room)
    await b.fanout.subscribe(second.sid, room)
    assert await subscribers(admin, room) == 2
    await b.fanout.unsubscribe(first.sid, room)
    assert room in b.fanout.subscribed()
    b.server._lost(cast(Socket, second))  # the connection closed: it leaves its channels without the fan-out
    assert await until(lambda: room not in b.fanout.subscribed())
    assert await until_async(lambda: subscribers(admin, room), 1)
    await a.fanout.publish(room, "after", {})
    await b.fanout.subscribe(b.connect("b3").sid, room)  # and a new first member subscribes again
    assert await subscribers(admin, room) == 2
    assert first.events == second.events == []


async def test_the_reader_reconnects_after_its_connection_is_killed(
    nodes: tuple[Node, Node], admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    room, _here, there = await one_each(a, b)
    await a.fanout.publish(room, "before", {})
    assert await until(lambda: len(there.events) == 1)
    _publisher, subscriber = b.fanout.names
    with caplog.at_level(logging.WARNING, "werkstatt.redis"):
        killed = await kill(admin, subscriber)
        assert killed == 1
        assert await until_async(lambda: subscribers(admin, room), 2)  # b subscribed again
    assert "the Redis subscription was lost" in caplog.text
    await a.fanout.publish(room, "after", {})
    assert await until(lambda: len(there.events) == 2)
    assert there.events == [["before", {}], ["after", {}]]
    # and the publishing connection: a publish after its loss connects it again
    with caplog.at_level(logging.WARNING, "werkstatt.redis"):
        assert await kill(admin, a.fanout.names[0]) == 1
        for n in range(50):
            await a.fanout.publish(room, "again", {"n": n})
            if await until(lambda: len(there.events) > 2, within=0.1):
                break
    assert "the Redis connection for publishing was lost" in caplog.text
    again = [data["n"] for name, data in there.events[2:] if name == "again"]
    assert again and again == sorted(again)
    await a.fanout.publish(room, "last", {})
    assert await until(lambda: there.events[-1] == ["last", {}])


async def test_a_malformed_message_is_logged_and_dropped_and_the_reader_goes_on(
    nodes: tuple[Node, Node], admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    room, here, there = await one_each(a, b)
    header = b"W1" + b"\0" * 8
    with caplog.at_level(logging.WARNING, "werkstatt.redis"):
        for junk in (b"garbage", b"W1", header + b"?x", header + FORMS + b"\x00\x01\xff\xff\xff\xff", header + FORMS):
            await admin.publish(redis_channel(room), junk)
        await a.fanout.publish(room, "fine", {})
        assert await until(lambda: bool(there.events))
    assert there.events == [["fine", {}]]
    assert here.events == [["fine", {}]]
    assert caplog.text.count("a malformed message") == 2 * 5  # on each node: both have a member there


async def kill(admin: aioredis.Redis, name: str) -> int:
    ids = [c["id"] for c in await admin.client_list() if c.get("name") == name]
    for client_id in ids:
        await admin.client_kill_filter(_id=client_id)
    return len(ids)


async def until_async(read: Any, expected: int, within: float = 5) -> bool:
    for _ in range(round(within / 0.02)):
        if await read() == expected:
            return True
        await asyncio.sleep(0.02)
    return bool(await read() == expected)


async def test_two_app_nodes_on_one_database_deliver_a_board_change_to_each_others_clients(
    sqlite_url: str, redis_url: str
) -> None:
    first = await start_server(sqlite_url, redis=redis_url)
    second = await start_server(sqlite_url, redis=redis_url)
    event, links = await make_event(first.app)
    poster = await join_and_connect(base_url(first), links[Role.PARTICIPANT], "Poster")
    watcher = await join_and_connect(base_url(second), links[Role.PARTICIPANT], "Watcher")
    board_id = (await poster.call("room.enter"))["boards"][0]["id"]
    await watcher.call("room.enter")
    ack = await poster.call(
        "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "Bänke"}
    )
    assert ack["ok"], ack
    change = await watcher.wait_for("board.changed", lambda c: c["seq"] == ack["seq"])
    assert "Bänke" in json.dumps(change, ensure_ascii=False)
    await poster.wait_for("board.changed", lambda c: c["seq"] == ack["seq"])
    assert len(poster.received["board.changed"]) == 1  # not a second time through Redis
    for client in (poster, watcher):
        await client.disconnect()
    await first.close()
    await second.close()


async def test_a_node_does_not_start_without_the_redis_it_was_given(sqlite_url: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(redis.exceptions.ConnectionError):
        await start_server(sqlite_url, redis=f"redis://127.0.0.1:{port}/0")


async def test_a_channel_joined_while_the_subscription_is_lost_is_subscribed_once_it_is_back(
    nodes: tuple[Node, Node], admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    room, _here, _there = await one_each(a, b)
    later = fresh()
    sender, joining = a.connect("a2"), b.connect("b2")
    await a.fanout.subscribe(sender.sid, later)
    with caplog.at_level(logging.INFO, "werkstatt.redis"):
        assert await kill(admin, b.fanout.names[1]) == 1
        assert await until(lambda: "the Redis subscription was lost" in caplog.text)
        await b.fanout.subscribe(joining.sid, later)  # returns once Redis confirmed it, after the reconnection
        assert "subscribed to Redis again" in caplog.text
    assert await subscribers(admin, later) == 2 and await subscribers(admin, room) == 2
    await a.fanout.publish(later, "later", {})
    assert await until(lambda: joining.events == [["later", {}]])


async def test_a_connection_joining_several_channels_gets_nothing_before_its_joins_are_done(
    nodes: tuple[Node, Node],
) -> None:
    """``subscribe_many`` (a connect joins its room, event and member channels): every subscription new to
    the node is confirmed first, and the joins follow without an await — so nothing of the first channel
    reaches the connection while the node still waits for Redis to confirm the others (the endpoint sends
    its connect answer, ``40``, right after: nothing may come before it)."""
    a, b = nodes
    room = fresh()
    talker = a.connect("a1")
    await a.fanout.subscribe(talker.sid, room)
    stop = asyncio.Event()

    async def talk() -> None:  # another node's room, busy: a message every turn of the loop
        n = 0
        while not stop.is_set():
            n += 1
            await a.fanout.publish(room, "board.changed", {"seq": n})
            await asyncio.sleep(0)

    talking = asyncio.create_task(talk())
    arriving = b.connect("b1")
    for _ in range(5):
        await asyncio.sleep(0.01)
    channels = [room, fresh("event"), fresh("member")]
    await b.fanout.subscribe_many([(arriving.sid, channel) for channel in channels])
    assert arriving.frames == []  # what the caller sends next is the first thing the connection gets
    assert all(arriving.sid in b.server.channels[channel] for channel in channels)
    assert await until(lambda: len(arriving.events) >= 3)  # and the room's messages come after it
    stop.set()
    await talking


async def test_what_a_node_tells_reaches_every_other_node_once_in_order_with_its_publishes(
    nodes: tuple[Node, Node], redis_url: str
) -> None:
    a, b = nodes
    c = Node(redis_url)
    await c.fanout.start()
    try:
        heard: dict[str, list[tuple[str, Any]]] = {"a": [], "b": [], "c": []}
        for name, node in (("a", a), ("b", b), ("c", c)):
            for topic in ("board", "moves"):
                node.fanout.on_told(topic, lambda data, name=name, topic=topic: heard[name].append((topic, data)))
        room = fresh()
        there = b.connect("b1")
        await b.fanout.subscribe(there.sid, room)
        # b writes the room's change to its connection only after it heard of the change: on its own connection
        # the order shows it (each listener notes how many frames its connection had when it heard)
        seen_when_told: list[int] = []
        b.fanout.listeners["board"] = [lambda data: seen_when_told.append(len(there.events))]
        for n in range(20):
            await a.fanout.tell("board", {"id": "b1", "seq": n})
            await a.fanout.publish(room, "board.changed", {"seq": n})
        await a.fanout.tell("moves", [["m1", "r1"]])
        assert await until(lambda: len(heard["c"]) == 21 and len(there.events) == 20)
        assert heard["c"] == [*(("board", {"id": "b1", "seq": n}) for n in range(20)), ("moves", [["m1", "r1"]])]
        assert seen_when_told == list(range(20))  # the n-th word came before the n-th change, after the one before
        assert heard["a"] == []  # a node does not hear itself
        assert await until(lambda: heard["b"] == [("moves", [["m1", "r1"]])])
    finally:
        await c.fanout.close()


async def test_what_no_werkstatt_node_could_have_said_is_dropped_and_the_node_goes_on(
    nodes: tuple[Node, Node], admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    heard: list[Any] = []
    b.fanout.on_told("board", heard.append)
    b.fanout.on_told("fails", lambda _data: 1 / 0)
    header = b"W1" + b"\x01" * 8 + b"T"
    with caplog.at_level(logging.WARNING, logger="werkstatt"):
        for body in (b"not json", b'{"a": 1}', b"[1, 2]", b'["board"]', b'["nobody listens", 1]', b'["fails", 1]'):
            await admin.publish(redis_channel("_nodes"), header + body)
        await a.fanout.tell("board", {"after": "the bad ones"})
        assert await until(lambda: heard == [{"after": "the bad ones"}])
    assert "nothing here listens" in caplog.text and "failed" in caplog.text
    also: list[Any] = []
    b.fanout.on_told("fails", also.append)  # a topic may have several listeners; one's fault does not stop the next
    await a.fanout.tell("fails", 2)
    assert await until(lambda: also == [2])


async def test_a_node_listens_to_the_others_for_as_long_as_it_runs(
    nodes: tuple[Node, Node], admin: aioredis.Redis
) -> None:
    _a, b = nodes
    room = fresh()
    conn = b.connect("b1")
    await b.fanout.subscribe(conn.sid, room)
    b.server.leave(conn.sid, room)
    b.fanout._channel_closed(room)
    b.fanout._channel_closed("_nodes")  # no connection is ever in it: it is not given up like a room
    assert await until(lambda: room not in b.fanout.subscribed())
    assert "_nodes" in b.fanout.subscribed() and await subscribers(admin, "_nodes") >= 2


async def test_a_node_that_lost_redis_hears_it_lost_words_and_then_hears_the_others_again(
    nodes: tuple[Node, Node], admin: aioredis.Redis
) -> None:
    a, b = nodes
    resumed: list[None] = []
    heard: list[Any] = []
    b.fanout.on_told(RESUMED, resumed.append)
    b.fanout.on_told("board", heard.append)
    assert await kill(admin, b.fanout.names[1]) == 1
    assert await until(lambda: resumed == [None], within=10)  # its caches may be outdated: it drops them
    await a.fanout.tell("board", {"seq": 1})
    assert await until(lambda: heard == [{"seq": 1}])
