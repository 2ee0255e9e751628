"""A participant's data on the organizer's console over real HTTP: the participants list, the JSON export, the
deletion with its confirmation (and a connected participant shut out), only for the event's own organizer and
only with the form's CSRF token; the privacy page and the accessibility statement, edited and shown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer
from markupsafe import escape

from boards.actors import Role
from rooms.site_texts import Page
from server.i18n.catalogs import Translator
from server.keys import LIVE, STORE
from server.web.passwords import hash_password
from tests.integration.team import gone
from tests.integration.test_organizer_http import PASSWORD, create_event, login, page
from tests.support import base_url, connect, join, start_server

T_DE, T_EN = Translator("de"), Translator("en")


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    """Two organizers, anna and bernd (as in test_organizer_http)."""
    srv = await start_server(sqlite_url)
    await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
    await srv.app[STORE].create_organizer("bernd", hash_password(PASSWORD))
    yield srv
    await srv.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def event_with_rita(server: TestServer, http: aiohttp.ClientSession) -> tuple[str, str, dict[str, Any]]:
    """Organizer anna's event (logged in on ``http``) with the participant Rita, who wrote a chat message."""
    base = base_url(server)
    assert await login(http, base) == 303
    _status, location = await create_event(http, base)
    event_id = location.rsplit("/", 1)[1]
    links = await server.app[STORE].links(event_id)
    status, rita = await join(base, links[Role.PARTICIPANT], "Rita")
    assert status == 201
    return base, event_id, rita


