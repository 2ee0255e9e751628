"""The organizer console over real HTTP: the idea list's filters, search, sorting and paging; status
for many at once; an idea's page and its forms; criteria; the dashboard — each organizer only
their own, participants sent to the login, every form with its CSRF token, bad values refused with
their message and nothing changed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from boards import commands as c
from boards.actors import Role
from boards.curation import ReviewStatus
from server.i18n.catalogs import Translator
from server.keys import STORE
from server.store.curation import IdeaFilter
from server.web.passwords import hash_password
from tests.console_town import EVENING, Town, seed_town
from tests.integration.test_organizer_http import PASSWORD, login, page
from tests.support import base_url, join, start_server

T = Translator("de")
IDEA_LINK = re.compile(r'href="/organizer/ideas/(ide_[A-Za-z0-9_-]+)"')


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


@pytest.fixture
async def town(server: TestServer) -> Town:
    store = server.app[STORE]
    anna = await store.create_organizer("anna", hash_password(PASSWORD))
    return await seed_town(store, anna.id)


@pytest.fixture
async def http(server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        assert await login(session, base_url(server)) in (303, 401)
        yield session


async def listed(http: aiohttp.ClientSession, url: str) -> tuple[int, list[str], str]:
    status, html, _csrf = await page(http, url)
    return status, IDEA_LINK.findall(html.split('id="results"', 1)[-1]), unescape(html)


async def test_filters_search_and_sorting(server: TestServer, town: Town, http: aiohttp.ClientSession) -> None:
    base = f"{base_url(server)}/organizer/ideas"
    status, ids, html = await listed(http, base)
    assert status == 200 and len(ids) == town.idea_count and T("console.results", count=13) in html
    assert "Zukunftswerkstatt Smart City Aalen" in html and "Ideensammlung Heidenheim digital" in html

    _s, ids, _h = await listed(http, f"{base}?field=Bildung")
    assert sorted(ids) == sorted(town.aalen.ideas[s] for s in ("tablet", "kurs"))
    _s, ids, _h = await listed(http, f"{base}?event={town.heidenheim.event_id}&field=Mobilit%C3%A4t")
    assert ids == [town.heidenheim.ideas["radweg"]]
    _s, ids, _h = await listed(http, f"{base}?tag=Sensorik")
    assert len(ids) == 3
    # German word forms: "Radwegen" finds "Mehr Radwege" and "Radweg an der Brenz"; "Bäume" the trees
    _s, ids, html = await listed(http, f"{base}?q=Radwegen")
    assert sorted(ids) == sorted([town.aalen.ideas["rad"], town.heidenheim.ideas["radweg"]])
    assert 'value="Radwegen"' in html  # the form shows what was searched
    _s, ids, _h = await listed(http, f"{base}?q=B%C3%A4ume")
    assert ids == [town.aalen.ideas["baum"]]
    _s, ids, _h = await listed(http, f"{base}?q=Schule")  # finds "Schulen"
    assert ids == [town.aalen.ideas["tablet"]]
    # sorted by dots everyone may see: the round's winner first
    _s, ids, _h = await listed(http, f"{base}?sort=votes")
    assert ids[0] == town.aalen.ideas["rad"]
    _s, ids, _h = await listed(http, f"{base}?round=1&sort=votes")
    assert ids[0] == town.aalen.ideas["rad"] and len(ids) == 4
    _s, ids, _h = await listed(http, f"{base}?sort=oldest")
    assert ids[0] == town.heidenheim.ideas["radweg"]  # posted in March


async def test_paging_keeps_the_filters(server: TestServer, town: Town, http: aiohttp.ClientSession) -> None:
    store = server.app[STORE]
    for n in range(30):  # more of one field: two pages of 25 (the facilitator posts in the vote phase too)
        text = f"Fahrradständer am Bahnhof, Gleis {n}"
        at = EVENING + timedelta(hours=3, minutes=n)
        await town.aalen.run(
            town.aalen.facilitator, c.PostIdea(f"ide_more{n}", town.aalen.column("Mobilität"), text, at)
        )
    base = f"{base_url(server)}/organizer/ideas"
    status, ids, html = await listed(http, f"{base}?field=Mobilit%C3%A4t&sort=oldest")
    assert status == 200 and len(ids) == 25
    assert T("console.page_of", page=1, pages=2) in html and T("console.results", count=34) in html
    assert "/organizer/ideas?field=Mobilit%C3%A4t&amp;sort=oldest&amp;page=2#results" in html.replace("&", "&amp;")
    _s, ids2, html2 = await listed(http, f"{base}?field=Mobilit%C3%A4t&sort=oldest&page=2")
    assert len(ids2) == 9 and not set(ids) & set(ids2)
    assert T("console.page_of", page=2, pages=2) in html2
    total = (await store.list_ideas(town.organizer_id, IdeaFilter(field_names=("Mobilität",)))).total
    assert len(ids) + len(ids2) == total


async def test_bulk_status_says_how_many_changed_and_is_all_or_nothing(
    server: TestServer, town: Town, http: aiohttp.ClientSession
) -> None:
    store = server.app[STORE]
    base = base_url(server)
    _s, _h, csrf = await page(http, f"{base}/organizer/ideas?field=Bildung")
    chosen = [town.aalen.ideas["tablet"], town.aalen.ideas["kurs"]]
    form = aiohttp.FormData([("csrf", csrf), ("back", "field=Bildung"), ("status", "shortlisted")])
    for idea_id in chosen:
        form.add_field("idea", idea_id)
    async with http.post(f"{base}/organizer/ideas/status", data=form, allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/organizer/ideas?field=Bildung&changed=2#results"
    _s, html, _c = await page(http, f"{base}/organizer/ideas?field=Bildung&changed=2")
    assert T("console.changed", count=2) in unescape(html)
    for idea_id in chosen:
        assert (await store.idea(town.organizer_id, idea_id)).summary.review_status is ReviewStatus.SHORTLISTED

    # another organizer's idea among them: nothing changes
    bernd = await store.create_organizer("bernd", hash_password(PASSWORD))
    foreign = await seed_town(store, bernd.id, key="b")
    form = aiohttp.FormData([("csrf", csrf), ("back", ""), ("status", "rejected")])
    for idea_id in (town.aalen.ideas["rad"], foreign.aalen.ideas["rad"]):
        form.add_field("idea", idea_id)
    async with http.post(f"{base}/organizer/ideas/status", data=form) as response:
        assert response.status == 404
        assert T("console.error.not_found") in unescape(await response.text())
    assert (await store.idea(town.organizer_id, town.aalen.ideas["rad"])).summary.review_status is ReviewStatus.NEW
    assert (await store.idea(bernd.id, foreign.aalen.ideas["rad"])).summary.review_status is ReviewStatus.NEW

    # bad values: an unknown status, nothing chosen
    for data, key in (
        ([("status", "approved"), ("idea", town.aalen.ideas["rad"])], "console.error.invalid_status"),
        ([("status", "done")], "console.error.nothing_chosen"),
    ):
        async with http.post(f"{base}/organizer/ideas/status", data=[("csrf", csrf), ("back", ""), *data]) as response:
            assert response.status == 400 and T(key) in unescape(await response.text())
    assert (await store.idea(town.organizer_id, town.aalen.ideas["rad"])).summary.review_status is ReviewStatus.NEW


async def test_bad_filters_are_400_with_their_message(
    server: TestServer, town: Town, http: aiohttp.ClientSession
) -> None:
    base = f"{base_url(server)}/organizer/ideas"
    for query, key in (
        ("status=approved", "console.error.invalid_status"),
        ("sort=random", "console.error.invalid_sort"),
        ("page=zwei", "console.error.invalid_page"),
        ("round=-1", "console.error.invalid_round"),
        ("event=ev_nichtmeins", "console.error.unknown_event"),
        ("q=" + "Rad" * 100, "console.error.query_too_long"),
    ):
        status, html, _c = await page(http, f"{base}?{query}")
        assert status == 400 and T(key, query_max=200) in unescape(html), query


async def test_an_idea_is_curated_through_its_forms(
    server: TestServer, town: Town, http: aiohttp.ClientSession
) -> None:
    store = server.app[STORE]
    base = base_url(server)
    rad, tablet = town.aalen.ideas["rad"], town.aalen.ideas["tablet"]
    url = f"{base}/organizer/ideas/{rad}"
    status, html, csrf = await page(http, url)
    html = unescape(html)
    assert status == 200 and "Mehr Radwege" in html and "Auch nach Unterkochen!" in html
    assert T("console.room.plenary") in html and "Zukunftswerkstatt Smart City Aalen" in html
    assert T("console.rating.none") in html  # no criteria yet

    async def post(path: str, data: list[tuple[str, str]]) -> tuple[int, str, str]:
        async with http.post(f"{url}{path}", data=[("csrf", csrf), *data], allow_redirects=False) as response:
            return response.status, response.headers.get("Location", ""), unescape(await response.text())

    assert (await post("/status", [("status", "under_review")]))[:2] == (
        303,
        f"/organizer/ideas/{rad}?done=status#status",
    )
    assert (await post("/feedback", [("feedback", "Wird im Radverkehrskonzept 2027 geprüft.")]))[0] == 303
    criteria = await store.set_criteria(town.organizer_id, [("Wirkung", 2), ("Machbarkeit", 1)])
    impact, feasible = (c.id for c in criteria)
    assert (await post("/rating", [(f"c_{impact}", "5"), (f"c_{feasible}", "2")]))[0] == 303
    assert (await post("/duplicate", [("of_text", f"{base}/organizer/ideas/{tablet}")]))[0] == 303

    detail = await store.idea(town.organizer_id, rad)
    assert detail.summary.review_status is ReviewStatus.UNDER_REVIEW
    assert detail.summary.feedback == "Wird im Radverkehrskonzept 2027 geprüft."
    assert detail.ratings == {impact: 5, feasible: 2} and detail.summary.score == pytest.approx(4.0)
    assert detail.summary.duplicate_of == tablet
    _s, html, _c = await page(http, f"{url}?done=duplicate")
    html = unescape(html)
    assert T("console.done.duplicate") in html and "Tablets für alle Schulen" in html
    assert T("console.history.status", before=T("console.status.new"), after=T("console.status.under_review")) in html
    assert (await post("/duplicate/remove", []))[0] == 303
    assert (await store.idea(town.organizer_id, rad)).summary.duplicate_of is None

    # the duplicate search offers the organizer's ideas of every event
    _s, html, _c = await page(http, f"{url}?dup_q=Radwegen#duplicate")
    assert f'name="of" value="{town.heidenheim.ideas["radweg"]}"' in html
    assert f'name="of" value="{rad}"' not in html  # not itself


async def test_bad_curation_values_are_400_and_change_nothing(
    server: TestServer, town: Town, http: aiohttp.ClientSession
) -> None:
    store = server.app[STORE]
    base = base_url(server)
    rad = town.aalen.ideas["rad"]
    url = f"{base}/organizer/ideas/{rad}"
    _s, _h, csrf = await page(http, url)
    [crit] = await store.set_criteria(town.organizer_id, [("Kosten", 1)])
    before = await store.idea(town.organizer_id, rad)
    cases = [
        ("/status", [("status", "approved")], T("console.error.invalid_status")),
        ("/feedback", [("feedback", "x" * 4001)], T("console.error.feedback.text_too_long", feedback_max=4000)),
        ("/feedback", [("feedback", "Glocke\x07")], T("console.error.control_characters")),
        ("/rating", [(f"c_{crit.id}", "6")], T("console.error.invalid_rating", rating_min=1, rating_max=5)),
        ("/rating", [(f"c_{crit.id}", "0")], T("console.error.invalid_rating", rating_min=1, rating_max=5)),
        ("/rating", [(f"c_{crit.id}", "drei")], T("console.error.invalid_rating", rating_min=1, rating_max=5)),
        ("/duplicate", [("of_text", rad)], T("console.error.invalid_duplicate")),
        ("/duplicate", [("of_text", "")], T("console.error.no_original")),
        ("/duplicate", [("of_text", "ide_gibtesnicht")], T("console.error.duplicate.not_found")),
    ]
    for path, data, text in cases:
        async with http.post(f"{url}{path}", data=[("csrf", csrf), *data]) as response:
            body = unescape(await response.text())
            assert response.status == 400, (path, data)
            assert text in body, (path, data)
            assert 'role="alert"' in body
    after = await store.idea(town.organizer_id, rad)
    assert after.summary == before.summary and after.history == [] and after.ratings == {}


async def test_criteria_form_validates(server: TestServer, town: Town, http: aiohttp.ClientSession) -> None:
    store = server.app[STORE]
    url = f"{base_url(server)}/organizer/criteria"
    _s, _h, csrf = await page(http, url)

    async def save(rows: list[tuple[str, str]]) -> tuple[int, str]:
        data = [("csrf", csrf)] + [pair for name, weight in rows for pair in (("name", name), ("weight", weight))]
        async with http.post(url, data=data, allow_redirects=False) as response:
            return response.status, unescape(await response.text())

    assert (await save([("Wirkung", "3"), ("Machbarkeit", "1"), ("", "")]))[0] == 303
    assert [(c.name, c.weight) for c in await store.criteria(town.organizer_id)] == [("Wirkung", 3), ("Machbarkeit", 1)]
    for rows, text in (
        ([("Wirkung", "0")], T("console.error.invalid_weight", weight_max=10)),
        ([("Wirkung", "elf")], T("console.error.invalid_weight", weight_max=10)),
        ([("Wirkung", "1"), ("wirkung", "2")], T("console.error.duplicate_criterion")),
        ([("", "2")], T("console.error.criteria.text_too_short")),
        ([("K" * 81, "1")], T("console.error.criteria.text_too_long", name_max=80)),
        ([(f"Kriterium {n}", "1") for n in range(13)], T("console.error.too_many_criteria", criteria_max=12)),
    ):
        status, html = await save(rows)
        assert status == 400 and text in html, rows
        assert f'value="{rows[0][0]}"' in html  # the form keeps what was typed
    assert [(c.name, c.weight) for c in await store.criteria(town.organizer_id)] == [("Wirkung", 3), ("Machbarkeit", 1)]


async def test_dashboard_draws_its_charts_with_the_numbers(
    server: TestServer, town: Town, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    status, html, _c = await page(http, f"{base}/organizer/events/{town.aalen.event_id}/dashboard")
    html = unescape(html)
    assert status == 200
    assert html.count('role="img"') == 3  # participants, fields, one vote round
    assert '<title id="chart-joined-title">' in html and '<desc id="chart-fields-desc">' in html
    assert T("console.dashboard.joined_desc.hour", count=7, first="16:00", last="17:00") in html
    # the numbers as tables: ideas per field, the round's top ideas
    assert re.search(r"<th scope=\"row\">Mobilität</th><td>3</td>", html)
    assert re.search(r"<th scope=\"row\">Mehr Radwege</th><td>3</td>", html)
    _s, html, _c = await page(http, f"{base}/organizer/events/{town.heidenheim.event_id}/dashboard")
    assert T("console.dashboard.joined_desc.day", count=3, first="01.03.", last="31.03.") in unescape(html)
    assert T("console.dashboard.no_votes") in unescape(html)
    _s, html, _c = await page(http, f"{base}/organizer/events/{town.aalen.event_id}")
    assert f'href="/organizer/events/{town.aalen.event_id}/dashboard"' in html


async def test_only_the_own_organizer_reaches_the_console(server: TestServer, town: Town) -> None:
    store = server.app[STORE]
    base = base_url(server)
    await store.create_organizer("bernd", hash_password(PASSWORD))
    rad = town.aalen.ideas["rad"]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as bernd:
        await login(bernd, base, "bernd")
        _s, ids, _h = await listed(bernd, f"{base}/organizer/ideas")
        assert ids == []
        for path in (f"/organizer/ideas/{rad}", f"/organizer/events/{town.aalen.event_id}/dashboard"):
            async with bernd.get(f"{base}{path}") as response:
                assert response.status == 404, path
        _s, _h, csrf = await page(bernd, f"{base}/organizer/ideas")
        for path, data in (
            (f"/organizer/ideas/{rad}/status", {"status": "rejected"}),
            (f"/organizer/ideas/{rad}/feedback", {"feedback": "Gekapert"}),
            (f"/organizer/ideas/{rad}/duplicate/remove", {}),
        ):
            async with bernd.post(f"{base}{path}", data={**data, "csrf": csrf}) as response:
                assert response.status == 404, path
    detail = await store.idea(town.organizer_id, rad)
    assert detail.summary.review_status is ReviewStatus.NEW and detail.summary.feedback == ""

    # a participant (a member token, no organizer session) is sent to the login
    links = await store.links(town.aalen.event_id)
    status, _body = await join(base, links[Role.PARTICIPANT], "Karla")
    assert status == 201
    async with aiohttp.ClientSession() as participant:
        for path in (
            "/organizer/ideas",
            f"/organizer/ideas/{rad}",
            "/organizer/criteria",
            f"/organizer/events/{town.aalen.event_id}/dashboard",
        ):
            async with participant.get(f"{base}{path}", allow_redirects=False) as response:
                assert response.status == 303 and response.headers["Location"] == "/login", path


async def test_every_console_form_needs_the_csrf_token(
    server: TestServer, town: Town, http: aiohttp.ClientSession
) -> None:
    store = server.app[STORE]
    base = base_url(server)
    rad = town.aalen.ideas["rad"]
    forms = [
        ("/organizer/ideas/status", {"idea": rad, "status": "done"}),
        (f"/organizer/ideas/{rad}/status", {"status": "done"}),
        (f"/organizer/ideas/{rad}/feedback", {"feedback": "Gefälscht"}),
        (f"/organizer/ideas/{rad}/duplicate", {"of_text": town.aalen.ideas["bus"]}),
        ("/organizer/criteria", {"name": "Kosten", "weight": "1"}),
    ]
    for path, data in forms:
        for csrf in (None, "forged-token-forged-token-forged"):
            body = dict(data) if csrf is None else {**data, "csrf": csrf}
            async with http.post(f"{base}{path}", data=body, allow_redirects=False) as response:
                assert response.status == 403, (path, csrf)
    detail = await store.idea(town.organizer_id, rad)
    assert detail.summary.review_status is ReviewStatus.NEW and detail.summary.duplicate_of is None
    assert detail.summary.feedback == "" and await store.criteria(town.organizer_id) == []
