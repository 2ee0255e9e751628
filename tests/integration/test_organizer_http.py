"""The organizer's pages over real HTTP: login, sessions, CSRF, events, links, languages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer
from markupsafe import escape

from boards.actors import Role
from server.i18n.catalogs import Translator
from server.keys import STORE
from server.web.passwords import hash_password
from tests.support import base_url, connect, join, start_server

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
T_DE = Translator("de")


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url, login_attempts=3, login_attempts_per_address=3)
    await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
    await srv.app[STORE].create_organizer("bernd", hash_password(PASSWORD))
    yield srv
    await srv.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def page(http: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    """GET a page; return status, HTML and the CSRF token of its first form."""
    async with http.get(url) as response:
        html = await response.text()
    match = CSRF.search(html)
    return response.status, html, match.group(1) if match else ""


async def login(http: aiohttp.ClientSession, base: str, username: str = "anna", password: str = PASSWORD) -> int:
    _status, _html, csrf = await page(http, f"{base}/login")
    async with http.post(
        f"{base}/login", data={"username": username, "password": password, "csrf": csrf}, allow_redirects=False
    ) as response:
        return response.status


EVENT_FORM = {
    "title": "Smart-City-Werkstatt Aalen",
    "description": "Ideen für die Stadt",
    "date": "2026-05-06",
    "language": "de",
    "fields": "Mobilität\nBildung\nDigitale Verwaltung",
}


async def create_event(http: aiohttp.ClientSession, base: str, **changes: str) -> tuple[int, str]:
    _status, _html, csrf = await page(http, f"{base}/organizer")
    async with http.post(
        f"{base}/organizer/events", data={**EVENT_FORM, **changes, "csrf": csrf}, allow_redirects=False
    ) as response:
        return response.status, response.headers.get("Location", "") or await response.text()


async def test_login_sets_a_safe_session_cookie_and_logout_ends_it(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    _status, _html, csrf = await page(http, f"{base}/login")
    async with http.post(
        f"{base}/login", data={"username": "anna", "password": PASSWORD, "csrf": csrf}, allow_redirects=False
    ) as response:
        assert response.status == 303 and response.headers["Location"] == "/organizer"
        cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith("werkstatt_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    status, html, csrf = await page(http, f"{base}/organizer")
    assert status == 200 and "Ihre Veranstaltungen" in html
    async with http.post(f"{base}/logout", data={"csrf": csrf}, allow_redirects=False) as response:
        assert response.status == 303
    async with http.get(f"{base}/organizer", allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/login"


async def test_wrong_passwords_are_refused_and_rate_limited(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base, password="wrong password") == 401
    assert await login(http, base, username="nobody") == 401
    assert await login(http, base, password="wrong again!") == 401
    # three failures from this address: even the right password waits now
    assert await login(http, base) == 429
    async with http.get(f"{base}/organizer", allow_redirects=False) as response:
        assert response.status == 303


async def test_every_form_needs_the_csrf_token(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base) == 303
    status, location = await create_event(http, base)
    assert status == 303
    event_id = location.rsplit("/", 1)[1]
    links_before = await server.app[STORE].links(event_id)
    forms = [
        ("/login", {"username": "anna", "password": PASSWORD}),
        ("/organizer/events", EVENT_FORM),
        (f"/organizer/events/{event_id}", {**EVENT_FORM, "title": "Gekapert"}),
        (f"/organizer/events/{event_id}/links/participant/rotate", {"confirm": "yes"}),
        ("/logout", {}),
    ]
    for path, data in forms:
        for csrf in (None, "", "forged-token-forged-token-forged"):
            body = dict(data) if csrf is None else {**data, "csrf": csrf}
            async with http.post(f"{base}{path}", data=body, allow_redirects=False) as response:
                assert response.status == 403, (path, csrf)
                assert "Formular ist abgelaufen" in await response.text()
    assert len(await server.app[STORE].events_of((await server.app[STORE].organizer_by_username("anna")).id)) == 1
    assert (await server.app[STORE].event(event_id)).title == EVENT_FORM["title"]
    assert await server.app[STORE].links(event_id) == links_before
    async with http.get(f"{base}/organizer", allow_redirects=False) as response:
        assert response.status == 200  # still logged in: logout without a token did nothing


async def test_create_edit_and_rotate(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    await login(http, base)
    status, location = await create_event(http, base)
    assert status == 303
    status, html, csrf = await page(http, f"{base}{location}")
    assert status == 200
    assert "Smart-City-Werkstatt Aalen" in html
    links = re.findall(r'value="(http://[^"]+/j/[^"]+)"', html)
    assert len(links) == 3 and len(set(links)) == 3
    participant_link = links[1]
    event_id = location.rsplit("/", 1)[1]
    stored = await server.app[STORE].links(event_id)
    assert participant_link.endswith(stored[Role.PARTICIPANT])

    edit = {**EVENT_FORM, "title": "Werkstatt Heidenheim", "fields": "Bildung\nMobilität\nEnergie", "csrf": csrf}
    async with http.post(f"{base}{location}", data=edit, allow_redirects=False) as response:
        assert response.status == 303
    event = await server.app[STORE].event(event_id)
    assert event.title == "Werkstatt Heidenheim"
    assert [f.name for f in event.fields] == ["Bildung", "Mobilität", "Energie"]

    bad = {**EVENT_FORM, "title": "<script>alert(1)</script>\x07", "csrf": csrf}
    async with http.post(f"{base}{location}", data=bad, allow_redirects=False) as response:
        assert response.status == 400
        text = await response.text()
        assert "control characters" in text and "<script>alert(1)</script>" not in text  # shown escaped
    assert (await server.app[STORE].event(event_id)).title == "Werkstatt Heidenheim"

    status, body = await join(base, stored[Role.PARTICIPANT], "Vorher")
    assert status == 201
    async with http.post(
        f"{base}/organizer/events/{event_id}/links/participant/rotate",
        data={"csrf": csrf, "confirm": "yes"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303
    status, body = await join(base, stored[Role.PARTICIPANT], "Nachher")
    assert status == 404 and body["error"]["code"] == "invalid_link"
    async with http.get(participant_link) as response:
        assert response.status == 404
    new = (await server.app[STORE].links(event_id))[Role.PARTICIPANT]
    assert new != stored[Role.PARTICIPANT]
    assert (await join(base, new, "Nachher"))[0] == 201
    assert (await server.app[STORE].links(event_id))[Role.FACILITATOR] == stored[Role.FACILITATOR]


async def test_bad_event_forms_show_the_problem_and_create_nothing(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    await login(http, base)
    for changes in ({"title": ""}, {"fields": ""}, {"date": "morgen"}, {"language": "xx"}, {"fields": "A\na"}):
        status, text = await create_event(http, base, **changes)
        assert status == 400, changes
        assert 'role="alert"' in text
    organizer = await server.app[STORE].organizer_by_username("anna")
    assert await server.app[STORE].events_of(organizer.id) == []


async def test_an_organizer_cannot_see_or_change_another_organizers_event(server: TestServer) -> None:
    base = base_url(server)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as anna:
        await login(anna, base)
        _status, location = await create_event(anna, base)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as bernd:
        await login(bernd, base, username="bernd")
        status, html, csrf = await page(bernd, f"{base}{location}")
        assert status == 404 and "/j/" not in html
        async with bernd.post(
            f"{base}{location}/links/participant/rotate", data={"csrf": csrf, "confirm": "yes"}, allow_redirects=False
        ) as response:
            assert response.status == 404
        async with bernd.get(f"{base}{location}/links/participant/rotate") as response:
            assert response.status == 404 and EVENT_FORM["title"] not in await response.text()
        _status, html, _csrf = await page(bernd, f"{base}/organizer")
        assert EVENT_FORM["title"] not in html


async def test_pages_carry_security_headers_and_speak_german_then_english(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    for path in ("/login", "/healthz", "/static/css/app.css", "/nope"):
        async with http.get(f"{base}{path}") as response:
            csp = response.headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert "camera=()" in response.headers["Permissions-Policy"], path
    _status, html, _csrf = await page(http, f"{base}/login")
    assert '<html lang="de">' in html and "Anmeldung" in html
    async with http.get(f"{base}/lang/en?next=/login") as response:
        html = await response.text()
    assert '<html lang="en">' in html and "Organizer login" in html
    async with http.get(f"{base}/lang/en?next=//evil.example/", allow_redirects=False) as response:
        assert response.headers["Location"] == "/"
    async with http.get(f"{base}/healthz") as response:
        body: dict[str, Any] = await response.json()
    assert body["status"] == "ok" and body["version"]


async def test_an_organizer_takes_part_in_their_event_with_their_session(server: TestServer) -> None:
    base = base_url(server)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as anna_http:
        await login(anna_http, base)
        _status, location = await create_event(anna_http, base)
        event_id = location.rsplit("/", 1)[1]
        session = next(c.value for c in anna_http.cookie_jar if c.key == "werkstatt_session")
        async with anna_http.get(f"{base}/e/{event_id}") as response:
            # the room page alone may ask for the camera and microphone (the space's audio and video)
            assert response.headers["Permissions-Policy"] == "camera=(self), microphone=(self), geolocation=()"
            assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
    links = await server.app[STORE].links(event_id)
    status, body = await join(base, links[Role.PARTICIPANT], "anna")  # a participant took the user name
    assert status == 201
    participant = await connect(base, body["token"], body["member_id"])
    board_id = (await participant.call("room.enter"))["boards"][0]["id"]
    field_id = (await server.app[STORE].event(event_id)).fields[0].id
    idea = (await participant.call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": "Hallo"}))[
        "idea"
    ]

    organizer = await connect(
        base, None, headers={"Cookie": f"werkstatt_session={session}"}, auth={"event_id": event_id}
    )
    me = (await organizer.call("room.enter"))["me"]
    assert me["role"] == "organizer" and me["pseudonym"] == "anna (Orga 1)"
    change = await participant.wait_for("presence.changed", lambda d: "organizer" in [m["role"] for m in d["joined"]])
    assert [m["id"] for m in change["joined"] if m["role"] == "organizer"] == [me["id"]]
    ack = await organizer.call("board.idea.delete", {"board_id": board_id, "idea_id": idea["id"]})
    assert ack["ok"] is True
    await organizer.disconnect()
    again = await connect(base, None, headers={"Cookie": f"werkstatt_session={session}"}, auth={"event_id": event_id})
    assert (await again.call("room.enter"))["me"]["id"] == me["id"]  # the same membership, not a new one
    await again.disconnect()
    await participant.disconnect()

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as bernd_http:
        await login(bernd_http, base, username="bernd")
        other = next(c.value for c in bernd_http.cookie_jar if c.key == "werkstatt_session")
    for headers, auth in (
        ({"Cookie": f"werkstatt_session={other}"}, {"event_id": event_id}),  # not bernd's event
        ({}, {"event_id": event_id}),  # no session
        ({"Cookie": "werkstatt_session=forged"}, {"event_id": event_id}),
        ({"Cookie": f"werkstatt_session={session}"}, {"event_id": "ev_missing"}),
    ):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(base, None, headers=headers, auth=auth)


async def test_new_fields_reach_a_live_board_at_once(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    await login(http, base)
    _status, location = await create_event(http, base)
    event_id = location.rsplit("/", 1)[1]
    links = await server.app[STORE].links(event_id)
    _status, body = await join(base, links[Role.PARTICIPANT], "Anna")
    anna = await connect(base, body["token"], body["member_id"])
    board_id = (await anna.call("room.enter"))["boards"][0]["id"]
    assert len((await anna.call("board.sync", {"board_id": board_id}))["snapshot"]["columns"]) == 3  # cached now
    _status, _html, csrf = await page(http, f"{base}{location}")
    edit = {**EVENT_FORM, "fields": "Mobilität\nEnergie", "csrf": csrf}
    async with http.post(f"{base}{location}", data=edit, allow_redirects=False) as response:
        assert response.status == 303
    columns = (await anna.call("board.sync", {"board_id": board_id}))["snapshot"]["columns"]
    assert [c["name"] for c in columns] == ["Mobilität", "Energie"]
    ack = await anna.call("board.idea.create", {"board_id": board_id, "field_id": columns[1]["id"], "text": "Solar"})
    assert ack["ok"], ack
    await anna.disconnect()


async def test_a_link_is_replaced_only_after_a_confirmation(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    await login(http, base)
    _status, location = await create_event(http, base)
    event_id = location.rsplit("/", 1)[1]
    before = await server.app[STORE].links(event_id)
    rotate = f"{base}{location}/links/participant/rotate"

    # the event page leads to the confirmation; neither opening it nor a first POST replaces anything
    _status, html, csrf = await page(http, f"{base}{location}")
    assert f'href="{location}/links/participant/rotate"' in html
    status, html, confirm_csrf = await page(http, rotate)
    warning = str(escape(T_DE("rotate.warning", role=T_DE("role.participant"))))
    assert status == 200 and warning in html and 'name="confirm" value="yes"' in html
    assert f'href="{location}#links"' in html  # the way back without replacing
    async with http.post(rotate, data={"csrf": csrf}, allow_redirects=False) as response:
        assert response.status == 200 and warning in await response.text()
    assert await server.app[STORE].links(event_id) == before
    assert (await join(base, before[Role.PARTICIPANT], "Noch gültig"))[0] == 201

    # the confirmed POST needs the CSRF token like every form
    for token in (None, "", "forged-token-forged-token-forged"):
        body = {"confirm": "yes"} if token is None else {"confirm": "yes", "csrf": token}
        async with http.post(rotate, data=body, allow_redirects=False) as response:
            assert response.status == 403
    assert await server.app[STORE].links(event_id) == before

    # only roles with a link can be replaced
    for role in ("organizer", "nobody"):
        async with http.get(f"{base}{location}/links/{role}/rotate") as response:
            assert response.status == 404
        async with http.post(
            f"{base}{location}/links/{role}/rotate", data={"csrf": csrf, "confirm": "yes"}, allow_redirects=False
        ) as response:
            assert response.status == 404

    async with http.post(rotate, data={"csrf": confirm_csrf, "confirm": "yes"}, allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"].endswith("?done=rotated#links")
    after = await server.app[STORE].links(event_id)
    assert after[Role.PARTICIPANT] != before[Role.PARTICIPANT]
    assert after[Role.FACILITATOR] == before[Role.FACILITATOR] and after[Role.OBSERVER] == before[Role.OBSERVER]
    status, body = await join(base, before[Role.PARTICIPANT], "Zu spät")
    assert status == 404 and body["error"]["code"] == "invalid_link"


def privacy_section(html: str) -> str:
    """The join page up to its pseudonym field: what a person reads before typing a name."""
    before, field, _rest = html.partition('id="pseudonym"')
    assert field, "the join page has no pseudonym field"
    return before


async def test_the_join_page_shows_the_default_privacy_notice_and_links_the_privacy_page(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    await login(http, base)
    _status, location = await create_event(http, base)
    links = await server.app[STORE].links(location.rsplit("/", 1)[1])
    participant_jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=participant_jar) as guest:  # no organizer session
        async with guest.get(f"{base}/j/{links[Role.PARTICIPANT]}") as response:
            html = await response.text()
        top = privacy_section(html)
        assert str(escape(T_DE("privacy.default"))) in top  # line breaks kept as they are
        assert 'href="/datenschutz"' in top
        for path in ("/datenschutz", "/privacy"):
            async with guest.get(f"{base}{path}") as response:
                assert response.status == 200
                text = await response.text()
            assert '<html lang="de">' in text
            for paragraph in (*T_DE("privacy.default").split("\n\n"), T_DE("privacy.rights")):  # a <p> each
                assert f">{escape(paragraph)}</p>" in text
        async with guest.get(f"{base}/lang/en?next=/datenschutz") as response:
            text = await response.text()
        assert f">{escape(Translator('en')('privacy.default').split(chr(10))[0])}</p>" in text
        async with guest.get(f"{base}/j/{links[Role.PARTICIPANT]}") as response:
            assert str(escape(Translator("en")("privacy.default"))) in privacy_section(await response.text())


async def test_an_organizers_privacy_notice_replaces_the_default_and_survives_a_restart(database_url: str) -> None:
    server = await start_server(database_url)
    await server.app[STORE].create_organizer("anna", hash_password(PASSWORD))
    base = base_url(server)
    notice = "Verantwortlich: Stadt Aalen, <b>Amt für Digitales</b>\nLöschung: 6 Monate nach der Werkstatt"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await login(http, base)
            _status, location = await create_event(http, base, privacy_notice=notice)
            event_id = location.rsplit("/", 1)[1]
            _status, html, csrf = await page(http, f"{base}{location}")
            assert f">{escape(notice)}</textarea>" in html  # the form shows it for editing
            bad = {**EVENT_FORM, "privacy_notice": "x" * 10_001, "csrf": csrf}
            async with http.post(f"{base}{location}", data=bad, allow_redirects=False) as response:
                assert response.status == 400 and 'role="alert"' in await response.text()
        assert (await server.app[STORE].event(event_id)).privacy_notice == notice
        link = (await server.app[STORE].links(event_id))[Role.PARTICIPANT]
    finally:
        await server.close()

    server = await start_server(database_url)  # a restart on the same database
    try:
        async with aiohttp.ClientSession() as guest, guest.get(f"{base_url(server)}/j/{link}") as response:
            top = privacy_section(await response.text())
        assert "Verantwortlich: Stadt Aalen, &lt;b&gt;Amt für Digitales&lt;/b&gt;\nLöschung: 6 Monate" in top
        assert "<b>" not in top  # shown as text, never as HTML
        assert str(escape(T_DE("privacy.default"))) not in top
        assert 'href="/datenschutz"' in top
    finally:
        await server.close()


async def test_the_join_pages_privacy_link_points_to_the_operators_policy_when_set(sqlite_url: str) -> None:
    server = await start_server(sqlite_url, privacy_url="https://stadt.example/datenschutz")
    try:
        await server.app[STORE].create_organizer("anna", hash_password(PASSWORD))
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await login(http, base_url(server))
            _status, location = await create_event(http, base_url(server))
        link = (await server.app[STORE].links(location.rsplit("/", 1)[1]))[Role.PARTICIPANT]
        async with aiohttp.ClientSession() as guest, guest.get(f"{base_url(server)}/j/{link}") as response:
            top = privacy_section(await response.text())
        assert 'href="https://stadt.example/datenschutz"' in top and 'href="/datenschutz"' not in top
        assert str(escape(T_DE("privacy.default"))) in top
    finally:
        await server.close()
