"""Boards and dots on two nodes of one PostgreSQL and one Redis: each node's copy of a board follows what the other
committed, and a budget holds however the dots are spread over the nodes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE, STORE
from tests.support import Client, base_url, connect, join, join_and_connect, make_event, start_server, until


@pytest.fixture
async def nodes(pg_url: str, redis_url: str) -> AsyncIterator[tuple[TestServer, TestServer]]:
    first = await start_server(pg_url, redis=redis_url, join_burst_per_address=1000)
    second = await start_server(pg_url, redis=redis_url, join_burst_per_address=1000)
    yield first, second
    await first.close()
    await second.close()


async def ok(client: Client, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def close_all(*clients: Client) -> None:
    for client in clients:
        await client.disconnect()


async def test_a_board_read_on_one_node_shows_what_the_other_committed(nodes: tuple[TestServer, TestServer]) -> None:
    a, b = nodes
    event, links = await make_event(a.app)
    poster = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Poster")
    reader = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Reader")
    board_id = (await ok(reader, "room.enter"))["boards"][0]["id"]  # node b holds the board from here on
    synced = await ok(reader, "board.sync", {"board_id": board_id})
    acks = [
        await ok(
            poster, "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": f"Idee {n}"}
        )
        for n in range(3)
    ]
    last = acks[-1]["seq"]
    await reader.wait_for("board.changed", lambda c: c["seq"] == last)
    # a late arrival on node b is told the board as committed on node a, not b's copy from before
    late = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Late")
    entered = await ok(late, "room.enter")
    assert [s["seq"] for s in entered["boards"] if s["id"] == board_id] == [last] != [synced["seq"]]
    again = await ok(late, "board.sync", {"board_id": board_id})
    assert sorted(i["text"] for i in again["snapshot"]["ideas"]) == ["Idee 0", "Idee 1", "Idee 2"]
    # and node b decides on it without a stale round trip: its copy followed
    assert b.app[LIVE].boards[board_id].seq == last
    await ok(late, "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "Von b"})
    await close_all(poster, reader, late)


async def test_a_budget_holds_when_one_voter_casts_on_two_nodes_at_once(nodes: tuple[TestServer, TestServer]) -> None:
    a, b = nodes
    event, links = await make_event(a.app)
    fac = await join_and_connect(base_url(a), links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Anna")
    board_id = (await ok(fac, "room.enter"))["boards"][0]["id"]
    ideas = [
        (await ok(anna, "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": f"I{n}"}))[
            "idea"
        ]["id"]
        for n in range(4)
    ]
    await ok(fac, "board.phase", {"board_id": board_id, "phase": "vote"})
    session = (await ok(fac, "vote.open", {"board_id": board_id, "budget": 5, "cap": 5}))["session"]
    # eight voters, each with a tab on each node, every tab casting eight dots at once: 128 casts for 40 dots
    voters: list[tuple[Client, Client]] = []
    for n in range(8):
        status, body = await join(base_url(a), links[Role.PARTICIPANT], f"Voter {n}")
        assert status == 201, body
        voters.append(
            (
                await connect(base_url(a), body["token"], body["member_id"]),
                await connect(base_url(b), body["token"], body["member_id"]),
            )
        )
    for tab_a, tab_b in voters:
        await ok(tab_a, "room.enter")
        await ok(tab_b, "room.enter")
    dot = {"board_id": board_id, "session_id": session["id"]}
    casts = [
        (tab, tab.call("vote.cast", {**dot, "idea_id": ideas[k % len(ideas)]}))
        for pair in voters
        for tab in pair
        for k in range(8)
    ]
    acks = await asyncio.gather(*(call for _tab, call in casts))
    accepted: dict[str, int] = {}
    for (tab, _call), ack in zip(casts, acks, strict=True):
        if ack["ok"]:
            accepted[tab.member_id] = accepted.get(tab.member_id, 0) + 1
        else:
            assert ack["error"]["code"] in ("budget_exhausted", "stale_board"), ack
    assert all(count <= 5 for count in accepted.values()), accepted
    # every acknowledged dot is stored, none more; both nodes tell each voter the same
    for tab_a, tab_b in voters:
        mine_a = (await ok(tab_a, "vote.state", {"board_id": board_id}))["my_dots"]
        mine_b = (await ok(tab_b, "vote.state", {"board_id": board_id}))["my_dots"]
        assert mine_a == mine_b
        assert mine_a["used"] == accepted.get(tab_a.member_id, 0) <= 5
        used, _count = await a.app[STORE].dot_counts(session["id"], tab_a.member_id, ideas[0])
        assert used == mine_a["used"]
    # the facilitator's progress (sent by whichever node committed last) counts the dots of both nodes
    total = sum(accepted.values())
    assert await until(lambda: any(p["cast"] == total for p in fac.received["vote.progress"]), within=5)
    await close_all(fac, anna, *(tab for pair in voters for tab in pair))


async def test_the_vote_progress_counts_dots_committed_on_the_other_node(nodes: tuple[TestServer, TestServer]) -> None:
    a, b = nodes
    event, links = await make_event(a.app)
    fac = await join_and_connect(base_url(a), links[Role.FACILITATOR], "Fatma")
    here = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Hier")
    there = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Dort")
    board_id = (await ok(fac, "room.enter"))["boards"][0]["id"]
    await ok(there, "room.enter")
    idea = (await ok(here, "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "I"}))[
        "idea"
    ]["id"]
    await ok(fac, "board.phase", {"board_id": board_id, "phase": "vote"})
    session = (await ok(fac, "vote.open", {"board_id": board_id, "budget": 5, "cap": 5}))["session"]
    dot = {"board_id": board_id, "session_id": session["id"], "idea_id": idea}
    await ok(there, "vote.state", {"board_id": board_id})  # node b holds the open vote
    await ok(here, "vote.cast", dot)
    await ok(here, "vote.cast", dot)
    await fac.wait_for("vote.progress", lambda p: p["cast"] == 2)
    assert (await ok(there, "vote.cast", dot))["dots"]["used"] == 1
    # node b sends the progress after its dot: it counts the two node a committed before
    progress = await fac.wait_for("vote.progress", lambda p: p["cast"] != 2)
    assert progress["cast"] == 3
    await close_all(fac, here, there)


async def test_a_vote_timer_closes_the_vote_once_when_the_node_that_opened_it_is_gone(
    pg_url: str, redis_url: str
) -> None:
    opener = await start_server(pg_url, redis=redis_url)
    others = [await start_server(pg_url, redis=redis_url) for _ in range(2)]
    try:
        event, links = await make_event(opener.app)
        fac = await join_and_connect(base_url(opener), links[Role.FACILITATOR], "Fatma")
        board_id = (await ok(fac, "room.enter"))["boards"][0]["id"]
        watchers = [
            await join_and_connect(base_url(node), links[Role.PARTICIPANT], f"Wer {n}") for n, node in enumerate(others)
        ]
        idea = await ok(
            watchers[0], "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "I"}
        )
        await ok(fac, "board.phase", {"board_id": board_id, "phase": "vote"})
        session = (await ok(fac, "vote.open", {"board_id": board_id, "duration_s": 10}))["session"]
        dot = {"board_id": board_id, "session_id": session["id"], "idea_id": idea["idea"]["id"]}
        for node in others:  # both other nodes armed the timer
            assert await until(lambda node=node: session["id"] in node.app[LIVE].votes.timers)
        await fac.disconnect()
        await opener.close()  # gone before the timer runs out
        closed = [await w.wait_for("board.changed", lambda c: c["type"] == "vote.closed", timeout=20) for w in watchers]
        assert [c["session"]["status"] for c in closed] == ["closed", "closed"]
        assert (await watchers[1].call("vote.cast", dot))["error"]["code"] == "vote_closed"
        await asyncio.sleep(0.5)  # any second close would have been sent with the first
        for w in watchers:  # closed once, though both nodes' timers ran out
            assert [c["type"] for c in w.received["board.changed"]].count("vote.closed") == 1
            await w.disconnect()
    finally:
        for node in (opener, *others):
            await node.close()  # (closing twice does nothing)


async def test_ideas_posted_on_both_nodes_at_once_reach_every_connection_in_order(
    nodes: tuple[TestServer, TestServer],
) -> None:
    """Posters on two nodes race for one board: each commit that lost the race reads the board again and goes on,
    and its changes still reach the connections of its node after the other node's (seq 7 before 8, no gaps to
    sync), as they reach the other node's."""
    a, b = nodes
    event, links = await make_event(a.app)
    base = {a: base_url(a), b: base_url(b)}
    watchers = [
        await join_and_connect(base[node], links[Role.PARTICIPANT], f"Watcher {n}") for n, node in enumerate(nodes)
    ]
    board_id = (await ok(watchers[0], "room.enter"))["boards"][0]["id"]
    for watcher in watchers[1:]:
        await ok(watcher, "room.enter")
    start = (await ok(watchers[0], "board.sync", {"board_id": board_id}))["seq"]
    for watcher in watchers[1:]:
        await ok(watcher, "board.sync", {"board_id": board_id})
    posters = [
        await join_and_connect(base[node], links[Role.PARTICIPANT], f"Poster {n}-{k}")
        for n, node in enumerate(nodes)
        for k in range(4)
    ]

    async def post(poster: Client, n: int) -> list[int]:
        seqs = []
        for k in range(8):
            text = f"Idee {n}-{k}"
            ack = await ok(
                poster, "board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": text}
            )
            seqs.append(ack["seq"])
        return seqs

    acked = sorted(seq for seqs in await asyncio.gather(*(post(p, n) for n, p in enumerate(posters))) for seq in seqs)
    assert acked == list(range(start + 1, start + 65))  # one sequence across both nodes
    for watcher in watchers:
        await watcher.wait_for("board.changed", lambda c: c["seq"] == acked[-1])
        assert [c["seq"] for c in watcher.received["board.changed"]] == acked  # in order, none twice, none missing
    await close_all(*watchers, *posters)


