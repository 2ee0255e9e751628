"""A real server on an ephemeral port, several real Socket.IO clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

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


@pytest.fixture
async def workshop(server: TestServer) -> dict[str, Any]:
    event, links = await make_event(server.app)
    return {"base": base_url(server), "event": event, "links": links}


async def enter(client: Client) -> dict[str, Any]:
    ack = await client.call("room.enter")
    assert ack["ok"] is True, ack
    return ack


async def test_join_enter_and_presence(workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ack = await enter(anna)
    assert ack["me"]["pseudonym"] == "Anna" and ack["me"]["role"] == "participant"
    assert [f["name"] for f in ack["event"]["fields"]] == [f.name for f in workshop["event"].fields]
    assert [m["pseudonym"] for m in ack["presence"]] == ["Anna"]
    assert len(ack["boards"]) == 1 and ack["boards"][0]["seq"] == 0

    ben = await join_and_connect(base, links[Role.FACILITATOR], "Ben")
    change = await anna.wait_for("presence.changed", lambda d: "Ben" in [m["pseudonym"] for m in d["joined"]])
    [joined] = change["joined"]
    assert joined["role"] == "facilitator" and change["left"] == []
    assert [m["pseudonym"] for m in (await enter(ben))["presence"]] == ["Anna", "Ben"]  # in order of arrival

    # a second tab of Ben's is not a second arrival, closing one tab is not a departure
    ben_tab = await connect(base, ben.token)
    await ben_tab.disconnect()
    await asyncio.sleep(0.4)  # past the announcement interval: nothing to announce
    await ben.disconnect()
    left = await anna.wait_for("presence.changed", lambda d: d["left"] != [])
    assert left == {"joined": [], "left": [joined["id"]]}
    arrivals = [m["pseudonym"] for d in anna.received["presence.changed"] for m in d["joined"]]
    assert arrivals == ["Anna", "Ben"]
    assert [d["left"] for d in anna.received["presence.changed"] if d["left"]] == [[joined["id"]]]
    await anna.disconnect()


async def test_presence_in_a_crowd_is_announced_in_batches(workshop: dict[str, Any]) -> None:
    """Thirty arrivals at once reach the others in a few messages, not thirty; someone who came
    and went between two announcements is never announced as there; room.enter lists everyone
    present."""
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    await enter(anna)
    crowd = await asyncio.gather(*(join_and_connect(base, links[Role.PARTICIPANT], f"Gast {i}") for i in range(30)))
    names = {f"Gast {i}" for i in range(30)}
    await anna.wait_for(
        "presence.changed",
        lambda _d: names <= {m["pseudonym"] for d in anna.received["presence.changed"] for m in d["joined"]},
    )
    arrivals = [m["pseudonym"] for d in anna.received["presence.changed"] for m in d["joined"]]
    assert sorted(arrivals) == sorted(["Anna", *names])  # each exactly once
    assert len(anna.received["presence.changed"]) < 10
    entered = await enter(crowd[0])
    assert {m["pseudonym"] for m in entered["presence"]} == {"Anna", *names}

    # a visitor who leaves before the next announcement is never announced
    await asyncio.sleep(0.3)
    await crowd[1].disconnect()  # announced at once (the first change after a quiet interval)
    visitor = await join_and_connect(base, links[Role.PARTICIPANT], "Besuch")
    await visitor.disconnect()
    await crowd[2].disconnect()
    await anna.wait_for("presence.changed", lambda d: crowd[2].member_id in d["left"])
    await asyncio.sleep(0.4)
    seen = [m["pseudonym"] for d in anna.received["presence.changed"] for m in d["joined"]]
    assert "Besuch" not in seen
    gone = [m for d in anna.received["presence.changed"] for m in d["left"]]
    assert gone.count(crowd[1].member_id) == 1 and gone.count(crowd[2].member_id) == 1
    assert set(gone) <= {crowd[1].member_id, crowd[2].member_id, visitor.member_id}  # never announced as there
    for client in [anna, *crowd[3:], crowd[0]]:
        await client.disconnect()


async def test_joining_checks_link_pseudonym_and_colour(workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    status, body = await join(base, links[Role.PARTICIPANT], "  Anna  ")
    assert status == 201 and body["pseudonym"] == "Anna" and body["role"] == "participant"
    assert len(body["token"]) >= 43
    for pseudonym, colour, code in [
        ("anna", "blue", "pseudonym_taken"),
        ("", "blue", "text_too_short"),
        ("x" * 41, "blue", "text_too_long"),
        ("Ben\x1b", "blue", "control_characters"),
        ("Ben\x00", "blue", "control_characters"),
        ("Ben", "chartreuse", "invalid_input"),
    ]:
        status, body = await join(base, links[Role.PARTICIPANT], pseudonym, colour)
        assert status in (400, 409) and body["ok"] is False, (pseudonym, body)
        assert body["error"]["code"] == code
    status, body = await join(base, "x" * 43, "Carla")
    assert status == 404 and body["error"]["code"] == "invalid_link"


async def test_an_idea_is_committed_acknowledged_and_fanned_out(server: TestServer, workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    board_id = (await enter(anna))["boards"][0]["id"]
    field_id = workshop["event"].fields[1].id

    ack = await anna.call(
        "board.idea.create", {"board_id": board_id, "field_id": field_id, "text": " Tablets für alle Schulen "}
    )
    assert ack["ok"] is True, ack
    assert ack["seq"] == 1 and ack["idea"]["text"] == "Tablets für alle Schulen"
    assert ack["idea"]["author"]["pseudonym"] == "Anna" and ack["idea"]["field_id"] == field_id
    # committed before the acknowledgement
    rows = await server.app[STORE].idea_rows(workshop["event"].id)
    assert [r["text"] for r in rows] == ["Tablets für alle Schulen"]
    for client in (ben, olga, anna):
        change = await client.wait_for("board.changed")
        assert {k: v for k, v in change.items() if v is not None} == {
            "board_id": board_id,
            "seq": 1,
            "type": "idea.created",
            "idea": ack["idea"],
            "idea_id": ack["idea"]["id"],
        }
    for client in (anna, ben, olga):
        await client.disconnect()


async def test_edit_and_delete_permissions(workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    board_id = (await enter(anna))["boards"][0]["id"]
    fields = workshop["event"].fields
    posted = await anna.call("board.idea.create", {"board_id": board_id, "field_id": fields[0].id, "text": "Radwege"})
    idea_id = posted["idea"]["id"]

    edit = {"board_id": board_id, "idea_id": idea_id, "text": "Sichere Radwege"}
    for other in (ben, fac, olga):
        ack = await other.call("board.idea.edit", edit)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
    ack = await olga.call("board.idea.create", {"board_id": board_id, "field_id": fields[0].id, "text": "Hallo"})
    assert ack["error"]["code"] == "forbidden"

    ack = await anna.call("board.idea.edit", {**edit, "field_id": fields[2].id})
    assert ack["ok"] is True and ack["seq"] == 2
    assert ack["idea"]["text"] == "Sichere Radwege" and ack["idea"]["field_id"] == fields[2].id
    change = await ben.wait_for("board.changed", lambda c: c["seq"] == 2)
    assert change["type"] == "idea.edited" and change["idea"]["text"] == "Sichere Radwege"

    delete = {"board_id": board_id, "idea_id": idea_id}
    for other in (ben, olga):
        assert (await other.call("board.idea.delete", delete))["error"]["code"] == "forbidden"
    ack = await fac.call("board.idea.delete", delete)
    assert ack == {"ok": True, "seq": 3, "idea_id": idea_id}
    change = await ben.wait_for("board.changed", lambda c: c["seq"] == 3)
    assert change["type"] == "idea.deleted" and change["idea"] is None
    snapshot = (await ben.call("board.sync", {"board_id": board_id}))["snapshot"]
    assert snapshot["ideas"] == [] and snapshot["seq"] == 3

    # the author may delete their own; a deleted idea is gone for everyone
    own = await ben.call("board.idea.create", {"board_id": board_id, "field_id": fields[0].id, "text": "Mein"})
    assert (await ben.call("board.idea.delete", {"board_id": board_id, "idea_id": own["idea"]["id"]}))["ok"] is True
    again = await ben.call("board.idea.delete", {"board_id": board_id, "idea_id": own["idea"]["id"]})
    assert again["error"]["code"] == "not_found"
    for client in (anna, ben, fac, olga):
        await client.disconnect()


async def test_a_participant_sees_nothing_of_another_event(server: TestServer, workshop: dict[str, Any]) -> None:
    base = workshop["base"]
    other_event, other_links = await make_event(server.app, title="Andere Stadt")
    anna = await join_and_connect(base, workshop["links"][Role.PARTICIPANT], "Anna")
    zoe = await join_and_connect(base, other_links[Role.PARTICIPANT], "Zoe")
    board_id = (await enter(anna))["boards"][0]["id"]
    other_board = (await enter(zoe))["boards"][0]["id"]
    assert all(m["pseudonym"] == "Zoe" for m in (await enter(zoe))["presence"])

    ack = await zoe.call(
        "board.idea.create", {"board_id": board_id, "field_id": workshop["event"].fields[0].id, "text": "Fremd"}
    )
    assert ack["error"]["code"] == "not_found"
    assert (await zoe.call("board.sync", {"board_id": board_id}))["error"]["code"] == "not_found"
    ack = await anna.call(
        "board.idea.create", {"board_id": board_id, "field_id": workshop["event"].fields[0].id, "text": "Nur hier"}
    )
    assert ack["ok"]
    # a column of the other event is unknown on this board
    ack = await anna.call(
        "board.idea.create", {"board_id": board_id, "field_id": other_event.fields[0].id, "text": "x"}
    )
    assert ack["error"]["code"] == "not_found"
    await asyncio.sleep(0.2)  # give a wrong fan-out the chance to arrive
    assert zoe.received["board.changed"] == []
    assert [m["pseudonym"] for d in zoe.received["presence.changed"] for m in d["joined"]] == ["Zoe"]
    assert (await zoe.call("board.sync", {"board_id": other_board}))["snapshot"]["ideas"] == []
    await anna.disconnect()
    await zoe.disconnect()


async def test_reconnect_and_sync_returns_what_was_missed(workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    board_id = (await enter(anna))["boards"][0]["id"]
    field_id = workshop["event"].fields[0].id
    first = await anna.call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": "Eins"})
    await ben.wait_for("board.changed", lambda c: c["seq"] == 1)
    await ben.disconnect()

    second = await anna.call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": "Zwei"})
    await anna.call("board.idea.edit", {"board_id": board_id, "idea_id": first["idea"]["id"], "text": "Eins!"})
    await anna.call("board.idea.delete", {"board_id": board_id, "idea_id": second["idea"]["id"]})

    ben = await connect(base, ben.token)
    ack = await ben.call("board.sync", {"board_id": board_id, "since": 1})
    assert ack["ok"] and ack["seq"] == 4 and ack["snapshot"] is None
    assert [(c["seq"], c["type"]) for c in ack["changes"]] == [
        (2, "idea.created"),
        (3, "idea.edited"),
        (4, "idea.deleted"),
    ]
    full = await ben.call("board.sync", {"board_id": board_id, "since": None})
    assert full["changes"] is None
    assert [(i["text"], i["author"]["pseudonym"]) for i in full["snapshot"]["ideas"]] == [("Eins!", "Anna")]
    up_to_date = await ben.call("board.sync", {"board_id": board_id, "since": 4})
    assert up_to_date["changes"] == []
    ahead = await ben.call("board.sync", {"board_id": board_id, "since": 99})  # e.g. after a database reset
    assert ahead["snapshot"]["seq"] == 4
    await anna.disconnect()
    await ben.disconnect()


async def test_a_retried_post_with_the_same_client_id_is_stored_once(
    server: TestServer, workshop: dict[str, Any]
) -> None:
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    board_id = (await enter(anna))["boards"][0]["id"]
    payload = {"board_id": board_id, "field_id": workshop["event"].fields[0].id, "text": "Einmal", "client_id": "c-1"}
    first = await anna.call("board.idea.create", payload)
    await anna.disconnect()
    anna = await connect(base, anna.token)
    again = await anna.call("board.idea.create", payload)
    assert again["ok"] and again["idea"] == first["idea"] and again["seq"] == 1
    snapshot = (await anna.call("board.sync", {"board_id": board_id}))["snapshot"]
    assert [i["text"] for i in snapshot["ideas"]] == ["Einmal"]
    # deleted meanwhile: a late retry is refused instead of bringing it back
    await anna.call("board.idea.delete", {"board_id": board_id, "idea_id": first["idea"]["id"]})
    late = await anna.call("board.idea.create", payload)
    assert late["ok"] is False and late["error"]["code"] == "idea_deleted"
    rows = await server.app[STORE].idea_rows(workshop["event"].id, include_deleted=True)
    assert len(rows) == 1
    await anna.disconnect()


async def test_concurrent_posts_are_serialised_without_gaps(workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    clients = [await join_and_connect(base, links[Role.PARTICIPANT], f"P{i}") for i in range(5)]
    board_id = (await enter(clients[0]))["boards"][0]["id"]
    field_id = workshop["event"].fields[0].id
    acks = await asyncio.gather(
        *(
            c.call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": f"{c.member_id} {n}"})
            for c in clients
            for n in range(8)
        )
    )
    assert all(a["ok"] for a in acks)
    assert sorted(a["seq"] for a in acks) == list(range(1, 41))
    for client in clients:
        await client.wait_for("board.changed", lambda c: c["seq"] == 40)
        assert [c["seq"] for c in client.received["board.changed"]] == list(range(1, 41))  # in order, exactly once
        await client.disconnect()


async def test_commands_committed_together_are_each_answered_on_their_own(
    server: TestServer, workshop: dict[str, Any]
) -> None:
    """Commands that arrive together are committed together; each gets its own answer: a
    refused one its error (and no change), an accepted one the seq of its own change, and
    one that builds on another in the same batch sees its effect."""
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    board_id = (await enter(anna))["boards"][0]["id"]
    field_id = workshop["event"].fields[0].id

    def post(text: str, client_id: str | None = None) -> dict[str, Any]:
        return {"board_id": board_id, "field_id": field_id, "text": text, "client_id": client_id}

    calls = [anna.call("board.idea.create", post(f"Idee {n}")) for n in range(10)]
    calls += [ben.call("board.idea.create", post("x" * 5000)), ben.call("board.idea.create", post("fett\x00"))]
    calls += [ben.call("board.idea.create", post("Zweimal", "same")) for _ in range(3)]  # one idea, three answers
    acks = await asyncio.gather(*calls)
    accepted, refused, retried = acks[:10], acks[10:12], acks[12:]
    assert [a["error"]["code"] for a in refused] == ["text_too_long", "control_characters"]
    assert all(a["ok"] for a in accepted + retried)
    assert len({a["idea"]["id"] for a in retried}) == 1
    assert sorted([a["seq"] for a in accepted] + [retried[0]["seq"]]) == list(range(1, 12))
    await ben.wait_for("board.changed", lambda c: c["seq"] == 11)
    changes = {c["idea_id"]: c["seq"] for c in ben.received["board.changed"]}
    for ack in accepted + retried[:1]:
        assert changes[ack["idea"]["id"]] == ack["seq"]  # the ack's seq is its own change's
    assert [c["seq"] for c in ben.received["board.changed"]] == list(range(1, 12))
    stored = await server.app[STORE].load_board(board_id)
    assert stored.seq == 11 and len(stored.ideas) == 11
    await anna.disconnect()
    await ben.disconnect()


async def test_a_restart_keeps_every_acknowledged_idea(database_url: str) -> None:
    server = await start_server(database_url)
    event, links = await make_event(server.app)
    base = base_url(server)
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    board_id = (await enter(anna))["boards"][0]["id"]
    acked = []
    for n in range(20):
        ack = await anna.call(
            "board.idea.create", {"board_id": board_id, "field_id": event.fields[n % 4].id, "text": f"Idee {n}"}
        )
        assert ack["ok"]
        acked.append(ack["idea"])
    await anna.call("board.idea.delete", {"board_id": board_id, "idea_id": acked[0]["id"]})
    token = anna.token
    await anna.disconnect()
    await server.close()

    server = await start_server(database_url)
    base = base_url(server)
    anna = await connect(base, token)  # the member token survives the restart too
    sync = await anna.call("board.sync", {"board_id": board_id})
    assert sync["seq"] == 21
    by_id = {idea["id"]: idea for idea in sync["snapshot"]["ideas"]}
    assert by_id == {idea["id"]: idea for idea in acked[1:]}
    delta = await anna.call("board.sync", {"board_id": board_id, "since": 19})
    assert [c["seq"] for c in delta["changes"]] == [20, 21]
    ack = await anna.call("board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "Neu"})
    assert ack["seq"] == 22
    await anna.disconnect()
    await server.close()


async def test_connections_without_a_valid_token_or_from_a_foreign_origin_are_refused(
    workshop: dict[str, Any],
) -> None:
    base, links = workshop["base"], workshop["links"]
    for token in (None, 5, "short", "x" * 43, links[Role.PARTICIPANT]):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(base, token)
    _status, body = await join(base, links[Role.PARTICIPANT], "Anna")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(base, body["token"], headers={"Origin": "https://evil.example"})
    same = await connect(base, body["token"], headers={"Origin": base})
    assert (await same.call("room.enter"))["ok"]
    await same.disconnect()


async def test_a_rotated_link_no_longer_joins_but_members_stay(server: TestServer, workshop: dict[str, Any]) -> None:
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    await server.app[STORE].rotate_link(workshop["event"].id, Role.PARTICIPANT)
    status, body = await join(base, links[Role.PARTICIPANT], "Ben")
    assert status == 404 and body["error"]["code"] == "invalid_link"
    assert (await anna.call("room.enter"))["ok"]
    await anna.disconnect()


async def test_a_facilitator_adds_boards_free_ones_with_their_own_columns(
    server: TestServer, workshop: dict[str, Any]
) -> None:
    base, links = workshop["base"], workshop["links"]
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    assert (await anna.call("board.create", {"title": "Meine"}))["error"]["code"] == "forbidden"
    for bad, code in (([], "no_fields"), (["Pro", "pro"], "duplicate_field"), (["Pro\x7f"], "control_characters")):
        assert (await fac.call("board.create", {"title": "X", "columns": bad}))["error"]["code"] == code
    created = await fac.call("board.create", {"title": "Pro und Contra", "columns": [" Pro ", "Contra"]})
    assert created["ok"], created
    board_id = created["board"]["id"]
    announced = await anna.wait_for("room.board")
    assert announced == created["board"]
    boards = (await anna.call("room.enter"))["boards"]
    assert [b["title"] for b in boards] == ["Smart-City-Werkstatt", "Pro und Contra"]
    snapshot = (await anna.call("board.sync", {"board_id": board_id}))["snapshot"]
    assert [c["name"] for c in snapshot["columns"]] == ["Pro", "Contra"]
    pro = snapshot["columns"][0]["id"]
    assert (await anna.call("board.idea.create", {"board_id": board_id, "field_id": pro, "text": "Ja"}))["ok"]
    wrong = await anna.call(
        "board.idea.create", {"board_id": board_id, "field_id": workshop["event"].fields[0].id, "text": "Nein"}
    )
    assert wrong["error"]["code"] == "not_found"
    # the event's fields of action are unchanged by a free board's columns
    event = await server.app[STORE].event(workshop["event"].id)
    assert [f.name for f in event.fields] == [f.name for f in workshop["event"].fields]
    await fac.disconnect()
    await anna.disconnect()


async def test_client_ids_are_per_board_and_editing_needs_a_visible_idea(
    server: TestServer, workshop: dict[str, Any]
) -> None:
    base, links = workshop["base"], workshop["links"]
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fatma")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    first = (await anna.call("room.enter"))["boards"][0]["id"]
    second = (await fac.call("board.create", {"title": "Zweite"}))["board"]["id"]
    field_id = workshop["event"].fields[0].id
    for board_id in (first, second):  # the same client id on two boards: two ideas
        ack = await anna.call(
            "board.idea.create", {"board_id": board_id, "field_id": field_id, "text": "x", "client_id": "same"}
        )
        assert ack["ok"], ack
    await fac.call("board.premoderation", {"board_id": first, "on": True})
    waiting = await anna.call("board.idea.create", {"board_id": first, "field_id": field_id, "text": "wartet"})
    peek = await ben.call("board.view", {"board_id": first, "editing": waiting["idea"]["id"]})
    assert peek["error"]["code"] == "not_found"  # a pending idea does not exist for Ben
    mine = await anna.call("board.view", {"board_id": first, "editing": waiting["idea"]["id"]})
    assert mine["viewers"][0]["editing"] == waiting["idea"]["id"]
    for client in (fac, anna, ben):
        await client.disconnect()


async def test_each_acknowledgement_shows_the_board_as_its_own_command_left_it(
    server: TestServer, workshop: dict[str, Any]
) -> None:
    """Edits of one idea committed together: each ack carries its own text and seq; an edit
    and a delete of the same idea in one batch are both answered as what they were."""
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    board_id = (await enter(anna))["boards"][0]["id"]
    field_id = workshop["event"].fields[0].id
    created = await anna.call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": "Text 0"})
    idea_id = created["idea"]["id"]
    edits = await asyncio.gather(
        *(
            anna.call("board.idea.edit", {"board_id": board_id, "idea_id": idea_id, "text": f"Text {n}"})
            for n in (1, 2, 3)
        )
    )
    assert sorted(a["seq"] for a in edits) == [2, 3, 4]
    await anna.wait_for("board.changed", lambda c: c["seq"] == 4)
    changes = {c["seq"]: c["idea"]["text"] for c in anna.received["board.changed"]}
    for ack in edits:  # its own text: the one its change (same seq) carries
        assert ack["idea"]["text"] == changes[ack["seq"]]
    assert sorted(changes[s] for s in (2, 3, 4)) == ["Text 1", "Text 2", "Text 3"]
    last = max(edits, key=lambda a: a["seq"])
    edit, delete = await asyncio.gather(
        anna.call("board.idea.edit", {"board_id": board_id, "idea_id": idea_id, "text": "Letzte Fassung"}),
        anna.call("board.idea.delete", {"board_id": board_id, "idea_id": idea_id}),
    )
    assert edit["ok"] and edit["idea"]["text"] == "Letzte Fassung" and edit["seq"] == last["seq"] + 1
    assert delete["ok"] and delete["seq"] == last["seq"] + 2
    stored = await server.app[STORE].load_board(board_id)
    assert stored.seq == last["seq"] + 2 and idea_id not in stored.ideas
    await anna.disconnect()


async def test_one_faulty_command_fails_alone(
    server: TestServer, workshop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault below the rules in one command (injected here: in deciding it, and in building
    another's acknowledgement after it was applied) answers that one `internal`, leaves no
    trace of it, and the commands committed with it are accepted."""
    import server.live.state as live_module

    real = live_module.decide

    def decide(board: Any, actor: Any, command: Any) -> Any:
        if getattr(command, "text", "") == "kaputt":
            raise RuntimeError("injected fault")
        return real(board, actor, command)

    monkeypatch.setattr(live_module, "decide", decide)
    import server.live.views as events_module

    real_project = events_module.project_idea

    def project_idea(record: Any, viewer: Any) -> Any:  # fails after the command was applied
        if record["text"] == "halb kaputt":
            raise RuntimeError("injected fault in the acknowledgement")
        return real_project(record, viewer)

    monkeypatch.setattr(events_module, "project_idea", project_idea)
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    board_id = (await enter(anna))["boards"][0]["id"]
    field_id = workshop["event"].fields[0].id
    texts = ["eins", "kaputt", "zwei", "halb kaputt", "drei"]
    acks = await asyncio.gather(
        *(anna.call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": t}) for t in texts)
    )
    assert [a["ok"] for a in acks] == [True, False, True, False, True]
    assert acks[1]["error"]["code"] == acks[3]["error"]["code"] == "internal"
    stored = await server.app[STORE].load_board(board_id)
    assert sorted(i.text for i in stored.ideas.values()) == ["drei", "eins", "zwei"] and stored.seq == 3
    assert sorted(a["seq"] for a in acks if a["ok"]) == [1, 2, 3]
    await anna.disconnect()


async def test_a_list_read_between_two_announcements_ends_right(workshop: dict[str, Any]) -> None:
    """Zoe reads the presence list while Ben is reloading his page (gone, then back within one
    announcement interval): applying the announcements that follow to her list gives everyone
    present — Ben included."""
    base, links = workshop["base"], workshop["links"]
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    await asyncio.sleep(0.4)  # quiet: the next change is announced at once
    carl = await join_and_connect(base, links[Role.PARTICIPANT], "Carl")  # starts an interval
    await ben.disconnect()
    zoe = await join_and_connect(base, links[Role.PARTICIPANT], "Zoe")
    listed = {m["id"]: m["pseudonym"] for m in (await enter(zoe))["presence"]}
    ben_again = await connect(base, ben.token, ben.member_id)
    await asyncio.sleep(0.7)  # every announcement is out
    for change in zoe.received["presence.changed"]:
        listed.update({m["id"]: m["pseudonym"] for m in change["joined"]})
        for member_id in change["left"]:
            listed.pop(member_id, None)
    assert sorted(listed.values()) == ["Anna", "Ben", "Carl", "Zoe"]
    for client in (anna, carl, zoe, ben_again):
        await client.disconnect()


async def test_an_in_memory_database_serves() -> None:
    """`sqlite://`: one connection for every thread, so the store sees what was migrated."""
    server = await start_server("sqlite://")
    event, links = await make_event(server.app)
    anna = await join_and_connect(base_url(server), links[Role.PARTICIPANT], "Anna")
    board_id = (await enter(anna))["boards"][0]["id"]
    ack = await anna.call("board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "Hier"})
    assert ack["ok"] and ack["seq"] == 1
    assert [i.text for i in (await server.app[STORE].load_board(board_id)).ideas.values()] == ["Hier"]
    await anna.disconnect()
    await server.close()
