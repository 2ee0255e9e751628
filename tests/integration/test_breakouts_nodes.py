"""Breakout rounds on two app nodes (one PostgreSQL, one Redis): a round opened, changed or closed on one
node moves the members connected to the other as well, into the rooms the store has them in; a node
that did not make the round decides on the stored one and arms its deadlines; a deadline armed on both
nodes closes the round once, and still closes it when the node that armed it first is gone."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer

from boards.actors import Role
from boards.errors import DomainError
from boards.rules import SYSTEM
from rooms import breakouts as b
from server.ids import utcnow
from server.keys import LIVE, STORE
from server.live.breakouts import BreakoutDesk, RoundCommand
from server.live.state import LiveState
from server.transport.redisfanout import RedisFanout
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server, until


@dataclass
class Nodes:
    """Two nodes of one workshop, a facilitator on each, and participants spread over both."""

    a: TestServer
    b: TestServer
    links: dict[Role, str]
    event_id: str
    plenary: str
    mod: Client  # on a
    mod_b: Client  # on b
    people: list[Client] = field(default_factory=list)
    node_of: dict[str, TestServer] = field(default_factory=dict)  # member → the node their client is on
    room_of: dict[str, str] = field(default_factory=dict)  # member → the room their client was told

    def live(self, node: TestServer) -> LiveState:
        live: LiveState = node.app[LIVE]
        return live

    def desk(self, node: TestServer) -> BreakoutDesk:
        return self.live(node).breakouts

    async def add(self, node: TestServer, pseudonym: str) -> Client:
        client = await join_and_connect(base_url(node), self.links[Role.PARTICIPANT], pseudonym)
        self.follow(client, node, self.plenary)
        self.people.append(client)
        return client

    def follow(self, client: Client, node: TestServer, room_id: str) -> None:
        self.node_of[client.member_id] = node
        self.room_of[client.member_id] = room_id

        async def moved(data: dict[str, Any]) -> None:
            self.room_of[client.member_id] = data["room"]["id"]
            await client.record("room.moved", data)

        client.sio.on("room.moved", moved)

    def server_rooms(self) -> dict[str, str]:
        """Each participant's room as the node their connection is on has it; nobody is present in two rooms."""
        where: dict[str, str] = {}
        for node in (self.a, self.b):
            live = self.live(node)
            for conn in live.connections.values():
                if conn.member.id in self.room_of:
                    assert self.node_of[conn.member.id] is node
                    where[conn.member.id] = conn.room_id
                    assert conn.member.id in live.presence[conn.room_id].members
            present = Counter(m for room in live.presence.values() for m in room.members)
            assert all(n == 1 for n in present.values()), "someone is present in two rooms"
        return where

    async def settled(self, expected: dict[str, str]) -> None:
        """Every client was told the room its node has it in, and that is ``expected``."""
        wrong = lambda: {m: (self.room_of.get(m), r) for m, r in expected.items() if self.room_of.get(m) != r}  # noqa: E731
        assert await until(lambda: not wrong(), within=20), f"not where expected: {list(wrong().items())[:3]}"
        assert self.server_rooms() == expected

    async def stored(self, round_id: str) -> b.BreakoutRound:
        rnd: b.BreakoutRound = await self.a.app[STORE].load_round(round_id)
        return rnd

    async def quiet(self) -> None:
        """Both nodes have done what they were told and committed what was asked, and every client has read
        what was written to it before (an answer comes after what its connection was sent earlier)."""
        for node in (self.a, self.b):
            desk = self.desk(node)
            assert await until(lambda desk=desk: not desk._tasks and not desk.serializer.busy(self.event_id))
        for client in (self.mod, self.mod_b, *self.people):
            if client.sio.connected:
                assert (await client.call("breakout.state"))["ok"]

    async def close(self) -> None:
        clients = [c for c in (self.mod, self.mod_b, *self.people) if c.sio.connected]
        await asyncio.gather(*(c.disconnect() for c in clients))
        for node in (self.a, self.b):
            await node.close()


