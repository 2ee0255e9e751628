"""Breakout rounds with real clients: opening moves everyone to their room, live moves, calls for
help, a visit, closing brings everyone back — and at every step each participant is in exactly
one room, the one the server has them in."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server, until


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, join_burst_per_address=2000, join_burst_per_link=2000)
    yield srv
    await srv.close()


class Crowd:
    """The participants, each with the room its client was told it is in (``room.enter``, then
    every ``room.moved``), and the facilitator."""

    def __init__(
        self, server: TestServer, links: dict[Role, str], facilitator: Client, people: list[Client], plenary: str
    ) -> None:
        self.server = server
        self.links = links
        self.facilitator = facilitator
        self.people = people
        self.plenary = plenary
        self.room_of = {c.member_id: plenary for c in people}
        for client in people:
            client.sio.on("room.moved", self._follower(client))

    def _follower(self, client: Client) -> Any:
        async def moved(data: dict[str, Any]) -> None:
            self.room_of[client.member_id] = data["room"]["id"]
            await client.record("room.moved", data)

        return moved

    def server_rooms(self) -> dict[str, str]:
        """Each participant's room as the server has it (their connection's), and a check that
        nobody is present in two rooms."""
        live = self.server.app[LIVE]
        where = {c.member.id: c.room_id for c in live.connections.values() if c.member.id in self.room_of}
        present = Counter(m for room in live.presence.values() for m in room.members)
        assert all(n == 1 for n in present.values()), "someone is present in two rooms"
        for member_id, room_id in where.items():
            assert member_id in live.presence[room_id].members
        return where

    async def settled(self, expected: dict[str, str]) -> None:
        """Every client has been told the room the server has them in, and that is ``expected``."""
        assert await until(lambda: self.room_of == expected, within=20), self._differences(expected)
        assert self.server_rooms() == expected

    def _differences(self, expected: dict[str, str]) -> str:
        wrong = {m: (self.room_of[m], r) for m, r in expected.items() if self.room_of.get(m) != r}
        return f"{len(wrong)} clients not where expected, e.g. {list(wrong.items())[:3]}"


async def assemble(server: TestServer, count: int) -> Crowd:
    _event, links = await make_event(server.app)
    base = base_url(server)
    facilitator = await join_and_connect(base, links[Role.FACILITATOR], "Moderation")
    plenary = (await facilitator.call("room.enter"))["room"]["id"]
    people: list[Client] = []
    for start in range(0, count, 50):
        people += await asyncio.gather(
            *(
                join_and_connect(base, links[Role.PARTICIPANT], f"Teilnehmende {n}")
                for n in range(start, min(start + 50, count))
            )
        )
    return Crowd(server, links, facilitator, people, plenary)


async def test_300_participants_in_30_rooms_are_always_in_exactly_one(server: TestServer) -> None:
    crowd = await assemble(server, 300)
    mod = crowd.facilitator
    try:
        rooms = [{"name": f"Tisch {n + 1}", "capacity": 12} for n in range(30)]
        created = await mod.call("breakout.create", {"rooms": rooms, "mode": "automatic", "countdown_s": 10})
        assert created["ok"], created
        round_id = created["round"]["id"]
        preview = await mod.call("breakout.assign", {"round_id": round_id, "mode": "automatic", "seed": 7})
        assert preview["ok"], preview
        sizes = [r["size"] for r in preview["round"]["rooms"]]
        assert sum(sizes) == 300 and max(sizes) - min(sizes) <= 1
        assert crowd.server_rooms() == dict.fromkeys(crowd.room_of, crowd.plenary)  # a preview moves nobody

        # open: everyone to their room at once
        opened = await mod.call("breakout.open", {"round_id": round_id})
        assert opened["ok"] and opened["round"]["status"] == "open", opened
        placement = opened["round"]["placement"]
        assert set(placement) == set(crowd.room_of)
        assert set(opened["round"]["names"]) == set(placement)  # the console can name everyone
        await crowd.settled(placement)
        someone = crowd.people[0]
        assert (await someone.call("room.enter"))["room"]["id"] == placement[someone.member_id]

        # a facilitator moves ten people live; the others stay
        room_ids = [r["id"] for r in opened["round"]["rooms"]]
        moved = dict(placement)
        for n, client in enumerate(crowd.people[:10]):
            target = next(r for r in room_ids[n:] + room_ids if r != placement[client.member_id])  # spread out
            ack = await mod.call(
                "breakout.move", {"round_id": round_id, "member_id": client.member_id, "room_id": target}
            )
            assert ack["ok"], ack
            moved[client.member_id] = target
        await crowd.settled(moved)

        # five ask for help; the facilitator answers the first by visiting their room
        askers = crowd.people[20:25]
        for client in askers:
            assert (await client.call("breakout.help", {"round_id": round_id}))["ok"]
        queue = await mod.wait_for("breakout.changed", lambda d: len(d.get("help_queue") or []) == 5)
        assert queue["help_queue"] == [c.member_id for c in askers]
        participant_view = await askers[1].call("breakout.state")
        assert participant_view["round"]["placement"] is None and participant_view["round"]["asked_help"] is True
        answered = await mod.call("breakout.help.answer", {"round_id": round_id, "member_id": askers[0].member_id})
        assert answered["ok"] and answered["round"]["help_queue"] == [c.member_id for c in askers[1:]]
        visit = await mod.wait_for("room.moved", lambda d: d["reason"] == "visit")
        assert visit["room"]["id"] == moved[askers[0].member_id]
        assert mod.member_id in [m["id"] for m in visit["presence"]]
        await crowd.settled(moved)  # a visiting facilitator moves no participant

        # a broadcast to all breakout rooms reaches every participant, once
        sent = await mod.call("broadcast.send", {"text": "Noch 5 Minuten", "scope": "breakouts"})
        assert sent["ok"], sent
        assert await until(lambda: all(c.received["broadcast"] for c in crowd.people), within=10)
        assert all([b["text"] for b in c.received["broadcast"]] == ["Noch 5 Minuten"] for c in crowd.people)

        # close: everyone back in the plenary
        closed = await mod.call("breakout.close", {"round_id": round_id, "now": True})
        assert closed["ok"] and closed["round"]["status"] == "closed", closed
        await crowd.settled(dict.fromkeys(crowd.room_of, crowd.plenary))
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))


async def test_a_participant_posts_in_their_room_only_and_the_results_come_back(server: TestServer) -> None:
    crowd = await assemble(server, 4)
    mod, anna = crowd.facilitator, crowd.people[0]
    try:
        created = await mod.call("breakout.create", {"rooms": [{"name": "Mobilität"}, {"name": "Bildung"}]})
        round_id = created["round"]["id"]
        plenary_board = (await anna.call("room.enter"))["boards"][0]["id"]
        await mod.call("breakout.assign", {"round_id": round_id, "mode": "automatic", "seed": 1})
        await mod.call("breakout.open", {"round_id": round_id})
        arrival = await anna.wait_for("room.moved", lambda d: d["reason"] == "breakout_open")
        [board] = arrival["boards"]
        field_id = (await anna.call("room.enter"))["event"]["fields"][0]["id"]
        posted = await anna.call(
            "board.idea.create", {"board_id": board["id"], "field_id": field_id, "text": "Radwege"}
        )
        assert posted["ok"], posted
        elsewhere = await anna.call("board.idea.create", {"board_id": plenary_board, "field_id": field_id, "text": "x"})
        assert elsewhere["ok"] is False and elsewhere["error"]["code"] == "not_in_room"
        await mod.call("breakout.close", {"round_id": round_id, "now": True})
        await anna.wait_for("room.moved", lambda d: d["reason"] == "breakout_close")
        results = await anna.call("breakout.results", {"round_id": round_id})
        by_room = {r["room_id"]: r for r in results["rooms"]}
        assert by_room[arrival["room"]["id"]]["boards"][0]["ideas"] == 1
        synced = await anna.call("board.sync", {"board_id": board["id"]})  # read from the plenary
        assert [i["text"] for i in synced["snapshot"]["ideas"]] == ["Radwege"]
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))


async def test_self_select_capacity_holds_under_a_race(server: TestServer) -> None:
    crowd = await assemble(server, 12)
    mod = crowd.facilitator
    try:
        created = await mod.call(
            "breakout.create", {"rooms": [{"name": "Klein", "capacity": 3}, {"name": "Groß"}], "mode": "self_select"}
        )
        round_id = created["round"]["id"]
        small = created["round"]["rooms"][0]["id"]
        await mod.call("breakout.open", {"round_id": round_id})
        acks = await asyncio.gather(
            *(c.call("breakout.choose", {"round_id": round_id, "room_id": small}) for c in crowd.people)
        )
        assert sum(a["ok"] for a in acks) == 3
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"room_full"}
        chosen = {c.member_id: small for c, a in zip(crowd.people, acks, strict=True) if a["ok"]}
        expected = {**dict.fromkeys(crowd.room_of, crowd.plenary), **chosen}
        await crowd.settled(expected)
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))


async def test_participants_cannot_run_rounds_and_rounds_open_once(server: TestServer) -> None:
    crowd = await assemble(server, 2)
    mod, anna = crowd.facilitator, crowd.people[0]
    try:
        refused = await anna.call("breakout.create", {"rooms": [{"name": "A"}]})
        assert refused["error"]["code"] == "forbidden"
        created = await mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}]})
        round_id = created["round"]["id"]
        for event in ("breakout.open", "breakout.close"):
            ack = await anna.call(event, {"round_id": round_id})
            assert ack["error"]["code"] == "forbidden"
        first, second = await asyncio.gather(
            mod.call("breakout.open", {"round_id": round_id}), mod.call("breakout.open", {"round_id": round_id})
        )
        assert [first["ok"], second["ok"]].count(True) == 1
        assert (first if not first["ok"] else second)["error"]["code"] == "already_open"
        again = await mod.call("breakout.create", {"rooms": [{"name": "C"}]})
        assert again["error"]["code"] == "already_open"
        too_many = await mod.call("breakout.create", {"rooms": [{"name": f"R{n}"} for n in range(101)]})
        assert too_many["ok"] is False
        gone = await mod.call("breakout.move", {"round_id": round_id, "member_id": "mb_nobody", "room_id": None})
        assert gone["error"]["code"] == "not_found"
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))


async def test_a_late_joiner_and_a_reconnect_land_in_their_room(server: TestServer) -> None:
    crowd = await assemble(server, 4)
    mod = crowd.facilitator
    try:
        created = await mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}]})
        round_id = created["round"]["id"]
        opened = await mod.call("breakout.open", {"round_id": round_id})
        placement = opened["round"]["placement"]
        await crowd.settled(placement)
        anna = crowd.people[0]
        await anna.disconnect()
        back = await connect(base_url(crowd.server), anna.token, anna.member_id)
        assert (await back.call("room.enter"))["room"]["id"] == placement[anna.member_id]
        late = await join_and_connect(base_url(crowd.server), crowd.links[Role.PARTICIPANT], "Spät")
        state = await late.call("breakout.state")
        entered = await late.call("room.enter")
        assert entered["room"]["kind"] == "breakout" and entered["room"]["id"] == state["round"]["my_room"]
        await asyncio.gather(back.disconnect(), late.disconnect())
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people[1:]]))


def pairs(placement: dict[str, str]) -> set[frozenset[str]]:
    rooms: dict[str, list[str]] = {}
    for member, room in placement.items():
        rooms.setdefault(room, []).append(member)
    return {frozenset((a, b)) for members in rooms.values() for a in members for b in members if a < b}


async def test_world_cafe_moves_people_on_to_new_tables_and_reuse_keeps_groups(server: TestServer) -> None:
    crowd = await assemble(server, 16)
    mod = crowd.facilitator
    try:
        # four tables, each with a host who stays; the twelve others move on after each round
        hosts = crowd.people[:4]
        tables = [{"name": f"Tisch {n + 1}", "host_id": host.member_id} for n, host in enumerate(hosts)]
        first = (await mod.call("breakout.create", {"rooms": tables}))["round"]
        await mod.call("breakout.assign", {"round_id": first["id"], "mode": "automatic", "seed": 3})
        opened = await mod.call("breakout.open", {"round_id": first["id"]})
        first_placement = opened["round"]["placement"]
        await crowd.settled(first_placement)
        await mod.call("breakout.close", {"round_id": first["id"], "now": True})
        await crowd.settled(dict.fromkeys(crowd.room_of, crowd.plenary))

        rotated = await mod.call("breakout.rotate", {"round_id": first["id"]})
        assert rotated["ok"], rotated
        second = rotated["round"]
        assert second["number"] == 2 and second["mode"] == "rotation"
        assert [r["id"] for r in second["rooms"]] == [
            r["id"] for r in first["rooms"]
        ]  # the tables and their boards stay
        assert not pairs(first_placement) & pairs(second["placement"]), "two people met again at a table"
        host_ids = {h.member_id for h in hosts}
        assert all(second["placement"][h] == first_placement[h] for h in host_ids)  # hosts stay
        assert all(second["placement"][m] != first_placement[m] for m in first_placement if m not in host_ids)
        sizes = [r["size"] for r in second["rooms"]]
        assert max(sizes) - min(sizes) <= 1
        opened = await mod.call("breakout.open", {"round_id": second["id"]})
        await crowd.settled(opened["round"]["placement"])
        await mod.call("breakout.close", {"round_id": second["id"], "now": True})

        third = (await mod.call("breakout.create", {"rooms": [{"name": t["name"]} for t in tables]}))["round"]
        reused = await mod.call("breakout.assign", {"round_id": third["id"], "mode": "reuse", "seed": 5})
        assert pairs(reused["round"]["placement"]) == pairs(opened["round"]["placement"])  # the last groups again
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))


async def test_a_removed_participant_leaves_their_room_and_the_log_tells(server: TestServer) -> None:
    crowd = await assemble(server, 4)
    mod, anna = crowd.facilitator, crowd.people[0]
    try:
        created = await mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}]})
        round_id = created["round"]["id"]
        opened = await mod.call("breakout.open", {"round_id": round_id})
        await crowd.settled(opened["round"]["placement"])
        assert (await anna.call("breakout.help", {"round_id": round_id}))["ok"]
        removed = await mod.call("member.remove", {"member_id": anna.member_id})
        assert removed["ok"], removed
        state = await mod.call("breakout.state")
        assert anna.member_id not in state["round"]["placement"] and state["round"]["help_queue"] == []
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(base_url(server), anna.token, anna.member_id)
        live = server.app[LIVE]
        log = await live.store.audit_log(live.connections[next(iter(live.connections))].event_id)
        actions = [entry.action for entry in reversed(log)]
        assert actions == ["breakout.create", "breakout.open", "member.remove"]
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))  # Anna's closes her session


async def test_nobody_of_another_event_can_be_placed_and_a_visitor_goes_back_at_the_close(server: TestServer) -> None:
    crowd = await assemble(server, 2)
    other = await assemble(server, 1)  # a second event on the same server
    mod, stranger = crowd.facilitator, other.people[0]
    try:
        rooms = [{"name": "A"}, {"name": "B"}]
        hosted = await mod.call("breakout.create", {"rooms": [{"name": "A", "host_id": stranger.member_id}]})
        assert hosted["error"]["code"] == "not_found"
        created = await mod.call("breakout.create", {"rooms": rooms})
        round_id, room_a = created["round"]["id"], created["round"]["rooms"][0]["id"]
        manual = {stranger.member_id: room_a, crowd.people[0].member_id: room_a}
        refused = await mod.call("breakout.assign", {"round_id": round_id, "mode": "manual", "placement": manual})
        assert refused["error"]["code"] == "not_found"
        opened = await mod.call("breakout.open", {"round_id": round_id})
        await crowd.settled(opened["round"]["placement"])
        assert stranger.received["room.moved"] == [] and other.room_of[stranger.member_id] == other.plenary

        visit = await mod.call("breakout.visit", {"room_id": room_a})
        assert visit["ok"], visit
        await mod.call("breakout.close", {"round_id": round_id, "now": True})
        back = await mod.wait_for("room.moved", lambda d: d["reason"] == "breakout_close")
        assert back["room"]["id"] == crowd.plenary
        live = server.app[LIVE]
        assert all(c.room_id == crowd.plenary for c in live.connections.values() if c.member.id == mod.member_id)
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people, other.facilitator, stranger]))


async def test_a_new_round_and_an_opening_at_once_leave_one_round_that_closes(server: TestServer) -> None:
    crowd = await assemble(server, 6)
    mod = crowd.facilitator
    second = await join_and_connect(base_url(server), crowd.links[Role.FACILITATOR], "Zweite Moderation")
    try:
        created = await mod.call("breakout.create", {"rooms": [{"name": "A"}, {"name": "B"}]})
        round_id = created["round"]["id"]
        opened, other = await asyncio.gather(
            mod.call("breakout.open", {"round_id": round_id}),
            second.call("breakout.create", {"rooms": [{"name": "C"}]}),
        )
        if opened["ok"]:  # the opening came first: no new round while it is open
            assert other["error"]["code"] == "already_open"
            await crowd.settled(opened["round"]["placement"])
            closed = await mod.call("breakout.close", {"round_id": round_id, "now": True})
            assert closed["ok"], closed
            await crowd.settled(dict.fromkeys(crowd.room_of, crowd.plenary))
        else:  # the new round came first: the old draft is not the current one any more
            assert other["ok"] and opened["error"]["code"] == "no_such_round"
            assert crowd.server_rooms() == dict.fromkeys(crowd.room_of, crowd.plenary)
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, second, *crowd.people]))


async def test_a_second_tab_shares_its_members_rate_limit(sqlite_url: str) -> None:
    srv = await start_server(sqlite_url, rate_burst=5, rate_per_second=0.01)
    try:
        _event, links = await make_event(srv.app)
        anna = await join_and_connect(base_url(srv), links[Role.PARTICIPANT], "Anna")
        tab = await connect(base_url(srv), anna.token, anna.member_id)
        answers = [await client.call("breakout.state") for client in (anna, tab, anna, tab, anna, tab)]
        assert [a["ok"] for a in answers] == [True] * 5 + [False]
        assert answers[-1]["error"]["code"] == "rate_limited"
        assert (await anna.call("room.enter"))["ok"]  # another kind of event has a budget of its own
        await asyncio.gather(anna.disconnect(), tab.disconnect())
    finally:
        await srv.close()


async def test_a_members_limits_come_with_their_first_event_and_go_with_their_last_tab(sqlite_url: str) -> None:
    """An idle connection holds no rate limits (most of a workshop's connections are idle, and a node
    holds thousands); the member's tabs share them from their first event on, and they are gone with
    the last tab: a member who comes back starts afresh."""
    srv = await start_server(sqlite_url, rate_burst=2, rate_per_second=0.01)
    try:
        _event, links = await make_event(srv.app)
        live = srv.app[LIVE]
        anna = await join_and_connect(base_url(srv), links[Role.PARTICIPANT], "Anna")
        tab = await connect(base_url(srv), anna.token, anna.member_id)

        def held() -> list[int | None]:  # the limits each tab holds, by identity (the test keeps none alive)
            return [None if c.limits is None else id(c.limits) for c in live.connections_of(anna.member_id)]

        assert held() == [None, None]
        answers = [await client.call("breakout.state") for client in (anna, tab, anna)]
        assert [a["ok"] for a in answers] == [True, True, False]
        first, second = held()
        assert first is not None and first == second
        await asyncio.gather(anna.disconnect(), tab.disconnect())
        assert await until(lambda: not live.connections)
        again = await connect(base_url(srv), anna.token, anna.member_id)
        assert (await again.call("breakout.state"))["ok"]
        await again.disconnect()
    finally:
        await srv.close()


async def test_topic_choices_are_kept_and_honoured(server: TestServer) -> None:
    crowd = await assemble(server, 6)
    mod = crowd.facilitator
    try:
        created = await mod.call(
            "breakout.create",
            {"rooms": [{"name": "Mobilität"}, {"name": "Bildung"}, {"name": "Umwelt"}], "mode": "preference"},
        )
        round_id = created["round"]["id"]
        rooms = [r["id"] for r in created["round"]["rooms"]]
        for n, client in enumerate(crowd.people):
            choice = [rooms[n % 3], rooms[(n + 1) % 3]]
            assert (await client.call("breakout.prefer", {"round_id": round_id, "room_ids": choice}))["ok"]
        again = await crowd.people[4].call("breakout.state")  # after a reload, say
        assert again["round"]["my_preferences"] == [rooms[1], rooms[2]]
        preview = await mod.call("breakout.assign", {"round_id": round_id, "mode": "preference", "seed": 2})
        placement = preview["round"]["placement"]
        assert all(placement[c.member_id] == rooms[n % 3] for n, c in enumerate(crowd.people))  # every first choice
        bad = await crowd.people[0].call("breakout.prefer", {"round_id": round_id, "room_ids": [rooms[0], rooms[0]]})
        assert bad["error"]["code"] == "duplicate_room"
    finally:
        await asyncio.gather(*(c.disconnect() for c in [mod, *crowd.people]))
