"""Presence across nodes: two app nodes on one PostgreSQL database and one Redis, with real clients on each.

Who is in the room and who views a board are everyone's, whichever node they are connected to; a member
with tabs on both nodes arrives once and leaves once; a node that stops without a word (its heartbeat
stops) has its members announced as gone by the other after its presence expired.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE
from server.live.presence import SharedPresence
from server.live.state import LiveState
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server, until


@asynccontextmanager
async def two_nodes(pg_url: str, redis_url: str, **overrides: Any) -> AsyncIterator[tuple[TestServer, TestServer]]:
    first = await start_server(pg_url, redis=redis_url, **overrides)
    try:
        second = await start_server(pg_url, redis=redis_url, **overrides)
        try:
            yield first, second
        finally:
            await second.close()
    finally:
        await first.close()


def live(node: TestServer) -> LiveState:
    return node.app[LIVE]


def silence(node: TestServer) -> SharedPresence:
    """The node's heartbeat stops (the rest of it runs on)."""
    shared = live(node).shared_presence
    assert shared is not None and shared.heartbeat is not None
    shared.heartbeat.cancel()
    return shared


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [e["pseudonym"] for e in entries]


def joined(client: Client, member_id: str) -> list[dict[str, Any]]:
    """Every ``presence.changed`` that told ``client`` the member arrived."""
    return [d for d in client.received["presence.changed"] if member_id in [e["id"] for e in d["joined"]]]