async def start(pg_url: str, redis_url: str, people: int) -> Nodes:
    """``people`` participants, every other one on the second node."""
    limits = {"join_burst_per_address": 500, "join_burst_per_link": 500}
    a = await start_server(pg_url, redis=redis_url, **limits)
    b_ = await start_server(pg_url, redis=redis_url, **limits)
    event, links = await make_event(a.app)
    mod = await join_and_connect(base_url(a), links[Role.FACILITATOR], "Moderation A")
    mod_b = await join_and_connect(base_url(b_), links[Role.FACILITATOR], "Moderation B")
    plenary = (await mod.call("room.enter"))["room"]["id"]
    nodes = Nodes(a, b_, links, event.id, plenary, mod, mod_b)
    for n in range(people):
        await nodes.add(a if n % 2 == 0 else b_, f"Teilnehmende {n}")
    return nodes


@pytest.fixture
async def redis_admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_a_round_opened_on_one_node_moves_everyone_on_both_into_the_rooms_the_store_has(
    pg_url: str, redis_url: str
) -> None:
    nodes = await start(pg_url, redis_url, 12)
    mod, mod_b = nodes.mod, nodes.mod_b
    try:
        rooms = [{"name": f"Tisch {n + 1}"} for n in range(4)]
        created = await mod.call("breakout.create", {"rooms": rooms, "mode": "automatic", "countdown_s": 10})
        assert created["ok"], created
        round_id = created["round"]["id"]
        # the other node knows the new round at once: its facilitator previews it
        preview = await mod_b.call("breakout.assign", {"round_id": round_id, "mode": "automatic", "seed": 5})
        assert preview["ok"], preview
        assert set(preview["round"]["placement"]) == set(nodes.room_of)  # the participants of both nodes
        sizes = [r["size"] for r in preview["round"]["rooms"]]
        assert sum(sizes) == 12 and max(sizes) - min(sizes) <= 1
        assert nodes.server_rooms() == dict.fromkeys(nodes.room_of, nodes.plenary)  # a preview moves nobody

        opened = await mod.call("breakout.open", {"round_id": round_id})
        assert opened["ok"] and opened["round"]["status"] == "open", opened
        placement = opened["round"]["placement"]
        assert placement == preview["round"]["placement"]
        assert set(opened["round"]["names"]) == set(placement)  # the node names those who joined on the other
        assert (await nodes.stored(round_id)).placement == placement
        await nodes.settled(placement)
        await nodes.quiet()
        for client in nodes.people:  # once each, wherever their connection is
            assert [m["reason"] for m in client.received["room.moved"]] == ["breakout_open"]
        assert nodes.desk(nodes.b).rounds[nodes.event_id].seq == (await nodes.stored(round_id)).seq
        seen_b = await mod_b.call("breakout.state")
        assert seen_b["round"]["status"] == "open" and seen_b["round"]["placement"] == placement

        # a participant of the first node reconnects to the second: into their room
        anna = nodes.people[0]
        assert nodes.node_of[anna.member_id] is nodes.a
        await anna.disconnect()
        anna = nodes.people[0] = await connect(base_url(nodes.b), anna.token, anna.member_id)
        nodes.follow(anna, nodes.b, placement[anna.member_id])
        assert (await anna.call("room.enter"))["room"]["id"] == placement[anna.member_id]
        # someone new joins on the second node: placed there, in the room the store has them in
        late = await nodes.add(nodes.b, "Spät")
        entered = await late.call("room.enter")
        stored = await nodes.stored(round_id)
        assert entered["room"]["kind"] == "breakout" and entered["room"]["id"] == stored.placement[late.member_id]
        nodes.room_of[late.member_id] = entered["room"]["id"]
        expected = dict(stored.placement)
        await nodes.settled(expected)

        # the first node's facilitator moves someone connected to the second, and the other way round
        room_ids = [r["id"] for r in opened["round"]["rooms"]]
        on_b = next(c for c in nodes.people[1:] if nodes.node_of[c.member_id] is nodes.b)
        on_a = next(c for c in nodes.people if nodes.node_of[c.member_id] is nodes.a)
        for facilitator, client in ((mod, on_b), (mod_b, on_a)):
            target = next(r for r in room_ids if r != expected[client.member_id])
            ack = await facilitator.call(
                "breakout.move", {"round_id": round_id, "member_id": client.member_id, "room_id": target}
            )
            assert ack["ok"], ack
            expected[client.member_id] = target
            moved = await client.wait_for("room.moved", lambda d, target=target: d["room"]["id"] == target)
            assert moved["reason"] == "moved"
            assert client.member_id in [m["id"] for m in moved["presence"]]
        assert (await nodes.stored(round_id)).placement == expected
        await nodes.settled(expected)

        # a facilitator on the second node, with a second tab on the first, visits a room (both tabs go, and
        # each is told once), then closes the round: everyone back, once
        tab = await connect(base_url(nodes.a), mod_b.token, mod_b.member_id)
        try:
            visit = await mod_b.call("breakout.visit", {"room_id": room_ids[0]})
            assert visit["ok"], visit
            for client in (mod_b, tab):
                await client.wait_for("room.moved", lambda d: d["reason"] == "visit")
            for node in (nodes.a, nodes.b):  # the tab on each node is in the room
                assert {c.room_id for c in nodes.live(node).connections_of(mod_b.member_id)} == {room_ids[0]}
            closed = await mod_b.call("breakout.close", {"round_id": round_id, "now": True})
            assert closed["ok"] and closed["round"]["status"] == "closed", closed
            await nodes.settled(dict.fromkeys(expected, nodes.plenary))
            for client in (mod_b, tab):
                back = await client.wait_for("room.moved", lambda d: d["reason"] == "breakout_close")
                assert back["room"]["id"] == nodes.plenary
            await nodes.quiet()
            assert (await tab.call("breakout.state"))["ok"]
            for client in (*nodes.people, mod_b, tab):
                assert [m["reason"] for m in client.received["room.moved"]].count("breakout_close") == 1
            for client in (mod_b, tab):
                assert [m["reason"] for m in client.received["room.moved"]].count("visit") == 1
        finally:
            await tab.disconnect()
        assert (await nodes.stored(round_id)).status is b.RoundStatus.CLOSED
        # a new round from the second node follows the closed one: the first node's facilitator works on it
        # at once (a round it has not heard of yet is read from the store), and soon sees it as current
        again = await mod_b.call("breakout.create", {"rooms": [{"name": "Nachlese"}]})
        assert again["ok"], again
        new_id = again["round"]["id"]
        preview = await mod.call("breakout.assign", {"round_id": new_id, "mode": "automatic", "seed": 1})
        assert preview["ok"] and set(preview["round"]["placement"]) == set(expected), preview
        assert await until(lambda: nodes.desk(nodes.a).rounds[nodes.event_id].seq == preview["round"]["seq"])
        state = await mod.call("breakout.state")
        assert state["round"]["id"] == new_id and state["round"]["status"] == "draft"
    finally:
        await nodes.close()


