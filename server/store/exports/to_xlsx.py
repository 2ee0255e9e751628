"""XLSX (openpyxl in write-only mode): a summary sheet (ideas and dots per field of action, ideas per
status) and one sheet per field with a row per idea, its columns those of the CSV.

Formula-safe: a text is always written as a text cell. openpyxl would make a text starting with
``=`` a formula and one such as ``#N/A`` an error value; those cells are typed as text explicitly,
so no cell of the file has the formula type and Excel or LibreOffice run nothing. Texts keep their
characters as they are (no quote in front as in the CSV); characters XML cannot hold (control
characters the idea store refuses anyway) are left out.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from boards.curation import ReviewStatus
from server.store.exports.records import Export, ExportKind, columns, flat, iso

CELL_MAX = 32_767  # Excel's limit of characters in a cell
SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
WIDTHS = {"id": 16, "event": 24, "field": 20, "title": 30, "text": 60, "tags": 20, "feedback": 40, "comments": 50}

Translate = Callable[..., str]


def write_xlsx(export: Export, tr: Translate) -> bytes:
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    names: set[str] = set()
    summary = book.create_sheet(_sheet_name(tr("export.summary"), names))
    _summary(summary, export, tr, bold)
    header = columns(export.kind)
    by_field: dict[str, list[list[Any]]] = {name: [] for name in export.fields()}
    for idea in export.ideas:
        by_field[idea.field].append(flat(idea, export.kind))
    for field_name, rows in by_field.items():
        sheet = book.create_sheet(_sheet_name(field_name, names))
        _widths(sheet, header)
        sheet.freeze_panes = "A2"
        sheet.append([_styled(sheet, name, bold) for name in header])
        for row in rows:
            sheet.append([_value(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(sheet: WriteOnlyWorksheet, export: Export, tr: Translate, bold: Font) -> None:
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 16
    sheet.append([_styled(sheet, export.title, Font(bold=True, size=14))])
    kind = tr("export.kind.open") if export.kind is ExportKind.OPEN else tr("export.kind.internal")
    sheet.append([_value(sheet, tr("export.kind")), _value(sheet, kind)])
    sheet.append([_value(sheet, tr("export.generated")), iso(export.generated_at)])
    sheet.append([_value(sheet, tr("export.ideas_total")), len(export.ideas)])
    if export.kind is ExportKind.OPEN:
        for event in export.events:
            licence = event.open_data.licence
            label = licence.label if licence else tr("export.no_licence")
            sheet.append([_value(sheet, tr("export.licence")), _value(sheet, label), licence.uri if licence else None])
            if event.open_data.publisher:
                sheet.append([_value(sheet, tr("export.publisher")), _value(sheet, event.open_data.publisher)])
    sheet.append([])
    sheet.append([_styled(sheet, h, bold) for h in (tr("export.field"), tr("export.ideas"), tr("export.dots"))])
    ideas = Counter(idea.field for idea in export.ideas)
    dots: Counter[str] = Counter()
    for idea in export.ideas:
        dots[idea.field] += idea.dots
    for name in export.fields():
        sheet.append([_value(sheet, name), ideas[name], dots[name]])
    sheet.append([])
    sheet.append([_styled(sheet, h, bold) for h in (tr("export.review_status"), tr("export.ideas"))])
    statuses = Counter(idea.review_status for idea in export.ideas)
    for status in ReviewStatus:
        sheet.append([_value(sheet, tr(f"export.status.{status.value}")), statuses[status]])


def _widths(sheet: WriteOnlyWorksheet, header: tuple[str, ...]) -> None:
    from openpyxl.utils import get_column_letter

    for n, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = WIDTHS.get(name, 14)


def _clean(text: str) -> str:
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= CELL_MAX else text[: CELL_MAX - 1] + "…"


def _value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A value as it goes into a cell: a text always as text."""
    if not isinstance(value, str):
        return value
    value = _clean(value)
    if value.startswith("=") or value in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # never a formula or an error value
        return cell
    return value


def _styled(sheet: WriteOnlyWorksheet, text: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, _clean(text))
    cell.data_type = "s"
    cell.font = font
    return cell


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
