"""A workshop on several ``werkstatt serve`` processes of one PostgreSQL and one Redis, clients spread over them:
every client sees the same state, budgets hold across nodes, and a node killed during a voting burst loses no
acknowledged dot while its clients carry on at another node."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import socketio.exceptions

from boards.actors import Role
from tests.integration.test_space import at, goto
from tests.nodes import NodeProcess, make_event, nodes, own_redis, store_of
from tests.support import Client, connect, join, join_and_connect

pytestmark = pytest.mark.timeout(180)


async def ok(client: Client, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def member(node: NodeProcess, link: str, name: str) -> tuple[str, str]:
    status, body = await join(node.base, link, name)
    assert status == 201, body
    return body["token"], body["member_id"]


async def disconnect_all(clients: list[Client]) -> None:
    for client in clients:
        if client.sio.connected:
            await client.disconnect()
        else:
            await client.sio.eio.http.close()


def board_state(snapshot: dict[str, Any]) -> dict[str, str]:
    return {idea["id"]: idea["text"] for idea in snapshot["ideas"]}


async def test_three_nodes_serve_one_workshop_and_every_client_sees_the_same_state(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    event, links = await make_event(pg_url)
    async with nodes(3, pg_url, redis_url, tmp_path) as running:
        fac = await join_and_connect(running[0].base, links[Role.FACILITATOR], "Fatma")
        people = [await join_and_connect(running[n % 3].base, links[Role.PARTICIPANT], f"Person {n}") for n in range(6)]
        everyone = [fac, *people]
        try:
            entered = await ok(fac, "room.enter")
            board_id, entered_plenary = entered["boards"][0]["id"], entered["room"]["id"]
            for person in people:
                await ok(person, "room.enter")
            # the board: everyone posts at once, on whichever node they are
            fields = [f.id for f in event.fields]
            posts = [
                ok(person, "board.idea.create", {"board_id": board_id, "field_id": fields[k % 4], "text": f"{n}/{k}"})
                for n, person in enumerate(people)
                for k in range(3)
            ]
            acks = await asyncio.gather(*posts)
            last = max(ack["seq"] for ack in acks)
            assert last == len(acks)  # one sequence for the board, whichever node committed
            for client in everyone:  # every change reached every client, once, in order, from all three nodes
                await client.wait_for("board.changed", lambda c: c["seq"] == last)
                assert [c["seq"] for c in client.received["board.changed"]] == list(range(1, last + 1))
            snapshots = [await ok(c, "board.sync", {"board_id": board_id}) for c in everyone]
            assert {s["seq"] for s in snapshots} == {last}
            states = [board_state(s["snapshot"]) for s in snapshots]
            assert all(state == states[0] for state in states) and len(states[0]) == 18

            # the vote: each participant has a second tab on another node, and both tabs cast at once
            await ok(fac, "board.phase", {"board_id": board_id, "phase": "vote"})
            vote = {"board_id": board_id, "budget": 3, "cap": 2, "blind": False}
            session = (await ok(fac, "vote.open", vote))["session"]
            tabs = [
                await connect(running[(n + 1) % 3].base, person.token, person.member_id)
                for n, person in enumerate(people)
            ]
            everyone += tabs
            for tab in tabs:
                await ok(tab, "room.enter")
            ideas = sorted(states[0])
            dot = {"board_id": board_id, "session_id": session["id"]}
            casts = [
                (client, client.call("vote.cast", {**dot, "idea_id": ideas[(n + k) % len(ideas)]}))
                for n, client in enumerate(people + tabs)
                for k in range(3)
            ]
            results = await asyncio.gather(*(call for _c, call in casts))
            accepted: Counter[str] = Counter()
            for (client, _call), ack in zip(casts, results, strict=True):
                if ack["ok"]:
                    accepted[client.member_id] += 1
                else:  # refused by the budget (or the cap) as it stood across both nodes
                    assert ack["error"]["code"] in ("budget_exhausted", "cap_reached", "stale_board"), ack
            assert max(accepted.values()) <= 3 and sum(accepted.values()) >= len(people) * 2
            async with store_of(pg_url) as store:
                for person in people:
                    used, _count = await store.dot_counts(session["id"], person.member_id, ideas[0])
                    assert used == accepted[person.member_id]  # every acknowledged dot, and no other
            total = sum(accepted.values())
            for client in everyone:
                await client.wait_for("vote.progress", lambda p: p["cast"] == total)
            views = [await ok(c, "vote.state", {"board_id": board_id}) for c in everyone]
            tallies = [v["progress"]["tallies"] for v in views]
            assert all(t == tallies[0] for t in tallies) and sum(tallies[0].values()) == total
            for person, tab in zip(people, tabs, strict=True):  # both tabs of a member: one ballot
                mine = [(await ok(c, "vote.state", {"board_id": board_id}))["my_dots"] for c in (person, tab)]
                assert mine[0] == mine[1] and mine[0]["used"] == accepted[person.member_id]

            # who is here: everyone, once, on every node (a member's two tabs are one presence)
            for client in everyone:
                present = (await ok(client, "room.enter"))["presence"]
                assert sorted(m["id"] for m in present) == sorted({c.member_id for c in everyone})

            # the chat: everyone writes at once; every client gets every message, and the history is one
            said = await asyncio.gather(*(ok(p, "chat.send", {"text": f"Hallo von {n}"}) for n, p in enumerate(people)))
            ids = {ack["message"]["id"] for ack in said}
            for client in everyone:
                await client.wait_for_all("chat.message", len(ids))
                assert {m["id"] for m in client.received["chat.message"]} == ids
            histories = [[m["id"] for m in (await ok(c, "chat.history"))["messages"]] for c in everyone]
            assert all(h == histories[0] for h in histories) and set(histories[0]) == ids

            # breakouts: three rooms opened on one node; everyone, on any node, in the room the round says
            rooms = [{"name": f"Tisch {n + 1}"} for n in range(3)]
            created = await ok(fac, "breakout.create", {"rooms": rooms, "mode": "automatic"})
            opened = await ok(fac, "breakout.open", {"round_id": created["round"]["id"]})
            placement = opened["round"]["placement"]
            assert set(placement) == {p.member_id for p in people}
            for client in [*people, *tabs]:
                moved = await client.wait_for("room.moved", lambda d: d["reason"] == "breakout_open")
                assert moved["room"]["id"] == placement[client.member_id]
            for room_id in set(placement.values()):  # a room's chat reaches those in it, on any node, and no one else
                inside = [c for c in people if placement[c.member_id] == room_id]
                ack = await ok(inside[0], "chat.send", {"text": f"Im Raum {room_id}"})
                for client in [*people, *tabs]:
                    if placement[client.member_id] == room_id:
                        await client.wait_for("chat.message", lambda m, i=ack["message"]["id"]: m["id"] == i)
                entered = await ok(inside[-1], "room.enter")
                assert entered["room"]["id"] == room_id
                assert sorted(m["id"] for m in entered["presence"]) == sorted(c.member_id for c in inside)
            await ok(fac, "breakout.close", {"round_id": created["round"]["id"], "now": True})
            for client in [*people, *tabs]:
                back = await client.wait_for("room.moved", lambda d: d["reason"] == "breakout_close")
                assert back["room"]["id"] == entered_plenary
            for client in everyone:  # nobody heard a room's chat they were not in
                rooms_heard = {m["room_id"] for m in client.received["chat.message"]}
                assert rooms_heard <= {entered_plenary, placement.get(client.member_id, entered_plenary)}

            # the space: everyone enters it, on three nodes; one walks to another on a different node, who sees him
            # arrive, and everyone locates him at the same place (conversations across nodes: test_space_nodes.py;
            # here people stand crowded at the spawn point, where a bubble may be full)
            members = {c.member_id for c in everyone}
            for client in everyone:
                await ok(client, "space.enter")

            async def sees_everyone(client: Client) -> bool:  # (the nodes' arrivals reach the space's node)
                for _ in range(100):
                    if {a["id"] for a in (await ok(client, "space.enter"))["avatars"]} == members:
                        return True
                    await asyncio.sleep(0.05)
                return False

            assert all([await sees_everyone(client) for client in everyone])
            first, second = people[0], people[1]  # on node 0 and node 1
            there = await goto(second, {"member_id": first.member_id})
            await first.wait_for("space.moves", at(there)(second.member_id))
            located = [await ok(c, "space.locate", {"member_id": second.member_id}) for c in everyone]
            assert {(p["position"]["x"], p["position"]["y"]) for p in located} == {(there["x"], there["y"])}
        finally:
            await disconnect_all(everyone)


async def test_a_node_killed_during_a_voting_burst_loses_no_acknowledged_dot_and_its_clients_carry_on_elsewhere(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    event, links = await make_event(pg_url)
    # the survivor finds the dead node stopped within 1.5 s and a third (its presence, and what it may not have told)
    async with nodes(2, pg_url, redis_url, tmp_path, {"WERKSTATT_PRESENCE_TTL_S": "1.5"}) as running:
        victim, survivor = running
        fac = await join_and_connect(survivor.base, links[Role.FACILITATOR], "Fatma")
        author = await join_and_connect(survivor.base, links[Role.PARTICIPANT], "Autorin")
        clients = [fac, author]
        try:
            board_id = (await ok(fac, "room.enter"))["boards"][0]["id"]
            fields = [f.id for f in event.fields]
            ideas = [
                (await ok(author, "board.idea.create", {"board_id": board_id, "field_id": fields[0], "text": f"I{n}"}))[
                    "idea"
                ]["id"]
                for n in range(20)
            ]
            await ok(fac, "board.phase", {"board_id": board_id, "phase": "vote"})
            vote = {"board_id": board_id, "budget": 60, "cap": 3, "blind": False}
            session = (await ok(fac, "vote.open", vote))["session"]
            dot = {"board_id": board_id, "session_id": session["id"]}
            voters = []
            for n in range(16):
                node = victim if n % 2 == 0 else survivor
                token, member_id = await member(node, links[Role.PARTICIPANT], f"Wählerin {n}")
                voters.append((node, await connect(node.base, token, member_id)))
            clients += [c for _node, c in voters]
            for _node, client in voters:
                await ok(client, "room.enter")

            acknowledged: Counter[str] = Counter()
            in_doubt: Counter[str] = Counter()  # sent, and no answer came: stored or not
            enough = asyncio.Event()

            async def burst(client: Client) -> None:
                for k in itertools.count():
                    if k == 40:
                        return
                    try:
                        ack = await client.call("vote.cast", {**dot, "idea_id": ideas[k % 20]}, timeout=5)
                    except (TimeoutError, socketio.exceptions.SocketIOError):
                        in_doubt[client.member_id] += 1
                        return
                    if not ack["ok"]:
                        assert ack["error"]["code"] in ("stale_board", "internal"), ack
                        continue
                    acknowledged[client.member_id] += 1
                    if sum(acknowledged.values()) >= 150:
                        enough.set()

            bursts = [asyncio.ensure_future(burst(client)) for _node, client in voters]
            await asyncio.wait_for(enough.wait(), 30)
            await victim.kill()  # in the middle of the burst
            await asyncio.gather(*bursts)
            assert sum(acknowledged.values()) < 16 * 40  # the kill came while dots were still being cast

            # the dead node's clients come back at the survivor (as the load balancer sends them on) and converge
            rejoined = []
            for node, client in voters:
                if node is victim:
                    await disconnect_all([client])
                    again = await connect(survivor.base, client.token, client.member_id)
                    rejoined.append(again)
                    await ok(again, "room.enter")
            clients += rejoined
            async with store_of(pg_url) as store:
                stored = {
                    c.member_id: (await store.dot_counts(session["id"], c.member_id, ideas[0]))[0] for _n, c in voters
                }
            for _node, client in voters:  # every acknowledged dot is stored; only one sent and unanswered may be too
                held = stored[client.member_id]
                assert (
                    acknowledged[client.member_id]
                    <= held
                    <= acknowledged[client.member_id] + in_doubt[client.member_id]
                )
            # every reader converges on what is stored: at once, or, when the victim died between committing dots
            # and telling the survivor, once the survivor found it stopped (its presence expired) and read again
            readers = [fac, *rejoined, *(c for n, c in voters if n is survivor)]

            async def converged() -> bool:
                views = [await ok(c, "vote.state", {"board_id": board_id}) for c in readers]
                tallies = [v["progress"]["tallies"] for v in views]
                return all(t == tallies[0] for t in tallies) and sum(tallies[0].values()) == sum(stored.values())

            deadline = asyncio.get_running_loop().time() + 1.5 * 4 / 3 + 5
            while not await converged():
                assert asyncio.get_running_loop().time() < deadline, "the readers' tallies never matched the store"
                await asyncio.sleep(0.25)
            for again in rejoined:
                mine = (await ok(again, "vote.state", {"board_id": board_id}))["my_dots"]
                assert mine["used"] == stored[again.member_id]
            # and the survivor goes on taking dots, from them too
            assert (await ok(rejoined[0], "vote.cast", {**dot, "idea_id": ideas[19]}))["dots"]["used"] == (
                stored[rejoined[0].member_id] + 1
            )
        finally:
            await disconnect_all(clients)


async def test_a_redis_restart_keeps_each_node_serving_its_clients_who_see_it_and_converge_afterwards(
    pg_url: str, tmp_path: Path
) -> None:
    event, links = await make_event(pg_url)
    async with own_redis() as redis, nodes(2, pg_url, redis.url, tmp_path) as (first, second):
        here = await join_and_connect(first.base, links[Role.PARTICIPANT], "Hier")
        there = await join_and_connect(second.base, links[Role.PARTICIPANT], "Dort")
        clients = [here, there]
        try:
            board_id = (await ok(here, "room.enter"))["boards"][0]["id"]
            await ok(there, "room.enter")
            field = event.fields[0].id

            async def post(client: Client, text: str) -> dict[str, Any]:
                return await ok(client, "board.idea.create", {"board_id": board_id, "field_id": field, "text": text})

            before = await post(here, "vorher")
            await there.wait_for("board.changed", lambda c: c["seq"] == before["seq"])

            await redis.stop()
            for client in clients:  # each is told that what the other node's people do does not reach it now
                assert await client.wait_for("node.link") == {"linked": False}
            # each node goes on serving its own clients: changes are acknowledged (stored) and reach its own
            during_here = await post(here, "hier, während Redis fehlt")
            await here.wait_for("board.changed", lambda c: c["seq"] == during_here["seq"])
            during_there = await post(there, "dort, während Redis fehlt")
            await there.wait_for("board.changed", lambda c: c["seq"] == during_there["seq"])
            # and someone who joins meanwhile gets in and is shown the room and its board (as this node has it:
            # the other node's change reaches it when Redis is back)
            late = await join_and_connect(first.base, links[Role.PARTICIPANT], "Spät")
            clients.append(late)
            entered = await ok(late, "room.enter")
            assert [b["id"] for b in entered["boards"]] == [board_id]
            late_seq = entered["boards"][0]["seq"]  # (it may get no change of its own before Redis is back)
            assert during_there["seq"] == during_here["seq"] + 1  # one sequence: the database decides

            await redis.start()  # on the same port
            for client in clients:
                assert await client.wait_for("node.link", lambda link: link["linked"], timeout=20) == {"linked": True}
            # as the page does on node.link: sync from what it has; both end up with everything acknowledged
            texts = []
            for client in clients:
                received = [c["seq"] for c in client.received["board.changed"]]
                seen = max([*received, late_seq] if client is late else received)
                synced = await ok(client, "board.sync", {"board_id": board_id, "since": seen})
                assert synced["seq"] == during_there["seq"]
                snapshot = await ok(client, "board.sync", {"board_id": board_id})
                texts.append(sorted(idea["text"] for idea in snapshot["snapshot"]["ideas"]))
            assert texts[0] == texts[1] == sorted(["vorher", "hier, während Redis fehlt", "dort, während Redis fehlt"])
            # and the fan-out across the nodes works again
            after = await post(there, "nachher")
            await here.wait_for("board.changed", lambda c: c["seq"] == after["seq"])
        finally:
            await disconnect_all(clients)
