"""The import pages over real HTTP: upload, dry run, import; CSRF on the multipart form, only the
event's own organizer, the upload size limit, and texts from the file shown as text."""

from __future__ import annotations

import io
import re
import threading

import aiohttp
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from server.keys import STORE
from server.store import tables as t
from server.store.import_files import MAX_FILE_BYTES
from server.web.imports import IMPORT_JOBS
from tests.integration.test_organizer_http import create_event, login, page
from tests.integration.test_organizer_http import http as http  # the fixtures: a client with cookies,
from tests.integration.test_organizer_http import server as server  # a server with organizers anna and bernd
from tests.store.test_imports import FIELDS, FIXTURE, GERMAN_HEADER, csv_file
from tests.support import base_url

DIGEST = re.compile(r'name="digest" value="([0-9a-f]+)"')


def upload_form(csrf: str | None, data: bytes, name: str = "ideen.csv", separator: str = "auto") -> aiohttp.FormData:
    form = aiohttp.FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    form.add_field("separator", separator)
    form.add_field("file", io.BytesIO(data), filename=name, content_type="text/csv")
    return form


async def new_event(http: aiohttp.ClientSession, base: str, user: str = "anna") -> str:
    assert await login(http, base, user) == 303
    status, location = await create_event(http, base, fields="\n".join(FIELDS))
    assert status == 303
    return location.rsplit("/", 1)[-1]


async def uploaded(http: aiohttp.ClientSession, base: str, event_id: str, data: bytes) -> str:
    """Upload ``data``; the URL of its dry run."""
    _status, _html, csrf = await page(http, f"{base}/organizer/events/{event_id}/import")
    async with http.post(
        f"{base}/organizer/events/{event_id}/import", data=upload_form(csrf, data), allow_redirects=False
    ) as response:
        assert response.status == 303, await response.text()
        return f"{base}{response.headers['Location']}"


def uploads(server: TestServer) -> int:
    with server.app[STORE].engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t.idea_imports)).scalar_one()


