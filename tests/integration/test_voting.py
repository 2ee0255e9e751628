"""Dot-voting on a real server with real clients: rules, blindness, timers, and 200 voters at once."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import STORE
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, join_burst_per_address=1000)  # 200 voters join from one address
    yield srv
    await srv.close()


async def ok(client: Client, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def setup_vote(
    base: str, links: dict[Role, str], fields: list[str], ideas: int = 6, **vote: Any
) -> dict[str, Any]:
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    board_id = (await fac.call("room.enter"))["boards"][0]["id"]
    idea_ids = []
    for n in range(ideas):
        ack = await ok(
            anna, "board.idea.create", {"board_id": board_id, "field_id": fields[n % len(fields)], "text": f"Idee {n}"}
        )
        idea_ids.append(ack["idea"]["id"])
    await ok(fac, "board.phase", {"board_id": board_id, "phase": "vote"})
    session = (await ok(fac, "vote.open", {"board_id": board_id, **vote}))["session"]
    return {"fac": fac, "anna": anna, "board_id": board_id, "ideas": idea_ids, "session": session}


async def test_a_blind_vote_from_open_to_reveal(server: TestServer) -> None:
    base = base_url(server)
    event, links = await make_event(server.app)
    fields = [f.id for f in event.fields]
    s = await setup_vote(base, links, fields, budget=5, cap=3, blind=True)
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    board, session, ideas = s["board_id"], s["session"]["id"], s["ideas"]
    dot = {"board_id": board, "session_id": session}

    ack = await ok(ben, "vote.cast", {**dot, "idea_id": ideas[0]})
    assert ack["dots"] == {"session_id": session, "dots": {ideas[0]: 1}, "used": 1, "remaining": 4}
    await ok(ben, "vote.cast", {**dot, "idea_id": ideas[0]})
    await ok(ben, "vote.cast", {**dot, "idea_id": ideas[0]})
    capped = await ben.call("vote.cast", {**dot, "idea_id": ideas[0]})
    assert capped["error"]["code"] == "cap_reached"
    await ok(ben, "vote.cast", {**dot, "idea_id": ideas[1]})
    await ok(ben, "vote.cast", {**dot, "idea_id": ideas[2]})
    spent = await ben.call("vote.cast", {**dot, "idea_id": ideas[3]})
    assert spent["error"]["code"] == "budget_exhausted"
    back = await ok(ben, "vote.remove", {**dot, "idea_id": ideas[2]})
    assert back["dots"]["remaining"] == 1
    # a voter who took back every dot can place one again
    carla = await join_and_connect(base, links[Role.PARTICIPANT], "Carla")
    await ok(carla, "vote.cast", {**dot, "idea_id": ideas[4]})
    await ok(carla, "vote.remove", {**dot, "idea_id": ideas[4]})
    assert (await ok(carla, "vote.cast", {**dot, "idea_id": ideas[5]}))["dots"]["used"] == 1
    await ok(carla, "vote.remove", {**dot, "idea_id": ideas[5]})
    await carla.disconnect()
    assert (await olga.call("vote.cast", {**dot, "idea_id": ideas[0]}))["error"]["code"] == "forbidden"
    await ok(s["anna"], "vote.cast", {**dot, "idea_id": ideas[1]})

    # the facilitator sees progress but, blind, no tallies; so does everyone else
    progress = await s["fac"].wait_for("vote.progress", lambda d: d["cast"] == 5)
    assert progress["voters"] == 2 and progress["tallies"] is None and progress["left"] >= 5
    state = await ok(ben, "vote.state", {"board_id": board})
    assert state["my_dots"]["dots"] == {ideas[0]: 3, ideas[1]: 1} and state["progress"]["tallies"] is None
    # nobody but Ben got Ben's dots: the others got their own (Anna: one on ideas[1]) or none
    assert [d["dots"] for d in s["anna"].received["vote.dots"]] == [{ideas[1]: 1}]
    assert olga.received["vote.dots"] == [] and s["fac"].received["vote.dots"] == []
    assert ben.received["vote.dots"][-1]["dots"] == {ideas[0]: 3, ideas[1]: 1}
    others = json.dumps([c.received for c in (s["anna"], olga, s["fac"])])
    assert ben.member_id not in json.dumps([c.received["vote.progress"] for c in (s["anna"], olga, s["fac"])])
    assert others.count('"tallies": null') >= 1 and '"tallies": {' not in others

    await ok(s["fac"], "vote.close", {**dot, "reveal": True})
    for client in (ben, olga, s["anna"]):
        change = await client.wait_for("board.changed", lambda c: c["type"] == "vote.revealed")
        results = change["session"]["results"]
        assert [(r["idea_id"], r["dots"]) for r in results[:2]] == [(ideas[0], 3), (ideas[1], 2)]
        assert results[0]["rank"] == 1 and results[1]["rank"] == 2 and not results[0]["tie"]
    late = await ben.call("vote.cast", {**dot, "idea_id": ideas[3]})
    assert late["error"]["code"] == "vote_closed"
    stored = await server.app[STORE].vote_rows(session)
    assert sorted(stored) == sorted(
        [
            (ben.member_id, ideas[0], 3),
            (ben.member_id, ideas[1], 1),
            (s["anna"].member_id, ideas[1], 1),
        ]
    )
    for client in (ben, olga, s["anna"], s["fac"]):
        await client.disconnect()


async def test_open_tallies_reach_everyone(server: TestServer) -> None:
    base = base_url(server)
    event, links = await make_event(server.app)
    s = await setup_vote(base, links, [f.id for f in event.fields], blind=False)
    dot = {"board_id": s["board_id"], "session_id": s["session"]["id"]}
    await ok(s["anna"], "vote.cast", {**dot, "idea_id": s["ideas"][2]})
    progress = await s["fac"].wait_for("vote.progress", lambda d: d["cast"] == 1)
    assert progress["tallies"] == {s["ideas"][2]: 1}
    await s["fac"].disconnect()
    await s["anna"].disconnect()


async def test_200_clients_voting_at_once_never_break_a_rule(server: TestServer) -> None:
    """Every voter fires more dots than allowed, all at once: no budget or cap is exceeded, every
    acknowledged dot is stored and no refused one is, and the tallies equal the stored rows."""
    base = base_url(server)
    event, links = await make_event(server.app)
    s = await setup_vote(base, links, [f.id for f in event.fields], ideas=8, budget=5, cap=2, blind=True)
    voters = await asyncio.gather(*(join_and_connect(base, links[Role.PARTICIPANT], f"V{n}") for n in range(200)))
    dot = {"board_id": s["board_id"], "session_id": s["session"]["id"]}
    rng = random.Random(7)
    plans = {v.member_id: [rng.choice(s["ideas"]) for _ in range(9)] for v in voters}

    async def vote(voter: Client) -> list[tuple[str, dict[str, Any]]]:
        ideas = plans[voter.member_id]
        acks = await asyncio.gather(*(voter.call("vote.cast", {**dot, "idea_id": i}, timeout=60) for i in ideas))
        return list(zip(ideas, acks, strict=True))

    results = await asyncio.gather(*(vote(v) for v in voters))
    acknowledged: Counter[tuple[str, str]] = Counter()
    refused = 0
    for voter, outcome in zip(voters, results, strict=True):
        for idea, ack in outcome:
            if ack["ok"]:
                acknowledged[(voter.member_id, idea)] += 1
            else:
                assert ack["error"]["code"] in ("budget_exhausted", "cap_reached"), ack
                refused += 1
    stored = {(m, i): n for m, i, n in await server.app[STORE].vote_rows(s["session"]["id"])}
    assert stored == dict(acknowledged)  # every acknowledged dot is stored, no refused one
    per_member: Counter[str] = Counter()
    for (member, _idea), n in stored.items():
        assert n <= 2  # cap
        per_member[member] += n
    assert max(per_member.values()) <= 5 and sum(per_member.values()) + refused == 200 * 9
    assert refused >= 200 * 4  # each voter fired 9 dots with a budget of 5
    # the live tallies agree with the store
    await ok(s["fac"], "vote.reveal", dot)
    change = await s["fac"].wait_for("board.changed", lambda c: c["type"] == "vote.revealed")
    tallies: Counter[str] = Counter()
    for (_member, idea), n in stored.items():
        tallies[idea] += n
    assert {r["idea_id"]: r["dots"] for r in change["session"]["results"]} == {i: tallies[i] for i in s["ideas"]}
    for client in (*voters, s["fac"], s["anna"]):
        await client.disconnect()


async def test_two_nodes_on_one_database_cannot_overspend(pg_url: str) -> None:
    """The same voters on two nodes at once: the store's checks keep every budget."""
    node_a = await start_server(pg_url)
    node_b = await start_server(pg_url)
    try:
        event, links = await make_event(node_a.app)
        base_a, base_b = base_url(node_a), base_url(node_b)
        s = await setup_vote(base_a, links, [f.id for f in event.fields], ideas=4, budget=3, cap=3)
        dot = {"board_id": s["board_id"], "session_id": s["session"]["id"]}
        voters_a = [await join_and_connect(base_a, links[Role.PARTICIPANT], f"W{n}") for n in range(20)]
        voters_b = [await connect(base_b, v.token, v.member_id) for v in voters_a]
        acks = await asyncio.gather(
            *(
                c.call("vote.cast", {**dot, "idea_id": s["ideas"][n % 4]}, timeout=60)
                for pair in zip(voters_a, voters_b, strict=True)
                for c in pair
                for n in range(3)
            )
        )
        assert all(a["ok"] or a["error"]["code"] in ("budget_exhausted", "stale_board") for a in acks), acks
        stored = await node_a.app[STORE].vote_rows(s["session"]["id"])
        used: Counter[str] = Counter()
        for member, _idea, n in stored:
            used[member] += n
        assert max(used.values()) <= 3
        assert sum(used.values()) == sum(1 for a in acks if a["ok"])
        for client in (*voters_a, *voters_b, s["fac"], s["anna"]):
            await client.disconnect()
    finally:
        await node_a.close()
        await node_b.close()


