"""The open-data package of a published event: its DCAT-AP.de metadata (JSON-LD: a ``dcat:Catalog`` of
``dcat:Dataset``s, each with a ``dcat:Distribution`` per file, ``dct:license`` as DCAT-AP.de's
licence URI) that a municipal open-data portal harvests, and a ZIP of the CSV, the JSON, its JSON
Schema, the metadata and a README naming the licence.

Addresses are stable (``server.web.exports`` serves them): ``/open-data/catalog.jsonld`` (every
published event), ``/open-data/{event}/catalog.jsonld``, ``/open-data/{event}/ideas.csv``,
``ideas.json``, ``ideas.zip`` and ``/open-data/schema.json``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from server.store.exports.records import COLUMNS, EXTRA_COLUMNS, OPEN_OMITTED, EventRecord, Export, iso
from server.store.exports.to_csv import write_csv
from server.store.exports.to_json import schema_json, write_json

Translate = Callable[..., str]

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
THEME = "http://publications.europa.eu/resource/authority/data-theme/GOVE"  # government and public sector
LANGUAGES = {"de": "DEU", "en": "ENG"}
FILE_TYPES = {"csv": "CSV", "json": "JSON", "zip": "ZIP"}
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "zip": "application/zip"}
FILES = ("ideas.csv", "ideas.json", "ideas.zip")


def base_path(base_url: str, event_id: str) -> str:
    return f"{base_url}/open-data/{event_id}"


def _date(moment: Any) -> dict[str, str]:
    return {"@value": iso(moment), "@type": "xsd:dateTime"}


def _language(code: str) -> dict[str, str]:
    return {"@id": f"http://publications.europa.eu/resource/authority/language/{LANGUAGES.get(code, 'DEU')}"}


def dataset(export: Export, base_url: str, tr: Translate) -> dict[str, Any]:
    """The ``dcat:Dataset`` of a published event's export."""
    [event] = export.events
    settings = event.open_data
    assert settings.licence is not None, "published events have a licence (boards.open_data)"
    home = base_path(base_url, event.id)
    issued = event.issued_at or export.modified_at
    distributions = []
    for name in FILES:
        ext = name.rsplit(".", 1)[1]
        url = f"{home}/{name}"
        distribution: dict[str, Any] = {
            "@id": url,
            "@type": "dcat:Distribution",
            "dct:title": tr(f"export.distribution.{ext}"),
            "dcat:accessURL": {"@id": url},
            "dcat:downloadURL": {"@id": url},
            "dct:format": {"@id": f"http://publications.europa.eu/resource/authority/file-type/{FILE_TYPES[ext]}"},
            "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[ext]}"},
            "dct:license": {"@id": settings.licence.uri},
            "dct:issued": _date(issued),
            "dct:modified": _date(export.modified_at),
        }
        if ext == "json":
            distribution["dct:conformsTo"] = {"@id": f"{base_url}/open-data/schema.json"}
        if settings.licence.attribution:
            distribution["dcatde:licenseAttributionByText"] = settings.publisher
        distributions.append(distribution)
    out: dict[str, Any] = {
        "@id": f"{home}/catalog.jsonld#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{home}/catalog.jsonld#dataset",
        "dct:title": {"@value": event.title, "@language": event.language},
        "dct:description": {
            "@value": event.description or tr("export.dataset.description", title=event.title),
            "@language": event.language,
        },
        "dcat:keyword": [*event.fields, tr("export.dataset.keyword")],
        "dcat:theme": {"@id": THEME},
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": settings.publisher},
        "dct:language": _language(event.language),
        "dct:issued": _date(issued),
        "dct:modified": _date(export.modified_at),
        "dcat:distribution": distributions,
    }
    if event.date is not None:
        out["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": event.date.isoformat(), "@type": "xsd:date"},
            "dcat:endDate": {"@value": event.date.isoformat(), "@type": "xsd:date"},
        }
    if settings.contributor_id:
        out["dcatde:contributorID"] = {"@id": settings.contributor_id}
    return out


def catalog(exports: Sequence[Export], base_url: str, tr: Translate, *, about: str) -> dict[str, Any]:
    """A ``dcat:Catalog`` (JSON-LD) of published events; ``about`` is the catalog's own address."""
    events: list[EventRecord] = [e for x in exports for e in x.events]
    publishers = list(dict.fromkeys(e.open_data.publisher for e in events))
    modified = max((x.modified_at for x in exports), default=None)
    issued = min((e.issued_at for e in events if e.issued_at is not None), default=modified)
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": about,
        "@type": "dcat:Catalog",
        "dct:title": tr("export.catalog.title"),
        "dct:description": tr("export.catalog.description"),
        "foaf:homepage": {"@id": base_url + "/"},
        "dct:language": _language(events[0].language if events else "de"),
        "dcat:dataset": [dataset(x, base_url, tr) for x in exports],
    }
    if len(publishers) == 1:
        out["dct:publisher"] = {"@type": "foaf:Organization", "foaf:name": publishers[0]}
    if issued is not None and modified is not None:
        out["dct:issued"] = _date(issued)
        out["dct:modified"] = _date(modified)
    return out


def catalog_json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def readme(export: Export, base_url: str, tr: Translate) -> str:
    [event] = export.events
    settings = event.open_data
    assert settings.licence is not None
    lines = [
        f"# {event.title}",
        "",
        tr("export.readme.intro", name=settings.publisher),
        "",
        f"{tr('export.licence')}: {settings.licence.label}",
        settings.licence.url,
        f"dct:license: {settings.licence.uri}",
        "",
    ]
    if settings.licence.attribution:
        lines += [
            tr("export.readme.attribution", name=settings.publisher, title=event.title),
            base_path(base_url, event.id),
            "",
        ]
    lines += [
        tr("export.readme.files"),
        "",
        "- ideas.csv",
        "- ideas.json",
        "- export.schema.json",
        "- catalog.jsonld",
        "",
        tr("export.readme.rules"),
        "",
        f"{tr('export.readme.columns')}: {', '.join(c for c in COLUMNS + EXTRA_COLUMNS if c not in OPEN_OMITTED)}",
        "",
        f"{tr('export.generated')}: {iso(export.generated_at)}",
        "",
    ]
    return "\n".join(lines)


def write_zip(export: Export, base_url: str, tr: Translate) -> bytes:
    """The open-data ZIP of one published event."""
    about = f"{base_path(base_url, export.events[0].id)}/catalog.jsonld"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ideas.csv", write_csv(export))
        z.writestr("ideas.json", write_json(export))
        z.writestr("export.schema.json", schema_json())
        z.writestr("catalog.jsonld", catalog_json(catalog([export], base_url, tr, about=about)))
        z.writestr("README.md", readme(export, base_url, tr))
    return out.getvalue()
