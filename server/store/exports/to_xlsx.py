"""XLSX (XlsxWriter, row by row in constant memory): a summary sheet (ideas and dots per field of
action, ideas per status) and one sheet per field with a row per idea, its columns those of the CSV.

Formula-safe: every text is written as a text cell (``write_string``), so a text starting with
``=`` or looking like ``#N/A`` is never a formula nor an error value, and Excel or LibreOffice run
nothing. Texts keep their characters as they are (no quote in front as in the CSV), a carriage
return read as the line end it is (the idea store keeps none).

XlsxWriter rather than openpyxl, which the import reads with and the tests check the files with:
10,000 ideas took openpyxl 2.7–3.5 s even with lxml, XlsxWriter about half (docs/benchmarks.md).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from boards.curation import ReviewStatus
from server.store.exports.records import Export, ExportKind, columns, flat, iso

CELL_MAX = 32_767  # Excel's limit of characters in a cell
SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
WIDTHS = {"id": 16, "event": 24, "field": 20, "title": 30, "text": 60, "tags": 20, "feedback": 40, "comments": 50}

Translate = Callable[..., str]


def write_xlsx(export: Export, tr: Translate) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,  # each sheet written row by row, as it comes
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    bold = book.add_format({"bold": True})
    names: set[str] = set()
    _summary(book.add_worksheet(_sheet_name(tr("export.summary"), names)), export, tr, bold, book)
    header = columns(export.kind)
    by_field: dict[str, list[list[Any]]] = {name: [] for name in export.fields()}
    for idea in export.ideas:
        by_field[idea.field].append(flat(idea, export.kind))
    for field_name, rows in by_field.items():
        sheet = book.add_worksheet(_sheet_name(field_name, names))
        for n, name in enumerate(header):
            sheet.set_column(n, n, WIDTHS.get(name, 14))
        sheet.freeze_panes(1, 0)
        _row(sheet, 0, header, bold)
        for r, row in enumerate(rows, start=1):
            _row(sheet, r, row)
    book.close()
    return out.getvalue()


def _row(sheet: Worksheet, r: int, values: Any, style: Any = None) -> None:
    for c, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, str):
            sheet.write_string(r, c, _clean(value), style)
        else:
            sheet.write_number(r, c, value, style)


def _summary(sheet: Worksheet, export: Export, tr: Translate, bold: Any, book: Any) -> None:
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 2, 16)
    rows: list[tuple[list[Any], Any]] = [([export.title], book.add_format({"bold": True, "font_size": 14}))]
    kind = tr("export.kind.open") if export.kind is ExportKind.OPEN else tr("export.kind.internal")
    rows.append(([tr("export.kind"), kind], None))
    rows.append(([tr("export.generated"), iso(export.generated_at)], None))
    rows.append(([tr("export.ideas_total"), len(export.ideas)], None))
    if export.kind is ExportKind.OPEN:
        for event in export.events:
            licence = event.open_data.licence
            label = licence.label if licence else tr("export.no_licence")
            rows.append(([tr("export.licence"), label, licence.uri if licence else None], None))
            if event.open_data.publisher:
                rows.append(([tr("export.publisher"), event.open_data.publisher], None))
    rows.append(([], None))
    rows.append(([tr("export.field"), tr("export.ideas"), tr("export.dots")], bold))
    ideas = Counter(idea.field for idea in export.ideas)
    dots: Counter[str] = Counter()
    for idea in export.ideas:
        dots[idea.field] += idea.dots
    rows.extend(([name, ideas[name], dots[name]], None) for name in export.fields())
    rows.append(([], None))
    rows.append(([tr("export.review_status"), tr("export.ideas")], bold))
    statuses = Counter(idea.review_status for idea in export.ideas)
    rows.extend(([tr(f"export.status.{status.value}"), statuses[status]], None) for status in ReviewStatus)
    for r, (values, style) in enumerate(rows):
        _row(sheet, r, values, style)


def _clean(text: str) -> str:
    if "\r" in text:  # a line end, as XML reads one (XlsxWriter would keep it as the escape _x000D_)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if len(text) <= CELL_MAX else text[: CELL_MAX - 1] + "…"


def _sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of ``[]:*?/\\``, not quoted), unique in the book."""
    base = _SHEET_NAME_BAD.sub("_", name).strip().strip("'")[:SHEET_NAME_MAX] or "_"
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate
