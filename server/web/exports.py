"""Downloads of the idea store's exports, and the open data.

The organizer's own events, at stable addresses (another organizer's event is 404)::

    /organizer/events/{event}/export/ideas.csv?sep=,      (also .xlsx .json .md, and report.html)
    /organizer/events/{event}/export/open/ideas.csv       (the open-data kind, before publishing too)

Public, without a login, only while the event is published (404 otherwise)::

    /open-data/catalog.jsonld                 DCAT-AP.de catalog of every published event
    /open-data/{event}/catalog.jsonld         the event's DCAT-AP.de metadata
    /open-data/{event}/ideas.csv | .json | .zip
    /open-data/schema.json                    the JSON Schema of ideas.json

Progress: an export is written whole on a worker thread (10,000 ideas as CSV in well under a
second) and sent with its length, so the browser's download shows how far it is. With JavaScript
``static/js/exports.js`` also shows it on the page (preparing, then the share received) and
announces it; without, the links are plain downloads. No export job lives on a node, so any node
answers any request.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from boards.errors import DomainError, NotFound
from boards.open_data import Licence, clean_open_data
from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.keys import STORE
from server.store.exports.formats import Format, Rendered, filename, render
from server.store.exports.open_data import base_path, catalog, catalog_json, write_zip
from server.store.exports.records import Export, ExportKind
from server.store.exports.to_html import CSP as REPORT_CSP
from server.store.exports.to_json import schema_json
from server.store.idea_store import Event
from server.web.http import catalogs, site_url, translator
from server.web.organizer import event_page_with, own_event

DOWNLOADS = {
    "ideas.csv": Format.CSV,
    "ideas.xlsx": Format.XLSX,
    "ideas.json": Format.JSON,
    "ideas.md": Format.MD,
    "report.html": Format.HTML,
}
PUBLIC_FILES = ("ideas.csv", "ideas.json")
LINK_KEYS = (  # the links' texts on the event page: _("exports.file." ~ name)
    N_("exports.file.ideas.csv"),
    N_("exports.file.ideas.xlsx"),
    N_("exports.file.ideas.json"),
    N_("exports.file.ideas.md"),
    N_("exports.file.report.html"),
)


def _disposition(name: str, *, inline: bool = False) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _response(rendered: Rendered, *, inline: bool = False) -> web.Response:
    response = web.Response(body=rendered.body)
    response.headers["Content-Type"] = rendered.media_type
    response.headers["Content-Disposition"] = _disposition(rendered.filename, inline=inline)
    response.headers["Cache-Control"] = "no-store"
    return response


def _separator(request: web.Request) -> str:
    sep = request.query.get("sep", ";")
    if sep not in (";", ","):
        raise web.HTTPBadRequest()
    return sep


def _event_translator(request: web.Request, language: str) -> Translator:
    known = catalogs(request).languages
    return Translator(language if language in known else known[0], catalogs(request))


async def _write(export: Export, fmt: Format, tr: Translator, *, separator: str = ";") -> Rendered:
    return await asyncio.to_thread(render, export, fmt, tr, tr.language, separator=separator)


async def download(request: web.Request) -> web.Response:
    organizer, event = await own_event(request)
    fmt = DOWNLOADS.get(request.match_info["name"])
    if fmt is None:
        raise web.HTTPNotFound()
    kind = ExportKind.OPEN if request.match_info.get("kind") == "open" else ExportKind.INTERNAL
    export = await request.app[STORE].export(organizer.id, [event.id], kind)
    rendered = await _write(export, fmt, translator(request), separator=_separator(request))
    if fmt is Format.HTML:  # the report is a page to read and print: its own stylesheet, no script
        response = _response(rendered, inline=True)
        response.headers["Content-Security-Policy"] = REPORT_CSP
        return response
    return _response(rendered)


async def save_open_data(request: web.Request) -> web.StreamResponse:
    organizer, event = await own_event(request)
    form = await request.post()
    try:
        settings = clean_open_data(
            licence_key=str(form.get("licence", "")),
            publisher=str(form.get("publisher", "")),
            contributor_id=str(form.get("contributor_id", "")),
            publish=form.get("publish") == "yes",
        )
    except DomainError as exc:
        values = {k: str(form.get(k, "")) for k in ("licence", "publisher", "contributor_id", "publish")}
        return await event_page_with(request, event, open_data_error=exc.message, open_data_form=values, status=400)
    await request.app[STORE].set_open_data(organizer.id, event.id, settings)
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}?done=open_data#exports")


async def exports_context(request: web.Request, event: Event) -> dict[str, Any]:
    """What the event page's "Exports" section shows: the downloads and the open-data form."""
    settings = await request.app[STORE].open_data(event.id)
    return {
        "downloads": list(DOWNLOADS),
        "licences": list(Licence),
        "open_data": settings,
        "open_data_form": {
            "licence": settings.licence.value if settings.licence else "",
            "publisher": settings.publisher,
            "contributor_id": settings.contributor_id,
            "publish": "yes" if settings.published else "",
        },
        "open_data_error": None,
        "public_base": base_path(site_url(request), event.id),
        "public_catalog": f"{site_url(request)}/open-data/catalog.jsonld",
    }


# -- public ------------------------------------------------------------------------------------------


def _public(response: web.Response) -> web.Response:
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, no credentials: harvesters may be scripts
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def _open_export(request: web.Request) -> Export:
    try:
        return await request.app[STORE].open_export(request.match_info["event_id"])
    except NotFound:
        raise web.HTTPNotFound() from None


async def public_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    export = await _open_export(request)
    tr = _event_translator(request, export.events[0].language)
    if name == "ideas.zip":
        body = await asyncio.to_thread(write_zip, export, site_url(request), tr)
        return _public(_response(Rendered(body, "application/zip", filename(export, "ideas.zip"))))
    if name not in PUBLIC_FILES:
        raise web.HTTPNotFound()
    rendered = await _write(export, DOWNLOADS[name], tr, separator=_separator(request))
    return _public(_response(rendered))


async def public_catalog(request: web.Request) -> web.Response:
    export = await _open_export(request)
    tr = _event_translator(request, export.events[0].language)
    about = f"{base_path(site_url(request), export.events[0].id)}/catalog.jsonld"
    document = catalog([export], site_url(request), tr, about=about)
    return _public(web.Response(body=catalog_json(document), content_type="application/ld+json", charset="utf-8"))


async def site_catalog(request: web.Request) -> web.Response:
    exports = await request.app[STORE].published_exports()
    tr = _event_translator(request, exports[0].events[0].language if exports else "de")
    document = catalog(exports, site_url(request), tr, about=f"{site_url(request)}/open-data/catalog.jsonld")
    return _public(web.Response(body=catalog_json(document), content_type="application/ld+json", charset="utf-8"))


async def public_schema(_request: web.Request) -> web.Response:
    return _public(web.Response(text=schema_json(), content_type="application/schema+json", charset="utf-8"))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/organizer/events/{event_id}/export/{name}", download),
        web.get("/organizer/events/{event_id}/export/{kind:open}/{name}", download),
        web.post("/organizer/events/{event_id}/open-data", save_open_data),
        web.get("/open-data/catalog.jsonld", site_catalog),
        web.get("/open-data/schema.json", public_schema),
        web.get("/open-data/{event_id}/catalog.jsonld", public_catalog),
        web.get("/open-data/{event_id}/{name}", public_file),
    ]
