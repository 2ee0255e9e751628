"""Live questions with real clients: asking (anonymously too), upvoting once per member, answering, hiding,
pinning; what each reader is sent; stored, so the list survives a reload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from server.keys import STORE
from tests.integration.team import Team, audit_actions, ok, refused, team
from tests.support import base_url, connect, start_server

FAST = {"rate_burst": 10_000, "rate_per_second": 10_000.0}  # the question limit is tested on its own


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, **FAST)
    yield srv
    await srv.close()


@pytest.fixture
async def crew(server: TestServer) -> AsyncIterator[Team]:
    crew = await team(server)
    yield crew
    await crew.close()


async def ask(client: Any, text: str, anonymous: bool = False) -> dict[str, Any]:
    return (await ok(client, "question.ask", {"text": text, "anonymous": anonymous}))["question"]


async def test_an_anonymous_question_never_names_its_author(crew: Team) -> None:
    anna_tab = await connect(crew.base, crew.anna.token, crew.anna.member_id)
    mine = await ask(crew.anna, "Wer bezahlt das?", anonymous=True)
    assert mine["anonymous"] is True and mine["author"] is None and mine["mine"] is True
    assert mine["votes"] == 0 and mine["upvoted"] is False and mine["answered"] is False
    for client in (crew.anna, anna_tab):  # her tabs: hers
        change = await client.wait_for("question.changed")
        assert change["kind"] == "asked" and change["question"] == mine and change["pinned"] is None
    for client in (crew.ben, crew.olga, crew.fac):  # everyone else, facilitators too: nobody's
        change = await client.wait_for("question.changed")
        assert change["question"] == {**mine, "mine": False, "upvoted": None}
        assert crew.anna.member_id not in str(change)
    for client in (crew.ben, crew.fac):
        [listed] = (await ok(client, "question.list"))["questions"]
        assert listed == {**mine, "mine": False} and crew.anna.member_id not in str(listed)
    named = await ask(crew.ben, "Wann beginnt der Bau?")
    assert named["author"] == {"id": crew.ben.member_id, "pseudonym": "Ben", "colour": "blue"}
    await anna_tab.disconnect()


async def test_upvoting_twice_at_once_from_two_tabs_counts_once(server: TestServer, crew: Team) -> None:
    question = await ask(crew.ben, "Gibt es mehr Radwege?")
    anna_tab = await connect(crew.base, crew.anna.token, crew.anna.member_id)
    payload = {"question_id": question["id"], "up": True}
    answers = await asyncio.gather(*(c.call("question.upvote", payload) for c in (crew.anna, anna_tab) * 3))
    assert sum(a["ok"] for a in answers) == 1
    assert {a["error"]["code"] for a in answers if not a["ok"]} == {"already_upvoted"}
    [upvoted] = [a["question"] for a in answers if a["ok"]]
    assert upvoted["votes"] == 1 and upvoted["upvoted"] is True
    stored = (await server.app[STORE].load_questions(crew.event.id)).get(question["id"])
    assert stored.upvoters == frozenset({crew.anna.member_id})
    # the change: her tabs are told she upvoted, the author is told his own state, the rest learn the count only
    for client in (crew.anna, anna_tab):
        change = await client.wait_for("question.changed", lambda c: c["kind"] == "upvoted")
        assert change["question"]["upvoted"] is True and change["question"]["votes"] == 1
    change = await crew.ben.wait_for("question.changed", lambda c: c["kind"] == "upvoted")
    assert change["question"]["upvoted"] is False and change["question"]["mine"] is True
    change = await crew.fac.wait_for("question.changed", lambda c: c["kind"] == "upvoted")
    assert change["question"]["upvoted"] is None and change["question"]["votes"] == 1

    await ok(crew.ben, "question.upvote", payload)  # one's own question too
    withdrawn = (await ok(anna_tab, "question.upvote", {**payload, "up": False}))["question"]
    assert withdrawn["votes"] == 1 and withdrawn["upvoted"] is False
    assert await refused(crew.anna, "question.upvote", {**payload, "up": False}) == "not_upvoted"
    assert await refused(crew.olga, "question.upvote", payload) == "forbidden"
    assert await refused(crew.anna, "question.upvote", {"question_id": "qn_doesnotexist"}) == "not_found"
    await anna_tab.disconnect()


async def test_answer_hide_and_pin(server: TestServer, crew: Team) -> None:
    first = await ask(crew.anna, "Wie lange dauert die Beteiligung?")
    second = await ask(crew.ben, "Wer entscheidet am Ende?")
    pinned = await ok(crew.fac, "question.pin", {"question_id": first["id"]})
    assert pinned == {"ok": True, "pinned": first["id"]}
    change = await crew.olga.wait_for("question.changed", lambda c: c["kind"] == "pinned")
    assert change == {"kind": "pinned", "question_id": first["id"], "question": None, "pinned": first["id"]}
    assert (await ok(crew.olga, "facilitation.state"))["pinned"]["id"] == first["id"]

    answered = (await ok(crew.fac, "question.answer", {"question_id": first["id"], "answered": True}))["question"]
    assert answered["answered"] is True
    unpinned = await crew.olga.wait_for("question.changed", lambda c: c["kind"] == "unpinned")
    assert unpinned["pinned"] is None  # answering the pinned question unpins it
    listed = (await ok(crew.olga, "question.list"))["questions"]
    assert [q["id"] for q in listed] == [second["id"], first["id"]]  # answered ones last

    hidden = (await ok(crew.fac, "question.hide", {"question_id": second["id"], "hidden": True}))["question"]
    assert hidden["hidden"] is True
    gone = await crew.olga.wait_for("question.changed", lambda c: c["kind"] == "hidden")
    assert gone == {"kind": "hidden", "question_id": second["id"], "question": None, "pinned": None}
    own = await crew.ben.wait_for("question.changed", lambda c: c["kind"] == "hidden")
    assert own["question"]["hidden"] is True and own["question"]["mine"] is True
    assert [q["id"] for q in (await ok(crew.olga, "question.list"))["questions"]] == [first["id"]]
    assert [q["id"] for q in (await ok(crew.ben, "question.list"))["questions"]] == [second["id"], first["id"]]
    assert await refused(crew.fac, "question.pin", {"question_id": second["id"]}) == "question_hidden"
    assert await refused(crew.anna, "question.upvote", {"question_id": second["id"]}) == "not_found"
    assert await refused(crew.ben, "question.upvote", {"question_id": second["id"]}) == "question_hidden"
    for event, flag in (("question.answer", "answered"), ("question.hide", "hidden")):
        assert await refused(crew.anna, event, {"question_id": first["id"], flag: True}) == "forbidden"
        assert await refused(crew.fac, event, {"question_id": "qn_doesnotexist", flag: True}) == "not_found"
    assert await refused(crew.fac, "question.pin", {"question_id": "qn_doesnotexist"}) == "not_found"
    assert await audit_actions(server, crew.event) == [
        ("question.pin", first["id"]),
        ("question.answer", first["id"]),
        ("question.hide", second["id"]),
    ]


async def test_orderings_and_the_list_after_a_reload_and_a_restart(sqlite_url: str) -> None:
    server = await start_server(sqlite_url, **FAST)
    crew = await team(server)
    old = await ask(crew.anna, "Eine frühe Frage")
    popular = await ask(crew.ben, "Eine beliebte Frage")
    new = await ask(crew.fac, "Eine neue Frage")
    for client in (crew.anna, crew.fac):
        await ok(client, "question.upvote", {"question_id": popular["id"]})
    await ok(crew.ben, "question.upvote", {"question_id": new["id"]})
    by_votes = (await ok(crew.olga, "question.list", {"order": "votes"}))["questions"]
    assert [(q["id"], q["votes"]) for q in by_votes] == [(popular["id"], 2), (new["id"], 1), (old["id"], 0)]
    newest = (await ok(crew.olga, "question.list", {"order": "newest"}))["questions"]
    assert [q["id"] for q in newest] == [new["id"], popular["id"], old["id"]]
    mine = (await ok(crew.anna, "question.list"))["questions"]
    assert [(q["mine"], q["upvoted"]) for q in mine] == [(False, True), (False, False), (True, False)]
    await crew.close()
    await server.close()

    server = await start_server(sqlite_url, **FAST)
    try:
        anna = await connect(base_url(server), crew.anna.token, crew.anna.member_id)
        assert (await ok(anna, "question.list"))["questions"] == mine
        await anna.disconnect()
    finally:
        await server.close()


async def test_three_open_questions_per_member_and_observers_ask_none(crew: Team) -> None:
    asked = [await ask(crew.anna, f"Frage Nummer {n}") for n in range(3)]
    assert await refused(crew.anna, "question.ask", {"text": "Noch eine Frage"}) == "too_many_questions"
    await ok(crew.fac, "question.answer", {"question_id": asked[0]["id"], "answered": True})
    await ask(crew.anna, "Noch eine Frage")  # an answered question frees a place
    for n in range(5):  # facilitators seed questions without a limit
        await ask(crew.fac, f"Vorbereitete Frage {n}")
    assert await refused(crew.olga, "question.ask", {"text": "Darf ich?"}) == "forbidden"
    for text, code in (("ab", "text_too_short"), ("x" * 301, "text_too_long"), ("Frage\x07", "control_characters")):
        assert await refused(crew.ben, "question.ask", {"text": text}) == code


async def test_a_question_flood_is_rate_limited(sqlite_url: str) -> None:
    server = await start_server(sqlite_url)  # the default limits: three questions at once, then one per 5 s
    crew = await team(server)
    try:
        answers = await asyncio.gather(
            *(crew.fac.call("question.ask", {"text": f"Frage {n} zur Sache"}) for n in range(6))
        )
        assert sum(a["ok"] for a in answers) == 3
        assert {a["error"]["code"] for a in answers if not a["ok"]} == {"rate_limited"}
        # reading and upvoting have their own budgets
        listed = (await ok(crew.fac, "question.list"))["questions"]
        for question in listed:
            await ok(crew.fac, "question.upvote", {"question_id": question["id"]})
        board_id = (await ok(crew.fac, "room.enter"))["boards"][0]["id"]
        idea = {"board_id": board_id, "field_id": crew.event.fields[0].id, "text": "Eine Idee"}
        await ok(crew.fac, "board.idea.create", idea)
    finally:
        await crew.close()
        await server.close()
