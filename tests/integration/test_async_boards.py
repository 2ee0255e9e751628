"""Asynchronous participation on a real server: participants alone with their link post, comment and
vote while a board's window is open, and are refused before and after it, with no facilitator
connected; the organizers' feedback from the idea store shows on the board; the organizer's page
that opens a board for a window. The server's clock is a ManualClock the tests move (server.clock)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from boards import commands as c
from boards.actors import Actor, Role
from boards.curation import ReviewStatus
from boards.window import Window
from server.clock import ManualClock
from server.keys import LIVE, STORE
from server.web.async_boards import window_of_days
from server.web.passwords import hash_password
from tests.integration.team import ok
from tests.support import base_url, join_and_connect, make_event, start_server

OPENS = datetime(2026, 3, 1, tzinfo=UTC)
CLOSES = datetime(2026, 7, 1, tzinfo=UTC)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "ein langes Passwort"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(OPENS - timedelta(days=2))


@pytest.fixture
async def server(database_url: str, clock: ManualClock) -> AsyncIterator[TestServer]:
    srv = await start_server(database_url, clock=clock)
    yield srv
    await srv.close()


def refused(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    return str(ack["error"]["code"])


async def async_board(server: TestServer, *, vote: bool = True) -> dict[str, Any]:
    """An event whose plenary board is open from 1 March to 30 June, set by its organizer through the
    live core as the organizer's page does; with a vote over the window."""
    app = server.app
    event, links = await make_event(app)
    store, live = app[STORE], app[LIVE]
    organizer = await store.organizer_by_username("orga")
    assert organizer is not None
    member = await store.organizer_member(event.id, organizer)
    actor = Actor(member.id, Role.ORGANIZER)
    [board_id] = await store.board_ids((await store.plenary(event.id)).id)
    now = live.clock.now()
    await live.run(board_id, actor, event.id, c.SetWindow(OPENS, CLOSES, now))
    if vote:
        await live.run(board_id, actor, event.id, c.OpenVote("vs_async", now, budget=3, cap=2, blind=False))
    return {"event": event, "links": links, "board": board_id, "fields": [f.id for f in event.fields], "org": organizer}


async def test_participants_alone_change_the_board_only_inside_its_window(
    server: TestServer, clock: ManualClock
) -> None:
    base = base_url(server)
    s = await async_board(server)
    board, field = s["board"], s["fields"][0]
    anna = await join_and_connect(base, s["links"][Role.PARTICIPANT], "Anna")
    try:
        # nobody facilitates: the only connection is Anna's
        assert [conn.role for conn in server.app[LIVE].connections.values()] == [Role.PARTICIPANT]
        snapshot = (await ok(anna, "board.sync", {"board_id": board}))["snapshot"]
        assert snapshot["window_state"] == "not_open_yet"
        assert snapshot["settings"]["opens_at"] == "2026-03-01T00:00:00Z"
        assert snapshot["settings"]["closes_at"] == "2026-07-01T00:00:00Z"
        post = {"board_id": board, "field_id": field, "text": "Mehr Radwege"}
        assert refused(await anna.call("board.idea.create", post)) == "not_open_yet"

        clock.set(OPENS + timedelta(days=10))  # day 1
        idea = (await ok(anna, "board.idea.create", post))["idea"]
        assert (await ok(anna, "board.sync", {"board_id": board}))["snapshot"]["window_state"] == "open"
        await anna.disconnect()

        clock.advance(timedelta(days=1))  # day 2: Ben comes alone and sees Anna's idea
        ben = await join_and_connect(base, s["links"][Role.PARTICIPANT], "Ben")
        snapshot = (await ok(ben, "board.sync", {"board_id": board}))["snapshot"]
        assert [i["text"] for i in snapshot["ideas"]] == ["Mehr Radwege"]
        await ok(ben, "board.comment.create", {"board_id": board, "idea_id": idea["id"], "text": "Ja, bitte!"})
        dot = {"board_id": board, "session_id": "vs_async", "idea_id": idea["id"]}
        assert (await ok(ben, "vote.cast", dot))["dots"]["used"] == 1

        clock.set(CLOSES)  # over
        assert refused(await ben.call("board.idea.create", post)) == "board_closed"
        comment = {"board_id": board, "idea_id": idea["id"], "text": "Noch etwas"}
        assert refused(await ben.call("board.comment.create", comment)) == "board_closed"
        assert refused(await ben.call("vote.cast", dot)) == "board_closed"
        assert refused(await ben.call("vote.remove", dot)) == "board_closed"
        snapshot = (await ok(ben, "board.sync", {"board_id": board}))["snapshot"]
        assert snapshot["window_state"] == "closed"
        assert len(snapshot["ideas"]) == 1 and [m["text"] for m in snapshot["comments"]] == ["Ja, bitte!"]
        assert snapshot["progress"]["tallies"] == {idea["id"]: 1}
        await ben.disconnect()
    finally:
        if anna.sio.connected:
            await anna.disconnect()


