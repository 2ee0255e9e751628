"""The demo is alive: a newcomer who opens its participant link finds a workshop in progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.demo import DEMO_FIELDS, ensure_demo
from server.keys import STORE
from tests.support import base_url, join_and_connect, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


async def board_of(client: Any) -> dict[str, Any]:
    entered = await client.call("room.enter")
    assert entered["ok"] is True, entered
    sync = await client.call("board.sync", {"board_id": entered["boards"][0]["id"]})
    assert sync["ok"] is True, sync
    return sync["snapshot"]


async def test_a_participant_of_a_fresh_demo_sees_ideas_over_the_fields_and_a_revealed_vote(
    server: TestServer,
) -> None:
    _password, _event_id, links = await ensure_demo(server.app[STORE])
    newcomer = await join_and_connect(base_url(server), links[Role.PARTICIPANT], "Neugierig")
    board = await board_of(newcomer)

    names = {column["id"]: column["name"] for column in board["columns"]}
    assert list(names.values()) == list(DEMO_FIELDS)
    per_field = Counter(names[idea["field_id"]] for idea in board["ideas"])
    assert len(board["ideas"]) >= 30, len(board["ideas"])
    assert len(per_field) >= 6, per_field
    authors = {idea["author"]["pseudonym"] for idea in board["ideas"]}
    assert len(authors) >= 10, authors
    assert all(idea["text"] and idea["title"] for idea in board["ideas"])
    assert len(board["comments"]) >= 5 and board["clusters"]

    revealed = [s for s in board["sessions"] if s["status"] == "revealed"]
    assert len(revealed) == 1 and len(board["sessions"]) == 1
    results = revealed[0]["results"]
    ideas = {idea["id"]: idea for idea in board["ideas"]}
    top = results[0]
    assert top["rank"] == 1 and top["dots"] > results[-1]["dots"]
    assert ideas[top["idea_id"]]["title"] == "Sichere Radwege zum Bahnhof"
    assert sum(r["dots"] for r in results) == 12 * 5  # every demo participant placed all five dots
    firsts = {names[r["field_id"]] for r in results if r["field_rank"] == 1 and r["dots"] > 0}
    assert len(firsts) == len(DEMO_FIELDS), "each field of action has its ranking"
    assert board["settings"]["phase"] == "discuss" and board["progress"] is None
    await newcomer.disconnect()


async def test_the_demo_is_seeded_once(server: TestServer) -> None:
    store = server.app[STORE]
    _password, event_id, links = await ensure_demo(store)
    members = await store.members_of(event_id)
    ideas = await store.idea_rows(event_id)
    visitor = await join_and_connect(base_url(server), links[Role.OBSERVER], "Gast")
    before = await board_of(visitor)

    _password, again, links_again = await ensure_demo(store)
    assert (again, links_again) == (event_id, links)
    assert (await store.members_of(event_id)).keys() == members.keys() | {visitor.member_id}
    assert await store.idea_rows(event_id) == ideas
    after = await board_of(visitor)
    assert after["seq"] == before["seq"]
    for key in ("ideas", "clusters", "comments", "sessions"):
        assert after[key] == before[key], key
    await visitor.disconnect()