def arrives(member_id: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a ``presence.changed`` says the member arrived."""
    return lambda d: member_id in [e["id"] for e in d["joined"]]


def left(client: Client, member_id: str) -> list[dict[str, Any]]:
    return [d for d in client.received["presence.changed"] if member_id in d["left"]]


async def close(*clients: Client) -> None:
    for client in clients:
        if client.sio.connected:
            await client.disconnect()


async def test_members_on_either_node_are_present_on_both(pg_url: str, redis_url: str) -> None:
    async with two_nodes(pg_url, redis_url) as (a, b):
        _event, links = await make_event(a.app)
        anna = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Anna")
        assert names((await anna.call("room.enter"))["presence"]) == ["Anna"]
        ben = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Ben")
        arrival = await anna.wait_for("presence.changed", arrives(ben.member_id))
        assert [(e["pseudonym"], e["role"]) for e in arrival["joined"]] == [("Ben", "participant")]
        enter = await ben.call("room.enter")
        assert names(enter["presence"]) == ["Anna", "Ben"], "everyone, on either node, in order of arrival"
        assert [e["id"] for e in enter["presence"]] == [anna.member_id, ben.member_id]
        carla = await join_and_connect(base_url(a), links[Role.FACILITATOR], "Carla")
        await ben.wait_for("presence.changed", arrives(carla.member_id))
        assert names((await anna.call("room.enter"))["presence"]) == ["Anna", "Ben", "Carla"]
        await ben.disconnect()
        await anna.wait_for("presence.changed", lambda d: ben.member_id in d["left"])
        await carla.wait_for("presence.changed", lambda d: ben.member_id in d["left"])
        assert names((await carla.call("room.enter"))["presence"]) == ["Anna", "Carla"]
        await close(anna, carla)


async def test_a_member_with_tabs_on_both_nodes_arrives_once_and_leaves_once(pg_url: str, redis_url: str) -> None:
    async with two_nodes(pg_url, redis_url) as (a, b):
        _event, links = await make_event(a.app)
        watcher = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Wanda")
        await watcher.call("room.enter")
        rita_a = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Rita")
        rita = rita_a.member_id
        await watcher.wait_for("presence.changed", arrives(rita))
        rita_b = await connect(base_url(b), rita_a.token, rita)  # her second tab, on the other node
        # a later arrival on node B: what B announced of Rita's tab came before it
        mark = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Mark")
        await watcher.wait_for("presence.changed", arrives(mark.member_id))
        assert len(joined(watcher, rita)) == 1, watcher.received["presence.changed"]
        assert names((await mark.call("room.enter"))["presence"]) == ["Wanda", "Rita", "Mark"]

        await rita_a.disconnect()  # her tab on A closes: she is still here, on B
        assert await until(lambda: not live(a).connections_of(rita))
        nina = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Nina")  # after what A had to say
        await watcher.wait_for("presence.changed", arrives(nina.member_id))
        assert left(watcher, rita) == []
        assert names((await watcher.call("room.enter"))["presence"]) == ["Wanda", "Rita", "Mark", "Nina"]

        await rita_b.disconnect()  # her last tab: she leaves
        await watcher.wait_for("presence.changed", lambda d: rita in d["left"])
        await mark.wait_for("presence.changed", lambda d: rita in d["left"])
        oscar = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Oscar")
        await watcher.wait_for("presence.changed", arrives(oscar.member_id))
        assert len(left(watcher, rita)) == 1 and len(joined(watcher, rita)) == 1
        assert names((await oscar.call("room.enter"))["presence"]) == ["Wanda", "Mark", "Nina", "Oscar"]
        await close(watcher, mark, nina, oscar)


async def test_board_viewers_are_everyone_viewing_on_either_node(pg_url: str, redis_url: str) -> None:
    async with two_nodes(pg_url, redis_url) as (a, b):
        event, links = await make_event(a.app)
        anna = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Anna")
        ben = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Ben")
        board_id = (await anna.call("room.enter"))["boards"][0]["id"]
        await ben.call("room.enter")
        idea = await anna.call(
            "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "Radwege"}
        )
        assert idea["ok"], idea
        ack = await anna.call("board.view", {"board_id": board_id, "editing": idea["idea"]["id"]})
        assert [v["pseudonym"] for v in ack["viewers"]] == ["Anna"]
        await anna.wait_for("board.presence", lambda d: [v["pseudonym"] for v in d["viewers"]] == ["Anna"])

        ack = await ben.call("board.view", {"board_id": board_id})
        assert ack["ok"], ack
        assert [(v["pseudonym"], v["editing"]) for v in ack["viewers"]] == [("Anna", idea["idea"]["id"]), ("Ben", None)]
        both = await anna.wait_for("board.presence", lambda d: len(d["viewers"]) == 2)
        assert [(v["pseudonym"], v["editing"]) for v in both["viewers"]] == [
            ("Anna", idea["idea"]["id"]),
            ("Ben", None),
        ]
        await ben.disconnect()
        await anna.wait_for("board.presence", lambda d: [v["pseudonym"] for v in d["viewers"]] == ["Anna"])
        await close(anna)


async def test_the_vote_progress_counts_the_voters_on_either_node(pg_url: str, redis_url: str) -> None:
    async with two_nodes(pg_url, redis_url) as (a, b):
        event, links = await make_event(a.app)
        fac = await join_and_connect(base_url(a), links[Role.FACILITATOR], "Fatma")
        anna = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Anna")
        ben = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Ben")
        board_id = (await fac.call("room.enter"))["boards"][0]["id"]
        await fac.wait_for("presence.changed", arrives(ben.member_id))
        idea = {"board_id": board_id, "field_id": event.fields[0].id, "text": "Sitzbänke"}
        assert (await anna.call("board.idea.create", idea))["ok"]
        assert (await fac.call("board.phase", {"board_id": board_id, "phase": "vote"}))["ok"]
        opened = await fac.call("vote.open", {"board_id": board_id, "budget": 5, "cap": 3})
        assert opened["ok"], opened
        state = await fac.call("vote.state", {"board_id": board_id})
        assert state["progress"]["left"] == 10, "Anna's five dots and Ben's, though Ben is on the other node"
        await ben.disconnect()
        await fac.wait_for("presence.changed", lambda d: ben.member_id in d["left"])
        assert (await fac.call("vote.state", {"board_id": board_id}))["progress"]["left"] == 5
        await close(fac, anna)


async def wanda_on_a_sees_rita_on_b(a: TestServer, b: TestServer) -> tuple[Client, Client]:
    """Wanda on node A and Rita on node B view the plenary's board: Wanda has seen Rita arrive and view it."""
    _event, links = await make_event(a.app)
    wanda = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Wanda")
    board_id = (await wanda.call("room.enter"))["boards"][0]["id"]
    await wanda.call("board.view", {"board_id": board_id})
    rita = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Rita")
    await rita.call("board.view", {"board_id": board_id})
    await wanda.wait_for("presence.changed", arrives(rita.member_id))
    await wanda.wait_for("board.presence", lambda d: len(d["viewers"]) == 2)
    wanda.received["board.presence"].clear()  # what comes next is news
    return wanda, rita


async def test_the_members_of_a_node_that_stops_without_a_word_are_announced_gone(pg_url: str, redis_url: str) -> None:
    """Node B's heartbeat stops (as when its process dies; its connections stay open here, but it says
    nothing more): after its presence expired, node A announces B's members left and B's viewers gone,
    and a member of B who connects to A again arrives."""
    async with two_nodes(pg_url, redis_url, presence_ttl_s=1.0) as (a, b):
        watcher, rita = await wanda_on_a_sees_rita_on_b(a, b)
        silence(b)  # node B says nothing more
        await watcher.wait_for("presence.changed", lambda d: rita.member_id in d["left"])
        gone = await watcher.wait_for("board.presence", lambda d: len(d["viewers"]) == 1)
        assert [v["pseudonym"] for v in gone["viewers"]] == ["Wanda"]
        assert names((await watcher.call("room.enter"))["presence"]) == ["Wanda"]

        again = await connect(base_url(a), rita.token, rita.member_id)  # her client reconnects, to node A
        await watcher.wait_for("presence.changed", lambda d: len(joined(watcher, rita.member_id)) == 2)
        assert sorted(names((await again.call("room.enter"))["presence"])) == ["Rita", "Wanda"]
        await close(watcher, again, rita)


async def test_a_node_taken_for_dead_announces_its_members_again_when_it_beats_again(
    pg_url: str, redis_url: str
) -> None:
    """A node whose heartbeat stalled past its expiry (its members were announced gone) writes its
    presence again with its next beat: its members, and what they view, are back on the other node."""
    async with two_nodes(pg_url, redis_url, presence_ttl_s=1.0) as (a, b):
        watcher, rita = await wanda_on_a_sees_rita_on_b(a, b)
        shared = silence(b)
        await watcher.wait_for("presence.changed", lambda d: rita.member_id in d["left"])
        await watcher.wait_for("board.presence", lambda d: len(d["viewers"]) == 1)

        shared.start_heartbeat()
        await watcher.wait_for("presence.changed", lambda d: len(joined(watcher, rita.member_id)) == 2)
        back = await watcher.wait_for("board.presence", lambda d: len(d["viewers"]) == 2)
        assert [v["pseudonym"] for v in back["viewers"]] == ["Rita", "Wanda"]
        assert sorted(names((await watcher.call("room.enter"))["presence"])) == ["Rita", "Wanda"]
        await close(watcher, rita)