async def test_facilitators_act_outside_the_window(server: TestServer, clock: ManualClock) -> None:
    base = base_url(server)
    s = await async_board(server, vote=False)
    fac = await join_and_connect(base, s["links"][Role.FACILITATOR], "Fatma")
    try:
        clock.set(CLOSES + timedelta(days=3))
        post = {"board_id": s["board"], "field_id": s["fields"][0], "text": "Zusammenfassung der Stadt"}
        await ok(fac, "board.idea.create", post)
        await ok(fac, "board.phase", {"board_id": s["board"], "phase": "vote"})
    finally:
        await fac.disconnect()


async def test_the_organizers_feedback_reaches_the_board_after_forget_event(
    server: TestServer, clock: ManualClock
) -> None:
    """The console changes status and feedback in the idea store, then calls forget_event: the next
    snapshot of the board (already loaded and cached) carries them, and later changes of the idea too."""
    base = base_url(server)
    s = await async_board(server, vote=False)
    clock.set(OPENS + timedelta(days=1))
    anna = await join_and_connect(base, s["links"][Role.PARTICIPANT], "Anna")
    try:
        post = {"board_id": s["board"], "field_id": s["fields"][0], "text": "Mehr Radwege"}
        idea = (await ok(anna, "board.idea.create", post))["idea"]
        assert idea["review"] is None
        store, live = server.app[STORE], server.app[LIVE]
        await store.set_review_status(s["org"].id, [idea["id"]], ReviewStatus.IN_IMPLEMENTATION)
        await store.set_feedback(s["org"].id, idea["id"], "Wird 2027 in der Bahnhofstraße umgesetzt.")
        live.forget_event(s["event"].id)
        [shown] = (await ok(anna, "board.sync", {"board_id": s["board"]}))["snapshot"]["ideas"]
        assert shown["review"] == {
            "status": "in_implementation",
            "feedback": "Wird 2027 in der Bahnhofstraße umgesetzt.",
        }
        edited = await ok(
            anna, "board.idea.edit", {"board_id": s["board"], "idea_id": idea["id"], "text": "Mehr Radwege!"}
        )
        assert edited["idea"]["review"]["status"] == "in_implementation"  # the board never writes it back
        reloaded = await store.load_board(s["board"])
        assert reloaded.ideas[idea["id"]].feedback == "Wird 2027 in der Bahnhofstraße umgesetzt."
    finally:
        await anna.disconnect()


# -- the organizer's page ------------------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def login(http: aiohttp.ClientSession, base: str, username: str) -> None:
    async with http.get(f"{base}/login") as response:
        csrf = CSRF.search(await response.text())
    assert csrf is not None
    data = {"username": username, "password": PASSWORD, "csrf": csrf.group(1)}
    async with http.post(f"{base}/login", data=data, allow_redirects=False) as response:
        assert response.status == 303


async def post_form(http: aiohttp.ClientSession, url: str, form: dict[str, str]) -> tuple[int, str]:
    async with http.get(url) as response:
        csrf = CSRF.search(await response.text())
    assert csrf is not None
    async with http.post(url, data={**form, "csrf": csrf.group(1)}, allow_redirects=False) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"opens": "2026-06-30", "closes": "2026-03-01"}, "Das Ende muss nach dem Start liegen."),
        ({"opens": "2026-03-01", "closes": "30.06.2026"}, "Bitte geben Sie Start und Ende als Datum an."),
        ({"opens": "2026-03-01", "closes": "2027-06-30"}, "Das Zeitfenster darf höchstens ein Jahr lang sein."),
        ({"opens": "2025-03-01", "closes": "2025-06-30"}, "Das Ende liegt in der Vergangenheit."),
        ({"opens": "2026-03-01", "closes": "2026-06-30", "budget": "0"}, "Punkte pro Person: eine Zahl von 1 bis 99"),
        ({"board": "new", "title": " ", "opens": "2026-03-01", "closes": "2026-06-30"}, "einen Titel"),
        ({"board": "bd_someone_elses", "opens": "2026-03-01", "closes": "2026-06-30"}, "Board des Plenums"),
    ],
)
async def test_bad_input_on_the_organizers_page_shows_a_message_and_changes_nothing(
    sqlite_url: str, http: aiohttp.ClientSession, form: dict[str, str], message: str
) -> None:
    server = await start_server(sqlite_url, clock=ManualClock(OPENS - timedelta(days=20)))
    try:
        base = base_url(server)
        await server.app[STORE].create_organizer("orga", hash_password(PASSWORD))
        event, _links = await make_event(server.app)
        plenary = await server.app[STORE].plenary(event.id)
        [board_id] = await server.app[STORE].board_ids(plenary.id)
        await login(http, base, "orga")
        status, html = await post_form(http, f"{base}/organizer/events/{event.id}/async", {"board": board_id, **form})
        assert status == 400 and message in html
        assert await server.app[STORE].board_ids(plenary.id) == [board_id]  # no new board
        assert (await server.app[STORE].load_board(board_id)).settings.window is None
    finally:
        await server.close()