async def test_a_timer_closes_the_vote_even_across_a_restart(sqlite_url: str) -> None:
    server = await start_server(sqlite_url)
    event, links = await make_event(server.app)
    s = await setup_vote(base_url(server), links, [f.id for f in event.fields], duration_s=10)
    token, board_id = s["anna"].token, s["board_id"]
    for client in (s["anna"], s["fac"]):
        await client.disconnect()
    await server.close()

    server = await start_server(sqlite_url)  # the new node arms the stored timer
    anna = await connect(base_url(server), token)
    change = await anna.wait_for("board.changed", lambda c: c["type"] == "vote.closed", timeout=20)
    assert change["session"]["status"] == "closed"
    late = await anna.call(
        "vote.cast", {"board_id": board_id, "session_id": s["session"]["id"], "idea_id": s["ideas"][0]}
    )
    assert late["error"]["code"] == "vote_closed"
    await anna.disconnect()
    await server.close()


async def test_changing_the_budget_below_what_is_cast_is_refused(server: TestServer) -> None:
    base = base_url(server)
    event, links = await make_event(server.app)
    s = await setup_vote(base, links, [f.id for f in event.fields], budget=5, cap=3)
    dot = {"board_id": s["board_id"], "session_id": s["session"]["id"]}
    for idea in s["ideas"][:4]:
        await ok(s["anna"], "vote.cast", {**dot, "idea_id": idea})
    refused = await s["fac"].call("vote.change", {**dot, "budget": 3})
    assert refused["error"]["code"] == "below_cast"
    changed = await ok(s["fac"], "vote.change", {**dot, "budget": 4})
    assert changed["session"]["budget"] == 4
    assert (await s["anna"].call("vote.cast", {**dot, "idea_id": s["ideas"][4]}))["error"]["code"] == "budget_exhausted"
    await s["fac"].disconnect()
    await s["anna"].disconnect()


