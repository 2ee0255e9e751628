"""Two rules seen through real clients: an idea's field of action is its author's (or a
facilitator's) to change, and text is stored and sent as typed, angle brackets included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from tests.integration.test_visibility import ok
from tests.support import base_url, join, join_and_connect, make_event, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


async def test_a_participant_arranges_others_ideas_within_their_field_only(server: TestServer) -> None:
    event, links = await make_event(server.app)
    base = base_url(server)
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    board = (await ok(fac, "room.enter", {}))["boards"][0]["id"]
    mobility, education = (f.id for f in event.fields[:2])

    def idea(text: str, field: str) -> dict[str, Any]:
        return {"board_id": board, "field_id": field, "text": text}

    def move(idea_id: str, field: str, after: str | None = None) -> dict[str, Any]:
        return {"board_id": board, "idea_id": idea_id, "field_id": field, "after_id": after}

    annas = (await ok(anna, "board.idea.create", idea("Mehr Radwege", mobility)))["idea"]["id"]
    bens = (await ok(ben, "board.idea.create", idea("Busse im Takt", mobility)))["idea"]["id"]
    bens_other = (await ok(ben, "board.idea.create", idea("Tablets", education)))["idea"]["id"]
    await ok(fac, "board.phase", {"board_id": board, "phase": "cluster"})

    # Ben cannot put Anna's idea into another field: not by moving it, not by grouping it there
    refused = await ben.call("board.idea.move", move(annas, education))
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    grouped = await ben.call("board.cluster.create", {"board_id": board, "idea_ids": [bens_other, annas]})
    assert grouped["error"]["code"] == "forbidden", grouped
    school = (await ok(fac, "board.cluster.create", {"board_id": board, "idea_ids": [bens_other]}))["cluster"]["id"]
    assigned = await ben.call("board.cluster.assign", {"board_id": board, "idea_id": annas, "cluster_id": school})
    assert assigned["error"]["code"] == "forbidden", assigned
    snapshot = (await ok(anna, "board.sync", {"board_id": board}))["snapshot"]
    assert {i["id"]: i["field_id"] for i in snapshot["ideas"]}[annas] == mobility

    # within its field he arranges it as the cluster phase needs
    await ok(ben, "board.idea.move", move(annas, mobility, bens))
    cluster = await ok(ben, "board.cluster.create", {"board_id": board, "idea_ids": [bens, annas], "heading": "ÖPNV"})
    assert cluster["cluster"]["field_id"] == mobility
    # his own idea goes wherever he likes; the author and a facilitator move Anna's
    await ok(ben, "board.idea.move", move(bens, education))
    assert (await ok(anna, "board.idea.move", move(annas, education)))["idea"]["field_id"] == education
    assert (await ok(fac, "board.idea.move", move(annas, mobility)))["idea"]["field_id"] == mobility
    for client in (fac, anna, ben):
        await client.disconnect()


TYPED = ["Kosten < Nutzen, Nutzen > Aufwand", "<Straßenname> umbenennen", "<b>fett</b> & <script>x</script>"]


async def test_text_with_angle_brackets_reaches_everyone_as_typed(server: TestServer) -> None:
    event, links = await make_event(server.app)
    base = base_url(server)
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "<Anna> & Co")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    entered = await ok(ben, "room.enter", {})
    board, field = entered["boards"][0]["id"], event.fields[0].id
    assert "<Anna> & Co" in [m["pseudonym"] for m in entered["presence"]]

    posted = []
    for text in TYPED:
        ack = await ok(anna, "board.idea.create", {"board_id": board, "field_id": field, "text": text, "title": text})
        assert (ack["idea"]["text"], ack["idea"]["title"]) == (text, text)
        posted.append(ack["idea"]["id"])
    await ok(anna, "board.idea.edit", {"board_id": board, "idea_id": posted[0], "text": "Nutzen > Kosten"})
    await ok(anna, "board.comment.create", {"board_id": board, "idea_id": posted[1], "text": "<Hauptstraße>?"})

    await ben.wait_for("board.changed", lambda c: c["type"] == "comment.created")
    live = {c["idea"]["id"]: c["idea"]["text"] for c in ben.received["board.changed"] if c.get("idea")}
    assert live == {posted[0]: "Nutzen > Kosten", posted[1]: TYPED[1], posted[2]: TYPED[2]}
    created = [
        (c["idea"]["text"], c["idea"]["title"], c["idea"]["author"]["pseudonym"])
        for c in ben.received["board.changed"]
        if c["type"] == "idea.created"
    ]
    assert created == [(t, t, "<Anna> & Co") for t in TYPED]
    snapshot = (await ok(ben, "board.sync", {"board_id": board}))["snapshot"]
    assert sorted(i["text"] for i in snapshot["ideas"]) == sorted(["Nutzen > Kosten", *TYPED[1:]])
    assert [m["text"] for m in snapshot["comments"]] == ["<Hauptstraße>?"]

    # control characters are still refused, and change nothing
    for text in ("Kosten\x07", "Zeile\u2028Zeile", "\x1b[2J"):
        refused = await anna.call("board.idea.create", {"board_id": board, "field_id": field, "text": text})
        assert refused["error"]["code"] == "control_characters", refused
    status, body = await join(base, links[Role.PARTICIPANT], "Carla\x00")
    assert (status, body["error"]["code"]) == (400, "control_characters")
    assert (await ok(ben, "board.sync", {"board_id": board}))["seq"] == snapshot["seq"]
    for client in (anna, ben):
        await client.disconnect()