async def test_upload_dry_run_and_import(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    event_id = await new_event(http, base)
    _status, html, _csrf = await page(http, f"{base}/organizer/events/{event_id}")
    assert f'href="/organizer/events/{event_id}/import"' in html  # the event page links to the import

    status, html, _csrf = await page(http, f"{base}/organizer/events/{event_id}/import")
    assert status == 200 and 'enctype="multipart/form-data"' in html and "Rückmeldung" in html
    report_url = await uploaded(http, base, event_id, FIXTURE.read_bytes())
    status, html, csrf = await page(http, report_url)
    assert status == 200
    assert "32 Ideen werden in 8 Handlungsfeldern angelegt;" in html and "Keine Zeile hat Fehler." in html
    assert "Trennzeichen: Semikolon." in html and "Radwegenetz Aalen–Heidenheim" in html
    assert await server.app[STORE].idea_rows(event_id) == []  # a dry run writes nothing
    async with http.get(report_url, cookies={"werkstatt_lang": "en"}) as response:
        english = await response.text()
    assert "32 ideas will be created in 8 fields of action;" in english and "No row has errors." in english

    digest = DIGEST.search(html)
    assert digest is not None
    async with http.post(report_url, data={"csrf": csrf, "digest": digest.group(1)}) as response:
        html = await response.text()
    assert response.status == 200 and str(response.url) == report_url
    assert "32 Ideen wurden auf der Tafel „Import 20" in html
    assert len(await server.app[STORE].idea_rows(event_id)) == 32
    async with http.get(f"{report_url}/progress") as response:
        assert await response.json() == {"state": "done"}


async def test_row_errors_are_shown_and_texts_stay_text(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    event_id = await new_event(http, base)
    rows = [
        ["Mobilität", "<img src=x onerror=alert(1)>", "<script>alert('x')</script> Busse", "", "", "", ""],
        ["Tourismus", "", "Ein Feld, das die Veranstaltung nicht hat", "", "", "", ""],
        ["Bildung", "", "x" * 2001, "", "", "", ""],
    ]
    report_url = await uploaded(http, base, event_id, csv_file(GERMAN_HEADER, rows))
    _status, html, csrf = await page(http, report_url)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Busse" in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "1 Idee wird in 1 Handlungsfeld angelegt; 2 Zeilen haben Fehler." in " ".join(html.split())
    assert "Die Veranstaltung hat kein Handlungsfeld „Tourismus“." in html
    assert "Idee: höchstens 2000 Zeichen." in html
    digest = DIGEST.search(html)
    assert digest is not None
    async with http.post(report_url, data={"csrf": csrf, "digest": digest.group(1)}) as response:
        assert response.status == 409  # rows with errors: only when the organizer chooses the valid ones
        assert "Nur die fehlerfreien Zeilen importieren" in await response.text()
    assert await server.app[STORE].idea_rows(event_id) == []
    async with http.post(report_url, data={"csrf": csrf, "digest": digest.group(1), "valid_only": "yes"}) as response:
        assert response.status == 200 and "1 Idee wurde" in await response.text()
    [idea] = await server.app[STORE].idea_rows(event_id)
    assert idea["text"] == "<script>alert('x')</script> Busse"


async def test_a_file_that_cannot_be_read_is_named_on_the_form(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    event_id = await new_event(http, base)
    _status, _html, csrf = await page(http, f"{base}/organizer/events/{event_id}/import")
    wrong = csv_file(["Nr", "Beschreibung"], [["1", "Mehr Bänke"]])
    async with http.post(f"{base}/organizer/events/{event_id}/import", data=upload_form(csrf, wrong)) as response:
        html = await response.text()
    assert response.status == 400
    assert "Der Datei fehlen Spalten: Handlungsfeld. Ihre erste Zeile enthält: Nr, Beschreibung." in html
    assert uploads(server) == 0


async def test_every_form_is_csrf_protected(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    event_id = await new_event(http, base)
    url = f"{base}/organizer/events/{event_id}/import"
    for csrf in (None, "forged-token-of-another-site-0123456789"):
        async with http.post(url, data=upload_form(csrf, FIXTURE.read_bytes())) as response:
            assert response.status == 403
    assert uploads(server) == 0
    report_url = await uploaded(http, base, event_id, FIXTURE.read_bytes())
    _status, html, _csrf = await page(http, report_url)
    digest = DIGEST.search(html)
    assert digest is not None
    async with http.post(report_url, data={"digest": digest.group(1)}) as response:
        assert response.status == 403
    assert await server.app[STORE].idea_rows(event_id) == []


async def test_only_the_events_own_organizer(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    anna_event = await new_event(http, base, "anna")
    report_url = await uploaded(http, base, anna_event, FIXTURE.read_bytes())
    import_id = report_url.rsplit("/", 1)[-1]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as bernd:
        async with bernd.get(f"{base}/organizer/events/{anna_event}/import", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/login"  # not logged in
        bernd_event = await new_event(bernd, base, "bernd")
        _status, _html, csrf = await page(bernd, f"{base}/organizer/events/{bernd_event}/import")
        for url in (
            f"{base}/organizer/events/{anna_event}/import",
            report_url,
            f"{report_url}/progress",
            f"{base}/organizer/events/{bernd_event}/import/{import_id}",  # anna's upload under bernd's event
            f"{base}/organizer/events/{bernd_event}/import/{import_id}/progress",
        ):
            async with bernd.get(url) as response:
                assert response.status == 404, url
        async with bernd.post(
            f"{base}/organizer/events/{anna_event}/import", data=upload_form(csrf, FIXTURE.read_bytes())
        ) as response:
            assert response.status == 404
        for url in (report_url, f"{base}/organizer/events/{bernd_event}/import/{import_id}"):
            async with bernd.post(url, data={"csrf": csrf, "digest": "0" * 32, "valid_only": "yes"}) as response:
                assert response.status == 404, url
    assert await server.app[STORE].idea_rows(anna_event) == []
    assert uploads(server) == 1


async def test_an_upload_over_the_size_limit_is_refused(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    event_id = await new_event(http, base)
    _status, _html, csrf = await page(http, f"{base}/organizer/events/{event_id}/import")
    too_large = b"Handlungsfeld;Idee\r\n" + b"Mobilit\xc3\xa4t;" + b"x" * (MAX_FILE_BYTES + 100_000) + b"\r\n"
    async with http.post(f"{base}/organizer/events/{event_id}/import", data=upload_form(csrf, too_large)) as response:
        assert response.status == 413
        assert "Die Datei ist zu groß: höchstens 10 MB." in await response.text()
    assert uploads(server) == 0
    # any other form keeps the app's own limit
    async with http.post(
        f"{base}/organizer/events/{event_id}", data={"csrf": csrf, "title": "x", "description": "x" * 300_000}
    ) as response:
        assert response.status == 413


async def test_a_long_import_shows_its_progress_and_a_link_to_look_again(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    base = base_url(server)
    event_id = await new_event(http, base)
    report_url = await uploaded(http, base, event_id, FIXTURE.read_bytes())
    import_id = report_url.rsplit("/", 1)[-1]
    _status, html, csrf = await page(http, report_url)
    digest = DIGEST.search(html)
    assert digest is not None
    gate = threading.Event()  # the store's writer is busy with something else: the import has to wait its turn
    server.app[STORE].executor.submit(gate.wait)
    try:
        async with http.post(report_url, data={"csrf": csrf, "digest": digest.group(1)}) as response:
            html = await response.text()
        assert response.status == 200 and str(response.url) == report_url
        assert "<h1>Import läuft</h1>" in html and "<progress" in html and 'role="status"' in html
        assert f'<a href="/organizer/events/{event_id}/import/{import_id}">Stand aktualisieren</a>' in html
        assert "/static/js/import-progress.js" in html  # with JavaScript the page follows by itself
        async with http.get(f"{report_url}/progress") as response:
            assert await response.json() == {
                "state": "running",
                "done": 0,
                "total": 0,
                "text": "Die Datei wird noch einmal geprüft …",
            }
        async with http.post(report_url, data={"csrf": csrf, "digest": digest.group(1)}) as response:
            assert "<h1>Import läuft</h1>" in await response.text()  # a second click starts nothing new
    finally:
        gate.set()
    job = server.app[IMPORT_JOBS].running(import_id)
    if job is not None:
        await job.task
    _status, html, _csrf = await page(http, report_url)
    assert "32 Ideen wurden" in html
    assert len(await server.app[STORE].idea_rows(event_id)) == 32
