"""The space's maps over HTTP: serving them to the browser, and the organizer's maps page.

    GET  /maps/builtin/{file}                   a shipped map (``plenary.tmj``, ``breakout.tmj``) or its image
    GET  /maps/{map_id}/map.tmj                 an uploaded map as the browser gets it
    GET  /maps/{map_id}/{file}                  its tileset images
    GET  /organizer/maps                        the organizer's maps and the upload form
    POST /organizer/maps                        upload: one .tmj with its .tsj and .png files, or a .zip of them
    POST /organizer/maps/{map_id}/delete        delete one
    POST /organizer/events/{event_id}/maps      choose the event's plenary map and its breakout rooms' map

Served maps are public to whoever knows the URL (a map id is 72 random bits; the room page names
it): an uploaded map never changes, so it is cached for a year as immutable; a shipped map
changes with werkstatt's version, so it is cached for an hour and revalidated by its ETag.
Everything else about maps is the owning organizer's only: another organizer's map or event is 404.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import zipfile
from typing import Any

import orjson
from aiohttp import web

from boards.errors import DomainError
from rooms.space.maps import BUILTIN, builtin, builtin_file
from rooms.space.tiled import FILE_NAME, MAX_IMAGE_BYTES, MAX_MAP_BYTES, InvalidMap, LoadedMap, load_map
from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.keys import STORE
from server.store.idea_store import Event
from server.store.maps import MAX_MAPS, MAX_NAME
from server.web.http import accepts_upload, render, translator
from server.web.organizer import own_event, require_organizer

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # the whole upload (its files, or the zip)
MAX_FILES = 20  # files in an upload or a zip
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100  # uncompressed : compressed, for an entry of a zip over RATIO_FROM bytes
RATIO_FROM = 1024 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
BUILTIN_CACHE = "public, max-age=3600"
MEDIA_TYPES = {".tmj": "application/json", ".png": "image/png"}

UPLOAD_ERRORS = {
    "no_file": N_("maps.error.no_file"),
    "no_map": N_("maps.error.no_map"),
    "several_maps": N_("maps.error.several_maps"),
    "too_many_files": N_("maps.error.too_many_files", count=...),
    "file_name": N_("maps.error.file_name"),
    "same_name": N_("maps.error.same_name"),
    "file_too_large": N_("maps.error.file_too_large", count=...),
    "bad_zip": N_("maps.error.bad_zip"),
    "zip_bomb": N_("maps.error.zip_bomb"),
    "too_many_maps": N_("maps.error.too_many_maps", count=...),
}

CHOICE_KEYS = (  # the event page's selects: _("maps.event." ~ kind), _("maps.event.builtin." ~ kind)
    N_("maps.event.plenary"),
    N_("maps.event.breakout"),
    N_("maps.event.builtin.plenary"),
    N_("maps.event.builtin.breakout"),
)


class UploadError(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# -- serving -----------------------------------------------------------------------------------------


@functools.cache
def _builtin_response_parts(name: str) -> tuple[bytes, str, str]:
    """A shipped file's bytes, media type and ETag (the shipped files never change in a process)."""
    if name.endswith(".tmj") and name[:-4] in BUILTIN:
        body = orjson.dumps(builtin(name[:-4]).client)
    else:
        body = builtin_file(name)  # NotFound for any other name
    media = MEDIA_TYPES[name[name.rfind(".") :]]
    return body, media, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def serve_builtin(request: web.Request) -> web.StreamResponse:
    try:
        body, media, etag = _builtin_response_parts(request.match_info["file"])
    except DomainError:
        raise web.HTTPNotFound() from None
    headers = {"Cache-Control": BUILTIN_CACHE, "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=media, headers=headers)


async def serve_map(request: web.Request) -> web.StreamResponse:
    map_id, name = request.match_info["map_id"], request.match_info["file"]
    store = request.app[STORE]
    try:
        if name == "map.tmj":
            body, media = await store.map_client(map_id), MEDIA_TYPES[".tmj"]
        else:
            body, media = await store.map_file(map_id, name)
    except DomainError:
        raise web.HTTPNotFound() from None
    return web.Response(body=body, content_type=media, headers={"Cache-Control": IMMUTABLE})


# -- reading an upload -------------------------------------------------------------------------------


def _bare(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _add(files: dict[str, bytes], name: str, content: bytes) -> None:
    if not FILE_NAME.fullmatch(name):
        raise UploadError("file_name", name=name[:64])
    if name in files:
        raise UploadError("same_name", name=name)
    if len(content) > max(MAX_MAP_BYTES, MAX_IMAGE_BYTES):
        raise UploadError("file_too_large", name=name, count=MAX_MAP_BYTES // (1024 * 1024))
    if len(files) >= MAX_FILES:
        raise UploadError("too_many_files", count=MAX_FILES)
    files[name] = content


def unzip(data: bytes) -> dict[str, bytes]:
    """The files of a zip, by bare name, reading its directory first: a zip bomb is refused before
    anything is inflated, and no entry is read beyond its declared size (``zipfile`` checks that)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadError("bad_zip") from None
    files: dict[str, bytes] = {}
    with archive:
        entries = [
            e
            for e in archive.infolist()
            if not e.is_dir() and not _bare(e.filename).startswith(".") and "__MACOSX" not in e.filename
        ]
        if len(entries) > MAX_FILES:
            raise UploadError("too_many_files", count=MAX_FILES)
        if sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
            raise UploadError("zip_bomb")
        for entry in entries:
            if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
                raise UploadError("zip_bomb")
            if entry.flag_bits & 0x1:
                raise UploadError("bad_zip")  # encrypted
            if entry.file_size > max(MAX_MAP_BYTES, MAX_IMAGE_BYTES):
                raise UploadError("file_too_large", name=_bare(entry.filename), count=MAX_MAP_BYTES // (1024 * 1024))
            try:
                content = archive.read(entry)
            except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError):
                raise UploadError("bad_zip") from None
            _add(files, _bare(entry.filename), content)
    return files


def upload_files(parts: list[tuple[str, bytes]]) -> tuple[str, dict[str, bytes]]:
    """The map's file name and all files by name, from the uploaded parts (files, or one zip)."""
    files: dict[str, bytes] = {}
    for name, content in parts:
        if name.lower().endswith(".zip"):
            for inner, data in unzip(content).items():
                _add(files, inner, data)
        else:
            _add(files, name, content)
    if not files:
        raise UploadError("no_file")
    maps = [n for n in files if n.lower().endswith(".tmj")]
    if not maps:  # a map saved as .json: the one JSON file that says it is a map
        maps = [n for n in files if n.lower().endswith(".json") and b'"tilesets"' in files[n]]
    if not maps:
        raise UploadError("no_map")
    if len(maps) > 1:
        raise UploadError("several_maps", names=", ".join(sorted(maps)))
    return maps[0], files


def read_upload(parts: list[tuple[str, bytes]]) -> tuple[str, LoadedMap, dict[str, bytes]]:
    """The map's file name, the map as ``load_map`` read it, and the files (UploadError, InvalidMap)."""
    map_name, files = upload_files(parts)
    return map_name, load_map(files[map_name], files), files


def upload_error_text(tr: Translator, exc: UploadError) -> str:
    return tr(UPLOAD_ERRORS[exc.code], **exc.params)


# -- the organizer's pages ---------------------------------------------------------------------------


async def _maps_page(
    request: web.Request, *, error: str | None = None, notice: str | None = None, name: str = "", status: int = 200
) -> web.Response:
    organizer = await require_organizer(request)
    maps = await request.app[STORE].maps_of(organizer.id)
    return render(
        request,
        "maps.html",
        {
            "maps": maps,
            "error": error,
            "notice": notice,
            "name": name,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_name": MAX_NAME,
        },
        status=status,
    )


async def maps_page(request: web.Request) -> web.Response:
    tr = translator(request)
    notice = {"saved": tr("maps.saved"), "deleted": tr("maps.deleted")}.get(request.query.get("done", ""))
    return await _maps_page(request, notice=notice)


@accepts_upload(MAX_UPLOAD_BYTES)
async def upload(request: web.Request) -> web.StreamResponse:
    organizer = await require_organizer(request)
    form = await request.post()
    tr = translator(request)
    name = " ".join(str(form.get("name", "")).split())[:MAX_NAME]
    parts = [
        (_bare(f.filename), f.file.read(MAX_UPLOAD_BYTES + 1))
        for f in form.getall("files", [])
        if isinstance(f, web.FileField) and f.filename
    ]
    try:
        # off the event loop: unzipping and reading a large map with its images takes up to a few tenths of a second
        map_name, loaded, files = await asyncio.to_thread(read_upload, parts)
        await request.app[STORE].save_map(organizer.id, name or map_name.rsplit(".", 1)[0], loaded, files)
    except UploadError as exc:
        return await _maps_page(request, error=upload_error_text(tr, exc), name=name, status=400)
    except InvalidMap as exc:
        return await _maps_page(request, error=tr("maps.error.invalid", detail=exc.message), name=name, status=400)
    except DomainError as exc:  # too_many_maps
        key = UPLOAD_ERRORS.get(exc.code)
        text = tr(key, count=MAX_MAPS) if key else exc.message
        return await _maps_page(request, error=text, name=name, status=409)
    raise web.HTTPSeeOther("/organizer/maps?done=saved")


async def delete(request: web.Request) -> web.StreamResponse:
    organizer = await require_organizer(request)
    try:
        await request.app[STORE].delete_map(organizer.id, request.match_info["map_id"])
    except DomainError:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther("/organizer/maps?done=deleted")


async def maps_context(request: web.Request, event: Event) -> dict[str, Any]:
    """What the event page's "Maps" section shows: the organizer's maps and the event's choice."""
    store = request.app[STORE]
    chosen = await store.event_maps(event.id)
    return {
        "space_maps": [(m.id, m.name) for m in await store.maps_of(event.organizer_id)],
        "space_choice": {"plenary": chosen.plenary or "", "breakout": chosen.breakout or ""},
        "space_error": None,
    }


async def choose_maps(request: web.Request) -> web.StreamResponse:
    from server.web.organizer import event_page_with

    organizer, event = await own_event(request)
    form = await request.post()
    values = {kind: str(form.get(kind, ""))[:40] for kind in ("plenary", "breakout")}
    try:
        await request.app[STORE].set_event_maps(
            organizer.id, event.id, values["plenary"] or None, values["breakout"] or None
        )
    except DomainError:
        tr = translator(request)
        return await event_page_with(request, event, space_error=tr("maps.error.gone"), space_choice=values, status=400)
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}?done=maps#maps")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/maps/builtin/{file}", serve_builtin),
        web.get(r"/maps/{map_id:map_[A-Za-z0-9_-]{1,40}}/{file}", serve_map),
        web.get("/organizer/maps", maps_page),
        web.post("/organizer/maps", upload),
        web.post("/organizer/maps/{map_id}/delete", delete),
        web.post("/organizer/events/{event_id}/maps", choose_maps),
    ]
