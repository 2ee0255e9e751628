"""The agenda with real clients: everyone reads it, facilitators change and steer it; several facilitators at
once; stored, so it survives a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from tests.integration.team import Team, audit_actions, ok, refused, team
from tests.support import base_url, connect, join_and_connect, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, rate_burst=100)  # fifty steps in a row
    yield srv
    await srv.close()


@pytest.fixture
async def crew(server: TestServer) -> AsyncIterator[Team]:
    crew = await team(server)
    yield crew
    await crew.close()


async def add(crew: Team, title: str, **more: Any) -> dict[str, Any]:
    return (await ok(crew.fac, "agenda.add", {"title": title, "kind": "plenary", **more}))["agenda"]


async def test_build_and_steer_the_agenda_everyone_follows(server: TestServer, crew: Team) -> None:
    agenda = (await ok(crew.olga, "agenda.get"))["agenda"]
    assert agenda == {
        "version": 0,
        "steps": [],
        "current": None,
        "started_at": None,
        "finished_at": None,
        "planned_s": 0,
    }
    await add(crew, "Begrüßung", duration_s=600, expected_version=0)
    await add(crew, "Ideen sammeln", kind="input", duration_s=1800, note="An den Wänden\nje Handlungsfeld")
    agenda = await add(crew, "Kaffeepause", kind="break", duration_s=900, position=1)
    assert [s["title"] for s in agenda["steps"]] == ["Begrüßung", "Kaffeepause", "Ideen sammeln"]
    assert agenda["version"] == 3 and agenda["planned_s"] == 3300
    pause, ideas = agenda["steps"][1]["id"], agenda["steps"][2]["id"]
    agenda = (await ok(crew.fac, "agenda.move", {"step_id": pause, "position": 2, "expected_version": 3}))["agenda"]
    agenda = (await ok(crew.fac, "agenda.edit", {"step_id": ideas, "title": "Ideen an die Wand"}))["agenda"]
    assert [s["title"] for s in agenda["steps"]] == ["Begrüßung", "Ideen an die Wand", "Kaffeepause"]

    first = agenda["steps"][0]["id"]
    agenda = (await ok(crew.fac, "agenda.next", {"from_step": None}))["agenda"]
    assert agenda["current"] == first and agenda["started_at"] is not None
    agenda = (await ok(crew.fac, "agenda.next", {"from_step": first}))["agenda"]
    assert agenda["current"] == ideas
    agenda = (await ok(crew.fac, "agenda.previous", {"from_step": ideas}))["agenda"]
    assert agenda["current"] == first
    agenda = (await ok(crew.fac, "agenda.set_current", {"step_id": pause}))["agenda"]
    assert agenda["current"] == pause
    agenda = (await ok(crew.fac, "agenda.finish"))["agenda"]
    assert agenda["current"] is None and agenda["finished_at"] is not None and agenda["version"] == 10

    for client in crew.clients:
        changes = await client.wait_for_all("agenda.changed", 10)
        assert [c["kind"] for c in changes] == [
            "step_added",
            "step_added",
            "step_added",
            "step_moved",
            "step_edited",
            "next",
            "next",
            "previous",
            "current_set",
            "finished",
        ]
        assert changes[-1]["agenda"] == agenda and changes[-1]["by"]["id"] == crew.fac.member_id
        assert [c["agenda"]["version"] for c in changes] == list(range(1, 11))
    assert (await ok(crew.anna, "agenda.get"))["agenda"] == agenda
    actions = await audit_actions(server, crew.event)
    assert [a for a, _t in actions] == [
        "agenda.add",
        "agenda.add",
        "agenda.add",
        "agenda.move",
        "agenda.edit",
        "agenda.next",
        "agenda.next",
        "agenda.previous",
        "agenda.set_current",
        "agenda.finish",
    ]
    assert actions[5] == ("agenda.next", first) and actions[7] == ("agenda.previous", first)


async def test_two_facilitators_pressing_next_move_the_agenda_one_step(crew: Team) -> None:
    other = await join_and_connect(crew.base, crew.links[Role.FACILITATOR], "Frieda")
    for title in ("Eins", "Zwei", "Drei"):
        await add(crew, title)
    answers = await asyncio.gather(
        crew.fac.call("agenda.next", {"from_step": None}), other.call("agenda.next", {"from_step": None})
    )
    assert sorted(a["ok"] for a in answers) == [False, True]
    assert [a["error"]["code"] for a in answers if not a["ok"]] == ["step_moved"]
    agenda = (await ok(crew.anna, "agenda.get"))["agenda"]
    assert agenda["current"] == agenda["steps"][0]["id"]
    # an edit made meanwhile refuses a change decided on the older version
    version = agenda["version"]
    await ok(other, "agenda.edit", {"step_id": agenda["steps"][2]["id"], "duration_s": 600})
    stale = {"step_id": agenda["steps"][1]["id"], "title": "Zwo", "expected_version": version}
    assert await refused(crew.fac, "agenda.edit", stale) == "stale_agenda"
    # next is not refused by an edit in between: it carries the step it was pressed on
    await ok(crew.fac, "agenda.next", {"from_step": agenda["current"]})
    await other.disconnect()


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("agenda.add", {"title": "   ", "kind": "plenary"}, "text_too_short"),
        ("agenda.add", {"title": "x" * 81, "kind": "plenary"}, "text_too_long"),
        ("agenda.add", {"title": "Pause", "kind": "lunch"}, "invalid_payload"),
        ("agenda.add", {"title": "Pause", "kind": "break", "duration_s": 30}, "invalid_duration"),
        ("agenda.add", {"title": "Pause", "kind": "break", "duration_s": 8 * 3600 + 1}, "invalid_duration"),
        ("agenda.add", {"title": "Pause", "kind": "break", "position": 5}, "invalid_position"),
        ("agenda.add", {"title": "Pause", "kind": "break", "position": -1}, "invalid_position"),
        ("agenda.add", {"title": "Pause", "kind": "break", "expected_version": 7}, "stale_agenda"),
        ("agenda.edit", {"step_id": "st_doesnotexist", "title": "x"}, "not_found"),
        ("agenda.remove", {"step_id": "st_doesnotexist"}, "not_found"),
        ("agenda.move", {"step_id": "st_doesnotexist", "position": 0}, "not_found"),
        ("agenda.set_current", {"step_id": "st_doesnotexist"}, "not_found"),
        ("agenda.next", {"from_step": None}, "no_next_step"),
        ("agenda.next", {"from_step": "st_doesnotexist"}, "step_moved"),
        ("agenda.previous", {"from_step": None}, "no_previous_step"),
        ("agenda.next", {}, "invalid_payload"),
    ],
)
async def test_bad_agenda_changes_are_refused_and_change_nothing(
    server: TestServer, crew: Team, event: str, payload: dict[str, Any], code: str
) -> None:
    assert await refused(crew.fac, event, payload) == code
    assert (await ok(crew.anna, "agenda.get"))["agenda"]["version"] == 0
    await asyncio.sleep(0.1)
    assert crew.anna.received["agenda.changed"] == []
    assert await audit_actions(server, crew.event) == []


async def test_the_running_step_cannot_be_removed_and_fifty_steps_are_the_most(crew: Team) -> None:
    agenda = await add(crew, "Jetzt")
    step = agenda["steps"][0]["id"]
    await ok(crew.fac, "agenda.next", {"from_step": None})
    assert await refused(crew.fac, "agenda.remove", {"step_id": step}) == "step_is_current"
    assert await refused(crew.fac, "agenda.next", {"from_step": step}) == "no_next_step"
    await ok(crew.fac, "agenda.finish")
    assert await refused(crew.fac, "agenda.next", {"from_step": None}) == "agenda_finished"
    assert (await ok(crew.fac, "agenda.remove", {"step_id": step}))["agenda"]["steps"] == []
    for n in range(50):
        await add(crew, f"Schritt {n}")
    assert await refused(crew.fac, "agenda.add", {"title": "Zu viel", "kind": "break"}) == "too_many_steps"


async def test_the_agenda_survives_a_restart(sqlite_url: str) -> None:
    server = await start_server(sqlite_url)
    crew = await team(server)
    await add(crew, "Begrüßung", duration_s=600)
    await ok(crew.fac, "agenda.next", {"from_step": None})
    before = (await ok(crew.fac, "agenda.get"))["agenda"]
    await crew.close()
    await server.close()

    server = await start_server(sqlite_url)
    try:
        anna = await connect(base_url(server), crew.anna.token, crew.anna.member_id)
        assert (await ok(anna, "agenda.get"))["agenda"] == before
        await anna.disconnect()
    finally:
        await server.close()
