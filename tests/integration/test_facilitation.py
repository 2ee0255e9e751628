"""Facilitation with real clients: the clock, the state after reconnecting, broadcasts, the spotlight, removing
a member, the audit log; and that participants and observers can run none of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import STORE
from server.live.gateway import MODERATORS
from server.live.handlers import registry
from tests.integration.team import (
    Team,
    audit_actions,
    breakout_room,
    connect_organizer,
    gone,
    move,
    ok,
    refused,
    team,
)
from tests.integration.test_bad_input import valid_payload
from tests.support import connect, join_and_connect, make_event, start_server

FACILITATION_EVENTS = (
    "timer.changed",
    "timer.warning",
    "timer.finished",
    "broadcast",
    "board.spotlight",
    "hands.changed",
    "agenda.changed",
    "chat.message",
    "chat.hidden",
    "chat.silenced",
    "question.changed",
    "member.removed",
)


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


@pytest.fixture
async def crew(server: TestServer) -> AsyncIterator[Team]:
    crew = await team(server)
    yield crew
    await crew.close()


async def board_of(client: Any) -> str:
    return str((await ok(client, "room.enter"))["boards"][0]["id"])


async def test_clock_sync_gives_the_servers_epoch_milliseconds(crew: Team) -> None:
    for client in (crew.anna, crew.olga, crew.fac):
        before = time.time() * 1000
        ack = await ok(client, "clock.sync")
        after = time.time() * 1000
        assert set(ack) == {"ok", "now_ms"} and isinstance(ack["now_ms"], int)
        assert before - 1 <= ack["now_ms"] <= after + 1  # one machine: no offset
        offset = ack["now_ms"] + (after - before) / 2 - after
        assert abs(offset) < 1000


async def test_participants_and_observers_run_no_facilitator_event_and_nothing_changes(
    server: TestServer, crew: Team
) -> None:
    board_id = await board_of(crew.anna)
    scene = {"board_id": board_id, "field_id": crew.event.fields[0].id, "idea": {"id": "idea_x"}}
    moderator_events = [name for name, spec in registry.specs.items() if spec.roles == MODERATORS]
    assert {"timer.start", "broadcast.send", "board.spotlight", "member.remove", "agenda.add", "hand.next"} <= set(
        moderator_events
    )
    before = await ok(crew.fac, "facilitation.state")
    targets = {"member.remove": {"member_id": crew.ben.member_id}, "chat.silence": {"member_id": crew.ben.member_id}}
    for name in moderator_events:
        payload = {**valid_payload(name, scene), **targets.get(name, {})}
        for client in (crew.anna, crew.olga):
            assert await refused(client, name, payload) == "forbidden", name
    assert await ok(crew.fac, "facilitation.state") == before
    await asyncio.sleep(0.3)
    for client in crew.clients:
        assert not [e for e in FACILITATION_EVENTS if client.received[e]], client.received.keys()
    assert await audit_actions(server, crew.event) == []
    assert crew.ben.sio.connected and (await ok(crew.ben, "clock.sync"))


async def test_broadcasts_reach_everyone_one_room_or_the_breakout_rooms(server: TestServer, crew: Team) -> None:
    table = await breakout_room(server, crew.event, "Tisch 1")
    await move(server, crew.ben, table)
    other = await breakout_room(server, crew.event, "Tisch 2")

    everyone = await ok(crew.fac, "broadcast.send", {"text": "  Noch fünf Minuten  ", "scope": "everyone"})
    sent = everyone["broadcast"]
    assert sent["text"] == "Noch fünf Minuten" and sent["scope"] == "everyone" and sent["room_id"] is None
    assert sent["from"] == {"id": crew.fac.member_id, "pseudonym": "Fiona", "colour": "blue"}
    assert everyone["rooms"] == 2  # the plenary and Ben's table
    for client in crew.clients:
        assert await client.wait_for("broadcast") == sent

    breakouts = await ok(crew.fac, "broadcast.send", {"text": "Bitte zurück ins Plenum", "scope": "breakouts"})
    assert breakouts["rooms"] == 1  # Tisch 2 is empty
    assert (await crew.ben.wait_for("broadcast", lambda d: d["scope"] == "breakouts"))["text"] == (
        "Bitte zurück ins Plenum"
    )
    one = await ok(crew.fac, "broadcast.send", {"text": "Nur Tisch 1", "scope": "room", "room_id": table.id})
    assert one["broadcast"]["room_id"] == table.id and one["rooms"] == 1
    await crew.ben.wait_for("broadcast", lambda d: d["scope"] == "room")
    await asyncio.sleep(0.2)
    for client in (crew.anna, crew.olga, crew.fac):  # in the plenary: only the first one
        assert [b["scope"] for b in client.received["broadcast"]] == ["everyone"]

    assert await refused(crew.fac, "broadcast.send", {"text": "x", "scope": "room"}) == "invalid_input"
    assert await refused(crew.fac, "broadcast.send", {"text": "x", "scope": "room", "room_id": "rm_nope"}) == (
        "not_found"
    )
    assert await refused(crew.fac, "broadcast.send", {"text": "   ", "scope": "everyone"}) == "text_too_short"
    assert await refused(crew.fac, "broadcast.send", {"text": "x" * 501, "scope": "everyone"}) == "text_too_long"
    assert await refused(crew.fac, "broadcast.send", {"text": "a\x00", "scope": "everyone"}) == "control_characters"
    assert await refused(crew.fac, "broadcast.send", {"text": "x", "scope": "all"}) == "invalid_payload"
    # a room of another event is none of this one's
    foreign = await breakout_room(server, (await make_other_event(server)), "Fremd")
    assert await refused(crew.fac, "broadcast.send", {"text": "x", "scope": "room", "room_id": foreign.id}) == (
        "not_found"
    )
    assert other.id not in [b["room_id"] for b in crew.ben.received["broadcast"]]
    assert await audit_actions(server, crew.event) == [
        ("broadcast.send", None),
        ("broadcast.send", None),
        ("broadcast.send", table.id),
    ]


async def make_other_event(server: TestServer) -> Any:
    event, _links = await make_event(server.app, "Andere Werkstatt")
    return event


async def test_the_spotlight_leads_every_view_and_survives_a_reconnect(server: TestServer, crew: Team) -> None:
    board_id = await board_of(crew.anna)
    ack = await ok(crew.fac, "board.spotlight", {"board_id": board_id})
    spotlight = ack["spotlight"]
    assert spotlight["board_id"] == board_id and spotlight["by"]["id"] == crew.fac.member_id
    for client in crew.clients:
        assert await client.wait_for("board.spotlight") == spotlight
    again = await ok(crew.fac, "board.spotlight", {"board_id": board_id})  # the same: nothing sent
    assert again["spotlight"] == spotlight

    reconnected = await connect(crew.base, crew.anna.token, crew.anna.member_id)
    assert (await ok(reconnected, "facilitation.state"))["spotlight"] == spotlight
    await reconnected.disconnect()

    assert await refused(crew.fac, "board.spotlight", {"board_id": "bd_doesnotexist"}) == "not_found"
    other = await make_other_event(server)
    foreign_board = (await server.app[STORE].board_ids((await server.app[STORE].plenary(other.id)).id))[0]
    assert await refused(crew.fac, "board.spotlight", {"board_id": foreign_board}) == "not_found"

    ended = await ok(crew.fac, "board.spotlight", {"board_id": None})
    assert ended["spotlight"] == {"board_id": None, "room_id": None, "by": None}
    await crew.olga.wait_for("board.spotlight", lambda d: d["board_id"] is None)
    assert len(crew.olga.received["board.spotlight"]) == 2
    assert await audit_actions(server, crew.event) == [("board.spotlight", board_id), ("board.spotlight", board_id)]


async def test_a_removed_participant_is_disconnected_and_cannot_come_back(server: TestServer, crew: Team) -> None:
    anna_tab = await connect(crew.base, crew.anna.token, crew.anna.member_id)
    await ok(crew.anna, "hand.raise")
    closed = asyncio.Event()
    crew.anna.sio.on("disconnect", closed.set)

    ack = await ok(crew.fac, "member.remove", {"member_id": crew.anna.member_id, "reason": "Beleidigungen im Chat"})
    assert ack == {"ok": True, "member_id": crew.anna.member_id, "disconnected": 2}
    for client in (crew.anna, anna_tab):
        assert await client.wait_for("member.removed") == {"reason": "removed"}  # never the reason's text
    await asyncio.wait_for(closed.wait(), 10)
    # her hand went down: the room and the facilitators heard of it
    await crew.ben.wait_for("hands.changed", lambda d: d["queue"] == [])
    await crew.ben.wait_for("presence.changed", lambda d: crew.anna.member_id in d["left"])

    refusals: list[Any] = []
    async with aiohttp.ClientSession() as http:
        sio = socketio.AsyncClient(reconnection=False, http_session=http)
        sio.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(crew.base, auth={"token": crew.anna.token}, transports=["websocket"], wait_timeout=10)
    assert len(refusals) == 1 and refusals[0]["data"]["code"] == "unauthenticated"

    # what she wrote stays hers; the log keeps who, whom, why
    entries = await server.app[STORE].audit_log(crew.event.id)
    [entry] = [e for e in entries if e.action == "member.remove"]
    assert entry.member_id == crew.fac.member_id and entry.target == crew.anna.member_id
    assert entry.details["reason"] == "Beleidigungen im Chat" and entry.details["disconnected"] == 2
    await gone(anna_tab)


async def test_who_may_remove_whom(server: TestServer, crew: Team) -> None:
    other_fac = await join_and_connect(crew.base, crew.links[Role.FACILITATOR], "Frieda")
    organizer = await connect_organizer(server, crew.event)
    try:
        assert await refused(crew.fac, "member.remove", {"member_id": crew.fac.member_id}) == "cannot_remove_self"
        assert await refused(crew.fac, "member.remove", {"member_id": other_fac.member_id}) == (
            "cannot_remove_moderator"
        )
        assert await refused(crew.fac, "member.remove", {"member_id": organizer.member_id}) == (
            "cannot_remove_moderator"
        )
        assert await refused(crew.fac, "member.remove", {"member_id": "mb_doesnotexist"}) == "not_found"
        assert await refused(crew.fac, "member.remove", {"member_id": crew.ben.member_id, "reason": "x" * 201}) == (
            "text_too_long"
        )
        assert other_fac.sio.connected and crew.ben.sio.connected
        # an organizer removes a facilitator; an observer can be removed too
        assert (await ok(organizer, "member.remove", {"member_id": other_fac.member_id}))["disconnected"] == 1
        assert (await ok(crew.fac, "member.remove", {"member_id": crew.olga.member_id}))["disconnected"] == 1
        await other_fac.wait_for("member.removed")
        # a member of another event is not found in this one
        other = await make_other_event(server)
        links = await server.app[STORE].links(other.id)
        stranger = await join_and_connect(crew.base, links[Role.PARTICIPANT], "Fremd")
        assert await refused(crew.fac, "member.remove", {"member_id": stranger.member_id}) == "not_found"
        await stranger.disconnect()
    finally:
        await organizer.disconnect()
        await gone(other_fac)
    assert [a for a, _t in await audit_actions(server, crew.event)] == ["member.remove", "member.remove"]


async def test_facilitation_state_tells_a_reconnecting_client_what_it_needs(server: TestServer, crew: Team) -> None:
    state = await ok(crew.anna, "facilitation.state")
    assert state["agenda"]["steps"] == [] and state["agenda"]["version"] == 0
    assert state["event_timer"]["status"] == "idle" and state["room_timer"] is None
    assert state["spotlight"]["board_id"] is None and state["hands"]["queue"] == []
    assert state["pinned"] is None and state["silenced"] is False

    await ok(crew.fac, "agenda.add", {"title": "Begrüßung", "kind": "plenary", "duration_s": 600})
    await ok(crew.fac, "agenda.next", {"from_step": None})
    await ok(crew.fac, "timer.start", {"duration_s": 600, "label": "Begrüßung"})
    await ok(crew.ben, "hand.raise")
    asked = await ok(crew.ben, "question.ask", {"text": "Wann kommt der Radweg?", "anonymous": True})
    await ok(crew.fac, "question.pin", {"question_id": asked["question"]["id"]})
    await ok(crew.fac, "chat.silence", {"member_id": crew.anna.member_id, "silenced": True})

    again = await connect(crew.base, crew.anna.token, crew.anna.member_id)
    state = await ok(again, "facilitation.state")
    assert state["room_id"] == (await ok(again, "room.enter"))["room"]["id"]
    assert [s["title"] for s in state["agenda"]["steps"]] == ["Begrüßung"]
    assert state["agenda"]["current"] == state["agenda"]["steps"][0]["id"]
    assert state["event_timer"]["status"] == "running" and state["event_timer"]["label"] == "Begrüßung"
    assert [h["pseudonym"] for h in state["hands"]["queue"]] == ["Ben"]
    pinned = state["pinned"]
    assert pinned["id"] == asked["question"]["id"] and pinned["author"] is None and pinned["mine"] is False
    assert state["silenced"] is True
    await again.disconnect()

    table = await breakout_room(server, crew.event)
    await move(server, crew.ben, table)
    await ok(crew.fac, "timer.start", {"room_id": table.id, "duration_s": 900})
    ben_state = await ok(crew.ben, "facilitation.state")
    assert ben_state["room_id"] == table.id and ben_state["room_timer"]["status"] == "running"
    assert ben_state["hands"] == {"room_id": table.id, "queue": []}  # his hand is up in the plenary's queue
    assert ben_state["pinned"]["mine"] is True  # his own anonymous question: only he is told
