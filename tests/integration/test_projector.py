"""The projector view over Socket.IO: the room's presented board, who may move it, and a
projector connection that only reads and sees what everyone may see."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import STORE
from tests.support import Client, base_url, connect, join, join_and_connect, make_event, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


async def ok(client: Client, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def error(client: Client, event: str, payload: dict[str, Any] | None = None) -> str:
    ack = await client.call(event, payload)
    assert ack["ok"] is False, (event, ack)
    return str(ack["error"]["code"])


async def projector(base: str, link: str, pseudonym: str) -> Client:
    """A member who joined with ``link``, connected as a projector view."""
    status, body = await join(base, link, pseudonym)
    assert status == 201, body
    return await connect(base, body["token"], body["member_id"], auth={"token": body["token"], "view": "projector"})


async def test_the_presented_board_follows_facilitators_and_only_them(server: TestServer) -> None:
    _event, links = await make_event(server.app)
    base = base_url(server)
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    wall = await projector(base, links[Role.OBSERVER], "Beamer")
    entered = await ok(wall, "room.enter")
    first = entered["boards"][0]["id"]
    assert entered["presented"] is None  # no facilitator looked at a board yet

    second = (await ok(fac, "board.create", {"title": "Zweite Wand"}))["board"]["id"]
    await ok(fac, "board.view", {"board_id": second})  # the facilitator goes there: the wall follows
    assert await wall.wait_for("board.presented") == {"board_id": second}
    assert (await ok(wall, "room.enter"))["presented"] == second
    assert (await ok(fac, "board.present", {"board_id": first})) == {"ok": True, "board_id": first}
    await anna.wait_for("board.presented", lambda d: d["board_id"] == first)  # the room hears of it
    await wall.wait_for("board.presented", lambda d: d["board_id"] == first)

    # participants and observers look where they like; the wall stays where the facilitator put it
    await ok(anna, "board.view", {"board_id": second})
    await ok(olga, "board.view", {"board_id": second})
    assert await error(anna, "board.present", {"board_id": second}) == "forbidden"
    assert await error(olga, "board.present", {"board_id": second}) == "forbidden"
    assert (await ok(wall, "room.enter"))["presented"] == first
    assert [d["board_id"] for d in wall.received["board.presented"]] == [second, first]

    # a board of another event is not one to present; nor is a malformed payload
    store = server.app[STORE]
    other_event, _links = await make_event(server.app, "Andere Werkstatt")
    [foreign] = await store.board_ids((await store.plenary(other_event.id)).id)
    assert await error(fac, "board.present", {"board_id": foreign}) == "not_found"
    assert await error(fac, "board.present", {"board_id": first, "extra": 1}) == "invalid_payload"
    assert (await ok(wall, "room.enter"))["presented"] == first
    for c in (fac, anna, olga, wall):
        await c.disconnect()


async def test_a_projector_view_only_reads_and_sees_what_everyone_sees(server: TestServer) -> None:
    """Opened with a facilitator's token, the projector still shows the room nothing a participant
    would not see: no idea of a silent collection, no pending idea, no one's dots, no blind tallies."""
    event, links = await make_event(server.app)
    base = base_url(server)
    fields = [f.id for f in event.fields]
    status, fatma = await join(base, links[Role.FACILITATOR], "Fatma")
    assert status == 201
    fac = await connect(base, fatma["token"], fatma["member_id"])
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    wall = await connect(base, fatma["token"], fatma["member_id"], auth={"token": fatma["token"], "view": "projector"})
    board = (await ok(wall, "room.enter"))["boards"][0]["id"]

    # it reads; it never writes, views, presents or votes, though its member is a facilitator
    for event_name, payload in (
        ("board.idea.create", {"board_id": board, "field_id": fields[0], "text": "Vom Beamer"}),
        ("board.view", {"board_id": board}),
        ("board.present", {"board_id": board}),
        ("board.phase", {"board_id": board, "phase": "cluster"}),
        ("vote.state", {"board_id": board}),
    ):
        assert await error(wall, event_name, payload) == "forbidden", event_name

    await ok(fac, "board.phase", {"board_id": board, "phase": "collect", "silent": True})
    secret = await ok(anna, "board.idea.create", {"board_id": board, "field_id": fields[0], "text": "Noch geheim"})
    await ok(fac, "board.premoderation", {"board_id": board, "on": True})
    await ok(fac, "board.reveal", {"board_id": board})
    await ok(anna, "board.idea.create", {"board_id": board, "field_id": fields[1], "text": "Wartet auf Freigabe"})
    seq = (await ok(fac, "board.sync", {"board_id": board}))["seq"]
    await wall.wait_for("board.changed", lambda c: c["seq"] == seq)
    await fac.wait_for("board.changed", lambda c: c["seq"] == seq)
    live_text = json.dumps(wall.received["board.changed"], ensure_ascii=False)
    assert "Wartet auf Freigabe" in json.dumps(fac.received["board.changed"], ensure_ascii=False)
    assert "Wartet auf Freigabe" not in live_text  # pending: the facilitator's own tab sees it, the wall not
    silent = [c for c in wall.received["board.changed"] if c.get("idea_id") == secret["idea"]["id"]]
    assert silent[0]["idea"] is None  # posted during the silent collection: not shown until the reveal
    snapshot = (await ok(wall, "board.sync", {"board_id": board}))["snapshot"]
    assert [i["text"] for i in snapshot["ideas"]] == ["Noch geheim"]

    await ok(fac, "board.premoderation", {"board_id": board, "on": False})
    await ok(fac, "board.phase", {"board_id": board, "phase": "vote"})
    opened = await ok(fac, "vote.open", {"board_id": board, "blind": True, "moderators_vote": True})
    session = opened["session"]["id"]
    await ok(fac, "vote.cast", {"board_id": board, "session_id": session, "idea_id": secret["idea"]["id"]})
    await ok(anna, "vote.cast", {"board_id": board, "session_id": session, "idea_id": secret["idea"]["id"]})
    await fac.wait_for("vote.dots")
    await wall.wait_for("vote.progress", lambda d: d["cast"] == 2)
    snapshot = (await ok(wall, "board.sync", {"board_id": board}))["snapshot"]
    assert snapshot["my_dots"] is None  # Fatma's dot is hers, not the wall's
    assert snapshot["progress"]["cast"] == 2 and snapshot["progress"]["tallies"] is None
    assert all(d["tallies"] is None for d in wall.received["vote.progress"])
    assert "vote.dots" not in wall.received

    await ok(fac, "vote.reveal", {"board_id": board, "session_id": session})
    revealed = await wall.wait_for("board.changed", lambda c: c["type"] == "vote.revealed")
    top = revealed["session"]["results"][0]  # the results are for everyone once revealed
    assert (top["idea_id"], top["dots"]) == (secret["idea"]["id"], 2)
    for c in (fac, anna, wall):
        await c.disconnect()