async def test_a_commit_that_lost_the_race_waits_for_the_winners_changes_to_reach_its_node(
    nodes: tuple[TestServer, TestServer], redis_url: str
) -> None:
    """Node a commits an idea whose changes are held up on their way through Redis; node b's idea, decided on its
    older copy, is refused by the store, decided again on the board as read and committed after a's: b's
    connections get a's change first and then b's, not a gap they would have to sync."""
    import redis.asyncio as aioredis

    a, b = nodes
    event, links = await make_event(a.app)
    field = event.fields[0].id
    on_a = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Anna")
    on_b = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Ben")
    board_id = (await ok(on_b, "room.enter"))["boards"][0]["id"]
    start = (await ok(on_b, "board.sync", {"board_id": board_id}))["seq"]  # node b holds the board at start
    admin = aioredis.Redis.from_url(redis_url)
    try:
        await admin.execute_command("CLIENT", "PAUSE", 700, "WRITE")  # PUBLISH waits in Redis meanwhile
        first = await ok(on_a, "board.idea.create", {"board_id": board_id, "field_id": field, "text": "Von a"})
        second = await ok(on_b, "board.idea.create", {"board_id": board_id, "field_id": field, "text": "Von b"})
    finally:
        await admin.aclose()
    assert (first["seq"], second["seq"]) == (start + 1, start + 2)
    await on_b.wait_for("board.changed", lambda c: c["seq"] == start + 2)
    assert [c["seq"] for c in on_b.received["board.changed"]] == [start + 1, start + 2]
    await close_all(on_a, on_b)


