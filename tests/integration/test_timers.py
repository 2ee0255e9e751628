"""Timers with real clients: the event's timer and a room's, several facilitators, the server's clock firing the
warning and the end once each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE
from tests.integration.team import Team, audit_actions, breakout_room, move, ok, refused, team
from tests.support import join_and_connect, start_server


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


def now_ms() -> int:
    return int(time.time() * 1000)


async def test_start_pause_resume_extend_reset_reach_everyone(server: TestServer, crew: Team) -> None:
    before = now_ms()
    started = (await ok(crew.fac, "timer.start", {"duration_s": 300, "label": "Ideen sammeln", "warn_s": 30}))["timer"]
    assert started["scope"] == "event" and started["room_id"] is None and started["status"] == "running"
    assert started["label"] == "Ideen sammeln" and started["duration_ms"] == 300_000
    assert before + 300_000 <= started["deadline_ms"] <= now_ms() + 300_000
    assert started["remaining_ms"] is None and started["warning_at_ms"] == started["deadline_ms"] - 30_000
    for client in crew.clients:
        change = await client.wait_for("timer.changed")
        assert change["kind"] == "started" and change["timer"] == started
        assert change["by"] == {"id": crew.fac.member_id, "pseudonym": "Fiona", "colour": "blue"}
    assert (await ok(crew.olga, "timer.state"))["timer"] == started

    paused = (await ok(crew.fac, "timer.pause"))["timer"]
    assert paused["status"] == "paused" and paused["deadline_ms"] is None
    assert 299_000 <= paused["remaining_ms"] <= 300_000
    assert server.app[LIVE].facilitation.timers.wakers == {}  # a paused timer has nothing to fire
    await asyncio.sleep(0.2)
    assert (await ok(crew.anna, "timer.state"))["timer"]["remaining_ms"] == paused["remaining_ms"]  # it stands

    extended = (await ok(crew.fac, "timer.extend", {"seconds": 60}))["timer"]
    assert extended["status"] == "paused" and extended["remaining_ms"] == paused["remaining_ms"] + 60_000
    assert extended["duration_ms"] == 360_000
    resumed = (await ok(crew.fac, "timer.resume"))["timer"]
    assert resumed["status"] == "running"
    assert abs(resumed["deadline_ms"] - (now_ms() + extended["remaining_ms"])) < 1000
    more = (await ok(crew.fac, "timer.extend", {"seconds": 300}))["timer"]
    assert more["deadline_ms"] == resumed["deadline_ms"] + 300_000

    reset = (await ok(crew.fac, "timer.reset"))["timer"]
    assert reset["status"] == "idle" and reset["deadline_ms"] is None and reset["remaining_ms"] == 0
    kinds = [c["kind"] for c in await crew.anna.wait_for_all("timer.changed", 6)]
    assert kinds == ["started", "paused", "extended", "resumed", "extended", "reset"]
    assert (await ok(crew.fac, "timer.reset"))["timer"] == reset  # nothing to reset: nothing sent, not logged
    await asyncio.sleep(0.2)
    assert len(crew.anna.received["timer.changed"]) == 6
    assert [a for a, _t in await audit_actions(server, crew.event)] == [
        "timer.start",
        "timer.pause",
        "timer.extend",
        "timer.resume",
        "timer.extend",
        "timer.reset",
    ]


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("timer.start", {"duration_s": 4}, "invalid_timer"),
        ("timer.start", {"duration_s": 8 * 3600 + 1}, "invalid_timer"),
        ("timer.start", {"duration_s": -60}, "invalid_timer"),
        ("timer.start", {"duration_s": 60, "warn_s": 3601}, "invalid_timer"),
        ("timer.start", {"duration_s": 60, "warn_s": -1}, "invalid_timer"),
        ("timer.start", {"duration_s": 60, "label": "x" * 81}, "text_too_long"),
        ("timer.start", {"duration_s": 60.5}, "invalid_payload"),
        ("timer.start", {"duration_s": True}, "invalid_payload"),
        ("timer.start", {"duration_s": "60"}, "invalid_payload"),
        ("timer.start", {"duration_s": 60, "room_id": "rm_doesnotexist"}, "not_found"),
        ("timer.extend", {"seconds": 60}, "timer_idle"),
        ("timer.pause", {}, "timer_not_running"),
        ("timer.resume", {}, "timer_not_paused"),
        ("timer.state", {"room_id": "rm_doesnotexist"}, "not_found"),
    ],
)
async def test_bad_timers_are_refused_and_change_nothing(
    server: TestServer, crew: Team, event: str, payload: dict[str, object], code: str
) -> None:
    assert await refused(crew.fac, event, payload) == code
    assert (await ok(crew.anna, "timer.state"))["timer"]["status"] == "idle"
    await asyncio.sleep(0.1)
    assert crew.anna.received["timer.changed"] == []
    assert await audit_actions(server, crew.event) == []


async def test_a_running_timer_refuses_what_would_break_it(crew: Team) -> None:
    await ok(crew.fac, "timer.start", {"duration_s": 3600})
    assert await refused(crew.fac, "timer.start", {"duration_s": 60}) == "timer_running"
    assert await refused(crew.fac, "timer.resume") == "timer_not_paused"
    assert await refused(crew.fac, "timer.extend", {"seconds": 0}) == "invalid_timer"
    assert await refused(crew.fac, "timer.extend", {"seconds": 3601}) == "invalid_timer"
    for _ in range(7):  # 1 h + 7 h = 8 h left: the most there may be
        await ok(crew.fac, "timer.extend", {"seconds": 3600})
    assert await refused(crew.fac, "timer.extend", {"seconds": 60}) == "invalid_timer"
    await ok(crew.fac, "timer.pause")
    assert await refused(crew.fac, "timer.pause") == "timer_not_running"
    assert await refused(crew.fac, "timer.start", {"duration_s": 60}) == "timer_running"


async def test_two_facilitators_pressing_at_once_change_the_timer_once(crew: Team) -> None:
    other = await join_and_connect(crew.base, crew.links[Role.FACILITATOR], "Frieda")
    starts = await asyncio.gather(
        crew.fac.call("timer.start", {"duration_s": 600}), other.call("timer.start", {"duration_s": 900})
    )
    assert sorted(a["ok"] for a in starts) == [False, True]
    [failed] = [a for a in starts if not a["ok"]]
    assert failed["error"]["code"] == "timer_running"
    pauses = await asyncio.gather(crew.fac.call("timer.pause"), other.call("timer.pause"))
    assert sorted(a["ok"] for a in pauses) == [False, True]
    resumes = await asyncio.gather(crew.fac.call("timer.resume"), other.call("timer.resume"))
    assert sorted(a["ok"] for a in resumes) == [False, True]
    extends = await asyncio.gather(*(c.call("timer.extend", {"seconds": 60}) for c in (crew.fac, other)))
    assert all(a["ok"] for a in extends)  # both extensions count: +120 s
    assert extends[1]["timer"]["deadline_ms"] - extends[0]["timer"]["deadline_ms"] in (60_000, -60_000)
    changes = await crew.anna.wait_for_all("timer.changed", 5)
    assert [c["kind"] for c in changes] == ["started", "paused", "resumed", "extended", "extended"]
    await other.disconnect()


async def test_a_room_timer_reaches_that_room_and_the_plenary_id_names_the_event_timer(
    server: TestServer, crew: Team
) -> None:
    table = await breakout_room(server, crew.event)
    await move(server, crew.ben, table)
    room_timer = (await ok(crew.fac, "timer.start", {"room_id": table.id, "duration_s": 900, "label": "Tisch"}))[
        "timer"
    ]
    assert room_timer["scope"] == "room" and room_timer["room_id"] == table.id
    assert (await crew.ben.wait_for("timer.changed"))["timer"] == room_timer
    plenary = (await ok(crew.anna, "room.enter"))["room"]["id"]
    event_timer = (await ok(crew.fac, "timer.start", {"room_id": plenary, "duration_s": 1200}))["timer"]
    assert event_timer["scope"] == "event" and event_timer["room_id"] is None
    await crew.anna.wait_for("timer.changed")
    await crew.ben.wait_for("timer.changed", lambda c: c["timer"]["scope"] == "event")  # in a room too
    await asyncio.sleep(0.2)
    assert [c["timer"]["scope"] for c in crew.anna.received["timer.changed"]] == ["event"]  # not the table's
    assert (await ok(crew.ben, "timer.state", {"room_id": table.id}))["timer"] == room_timer
    assert (await ok(crew.ben, "timer.state"))["timer"] == event_timer
    assert await audit_actions(server, crew.event) == [("timer.start", table.id), ("timer.start", None)]


async def test_the_server_fires_the_warning_and_the_end_once_each_at_their_time(crew: Team) -> None:
    """A 5-second timer (the shortest there is) warns at 20 % of its run before the end, 1 s, then ends."""
    started = (await ok(crew.fac, "timer.start", {"duration_s": 5, "label": "Kurz"}))["timer"]
    assert started["warning_at_ms"] == started["deadline_ms"] - 1000
    warning = await crew.anna.wait_for("timer.warning", timeout=10)
    warned_at = now_ms()
    assert warning["timer"]["status"] == "running" and warning["timer"]["label"] == "Kurz"
    assert started["warning_at_ms"] <= warned_at < started["warning_at_ms"] + 750
    finished = await crew.anna.wait_for("timer.finished", timeout=10)
    finished_at = now_ms()
    assert started["deadline_ms"] <= finished_at < started["deadline_ms"] + 750
    assert finished["timer"]["status"] == "finished" and finished["timer"]["deadline_ms"] == started["deadline_ms"]
    for client in crew.clients:
        await client.wait_for("timer.finished")
    await asyncio.sleep(0.5)
    for client in crew.clients:
        assert len(client.received["timer.warning"]) == 1 and len(client.received["timer.finished"]) == 1
    assert (await ok(crew.olga, "timer.state"))["timer"]["status"] == "finished"
    # a finished timer starts again when extended
    again = (await ok(crew.fac, "timer.extend", {"seconds": 60}))["timer"]
    assert again["status"] == "running" and again["duration_ms"] == 60_000
