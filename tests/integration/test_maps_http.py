"""Maps over real HTTP: the shipped and uploaded maps served with their media types and cache
headers; the organizer's maps page (upload files or a zip, hostile uploads refused with a message,
delete); the event's choice of maps; only the owner reaches any of it."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from rooms.space.maps import builtin, builtin_file
from server.keys import STORE
from tests.domain.test_tiled import PNG, good_map, tileset
from tests.integration.test_organizer_http import create_event, login, page
from tests.integration.test_organizer_http import http as http  # the fixtures: a client with cookies,
from tests.integration.test_organizer_http import server as server  # a server with organizers anna and bernd
from tests.support import base_url

MAP_ID = re.compile(r'href="/maps/(map_[A-Za-z0-9_-]+)/map.tmj"')


def form(csrf: str | None, files: list[tuple[str, bytes]], name: str = "") -> aiohttp.FormData:
    data = aiohttp.FormData()
    if csrf is not None:
        data.add_field("csrf", csrf)
    data.add_field("name", name)
    for filename, content in files:
        data.add_field("files", io.BytesIO(content), filename=filename, content_type="application/octet-stream")
    return data


async def upload(
    http: aiohttp.ClientSession, base: str, files: list[tuple[str, bytes]], name: str = ""
) -> tuple[int, str]:
    _status, _html, csrf = await page(http, f"{base}/organizer/maps")
    async with http.post(f"{base}/organizer/maps", data=form(csrf, files, name), allow_redirects=False) as response:
        return response.status, response.headers.get("Location", "") or await response.text()


def tmj(doc: dict[str, Any] | None = None) -> bytes:
    return json.dumps(good_map() if doc is None else doc).encode()


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return out.getvalue()


async def my_map_ids(http: aiohttp.ClientSession, base: str) -> list[str]:
    _status, html, _csrf = await page(http, f"{base}/organizer/maps")
    return MAP_ID.findall(html)


async def test_the_shipped_maps_are_served(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    async with http.get(f"{base}/maps/builtin/plenary.tmj") as response:
        body = await response.read()
        assert response.status == 200 and response.content_type == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        etag = response.headers["ETag"]
    assert json.loads(body) == builtin("plenary").client
    async with http.get(f"{base}/maps/builtin/plenary.tmj", headers={"If-None-Match": etag}) as response:
        assert response.status == 304
    async with http.get(f"{base}/maps/builtin/werkstatt-tiles.png") as response:
        assert response.content_type == "image/png" and await response.read() == builtin_file("werkstatt-tiles.png")
    async with http.get(f"{base}/maps/builtin/breakout.tmj") as response:
        assert json.loads(await response.read())["width"] == 20
    for path in ("nothing.tmj", "__init__.py", "plenary", "..%2F..%2Fpyproject.toml", "map.tmj"):
        async with http.get(f"{base}/maps/builtin/{path}") as response:
            assert response.status == 404, path


async def test_upload_serve_choose_and_delete(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base) == 303
    status, html, _csrf = await page(http, f"{base}/organizer/maps")
    assert status == 200 and "Sie haben noch keine eigenen Karten." in html
    # a map with an external tileset, its files chosen together
    doc = good_map()
    ts = tileset()
    del ts["firstgid"]
    doc["tilesets"] = [{"firstgid": 1, "source": "tiles.tsj"}]
    status, location = await upload(
        http, base, [("saal.tmj", tmj(doc)), ("tiles.tsj", json.dumps(ts).encode()), ("tiles.png", PNG)]
    )
    assert (status, location) == (303, "/organizer/maps?done=saved")
    _status, html, _csrf = await page(http, f"{base}{location}")
    assert "Die Karte ist hochgeladen." in html and "saal" in html and "10 × 8" in html
    [map_id] = MAP_ID.findall(html)

    async with http.get(f"{base}/maps/{map_id}/map.tmj") as response:
        client = json.loads(await response.read())
        assert response.content_type == "application/json"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client["tilesets"][0]["image"] == "tiles.png" and "source" not in client["tilesets"][0]
    async with http.get(f"{base}/maps/{map_id}/tiles.png") as response:
        assert response.content_type == "image/png" and await response.read() == PNG
    for path in (f"{map_id}/tiles.tsj", f"{map_id}/other.png", "map_nothing/map.tmj", f"{map_id}/../plenary.tmj"):
        async with http.get(f"{base}/maps/{path}") as response:
            assert response.status == 404, path

    # the event chooses it for its breakout rooms
    status, location = await create_event(http, base)
    event_id = location.rsplit("/", 1)[-1]
    _status, html, csrf = await page(http, f"{base}/organizer/events/{event_id}")
    assert 'id="map-plenary"' in html and f'<option value="{map_id}">saal</option>' in html
    async with http.post(
        f"{base}/organizer/events/{event_id}/maps",
        data={"csrf": csrf, "plenary": "", "breakout": map_id},
        allow_redirects=False,
    ) as response:
        assert response.status == 303 and response.headers["Location"].endswith("?done=maps#maps")
    store = server.app[STORE]
    plenary = await store.plenary(event_id)
    assert (await store.event_maps(event_id)).breakout == map_id
    assert (await store.room_map(plenary)).id == "builtin:plenary"
    _status, html, csrf = await page(http, f"{base}/organizer/events/{event_id}?done=maps")
    assert f'<option value="{map_id}" selected>saal</option>' in html and "Die Karten der Veranstaltung" in html
    _status, html, _csrf = await page(http, f"{base}/organizer/maps")
    assert "Smart-City-Werkstatt Aalen" in html  # used by

    # delete it: the event goes back to the built-in map
    _status, html, csrf = await page(http, f"{base}/organizer/maps")
    async with http.post(
        f"{base}/organizer/maps/{map_id}/delete", data={"csrf": csrf}, allow_redirects=False
    ) as response:
        assert response.status == 303
    assert (await store.event_maps(event_id)).breakout is None
    assert await my_map_ids(http, base) == []
    async with http.get(f"{base}/maps/{map_id}/map.tmj") as response:
        assert response.status == 404


async def test_a_zip_of_the_files_is_read_like_the_files(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base) == 303
    archive = zipped([("karte/saal.tmj", tmj()), ("karte/tiles.png", PNG), ("__MACOSX/._saal.tmj", b"x")])
    status, location = await upload(http, base, [("karte.zip", archive)], name="Großer Saal")
    assert status == 303, location
    _status, html, _csrf = await page(http, f"{base}/organizer/maps")
    assert "Großer Saal" in html and len(MAP_ID.findall(html)) == 1


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("saal.tmj", b"{" + b" " * (15 * 1024 * 1024) + b"}")
    return out.getvalue()


def hostile_uploads() -> list[tuple[str, list[tuple[str, bytes]], str]]:
    zstd = good_map()
    zstd["layers"][0].update(encoding="base64", compression="zstd", data="")
    script = copy.deepcopy(good_map())
    script["layers"][0]["name"] = "<script>alert(1)</script>"
    script["layers"][0]["data"] = script["layers"][0]["data"][:-1]
    return [
        ("nothing", [], "Bitte wählen Sie die Dateien der Karte aus"),
        ("no map", [("tiles.png", PNG)], "es fehlt die .tmj-Datei"),
        ("two maps", [("a.tmj", tmj()), ("b.tmj", tmj()), ("tiles.png", PNG)], "eine Karte auf einmal"),
        ("image missing", [("saal.tmj", tmj())], "&#39;tiles.png&#39; was not uploaded"),
        ("zstd", [("saal.tmj", tmj(zstd)), ("tiles.png", PNG)], "Zstandard compression is not supported"),
        ("not json", [("saal.tmj", b"<map/>"), ("tiles.png", PNG)], "TMX"),
        ("gif as png", [("saal.tmj", tmj()), ("tiles.png", b"GIF89a" + b"\0" * 50)], "is not a PNG"),
        ("bad name", [("saal.tmj", tmj()), ("tiles.png", PNG), ("a b.png", PNG)], "ist nicht erlaubt"),
        (
            "same name",
            [("saal.tmj", tmj()), ("tiles.png", PNG), ("x.zip", zipped([("tiles.png", PNG)]))],
            "Zwei Dateien",
        ),
        ("bad zip", [("karte.zip", b"PK\x03\x04broken")], "lässt sich nicht lesen"),
        ("zip bomb", [("karte.zip", bomb())], "würde zu viel mehr entpacken"),
        ("too many files", [(f"f{i}.png", PNG) for i in range(21)], "Höchstens 20 Dateien"),
        ("escaped", [("saal.tmj", tmj(script)), ("tiles.png", PNG)], "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ]


async def test_hostile_uploads_are_refused_with_a_message(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base) == 303
    for label, files, message in hostile_uploads():
        status, html = await upload(http, base, files, name="Versuch")
        assert status == 400, label
        assert message in html, (label, re.findall(r'role="alert"[^>]*>([^<]*)', html))
        assert "<script>alert(1)" not in html
        assert 'value="Versuch"' in html  # the form keeps what was typed
    assert await my_map_ids(http, base) == []


async def test_an_upload_larger_than_the_limit_is_refused(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base) == 303
    status, html = await upload(http, base, [("saal.tmj", b" " * (11 * 1024 * 1024))])
    assert status == 413 and "10 MB" in html


async def test_only_the_owner_reaches_a_map_or_an_events_maps(server: TestServer, http: aiohttp.ClientSession) -> None:
    base = base_url(server)
    assert await login(http, base) == 303
    assert (await upload(http, base, [("saal.tmj", tmj()), ("tiles.png", PNG)]))[0] == 303
    [anna_map] = await my_map_ids(http, base)
    _status, location = await create_event(http, base)
    anna_event = location.rsplit("/", 1)[-1]
    # no CSRF token: refused
    async with http.post(f"{base}/organizer/maps", data=form(None, [("saal.tmj", tmj())]), allow_redirects=False) as r:
        assert r.status == 403
    http.cookie_jar.clear()
    async with http.get(f"{base}/organizer/maps", allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/login"

    assert await login(http, base, "bernd") == 303
    assert await my_map_ids(http, base) == []  # anna's map is not on bernd's page
    _status, location = await create_event(http, base, title="Bernds Werkstatt")
    bernd_event = location.rsplit("/", 1)[-1]
    _status, _html, csrf = await page(http, f"{base}/organizer/maps")
    async with http.post(f"{base}/organizer/maps/{anna_map}/delete", data={"csrf": csrf}) as response:
        assert response.status == 404
    async with http.post(
        f"{base}/organizer/events/{anna_event}/maps", data={"csrf": csrf, "plenary": "", "breakout": ""}
    ) as response:
        assert response.status == 404
    async with http.post(
        f"{base}/organizer/events/{bernd_event}/maps", data={"csrf": csrf, "plenary": anna_map, "breakout": ""}
    ) as response:
        assert response.status == 400 and "Diese Karte gibt es nicht mehr" in await response.text()
    store = server.app[STORE]
    assert (await store.event_maps(bernd_event)).plenary is None
    assert [m.id for m in await store.maps_of((await store.event(anna_event)).organizer_id)] == [anna_map]
