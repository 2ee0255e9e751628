"""The export formats by name, for the console's downloads and ``werkstatt export``: each one's
media type, file name ending and writer."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from server.i18n.keys import N_
from server.store.exports.records import Export, ExportKind
from server.store.exports.to_csv import write_csv
from server.store.exports.to_html import write_html
from server.store.exports.to_json import write_json
from server.store.exports.to_markdown import write_markdown

Translate = Callable[..., str]


class Format(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    MD = "md"
    HTML = "html"


MEDIA_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.JSON: "application/json",
    Format.MD: "text/markdown; charset=utf-8",
    Format.HTML: "text/html; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str


def render(export: Export, fmt: Format, tr: Translate, language: str, *, separator: str = ";") -> Rendered:
    """The export written in ``fmt`` (a blocking call: run it on the store's threads)."""
    if fmt is Format.CSV:
        body = write_csv(export, separator)
    elif fmt is Format.XLSX:
        # on first use: a node that never exports a workbook never loads its writer
        from server.store.exports.to_xlsx import write_xlsx

        body = write_xlsx(export, tr)
    elif fmt is Format.JSON:
        body = write_json(export)
    elif fmt is Format.MD:
        body = write_markdown(export, tr)
    else:
        body = write_html(export, tr, language)
    return Rendered(body, MEDIA_TYPES[fmt], filename(export, "report.html" if fmt is Format.HTML else f"ideas.{fmt}"))


def slug(text: str, limit: int = 60) -> str:
    """``text`` as a file name part in ASCII: ``Smart-City-Werkstatt Aalen`` → ``smart-city-werkstatt-aalen``."""
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-") or "werkstatt"


def filename(export: Export, name: str) -> str:
    """``aalen-ideenwerkstatt-2026-05-06-open-ideas.csv``: the event, the day of the export, the kind."""
    what = slug(export.events[0].title) if len(export.events) == 1 else "werkstatt"
    kind = "-open" if export.kind is ExportKind.OPEN else ""
    return f"{what}-{export.generated_at:%Y-%m-%d}{kind}-{name}"


# the texts the exports look up by value (extracted by scripts/i18n)
RUNTIME_KEYS = (
    N_("export.status.new"),
    N_("export.status.under_review"),
    N_("export.status.shortlisted"),
    N_("export.status.in_implementation"),
    N_("export.status.done"),
    N_("export.status.rejected"),
    N_("export.board_status.visible"),
    N_("export.board_status.pending"),
    N_("export.board_status.hidden"),
    N_("export.distribution.csv"),
    N_("export.distribution.json"),
    N_("export.distribution.zip"),
)