async def test_each_viewer_gets_their_own_form_of_a_change_committed_on_the_other_node(
    nodes: tuple[TestServer, TestServer],
) -> None:
    """A board under premoderation: an idea posted on node a waits for approval. Node b picks each of its
    connections' form of that change: its facilitator sees the idea, its participant does not, and the author's
    own tab there sees it too (as on node a, where it was committed)."""
    a, b = nodes
    event, links = await make_event(a.app)
    fac = await join_and_connect(base_url(b), links[Role.FACILITATOR], "Fatma")
    author = await join_and_connect(base_url(a), links[Role.PARTICIPANT], "Anna")
    other = await join_and_connect(base_url(b), links[Role.PARTICIPANT], "Ben")
    board_id = (await ok(fac, "room.enter"))["boards"][0]["id"]
    await ok(fac, "board.premoderation", {"board_id": board_id, "on": True})
    own_tab = await connect(base_url(b), author.token, author.member_id)  # the author's second tab, on node b
    readers = [fac, other, own_tab, author]
    for reader in readers[1:]:
        await ok(reader, "room.enter")
    posted = await ok(
        author,
        "board.idea.create",
        {"board_id": board_id, "field_id": event.fields[0].id, "text": "Wartet auf Freigabe"},
    )
    for reader in readers:
        await reader.wait_for("board.changed", lambda c: c["seq"] == posted["seq"])

    def shown(reader: Client) -> bool:
        [change] = [c for c in reader.received["board.changed"] if c["seq"] == posted["seq"]]
        return change.get("idea") is not None and change["idea"].get("text") == "Wartet auf Freigabe"

    assert [shown(reader) for reader in readers] == [True, False, True, True]
    await close_all(*readers)
