"""The organizer's audit page over real HTTP: what facilitators did, newest first, paged, only for the event's
own organizer, in German and English."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from server.i18n.catalogs import Translator
from server.ids import new_token, token_hash, utcnow
from server.keys import STORE
from server.web.audit import PAGE_SIZE
from tests.integration.team import Team, ok, team
from tests.support import start_server

T_DE, T_EN = Translator("de"), Translator("en")


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, rate_burst=10_000, rate_per_second=10_000.0)
    yield srv
    await srv.close()


@pytest.fixture
async def crew(server: TestServer) -> AsyncIterator[Team]:
    crew = await team(server)
    yield crew
    await crew.close()


async def session_of(server: TestServer, username: str) -> aiohttp.ClientSession:
    """An HTTP session logged in as this organizer (made if need be)."""
    store = server.app[STORE]
    organizer = await store.organizer_by_username(username) or await store.create_organizer(username, "x")
    token = new_token()
    await store.create_session(organizer.id, token_hash(token), utcnow() + timedelta(hours=1))
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    http.cookie_jar.update_cookies({"werkstatt_session": token}, response_url=server.make_url("/"))
    return http


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]]


async def test_the_log_shows_who_did_what_newest_first(server: TestServer, crew: Team) -> None:
    url = server.make_url(f"/organizer/events/{crew.event.id}/audit")
    http = await session_of(server, "orga")
    try:
        async with http.get(url) as response:
            assert response.status == 200
            assert T_DE("audit.none") in await response.text()
        async with http.get(server.make_url(f"/organizer/events/{crew.event.id}")) as response:
            assert f'href="/organizer/events/{crew.event.id}/audit"' in await response.text()

        await ok(crew.fac, "timer.start", {"duration_s": 300, "label": "Sammeln"})
        await ok(crew.fac, "broadcast.send", {"text": "<b>Noch</b> fünf Minuten", "scope": "everyone"})
        await ok(crew.fac, "member.remove", {"member_id": crew.ben.member_id, "reason": "Störungen"})
        async with http.get(url) as response:
            html = await response.text()
        assert "<caption>" in html and html.count('<th scope="col">') == 5 and '<th scope="row">' in html
        found = rows(html)
        assert len(found) == 3
        assert found[0].startswith(tuple("0123456789")) and "Fiona" in found[0]
        assert T_DE("audit.action.member.remove") in found[0] and "Ben" in found[0] and "Störungen" in found[0]
        assert T_DE("audit.action.broadcast.send") in found[1]
        assert "&lt;b&gt;Noch&lt;/b&gt; fünf Minuten" in html and "<b>Noch</b>" not in html  # text, not HTML
        assert T_DE("audit.action.timer.start") in found[2] and "Sammeln" in found[2]
        assert T_DE("role.facilitator") in found[0]

        async with http.get(url, cookies={"werkstatt_lang": "en"}) as response:
            english = await response.text()
        assert T_EN("audit.title", event=crew.event.title) in english and T_EN("audit.caption") in english
    finally:
        await http.close()


async def test_the_log_is_paged_by_time(server: TestServer, crew: Team) -> None:
    for n in range(PAGE_SIZE + 5):
        await ok(crew.fac, "broadcast.send", {"text": f"Durchsage {n}", "scope": "everyone"})
    url = server.make_url(f"/organizer/events/{crew.event.id}/audit")
    http = await session_of(server, "orga")
    try:
        async with http.get(url) as response:
            first = await response.text()
        assert len(rows(first)) >= PAGE_SIZE and "Durchsage 54" in rows(first)[0]
        link = re.search(r'href="(/organizer/events/[^"]+/audit\?before=[^"]+)" rel="next"', first)
        assert link
        async with http.get(server.make_url(link.group(1))) as response:
            second = await response.text()
        seen = rows(first) + rows(second)
        assert len(seen) == PAGE_SIZE + 5 and "Durchsage 0" in seen[-1]  # nothing skipped, nothing twice
        assert T_DE("audit.newest") in second and 'rel="next"' not in second
        async with http.get(url, params={"before": "gestern"}) as response:
            assert response.status == 400
    finally:
        await http.close()


async def test_only_the_events_own_organizer_sees_the_log(server: TestServer, crew: Team) -> None:
    await ok(crew.fac, "timer.start", {"duration_s": 300})
    url = server.make_url(f"/organizer/events/{crew.event.id}/audit")
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(url, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/login"
    other = await session_of(server, "bernd")
    try:
        async with other.get(url) as response:
            assert response.status == 404
            assert "timer.start" not in await response.text()
        async with other.get(server.make_url("/organizer/events/ev_doesnotexist/audit")) as response:
            assert response.status == 404
    finally:
        await other.close()


async def test_moderating_boards_and_votes_is_logged_and_contributing_is_not(server: TestServer, crew: Team) -> None:
    board_id = (await ok(crew.anna, "room.enter"))["boards"][0]["id"]
    field_id = crew.event.fields[0].id
    idea = await ok(crew.anna, "board.idea.create", {"board_id": board_id, "field_id": field_id, "text": "Radweg"})
    await ok(crew.fac, "board.idea.moderate", {"board_id": board_id, "idea_id": idea["idea"]["id"], "action": "hide"})
    await ok(crew.fac, "board.phase", {"board_id": board_id, "phase": "vote"})
    refused = await crew.fac.call("vote.open", {"board_id": board_id, "budget": 5, "cap": 3})  # nothing to vote on
    assert refused["ok"] is False
    log = await server.app[STORE].audit_log(crew.event.id)
    assert [(e.action, e.target) for e in reversed(log)] == [
        ("board.idea.moderate", board_id),
        ("board.phase", board_id),
    ]
    assert log[0].details["phase"] == "vote" and log[0].member_id == crew.fac.member_id