async def test_a_projector_is_nobodys_arrival_and_an_unknown_view_is_refused(server: TestServer) -> None:
    _event, links = await make_event(server.app)
    base = base_url(server)
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    await ok(anna, "room.enter")
    wall = await projector(base, links[Role.OBSERVER], "Beamer")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    await anna.wait_for("presence.changed", lambda d: "Ben" in [m["pseudonym"] for m in d["joined"]])
    arrivals = [m["pseudonym"] for d in anna.received["presence.changed"] for m in d["joined"]]
    assert "Beamer" not in arrivals
    assert [m["pseudonym"] for m in (await ok(wall, "room.enter"))["presence"]] == ["Anna", "Ben"]

    status, body = await join(base, links[Role.OBSERVER], "Zweiter Beamer")
    assert status == 201
    with pytest.raises(socketio.exceptions.ConnectionError):  # a connect_error: the view is unknown
        await connect(base, body["token"], auth={"token": body["token"], "view": "wall"})
    for c in (anna, wall, ben):
        await c.disconnect()


async def test_the_projector_page_is_served_for_an_event_only(server: TestServer) -> None:
    event, _links = await make_event(server.app, "Werkstatt im Rathaus")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url(server)}/e/{event.id}/projector") as page:
            assert page.status == 200
            html = await page.text()
            assert "Werkstatt im Rathaus" in html and "/static/js/projector.js" in html
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert "<button" not in html and "<form" not in html  # a wall has nothing to operate
        async with http.get(f"{base_url(server)}/e/ev_nothere/projector") as missing:
            assert missing.status == 404