async def test_capacities_hold_when_both_nodes_place_people_at_once(pg_url: str, redis_url: str) -> None:
    nodes = await start(pg_url, redis_url, 12)
    try:
        created = await nodes.mod.call(
            "breakout.create", {"rooms": [{"name": "Klein", "capacity": 3}, {"name": "Groß"}], "mode": "self_select"}
        )
        round_id = created["round"]["id"]
        small = created["round"]["rooms"][0]["id"]
        assert (await nodes.mod.call("breakout.open", {"round_id": round_id}))["ok"]
        acks = await asyncio.gather(
            *(c.call("breakout.choose", {"round_id": round_id, "room_id": small}) for c in nodes.people)
        )
        assert sum(a["ok"] for a in acks) == 3
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"room_full"}
        chosen = {c.member_id: small for c, a in zip(nodes.people, acks, strict=True) if a["ok"]}
        assert {nodes.node_of[m] for m in chosen} <= {nodes.a, nodes.b}
        assert (await nodes.stored(round_id)).placement == chosen
        await nodes.settled({**dict.fromkeys(nodes.room_of, nodes.plenary), **chosen})
        for facilitator in (nodes.mod, nodes.mod_b):  # no second round while this one is open, on either node
            refused = await facilitator.call("breakout.create", {"rooms": [{"name": "Noch eine"}]})
            assert refused["error"]["code"] == "already_open", refused
        # two facilitators, one on each node, fill the last seat at once: one gets it
        big = created["round"]["rooms"][1]["id"]
        gone = next(iter(chosen))
        assert (await nodes.mod.call("breakout.move", {"round_id": round_id, "member_id": gone, "room_id": big}))["ok"]
        rest = [c.member_id for c in nodes.people if c.member_id not in chosen]
        both = await asyncio.gather(
            nodes.mod.call("breakout.move", {"round_id": round_id, "member_id": rest[0], "room_id": small}),
            nodes.mod_b.call("breakout.move", {"round_id": round_id, "member_id": rest[1], "room_id": small}),
        )
        assert [a["ok"] for a in both].count(True) == 1, both
        assert [a["error"]["code"] for a in both if not a["ok"]] == ["room_full"]
        assert Counter((await nodes.stored(round_id)).placement.values())[small] == 3
    finally:
        await nodes.close()


