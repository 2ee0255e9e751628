"""Exports over real HTTP: the organizer's downloads (only their own events), the open-data form, and
the public open-data addresses that answer only while the event is published."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator

import aiohttp
import openpyxl
import pytest
from aiohttp.test_utils import TestServer

from server.keys import STORE
from server.web.passwords import hash_password
from tests.integration.test_organizer_http import PASSWORD, login, page
from tests.store.test_curation import Workshop
from tests.support import base_url, start_server


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
    await srv.app[STORE].create_organizer("bernd", hash_password(PASSWORD))
    yield srv
    await srv.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def workshop(server: TestServer) -> Workshop:
    w = await Workshop.make(server.app[STORE], organizer="anna", title="Zukunftswerkstatt Aalen")
    await w.post("i_a", '=HYPERLINK("http://evil.example")', tags=("Radverkehr",))
    await w.post("i_b", "<script>alert(1)</script>", field="Umwelt", at=1)
    return w


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, bytes, aiohttp.typedefs.LooseHeaders]:
    async with http.get(url, allow_redirects=False) as response:
        return response.status, await response.read(), response.headers


async def test_downloads_need_the_owning_organizer(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    w = await workshop(server)
    url = f"{base}/organizer/events/{w.event_id}/export"
    status, _body, headers = await get(http, f"{url}/ideas.csv")
    assert status == 303 and headers["Location"] == "/login"  # type: ignore[index]
    assert await login(http, base, "bernd") == 303
    for name in ("ideas.csv", "ideas.xlsx", "report.html", "open/ideas.json"):
        assert (await get(http, f"{url}/{name}"))[0] == 404, name  # another organizer's event does not exist
    http.cookie_jar.clear()
    assert await login(http, base, "anna") == 303

    status, body, headers = await get(http, f"{url}/ideas.csv?sep=,")
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"  # type: ignore[index]
    disposition = headers["Content-Disposition"]  # type: ignore[index]
    assert disposition.startswith('attachment; filename="zukunftswerkstatt-aalen-') and "ideas.csv" in disposition
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=","))
    assert [(r["id"], r["text"], r["author"]) for r in rows] == [
        ("i_a", '\'=HYPERLINK("http://evil.example")', "Anna"),
        ("i_b", "<script>alert(1)</script>", "Anna"),
    ]
    assert (await get(http, f"{url}/ideas.csv?sep=|"))[0] == 400
    assert (await get(http, f"{url}/ideas.exe"))[0] == 404

    status, body, _headers = await get(http, f"{url}/ideas.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert status == 200 and book.sheetnames == ["Zusammenfassung", "Mobilität", "Umwelt"]

    status, body, headers = await get(http, f"{url}/report.html")
    assert status == 200 and headers["Content-Disposition"].startswith("inline;")  # type: ignore[index]
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    assert "style-src 'sha256-" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in body and b"<svg" in body

    status, body, _headers = await get(http, f"{url}/open/ideas.json")
    document = json.loads(body)
    assert status == 200 and document["kind"] == "open" and "Anna" not in body.decode()
    assert document["events"][0]["licence"] is None  # none chosen yet


async def test_open_data_is_public_only_once_published(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    w = await workshop(server)
    public = f"{base}/open-data/{w.event_id}"
    names = ("catalog.jsonld", "ideas.csv", "ideas.json", "ideas.zip")
    for name in names:
        assert (await get(http, f"{public}/{name}"))[0] == 404, name
    await login(http, base, "anna")
    form_url = f"{base}/organizer/events/{w.event_id}"
    _status, html, csrf = await page(http, form_url)
    assert 'id="exports"' in html and f"/organizer/events/{w.event_id}/export/ideas.xlsx" in html
    # publishing without a licence is refused and changes nothing
    data = {"csrf": csrf, "licence": "", "publisher": "Stadt Aalen", "publish": "yes"}
    async with http.post(f"{form_url}/open-data", data=data, allow_redirects=False) as response:
        assert response.status == 400
        assert "Choose a licence" in await response.text()
    assert (await get(http, f"{public}/ideas.csv"))[0] == 404

    data = {"csrf": csrf, "licence": "dl-by-de/2.0", "publisher": "Stadt Aalen", "contributor_id": "", "publish": "yes"}
    async with http.post(f"{form_url}/open-data", data=data, allow_redirects=False) as response:
        assert response.status == 303
    http.cookie_jar.clear()  # the public needs no login

    status, body, headers = await get(http, f"{public}/catalog.jsonld")
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")  # type: ignore[index]
    document = json.loads(body)
    [dataset] = document["dcat:dataset"]
    assert document["@type"] == "dcat:Catalog" and dataset["@type"] == "dcat:Dataset"
    licences = {d["dct:license"]["@id"] for d in dataset["dcat:distribution"]}
    assert licences == {"http://dcat-ap.de/def/licenses/dl-by-de/2.0"}
    downloads = {d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]}
    assert downloads == {f"{public}/{name}" for name in ("ideas.csv", "ideas.json", "ideas.zip")}
    assert dataset["dct:publisher"]["foaf:name"] == "Stadt Aalen"
    for url in downloads:  # each distribution is there
        assert (await get(http, url))[0] == 200
    status, body, headers = await get(http, f"{public}/ideas.csv")
    assert status == 200 and b"Anna" not in body and headers["Access-Control-Allow-Origin"] == "*"  # type: ignore[index]
    archive = zipfile.ZipFile(io.BytesIO((await get(http, f"{public}/ideas.zip"))[1]))
    assert "Datenlizenz Deutschland" in archive.read("README.md").decode()
    site = json.loads((await get(http, f"{base}/open-data/catalog.jsonld"))[1])
    assert [d["@id"] for d in site["dcat:dataset"]] == [dataset["@id"]]
    schema = json.loads((await get(http, f"{base}/open-data/schema.json"))[1])
    assert schema["title"] == "ExportOut"

    # another organizer cannot switch it off; its organizer can
    await login(http, base, "bernd")
    _status, _html, csrf = await page(http, f"{base}/organizer")
    async with http.post(f"{form_url}/open-data", data={"csrf": csrf}, allow_redirects=False) as response:
        assert response.status == 404
    assert (await get(http, f"{public}/ideas.csv"))[0] == 200
    http.cookie_jar.clear()
    await login(http, base, "anna")
    _status, _html, csrf = await page(http, form_url)
    data = {"csrf": csrf, "licence": "dl-by-de/2.0", "publisher": "Stadt Aalen"}
    async with http.post(f"{form_url}/open-data", data=data, allow_redirects=False) as response:
        assert response.status == 303
    for name in names:
        assert (await get(http, f"{public}/{name}"))[0] == 404, name
    assert json.loads((await get(http, f"{base}/open-data/catalog.jsonld"))[1])["dcat:dataset"] == []