async def test_the_participants_page_lists_everyone_with_export_and_delete(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base, event_id, rita = await event_with_rita(server, http)
    _status, html, _csrf = await page(http, f"{base}/organizer/events/{event_id}")
    assert f'href="/organizer/events/{event_id}/participants"' in html  # linked from the event page
    status, html, _csrf = await page(http, f"{base}/organizer/events/{event_id}/participants")
    assert status == 200 and "Rita" in html
    assert f"/participants/{rita['member_id']}/export" in html and f"/participants/{rita['member_id']}/erase" in html

    async with http.get(f"{base}/organizer/events/{event_id}/participants/{rita['member_id']}/export") as response:
        assert response.status == 200 and response.content_type == "application/json"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="werkstatt-')
        assert response.headers["Cache-Control"] == "no-store"
        data = json.loads(await response.text())
    assert data["member"]["pseudonym"] == "Rita" and data["format"] == "werkstatt.personal-data/1"
    [entry] = await server.app[STORE].audit_log(event_id)
    assert (entry.action, entry.target, entry.role) == ("member.export", rita["member_id"], Role.ORGANIZER)


async def test_only_the_events_organizer_reaches_a_participants_data(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base, event_id, rita = await event_with_rita(server, http)
    person = f"{base}/organizer/events/{event_id}/participants/{rita['member_id']}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as bernd:
        assert await login(bernd, base, "bernd") == 303
        _status, _html, csrf = await page(bernd, f"{base}/organizer")
        for url in (f"{base}/organizer/events/{event_id}/participants", f"{person}/export", f"{person}/erase"):
            async with bernd.get(url, allow_redirects=False) as response:
                assert response.status == 404, url
        form = {"csrf": csrf, "confirm": "yes", "content": "remove"}
        async with bernd.post(f"{person}/erase", data=form, allow_redirects=False) as response:
            assert response.status == 404
    async with aiohttp.ClientSession() as guest:  # not logged in: to the login page
        async with guest.get(f"{person}/export", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/login"
    # an unknown member, or the organizer's own membership: nothing to delete
    _status, _html, csrf = await page(http, f"{base}/organizer/events/{event_id}/participants")
    async with http.get(f"{base}/organizer/events/{event_id}/participants/mb_nobody/export") as response:
        assert response.status == 404
    members = await server.app[STORE].members_of(event_id)
    assert [m.pseudonym for m in members.values()] == ["Rita"]  # untouched; no export was written for bernd
    assert [e.action for e in await server.app[STORE].audit_log(event_id)] == []


async def test_deleting_asks_first_needs_the_csrf_token_and_shuts_the_participant_out(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base, event_id, rita = await event_with_rita(server, http)
    client = await connect(base, rita["token"], rita["member_id"])
    closed = asyncio.Event()
    client.sio.on("disconnect", closed.set)
    url = f"{base}/organizer/events/{event_id}/participants/{rita['member_id']}/erase"
    status, html, csrf = await page(http, url)
    assert status == 200 and T_DE("erase.confirm") in html and 'value="keep" checked' in html

    async with http.post(url, data={"confirm": "yes", "content": "remove"}, allow_redirects=False) as response:
        assert response.status == 403  # no CSRF token
    async with http.post(url, data={"csrf": csrf, "content": "remove"}, allow_redirects=False) as response:
        assert response.status == 200  # the first click only shows the confirmation
        assert 'value="remove" checked' in await response.text()
    async with http.post(url, data={"csrf": csrf, "confirm": "yes", "content": "all"}) as response:
        assert response.status == 400 and str(escape(T_DE("erase.choose"))) in await response.text()
    assert (await server.app[STORE].members_of(event_id))[rita["member_id"]].pseudonym == "Rita"
    assert client.sio.connected

    form = {"csrf": csrf, "confirm": "yes", "content": "remove"}
    async with http.post(url, data=form, allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"] == f"/organizer/events/{event_id}/participants?done=erased"
    assert await client.wait_for("member.removed") == {"reason": "removed"}
    await asyncio.wait_for(closed.wait(), 10)
    assert (await server.app[STORE].members_of(event_id))[rita["member_id"]].pseudonym == "Gelöscht 1"
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(base, rita["token"], rita["member_id"])  # her link's token no longer lets her in
    _status, html, _csrf = await page(http, f"{base}/organizer/events/{event_id}/participants?done=erased")
    assert T_DE("participants.erased") in html and "Gelöscht 1" in html and ">Rita<" not in html
    entry = (await server.app[STORE].audit_log(event_id))[0]
    assert (entry.action, entry.target, entry.details["content"]) == ("member.erase", rita["member_id"], "remove")
    _status, html, _csrf = await page(http, f"{base}/organizer/events/{event_id}/audit")
    assert T_DE("audit.action.member.erase") in html
    await gone(client)


async def test_the_accessibility_statement_and_the_privacy_page_default_then_edited(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    async with aiohttp.ClientSession() as guest:
        async with guest.get(f"{base}/barrierefreiheit") as response:
            html = await response.text()
        assert response.status == 200 and f"<h1>{T_DE('accessibility.title')}</h1>" in html
        for heading in (
            "Stand der Vereinbarkeit mit den Anforderungen",
            "Nicht barrierefreie Inhalte",
            "Schlichtungsverfahren",
        ):
            assert f"<h2>{heading}</h2>" in html
        assert 'href="/barrierefreiheit"' in html and 'href="/datenschutz"' in html  # the footer links both
        async with guest.get(f"{base}/organizer/site/accessibility", allow_redirects=False) as response:
            assert response.status == 303  # organizers only

    assert await login(http, base) == 303
    status, html, csrf = await page(http, f"{base}/organizer/site/accessibility")
    assert status == 200 and 'id="text_de"' in html and 'id="text_en"' in html
    assert "Schlichtungsstelle" in html  # the default, to edit
    own = "Die Stadt Aalen bemüht sich.\n\n# Kontakt\n\nbarrierefrei@aalen.example <script>alert(1)</script>"
    default_en = T_EN("accessibility.default")
    form = {"csrf": csrf, "text_de": own, "text_en": default_en}
    async with http.post(f"{base}/organizer/site/accessibility", data=form, allow_redirects=False) as response:
        assert response.status == 303
    store = server.app[STORE]
    assert await store.site_text(Page.ACCESSIBILITY, "de") == own
    assert await store.site_text(Page.ACCESSIBILITY, "en") is None  # the default saved unchanged stays the default
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as guest:
        async with guest.get(f"{base}/barrierefreiheit") as response:
            html = await response.text()
        assert (
            "<h2>Kontakt</h2>" in html
            and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
            and "<script>alert" not in html
        )
        assert "Schlichtungsstelle" not in html
        async with guest.get(f"{base}/lang/en?next=/accessibility") as response:
            assert "Schlichtungsstelle BGG" in await response.text()  # English: still the default

    bad = {"csrf": csrf, "text_de": "x" * 50_001, "text_en": ""}
    async with http.post(f"{base}/organizer/site/accessibility", data=bad) as response:
        assert response.status == 400 and 'role="alert"' in await response.text()
    assert await store.site_text(Page.ACCESSIBILITY, "de") == own  # nothing saved
    async with http.post(f"{base}/organizer/site/privacy", data={"text_de": "Ohne Token"}) as response:
        assert response.status == 403
    form = {"csrf": csrf, "text_de": "Verantwortlich: Stadt Aalen", "text_en": ""}
    async with http.post(f"{base}/organizer/site/privacy", data=form) as response:
        assert response.status == 200 and T_DE("site.saved") in await response.text()
    async with aiohttp.ClientSession() as guest, guest.get(f"{base}/datenschutz") as response:
        html = await response.text()
    assert "Verantwortlich: Stadt Aalen" in html and T_DE("privacy.rights.heading") not in html
    async with http.get(f"{base}/organizer/site/impressum") as response:
        assert response.status == 404


async def test_a_refused_deletion_leaves_the_participant_in(server: TestServer, http: aiohttp.ClientSession) -> None:
    """Removing her ideas while dots of an open vote lie on them is refused (open_vote) — before she is shut out."""
    from boards import commands as c
    from boards.actors import Actor
    from boards.model import Phase
    from boards.rules import apply, apply_vote, decide, decide_vote
    from boards.voting import Scope, ScopeKind
    from server.live.views import record

    T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)

    base, event_id, rita = await event_with_rita(server, http)
    store = server.app[STORE]
    board = await store.load_board((await store.board_ids((await store.plenary(event_id)).id))[0])
    anna = await store.organizer_member(event_id, await store.organizer_by_username("anna"))
    members = await store.members_of(event_id)
    organizer = Actor(anna.id, Role.ORGANIZER)
    rita_actor = Actor(rita["member_id"], Role.PARTICIPANT)
    for actor, command in [
        (rita_actor, c.PostIdea("idea_r", board.columns[0].id, "Mehr Bänke", T0)),
        (organizer, c.SetPhase(Phase.VOTE, T0)),
        (organizer, c.OpenVote("vs_r", T0, budget=3, cap=3, blind=True, scope=Scope(ScopeKind.BOARD, ()))),
    ]:
        events = decide(board, actor, command)  # type: ignore[arg-type]
        await store.commit_board_events(board, events, [record(board, e, members) for e in events])
        for event in events:
            apply(board, event)
    dot = decide_vote(board, rita_actor, c.CastDot("vs_r", "idea_r", T0))
    apply_vote(board, dot)
    await store.commit_dots([dot], budget=3, cap=3)
    server.app[LIVE].forget_event(event_id)  # the board was changed behind the live core's back

    client = await connect(base, rita["token"], rita["member_id"])
    url = f"{base}/organizer/events/{event_id}/participants/{rita['member_id']}/erase"
    _status, _html, csrf = await page(http, url)
    async with http.post(url, data={"csrf": csrf, "confirm": "yes", "content": "remove"}) as response:
        assert response.status == 409 and str(escape(T_DE("erase.open_vote"))) in await response.text()
    assert (await store.members_of(event_id))[rita["member_id"]].pseudonym == "Rita"
    assert client.sio.connected and not await store.is_removed(rita["member_id"])
    assert [e.action for e in await store.audit_log(event_id)] == []
    await gone(client)