async def test_a_deadline_fired_by_both_nodes_at_once_changes_the_round_once(pg_url: str, redis_url: str) -> None:
    """The round's deadlines as both nodes fire them (their ``_at`` submits exactly this): one commits, the
    other finds the round moved on; a deadline that an extension moved is refused on either node."""
    nodes = await start(pg_url, redis_url, 4)
    try:
        created = await nodes.mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}], "duration_s": 60})
        round_id = created["round"]["id"]
        assert (await nodes.mod.call("breakout.open", {"round_id": round_id}))["ok"]
        opened = await nodes.stored(round_id)
        assert opened.ends_at is not None
        await nodes.settled(opened.placement)
        desk_a, desk_b = nodes.desk(nodes.a), nodes.desk(nodes.b)
        assert await until(lambda: desk_b.rounds[nodes.event_id].seq == opened.seq)
        assert nodes.event_id in desk_a.timers and nodes.event_id in desk_b.timers  # both armed the countdown

        extended = await nodes.mod_b.call("breakout.extend", {"round_id": round_id, "seconds": 60})
        assert extended["ok"], extended
        stale = RoundCommand(SYSTEM, round_id, b.StartClose(utcnow()), due=opened.ends_at)
        with pytest.raises(DomainError) as refused:
            await desk_a.serializer.submit(nodes.event_id, stale)
        assert refused.value.code == "stale_round"  # (never seen by a client: the deadline is the server's)

        ends_at = (await nodes.stored(round_id)).ends_at
        countdown = [RoundCommand(SYSTEM, round_id, b.StartClose(utcnow()), due=ends_at) for _ in range(2)]
        fired = await asyncio.gather(
            desk_a.serializer.submit(nodes.event_id, countdown[0]),
            desk_b.serializer.submit(nodes.event_id, countdown[1]),
            return_exceptions=True,
        )
        assert sum(isinstance(f, b.BreakoutRound) for f in fired) == 1, fired
        assert all(isinstance(f, b.BreakoutRound | DomainError) for f in fired), fired
        closing = await nodes.stored(round_id)
        assert closing.status is b.RoundStatus.CLOSING and closing.closes_at is not None
        assert closing.seq == opened.seq + 2  # the extension and one countdown

        close = [RoundCommand(SYSTEM, round_id, b.Close(utcnow()), due=closing.closes_at) for _ in range(2)]
        fired = await asyncio.gather(
            desk_b.serializer.submit(nodes.event_id, close[0]),
            desk_a.serializer.submit(nodes.event_id, close[1]),
            return_exceptions=True,
        )
        assert sum(isinstance(f, b.BreakoutRound) for f in fired) == 1, fired
        assert (await nodes.stored(round_id)).status is b.RoundStatus.CLOSED
        await nodes.settled(dict.fromkeys(nodes.room_of, nodes.plenary))
        await nodes.quiet()
        for client in nodes.people:
            assert [m["reason"] for m in client.received["room.moved"]] == ["breakout_open", "breakout_close"]
    finally:
        await nodes.close()


async def test_the_scheduled_close_armed_on_both_nodes_brings_everyone_back_once(pg_url: str, redis_url: str) -> None:
    nodes = await start(pg_url, redis_url, 6)
    try:
        created = await nodes.mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}], "countdown_s": 10})
        round_id = created["round"]["id"]
        assert (await nodes.mod.call("breakout.open", {"round_id": round_id}))["ok"]
        closing = await nodes.mod.call("breakout.close", {"round_id": round_id})
        assert closing["ok"] and closing["round"]["status"] == "closing", closing
        desk_a, desk_b = nodes.desk(nodes.a), nodes.desk(nodes.b)

        def armed(desk: BreakoutDesk) -> bool:
            rnd, timer = desk.rounds.get(nodes.event_id), desk.timers.get(nodes.event_id)
            return rnd is not None and rnd.status is b.RoundStatus.CLOSING and timer is not None and not timer.done()

        assert await until(lambda: armed(desk_a) and armed(desk_b))
        for client in (nodes.mod_b, nodes.people[1]):  # the countdown everyone sees, on either node
            change = await client.wait_for("breakout.changed", lambda d: d["status"] == "closing")
            assert change["closes_at"] == closing["round"]["closes_at"]
        await nodes.settled(dict.fromkeys(nodes.room_of, nodes.plenary))  # (within 20 s)
        assert await until(lambda: not armed(desk_a) and not armed(desk_b))
        await nodes.quiet()
        for client in nodes.people:
            assert [m["reason"] for m in client.received["room.moved"]] == ["breakout_open", "breakout_close"]
        for facilitator in (nodes.mod, nodes.mod_b):
            assert [c["status"] for c in facilitator.received["breakout.changed"]].count("closed") == 1
        assert (await nodes.stored(round_id)).status is b.RoundStatus.CLOSED
    finally:
        await nodes.close()