async def test_a_voter_of_another_event_cannot_disturb_a_vote(server: TestServer) -> None:
    base = base_url(server)
    event, links = await make_event(server.app)
    _other, other_links = await make_event(server.app, title="Andere Stadt")
    s = await setup_vote(base, links, [f.id for f in event.fields], budget=5, cap=5)
    dot = {"board_id": s["board_id"], "session_id": s["session"]["id"], "idea_id": s["ideas"][0]}
    intruder = await join_and_connect(base, other_links[Role.PARTICIPANT], "Fremd")
    voters = [await join_and_connect(base, links[Role.PARTICIPANT], f"V{n}") for n in range(10)]
    acks = await asyncio.gather(
        *(intruder.call("vote.cast", dot) for _ in range(5)),
        *(v.call("vote.cast", dot) for v in voters for _ in range(3)),
    )
    assert [a["error"]["code"] for a in acks[:5]] == ["not_found"] * 5
    assert all(a["ok"] for a in acks[5:]), acks[5:]
    for client in (intruder, *voters, s["fac"], s["anna"]):
        await client.disconnect()


async def test_ideas_with_dots_stay_until_the_reveal(server: TestServer) -> None:
    base = base_url(server)
    event, links = await make_event(server.app)
    s = await setup_vote(base, links, [f.id for f in event.fields])
    board, session = s["board_id"], s["session"]["id"]
    await ok(s["anna"], "vote.cast", {"board_id": board, "session_id": session, "idea_id": s["ideas"][0]})
    await ok(s["fac"], "vote.close", {"board_id": board, "session_id": session})
    delete = {"board_id": board, "idea_id": s["ideas"][0]}
    assert (await s["fac"].call("board.idea.delete", delete))["error"]["code"] == "vote_open"
    # moderation never waits for a vote: the hidden idea drops out of the ranking, its dot stays stored
    await ok(s["fac"], "board.idea.moderate", {"board_id": board, "idea_id": s["ideas"][0], "action": "hide"})
    revealed = await ok(s["fac"], "vote.reveal", {"board_id": board, "session_id": session})
    assert s["ideas"][0] not in [r["idea_id"] for r in revealed["session"]["results"]]
    assert await server.app[STORE].vote_rows(session) == [(s["anna"].member_id, s["ideas"][0], 1)]
    await ok(s["fac"], "board.idea.delete", delete)  # revealed: the results are kept, the idea may go
    await s["fac"].disconnect()
    await s["anna"].disconnect()


