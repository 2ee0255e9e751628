"""Room chat with real clients: stored before it is acknowledged, hidden messages only for those who may see
them, silencing, a chat per room, a flood that does not stop anything else, and messages that queued while the
database was busy committed together (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from server.keys import LIVE, STORE
from tests.integration.team import Team, audit_actions, breakout_room, connect_organizer, move, ok, refused, team
from tests.support import Client, start_server, until


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


async def test_a_message_is_stored_then_acknowledged_and_reaches_the_room(server: TestServer, crew: Team) -> None:
    ack = await ok(crew.anna, "chat.send", {"text": "  Hallo zusammen!\nSchön, dass ihr da seid.  "})
    message = ack["message"]
    assert message["text"] == "Hallo zusammen!\nSchön, dass ihr da seid."
    assert message["author"] == {"id": crew.anna.member_id, "pseudonym": "Anna", "colour": "blue"}
    assert message["hidden"] is False and message["room_id"] == (await ok(crew.anna, "room.enter"))["room"]["id"]
    stored = await server.app[STORE].messages(message["room_id"])
    assert [m.text for m in stored] == [message["text"]]  # committed before the acknowledgement
    for client in crew.clients:
        assert await client.wait_for("chat.message") == message
    history = await ok(crew.olga, "chat.history")
    assert history["messages"] == [message] and history["silenced"] is False
    assert await refused(crew.olga, "chat.send", {"text": "Ich lese nur"}) == "forbidden"
    for text, code in (("   ", "text_too_short"), ("x" * 501, "text_too_long"), ("a\x1b[2J", "control_characters")):
        assert await refused(crew.anna, "chat.send", {"text": text}) == code
    assert len(await server.app[STORE].messages(message["room_id"])) == 1


async def test_hidden_messages_reach_only_facilitators_and_their_author(server: TestServer, crew: Team) -> None:
    rude = (await ok(crew.ben, "chat.send", {"text": "Das ist doch alles Quatsch"}))["message"]
    kind = (await ok(crew.anna, "chat.send", {"text": "Ich finde die Idee gut"}))["message"]
    await crew.olga.wait_for("chat.message", lambda m: m["id"] == kind["id"])
    assert (await ok(crew.fac, "chat.hide", {"message_id": rude["id"], "hidden": True})) == {"ok": True}

    hidden = {**rude, "hidden": True}
    for client in (crew.fac, crew.ben):  # facilitators and the author: marked
        change = await client.wait_for("chat.hidden")
        assert change == {"room_id": rude["room_id"], "message_id": rude["id"], "hidden": True, "message": hidden}
    for client in (crew.anna, crew.olga):  # the others: gone
        change = await client.wait_for("chat.hidden")
        assert change == {"room_id": rude["room_id"], "message_id": rude["id"], "hidden": True, "message": None}
    assert [m["id"] for m in (await ok(crew.anna, "chat.history"))["messages"]] == [kind["id"]]
    assert (await ok(crew.ben, "chat.history"))["messages"] == [hidden, kind]
    assert (await ok(crew.fac, "chat.history"))["messages"] == [hidden, kind]

    assert await ok(crew.fac, "chat.hide", {"message_id": rude["id"], "hidden": True})  # hidden already: nothing
    await ok(crew.fac, "chat.hide", {"message_id": rude["id"], "hidden": False})
    for client in crew.clients:  # shown again: everyone gets it back
        change = await client.wait_for("chat.hidden", lambda c: c["hidden"] is False)
        assert change["message"] == rude
    assert [m["id"] for m in (await ok(crew.olga, "chat.history"))["messages"]] == [rude["id"], kind["id"]]
    assert await refused(crew.fac, "chat.hide", {"message_id": "msg_doesnotexist", "hidden": True}) == "not_found"
    assert len(crew.anna.received["chat.hidden"]) == 2
    assert await audit_actions(server, crew.event) == [("chat.hide", rude["id"]), ("chat.hide", rude["id"])]


async def test_silenced_members_cannot_post_until_it_is_lifted(server: TestServer, crew: Team) -> None:
    earlier = (await ok(crew.ben, "chat.send", {"text": "Vorher geschrieben"}))["message"]
    ack = await ok(crew.fac, "chat.silence", {"member_id": crew.ben.member_id, "silenced": True})
    assert ack == {"ok": True, "member_id": crew.ben.member_id, "silenced": True}
    told = await crew.ben.wait_for("chat.silenced")
    assert told["member_id"] == crew.ben.member_id and told["silenced"] is True
    assert told["by"]["id"] == crew.fac.member_id
    await crew.fac.wait_for("chat.silenced")
    await asyncio.sleep(0.2)
    assert crew.anna.received["chat.silenced"] == []  # nobody else is told
    assert await refused(crew.ben, "chat.send", {"text": "Hallo?"}) == "silenced"
    history = await ok(crew.ben, "chat.history")
    assert history["silenced"] is True and history["messages"] == [earlier]  # what he wrote stays

    organizer = await connect_organizer(server, crew.event)
    for target in (crew.fac.member_id, organizer.member_id):
        assert await refused(organizer, "chat.silence", {"member_id": target, "silenced": True}) == (
            "cannot_silence_moderator"
        )
    assert await refused(crew.fac, "chat.silence", {"member_id": "mb_doesnotexist", "silenced": True}) == ("not_found")
    await organizer.disconnect()

    await ok(crew.fac, "chat.silence", {"member_id": crew.ben.member_id, "silenced": False})
    await crew.ben.wait_for("chat.silenced", lambda d: d["silenced"] is False)
    await ok(crew.ben, "chat.send", {"text": "Danke"})
    assert await audit_actions(server, crew.event) == [
        ("chat.silence", crew.ben.member_id),
        ("chat.silence", crew.ben.member_id),
    ]


async def test_each_room_has_its_own_chat(server: TestServer, crew: Team) -> None:
    table = await breakout_room(server, crew.event)
    await move(server, crew.ben, table)
    at_table = (await ok(crew.ben, "chat.send", {"text": "Am Tisch"}))["message"]
    in_plenary = (await ok(crew.anna, "chat.send", {"text": "Im Plenum"}))["message"]
    assert at_table["room_id"] == table.id and in_plenary["room_id"] != table.id
    await crew.olga.wait_for("chat.message")
    await asyncio.sleep(0.2)
    assert [m["text"] for m in crew.ben.received["chat.message"]] == ["Am Tisch"]
    assert [m["text"] for m in crew.olga.received["chat.message"]] == ["Im Plenum"]
    assert [m["text"] for m in (await ok(crew.ben, "chat.history"))["messages"]] == ["Am Tisch"]
    assert [m["text"] for m in (await ok(crew.anna, "chat.history"))["messages"]] == ["Im Plenum"]
    # a facilitator hides messages of the room they are in
    assert await refused(crew.fac, "chat.hide", {"message_id": at_table["id"], "hidden": True}) == "not_found"


async def test_a_chat_flood_is_rate_limited_while_the_board_still_works(server: TestServer, crew: Team) -> None:
    board_id = (await ok(crew.anna, "room.enter"))["boards"][0]["id"]
    acks = await asyncio.gather(*(crew.anna.call("chat.send", {"text": f"Spam {n}"}) for n in range(20)))
    sent = [a for a in acks if a["ok"]]
    limited = [a for a in acks if not a["ok"]]
    assert 5 <= len(sent) <= 7 and all(a["error"]["code"] == "rate_limited" for a in limited)
    idea = {"board_id": board_id, "field_id": crew.event.fields[0].id, "text": "Trotzdem eine Idee"}
    assert (await ok(crew.anna, "board.idea.create", idea))["idea"]["text"] == "Trotzdem eine Idee"
    assert (await ok(crew.anna, "chat.history"))["ok"]  # reading is not posting
    assert (await ok(crew.ben, "chat.send", {"text": "Ich darf noch"}))["ok"]  # limits are per connection
    history = await ok(crew.olga, "chat.history")
    assert len(history["messages"]) == len(sent) + 1


async def test_history_holds_the_last_two_hundred_messages(sqlite_url: str) -> None:
    server = await start_server(sqlite_url, rate_burst=10_000, rate_per_second=10_000.0)
    crew = await team(server)
    try:
        for n in range(205):
            await ok(crew.anna, "chat.send", {"text": f"Nachricht {n}"})
        messages = (await ok(crew.ben, "chat.history"))["messages"]
        assert len(messages) == 200
        assert messages[0]["text"] == "Nachricht 5" and messages[-1]["text"] == "Nachricht 204"
    finally:
        await crew.close()
        await server.close()


# -- a batch: what queued while the chat's previous command was being committed ------------------------------------


@contextlib.contextmanager
def writes_held(database_url: str) -> Iterator[Any]:
    """Hold the chat's writes in the database (another transaction locks them) until the block ends; the
    connection, whose transaction commits at the end (SQL run on it meanwhile happens then)."""
    if database_url.startswith("sqlite"):
        path = sa.make_url(database_url).database
        assert path is not None
        lite = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            lite.execute("PRAGMA foreign_keys=ON")
            lite.execute("BEGIN IMMEDIATE")  # the one writer
            yield lite
            lite.execute("COMMIT")
        finally:
            lite.close()
        return
    with psycopg.connect(database_url) as pg:  # commits when the block ends
        pg.execute("LOCK TABLE chat_messages, chat_silenced IN EXCLUSIVE MODE")  # reading goes on
        yield pg


async def one_batch(server: TestServer, crew: Team, calls: list[tuple[Client, str, dict[str, Any]]]) -> list[Any]:
    """Make these calls in this order while the chat's previous command (Olga silenced) waits for the database
    (``writes_held``), so that they queue and go as one batch; the futures of their acknowledgements (the silence's
    first)."""
    desk = server.app[LIVE].facilitation.chat
    event_id = crew.event.id
    queued = desk.serializer._queued  # what waits for the next batch, by event

    def waiting(n: int) -> bool:
        return len(queued.get(event_id, [])) == n

    silence = {"member_id": crew.olga.member_id, "silenced": True}
    futures = [asyncio.ensure_future(crew.fac.call("chat.silence", silence))]
    assert await until(lambda: desk.serializer.busy(event_id) and waiting(0))  # its batch runs: nothing waits
    for n, (client, event, payload) in enumerate(calls, start=1):
        futures.append(asyncio.ensure_future(client.call(event, payload)))
        assert await until(lambda n=n: waiting(n))  # queued in this order
    return futures


def send(client: Client, text: str) -> tuple[Client, str, dict[str, Any]]:
    return client, "chat.send", {"text": text}


async def test_messages_sent_at_once_are_stored_and_reach_everyone_once_in_one_order(database_url: str) -> None:
    server = await start_server(database_url)
    crew = await team(server)
    try:
        sends = [(crew.anna, "Eins"), (crew.ben, "Zwei"), (crew.fac, "Drei"), (crew.anna, "Vier"), (crew.ben, "Fünf")]
        with writes_held(database_url):
            calls = await one_batch(server, crew, [send(client, text) for client, text in sends])
            await asyncio.sleep(0.2)
            assert not any(call.done() for call in calls)  # nothing is acknowledged before it is committed
        silenced, *acks = await asyncio.gather(*calls)
        assert silenced["ok"] is True
        messages = [ack["message"] for ack in acks]
        assert [(m["author"]["id"], m["text"]) for m in messages] == [(c.member_id, t) for c, t in sends]
        assert len({m["id"] for m in messages}) == len(sends)
        for client in crew.clients:  # each once, in the order they were sent, the same for everyone
            assert await client.wait_for_all("chat.message", len(sends)) == messages
        await asyncio.sleep(0.2)
        assert all(len(client.received["chat.message"]) == len(sends) for client in crew.clients)
        stored = await server.app[STORE].messages(messages[0]["room_id"])
        assert [(m.id, m.text) for m in stored] == [(m["id"], m["text"]) for m in messages]
        assert (await ok(crew.olga, "chat.history"))["messages"] == messages
    finally:
        await crew.close()
        await server.close()


async def test_a_refused_command_in_a_batch_is_refused_alone_and_a_silence_holds_from_where_it_is(
    database_url: str,
) -> None:
    server = await start_server(database_url)
    crew = await team(server)
    try:
        with writes_held(database_url):
            calls = await one_batch(
                server,
                crew,
                [
                    send(crew.anna, "Eins"),
                    send(crew.ben, "x" * 501),
                    send(crew.ben, "Vorher"),
                    (crew.fac, "chat.silence", {"member_id": crew.ben.member_id, "silenced": True}),
                    send(crew.ben, "Nachher"),
                    send(crew.fac, "Zwei"),
                ],
            )
        _, eins, long, before, silence, after, zwei = await asyncio.gather(*calls)
        assert long["error"]["code"] == "text_too_long"
        assert silence["ok"] is True and silence["silenced"] is True
        assert after["error"]["code"] == "silenced"  # decided after the silence: refused
        messages = [eins["message"], before["message"], zwei["message"]]
        assert [m["text"] for m in messages] == ["Eins", "Vorher", "Zwei"]
        for client in crew.clients:
            assert await client.wait_for_all("chat.message", 3) == messages
        await asyncio.sleep(0.2)
        assert all(len(client.received["chat.message"]) == 3 for client in crew.clients)
        stored = await server.app[STORE].messages(messages[0]["room_id"])
        assert [m.text for m in stored] == ["Eins", "Vorher", "Zwei"]
        assert (await ok(crew.ben, "chat.history"))["silenced"] is True
    finally:
        await crew.close()
        await server.close()


async def test_a_failed_commit_refuses_all_of_its_messages_and_stores_and_sends_none(database_url: str) -> None:
    server = await start_server(database_url)
    crew = await team(server)
    try:
        table = await breakout_room(server, crew.event)
        await move(server, crew.ben, table)
        with writes_held(database_url) as db:
            calls = await one_batch(
                server, crew, [send(crew.anna, "Eins"), send(crew.ben, "Zwei"), send(crew.fac, "Drei")]
            )
            db.execute(f"DELETE FROM rooms WHERE id = '{table.id}'")  # Ben's room is gone meanwhile
        silenced, *acks = await asyncio.gather(*calls)
        assert silenced["ok"] is True  # a batch of its own
        assert [ack["ok"] for ack in acks] == [False, False, False]
        assert {ack["error"]["code"] for ack in acks} == {"no_such_room"}
        await asyncio.sleep(0.3)
        assert all(client.received["chat.message"] == [] for client in crew.clients)
        assert await server.app[STORE].messages((await ok(crew.anna, "room.enter"))["room"]["id"]) == []
        assert (await ok(crew.anna, "chat.history"))["messages"] == []

        assert (await ok(crew.anna, "chat.send", {"text": "Noch einmal"}))["message"]["text"] == "Noch einmal"
        assert (await crew.fac.wait_for("chat.message"))["text"] == "Noch einmal"
    finally:
        await crew.close()
        await server.close()