async def test_the_organizer_opens_a_new_board_for_a_window_with_a_vote(
    sqlite_url: str, http: aiohttp.ClientSession
) -> None:
    clock = ManualClock(OPENS - timedelta(days=20))
    server = await start_server(sqlite_url, clock=clock)
    try:
        base = base_url(server)
        store = server.app[STORE]
        await store.create_organizer("orga", hash_password(PASSWORD))
        await store.create_organizer("bernd", hash_password(PASSWORD))
        event, links = await make_event(server.app)
        plenary = await store.plenary(event.id)
        watcher = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
        try:
            await login(http, base, "orga")
            url = f"{base}/organizer/events/{event.id}/async"
            form = {"board": "new", "title": "Ideen bis Juni", "opens": "2026-03-01", "closes": "2026-06-30"}
            status, _html = await post_form(http, url, {**form, "budget": "5"})
            assert status == 303
            new_board = (await store.board_ids(plenary.id))[-1]
            board = await store.load_board(new_board)
            assert board.title == "Ideen bis Juni"
            assert board.settings.window == Window(
                *window_of_days(datetime(2026, 3, 1).date(), datetime(2026, 6, 30).date())
            )
            # midnight in German time: 23:00 UTC the day before in winter, 22:00 in summer
            assert board.settings.window.opens_at.astimezone(UTC) == datetime(2026, 2, 28, 23, tzinfo=UTC)
            assert board.settings.window.closes_at.astimezone(UTC) == datetime(2026, 6, 30, 22, tzinfo=UTC)
            session = board.open_session()
            assert session is not None and (session.budget, session.cap, session.blind) == (5, 3, False)
            async with http.get(url) as response:
                page = await response.text()
            assert "Ideen bis Juni" in page and "1. März 2026" in page and "30. Juni 2026" in page
            # the page of another organizer's event does not exist for Bernd
            http.cookie_jar.clear()
            await login(http, base, "bernd")
            async with http.get(url) as response:
                assert response.status == 404
            # the participant who had the room open hears of the new board
            await watcher.wait_for("room.board", lambda d: d["id"] == new_board)
        finally:
            await watcher.disconnect()
    finally:
        await server.close()


async def test_a_window_set_or_removed_on_an_open_board_reaches_its_viewers(
    sqlite_url: str, http: aiohttp.ClientSession
) -> None:
    server = await start_server(sqlite_url, clock=ManualClock(OPENS - timedelta(days=20)))
    try:
        base = base_url(server)
        await server.app[STORE].create_organizer("orga", hash_password(PASSWORD))
        event, links = await make_event(server.app)
        [board_id] = await server.app[STORE].board_ids((await server.app[STORE].plenary(event.id)).id)
        anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
        try:
            await ok(anna, "room.enter", {})
            await ok(anna, "board.sync", {"board_id": board_id})
            await login(http, base, "orga")
            form = {"board": board_id, "opens": "2026-03-01", "closes": "2026-06-30"}
            status, _html = await post_form(http, f"{base}/organizer/events/{event.id}/async", form)
            assert status == 303

            def windows(data: Any) -> list[dict[str, Any]]:  # one change, or a run of them
                return [c for c in (data if isinstance(data, list) else [data]) if c["type"] == "board.window"]

            [change] = windows(await anna.wait_for("board.changed", lambda d: bool(windows(d))))
            assert change["settings"]["closes_at"] == "2026-06-30T22:00:00Z"
            again, html = await post_form(http, f"{base}/organizer/events/{event.id}/async", form)
            assert again == 400 and "Das Board hat dieses Zeitfenster bereits." in html
            # the organizer removes the window: the board is for live sessions only again
            remove = {"board": board_id, "action": "remove"}
            status, _html = await post_form(http, f"{base}/organizer/events/{event.id}/async", remove)
            assert status == 303
            assert (await server.app[STORE].load_board(board_id)).settings.window is None
            await anna.wait_for("board.changed", lambda d: any(c["settings"]["closes_at"] is None for c in windows(d)))
            again, html = await post_form(http, f"{base}/organizer/events/{event.id}/async", remove)
            assert again == 400 and "Dieses Board hat kein Zeitfenster." in html
        finally:
            await anna.disconnect()
    finally:
        await server.close()