async def test_a_budget_lowered_on_one_node_holds_on_the_other(pg_url: str) -> None:
    node_a = await start_server(pg_url)
    node_b = await start_server(pg_url)
    try:
        event, links = await make_event(node_a.app)
        s = await setup_vote(base_url(node_a), links, [f.id for f in event.fields], budget=5, cap=5)
        dot = {"board_id": s["board_id"], "session_id": s["session"]["id"]}
        ben_b = await join_and_connect(base_url(node_b), links[Role.PARTICIPANT], "Ben")
        for idea in s["ideas"][:2]:
            await ok(ben_b, "vote.cast", {**dot, "idea_id": idea})
        # node A has the board cached from before Ben's dots; the change must still see them
        assert (await s["fac"].call("vote.change", {**dot, "budget": 1, "cap": 1}))["error"]["code"] == "below_cast"
        await ok(s["fac"], "vote.change", {**dot, "budget": 2, "cap": 2})
        # node B has the old budget cached: its next dot must be refused, not stored
        refused = await ben_b.call("vote.cast", {**dot, "idea_id": s["ideas"][2]})
        assert refused["error"]["code"] == "budget_exhausted"
        stored = await node_a.app[STORE].vote_rows(s["session"]["id"])
        assert sum(n for member, _i, n in stored if member == ben_b.member_id) == 2
        for client in (ben_b, s["fac"], s["anna"]):
            await client.disconnect()
    finally:
        await node_a.close()
        await node_b.close()


async def test_facilitators_run_a_vote_without_dots_unless_it_is_opened_for_them(server: TestServer) -> None:
    """By default the facilitator is no voter: no dots, not counted in the progress, a cast refused.
    A round opened with moderators_vote takes the facilitator's dots and counts them."""
    base = base_url(server)
    event, links = await make_event(server.app)
    s = await setup_vote(base, links, [f.id for f in event.fields], budget=5, cap=3)
    fac, anna, board = s["fac"], s["anna"], s["board_id"]
    first = s["session"]
    dot = {"board_id": board, "session_id": first["id"]}

    refused = await fac.call("vote.cast", {**dot, "idea_id": s["ideas"][0]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    state = await ok(fac, "vote.state", {"board_id": board})
    assert state["my_dots"]["used"] == 0
    assert state["progress"]["left"] == 5, "only Anna's five dots are still to place, not the facilitator's"
    assert first["moderators_vote"] is False
    await ok(anna, "vote.cast", {**dot, "idea_id": s["ideas"][0]})
    progress = await fac.wait_for("vote.progress", lambda d: d["session_id"] == first["id"] and d["cast"] == 1)
    assert (progress["voters"], progress["left"]) == (1, 4)
    revealed = (await ok(fac, "vote.close", {**dot, "reveal": True}))["session"]
    assert sum(r["dots"] for r in revealed["results"]) == 1
    assert await server.app[STORE].vote_rows(first["id"]) == [(anna.member_id, s["ideas"][0], 1)]

    second = (await ok(fac, "vote.open", {"board_id": board, "budget": 5, "cap": 3, "moderators_vote": True}))[
        "session"
    ]
    assert second["moderators_vote"] is True
    dot = {"board_id": board, "session_id": second["id"]}
    assert (await ok(fac, "vote.cast", {**dot, "idea_id": s["ideas"][1]}))["dots"]["remaining"] == 4
    state = await ok(anna, "vote.state", {"board_id": board})
    assert state["progress"]["left"] == 9, "the facilitator votes in this round: both budgets count"
    assert state["sessions"][-1]["moderators_vote"] is True  # what a client that reconnects learns
    revealed = (await ok(fac, "vote.reveal", dot))["session"]
    assert [(r["idea_id"], r["dots"], r["voters"]) for r in revealed["results"] if r["dots"]] == [(s["ideas"][1], 1, 1)]
    await fac.disconnect()
    await anna.disconnect()
