"""Raised hands with real clients: a queue per room, seen by the room and by the event's facilitators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
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


def names(hands: dict[str, object]) -> list[str]:
    return [h["pseudonym"] for h in hands["queue"]]  # type: ignore[index, union-attr]


async def test_raise_call_lower_and_clear(server: TestServer, crew: Team) -> None:
    assert names((await ok(crew.anna, "hand.raise"))["hands"]) == ["Anna"]
    assert names((await ok(crew.ben, "hand.raise"))["hands"]) == ["Anna", "Ben"]
    again = await ok(crew.anna, "hand.raise")  # a double click keeps her place and tells nobody
    assert names(again["hands"]) == ["Anna", "Ben"]
    for client in (crew.anna, crew.ben, crew.olga):
        changes = await client.wait_for_all("hands.changed", 2)
        assert [names(c) for c in changes] == [["Anna"], ["Anna", "Ben"]]
    # a facilitator in the room gets each change as one of the room and as one for the facilitators
    changes = await crew.fac.wait_for_all("hands.changed", 4)
    assert [names(c) for c in changes] == [["Anna"], ["Anna"], ["Anna", "Ben"], ["Anna", "Ben"]]
    assert await refused(crew.olga, "hand.raise") == "forbidden"  # observers do not take part
    assert await refused(crew.anna, "hand.lower", {"member_id": crew.ben.member_id}) == "forbidden"

    called = await ok(crew.fac, "hand.next", {"expected": crew.anna.member_id})
    assert called["called"]["member_id"] == crew.anna.member_id and called["called"]["pseudonym"] == "Anna"
    assert names(called["hands"]) == ["Ben"]
    change = await crew.anna.wait_for("hands.changed", lambda c: c["called"] is not None)
    assert change["called"] == called["called"] and names(change) == ["Ben"]
    # the screen showed Anna first still: someone was called meanwhile
    assert await refused(crew.fac, "hand.next", {"expected": crew.anna.member_id}) == "queue_moved"

    assert names((await ok(crew.ben, "hand.lower"))["hands"]) == []
    assert await refused(crew.fac, "hand.next") == "no_hands"
    await ok(crew.anna, "hand.raise")
    await ok(crew.ben, "hand.raise")
    lowered = await ok(crew.fac, "hand.lower", {"member_id": crew.anna.member_id})
    assert names(lowered["hands"]) == ["Ben"]
    assert names((await ok(crew.fac, "hand.clear"))["hands"]) == []
    await crew.olga.wait_for_all("hands.changed", 8)
    assert crew.olga.received["hands.changed"][-1]["queue"] == []
    assert await audit_actions(server, crew.event) == [
        ("hand.next", crew.anna.member_id),
        ("hand.lower", crew.anna.member_id),
        ("hand.clear", (await ok(crew.fac, "room.enter"))["room"]["id"]),
    ]


async def test_each_room_has_its_queue_and_facilitators_see_every_room(server: TestServer, crew: Team) -> None:
    table = await breakout_room(server, crew.event)
    await move(server, crew.ben, table)
    other_fac = await join_and_connect(crew.base, crew.links[Role.FACILITATOR], "Frieda")
    await ok(crew.anna, "hand.raise")
    raised = await ok(crew.ben, "hand.raise")
    assert raised["hands"]["room_id"] == table.id and names(raised["hands"]) == ["Ben"]
    # the facilitators in the plenary hear of the table's queue; Anna (in the plenary) does not
    await other_fac.wait_for("hands.changed", lambda c: c["room_id"] == table.id)
    await asyncio.sleep(0.2)
    plenary = (await ok(crew.anna, "room.enter"))["room"]["id"]
    assert [c["room_id"] for c in crew.anna.received["hands.changed"]] == [plenary]
    assert [c["room_id"] for c in crew.ben.received["hands.changed"]] == [table.id]

    assert await refused(crew.anna, "hand.clear", {"room_id": table.id}) == "forbidden"
    assert await refused(crew.anna, "hand.lower", {"room_id": table.id}) == "forbidden"  # not her room
    assert await refused(crew.fac, "hand.next", {"room_id": "rm_doesnotexist"}) == "not_found"
    called = await ok(crew.fac, "hand.next", {"room_id": table.id})
    assert called["called"]["member_id"] == crew.ben.member_id
    # a facilitator lowers a hand wherever it is up
    await ok(crew.ben, "hand.raise")
    lowered = await ok(other_fac, "hand.lower", {"member_id": crew.ben.member_id})
    assert lowered["hands"]["room_id"] == table.id and lowered["hands"]["queue"] == []
    assert (await ok(crew.ben, "facilitation.state"))["hands"]["queue"] == []
    assert names((await ok(crew.anna, "facilitation.state"))["hands"]) == ["Anna"]
    await other_fac.disconnect()