async def test_the_other_node_closes_the_round_when_the_node_that_started_the_countdown_is_gone(
    pg_url: str, redis_url: str
) -> None:
    nodes = await start(pg_url, redis_url, 6)
    try:
        created = await nodes.mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}], "countdown_s": 10})
        round_id = created["round"]["id"]
        opened = await nodes.mod.call("breakout.open", {"round_id": round_id})
        placement = opened["round"]["placement"]
        await nodes.settled(placement)
        assert (await nodes.mod.call("breakout.close", {"round_id": round_id}))["ok"]
        desk_b = nodes.desk(nodes.b)
        assert await until(lambda: nodes.event_id in desk_b.timers and not desk_b.timers[nodes.event_id].done())
        assert desk_b.rounds[nodes.event_id].status is b.RoundStatus.CLOSING

        # the first node goes away: its clients reconnect to the second, into their rooms while the countdown runs
        gone = [c for c in nodes.people if nodes.node_of[c.member_id] is nodes.a]
        await asyncio.gather(*(c.disconnect() for c in [nodes.mod, *gone]))
        await nodes.a.close()
        for n, client in enumerate(nodes.people):
            if client in gone:
                back = nodes.people[n] = await connect(base_url(nodes.b), client.token, client.member_id)
                nodes.follow(back, nodes.b, placement[client.member_id])
                assert (await back.call("room.enter"))["room"]["id"] == placement[client.member_id]
        assert nodes.server_rooms() == placement

        await nodes.settled(dict.fromkeys(nodes.room_of, nodes.plenary))  # closed by the second node
        assert (await nodes.b.app[STORE].load_round(round_id)).status is b.RoundStatus.CLOSED
        for client in nodes.people:
            assert [m["reason"] for m in client.received["room.moved"]][-1:] == ["breakout_close"]
    finally:
        await asyncio.gather(*(c.disconnect() for c in [nodes.mod_b, *nodes.people] if c.sio.connected))
        await nodes.b.close()


async def test_a_node_that_lost_redis_reads_the_round_again_and_moves_its_connections(
    pg_url: str, redis_url: str, redis_admin: aioredis.Redis
) -> None:
    nodes = await start(pg_url, redis_url, 4)
    try:
        created = await nodes.mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}]})
        round_id = created["round"]["id"]
        opened = await nodes.mod.call("breakout.open", {"round_id": round_id})
        placement = opened["round"]["placement"]
        await nodes.settled(placement)
        # a move the second node never hears of (as if said while it had lost Redis): committed, not told
        on_b = next(c for c in nodes.people if nodes.node_of[c.member_id] is nodes.b)
        target = next(r["id"] for r in opened["round"]["rooms"] if r["id"] != placement[on_b.member_id])
        store = nodes.a.app[STORE]
        before = await store.load_round(round_id)
        events = b.decide(before, SYSTEM, b.Move(on_b.member_id, target))
        after = before
        for event in events:
            after = b.apply(after, event)
        await store.commit_round(before, events, after)
        fanout = nodes.live(nodes.b).fanout
        assert isinstance(fanout, RedisFanout)
        [sub] = [c["id"] for c in await redis_admin.client_list() if c.get("name") == fanout.names[1]]
        await redis_admin.client_kill_filter(_id=sub)  # it subscribes again, and reads what it may have missed
        moved = await on_b.wait_for("room.moved", lambda d: d["room"]["id"] == target)
        assert moved["reason"] == "moved"
        assert nodes.desk(nodes.b).rounds[nodes.event_id].seq == after.seq
        await nodes.settled({**placement, on_b.member_id: target})
    finally:
        await nodes.close()
