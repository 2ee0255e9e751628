"""What a participant receives: anonymous, silent, pending and hidden data never reach them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import STORE
from tests.support import Client, base_url, join_and_connect, make_event, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


PRESENCE = ("presence.changed", "board.presence")


def everything(client: Client) -> str:
    """All board data a client was sent, as one text to search (presence names people, not authors)."""
    board_events = {k: v for k, v in client.received.items() if k not in PRESENCE}
    return json.dumps(board_events, ensure_ascii=False)


async def ok(client: Client, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def people(server: TestServer) -> tuple[str, dict[str, Any], Client, Client, Client, Client]:
    event, links = await make_event(server.app)
    base = base_url(server)
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna Geheim")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    return base, {"event": event, "fields": [f.id for f in event.fields]}, fac, anna, ben, olga


async def test_an_anonymous_board_never_sends_the_author_to_others(server: TestServer) -> None:
    _base, w, fac, anna, ben, olga = await people(server)
    board = (await ok(fac, "board.create", {"title": "Anonyme Wand", "anonymous": True}))["board"]["id"]
    posted = await ok(anna, "board.idea.create", {"board_id": board, "field_id": w["fields"][0], "text": "Geheimtipp"})
    assert posted["idea"]["author"]["id"] == anna.member_id  # the author sees it is theirs
    await ok(anna, "board.idea.edit", {"board_id": board, "idea_id": posted["idea"]["id"], "text": "Geheimtipp!"})
    await ok(anna, "board.comment.create", {"board_id": board, "idea_id": posted["idea"]["id"], "text": "Nachtrag"})
    # who edits which idea would tell who wrote it: not on an anonymous board
    viewing = await ok(anna, "board.view", {"board_id": board, "editing": posted["idea"]["id"]})
    assert viewing["viewers"] == [{"member_id": anna.member_id, "pseudonym": "Anna Geheim", "editing": None}]
    for other in (ben, olga, fac):
        await other.wait_for("board.changed", lambda c: c["type"] == "comment.created")
        snapshot = (await ok(other, "board.sync", {"board_id": board}))["snapshot"]
        changes = (await ok(other, "board.sync", {"board_id": board, "since": 0}))["changes"]
        assert snapshot["ideas"][0]["author"] is None and snapshot["comments"][0]["author"] is None
        text = everything(other) + json.dumps([snapshot, changes])
        assert anna.member_id not in text and "Anna Geheim" not in text, other
    assert anna.member_id in everything(anna)
    for c in (fac, anna, ben, olga):
        await c.disconnect()


async def test_silent_collection_shows_each_only_their_own_until_the_reveal(server: TestServer) -> None:
    _base, w, fac, anna, ben, olga = await people(server)
    board = (await fac.call("room.enter"))["boards"][0]["id"]
    await ok(fac, "board.phase", {"board_id": board, "phase": "collect", "silent": True})
    mine = await ok(anna, "board.idea.create", {"board_id": board, "field_id": w["fields"][0], "text": "Streng geheim"})
    await ok(
        anna,
        "board.idea.move",
        {"board_id": board, "idea_id": mine["idea"]["id"], "field_id": w["fields"][1], "after_id": None},
    )
    await ok(anna, "board.comment.create", {"board_id": board, "idea_id": mine["idea"]["id"], "text": "Notiz"})
    refused = await anna.call(
        "board.cluster.create", {"board_id": board, "idea_ids": [mine["idea"]["id"]], "heading": "Mein Thema"}
    )
    assert refused["error"]["code"] == "wrong_phase"  # a heading would tell others what one wrote
    await ben.wait_for("board.changed", lambda c: c["seq"] == 4)
    for other in (ben, olga):
        assert "Streng geheim" not in everything(other) and "Notiz" not in everything(other)
        snapshot = (await ok(other, "board.sync", {"board_id": board}))["snapshot"]
        changes = (await ok(other, "board.sync", {"board_id": board, "since": 0}))["changes"]
        assert snapshot["ideas"] == [] and "Streng geheim" not in json.dumps(changes)
    assert [i["text"] for i in (await ok(fac, "board.sync", {"board_id": board}))["snapshot"]["ideas"]] == [
        "Streng geheim"
    ]
    assert (await ben.call("board.idea.report", {"board_id": board, "idea_id": mine["idea"]["id"]}))["error"][
        "code"
    ] == "not_found"

    await ok(fac, "board.reveal", {"board_id": board})
    change = await ben.wait_for("board.changed", lambda c: c["type"] == "board.revealed")
    assert [i["text"] for i in change["ideas"]] == ["Streng geheim"]
    # a client that replays the log ends where the live one did
    assert [m["text"] for m in change["comments"]] == ["Notiz"]  # the comment comes with its idea
    changes = (await ok(olga, "board.sync", {"board_id": board, "since": 0}))["changes"]
    assert [i["text"] for i in changes[-1]["ideas"]] == ["Streng geheim"]
    for c in (fac, anna, ben, olga):
        await c.disconnect()


async def test_pending_hidden_and_reports(server: TestServer) -> None:
    _base, w, fac, anna, ben, olga = await people(server)
    board = (await fac.call("room.enter"))["boards"][0]["id"]
    await ok(fac, "board.premoderation", {"board_id": board, "on": True})
    waiting = await ok(anna, "board.idea.create", {"board_id": board, "field_id": w["fields"][0], "text": "Wartet"})
    idea_id = waiting["idea"]["id"]
    assert waiting["idea"]["status"] == "pending"
    pending = await fac.wait_for("board.changed", lambda c: c["type"] == "idea.created")
    assert pending["idea"]["text"] == "Wartet"
    await ok(fac, "board.comment.create", {"board_id": board, "idea_id": idea_id, "text": "Bitte präzisieren"})
    await ben.wait_for("board.changed", lambda c: c["type"] == "comment.created")
    assert "präzisieren" not in everything(ben) and "präzisieren" in everything(anna)
    created = await ben.wait_for("board.changed", lambda c: c["type"] == "idea.created")
    assert created["idea"] is None and "Wartet" not in everything(ben)

    await ok(fac, "board.idea.moderate", {"board_id": board, "idea_id": idea_id, "action": "approve"})
    approved = await ben.wait_for("board.changed", lambda c: c["type"] == "idea.approved")
    assert approved["idea"]["text"] == "Wartet"
    assert [m["text"] for m in approved["comments"]] == ["Bitte präzisieren"]
    await ok(ben, "board.idea.report", {"board_id": board, "idea_id": idea_id})
    reported_fac = await fac.wait_for("board.changed", lambda c: c["type"] == "idea.reported")
    reported_ben = await ben.wait_for("board.changed", lambda c: c["type"] == "idea.reported")
    assert reported_fac["idea"]["reports"] == 1 and reported_ben["idea"]["reports"] == 0  # reports: facilitators only

    await ok(fac, "board.idea.moderate", {"board_id": board, "idea_id": idea_id, "action": "hide"})
    for other in (ben, olga):
        hidden = await other.wait_for("board.changed", lambda c: c["type"] == "idea.hidden")
        assert hidden["idea"] is None
        assert (await ok(other, "board.sync", {"board_id": board}))["snapshot"]["ideas"] == []
    mine = await anna.wait_for("board.changed", lambda c: c["type"] == "idea.hidden")
    assert mine["idea"]["status"] == "hidden"  # the author learns what happened to it
    stored = await server.app[STORE].idea_rows(w["event"].id)
    assert [r["status"] for r in stored] == ["hidden"]  # kept in the idea store, not lost
    for c in (fac, anna, ben, olga):
        await c.disconnect()


async def test_clusters_moves_and_merge_over_the_wire(server: TestServer) -> None:
    _base, w, fac, anna, ben, olga = await people(server)
    board = (await fac.call("room.enter"))["boards"][0]["id"]
    ids = []
    for n in range(4):
        ack = await ok(anna, "board.idea.create", {"board_id": board, "field_id": w["fields"][0], "text": f"I{n}"})
        ids.append(ack["idea"]["id"])
    await ok(fac, "board.phase", {"board_id": board, "phase": "cluster"})
    refused = await ben.call("board.idea.create", {"board_id": board, "field_id": w["fields"][0], "text": "spät"})
    assert refused["error"]["code"] == "wrong_phase"
    cluster = (await ok(ben, "board.cluster.create", {"board_id": board, "idea_ids": ids[:2], "heading": "Rad"}))[
        "cluster"
    ]
    inner = (await ok(ben, "board.cluster.create", {"board_id": board, "idea_ids": [ids[2]], "heading": "ÖPNV"}))[
        "cluster"
    ]
    await ok(ben, "board.cluster.nest", {"board_id": board, "cluster_id": inner["id"], "parent_id": cluster["id"]})
    cycle = await ben.call(
        "board.cluster.nest", {"board_id": board, "cluster_id": cluster["id"], "parent_id": inner["id"]}
    )
    assert cycle["error"]["code"] == "cluster_cycle"
    await ok(
        ben, "board.idea.move", {"board_id": board, "idea_id": ids[3], "field_id": w["fields"][0], "after_id": None}
    )
    await ok(fac, "board.idea.merge", {"board_id": board, "target_id": ids[0], "idea_ids": [ids[1]]})
    snapshot = (await ok(olga, "board.sync", {"board_id": board}))["snapshot"]
    order = [i["id"] for i in sorted(snapshot["ideas"], key=lambda i: i["position"])]
    assert order[0] == ids[3] and ids[1] not in order
    target = next(i for i in snapshot["ideas"] if i["id"] == ids[0])
    assert target["merged_from"] == [ids[1]] and target["cluster_id"] == cluster["id"]
    assert {k["id"]: k["parent_id"] for k in snapshot["clusters"]} == {cluster["id"]: None, inner["id"]: cluster["id"]}
    for c in (fac, anna, ben, olga):
        await c.disconnect()


async def test_who_views_a_board_and_edits_which_idea(server: TestServer) -> None:
    _base, w, fac, anna, ben, olga = await people(server)
    board = (await fac.call("room.enter"))["boards"][0]["id"]
    idea = await ok(anna, "board.idea.create", {"board_id": board, "field_id": w["fields"][0], "text": "Radweg"})
    await ok(ben, "board.view", {"board_id": board})
    await ok(anna, "board.view", {"board_id": board, "editing": idea["idea"]["id"]})
    presence = await olga.wait_for("board.presence", lambda d: len(d["viewers"]) == 2)
    assert presence == {
        "board_id": board,
        "viewers": [
            {"member_id": anna.member_id, "pseudonym": "Anna Geheim", "editing": idea["idea"]["id"]},
            {"member_id": ben.member_id, "pseudonym": "Ben", "editing": None},
        ],
    }
    await ben.disconnect()  # leaving takes one off the list
    after = await olga.wait_for("board.presence", lambda d: [v["member_id"] for v in d["viewers"]] == [anna.member_id])
    assert after["viewers"][0]["editing"] == idea["idea"]["id"]
    for c in (fac, anna, olga):
        await c.disconnect()
