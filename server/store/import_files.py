"""Reading an import file, CSV or XLSX, into rows of text — bounded, whatever the file holds.

- **Size**: at most ``MAX_FILE_BYTES`` (the upload is refused before that, ``server.web.imports``)
  and ``MAX_ROWS`` rows of ideas; wider rows are read to ``MAX_COLUMNS`` columns.
- **CSV**: UTF-8 with or without a BOM. A file that is not UTF-8 is read as Windows-1252 only when
  it looks like German or Western text in it (``_looks_like_cp1252``: the bytes a DOS or Mac code
  page gives umlauts decode there to letters that stand inside words, like "M„rz" or "Stra§e");
  anything else is a clear error, never a guess. The separator is ``;`` (German spreadsheets),
  ``,`` or a tab: chosen, or found by which of them gives a header row of known columns; a chosen
  separator under which the header is not found while another finds it is named in the error.
  A cell is text: "=1+1" stays those three characters (``boards.imports.cell`` only removes the
  apostrophe that guards it in exported files).
- **XLSX**: the zip is checked before anything is decompressed (``check_zip``: the number of its
  entries, their declared sizes and compression ratios; Python's ``zipfile`` never inflates an
  entry beyond its declared size). Each part is at most ``MAX_PART_BYTES`` unpacked: openpyxl holds
  the whole of ``xl/sharedStrings.xml`` in memory and parses it, and a worksheet's, before the
  first row; 42 MB of tiny strings (6.8 times packed, under every ratio) took it 48 s and 340 MB.
  The cap is on every part, as a workbook may name its parts as it likes. Then openpyxl reads it ``read_only`` (it parses the XML with
  defusedxml, which refuses entity expansion). A formula cell is reported, never computed nor
  taken from its cached value (``boards.imports.check_row``). Every sheet whose header row has
  the idea columns is read (the export writes one sheet per field of action); others are named.

Row numbers are the spreadsheet's: the header is row 1 (a CSV record with line breaks in a quoted
cell is one row, as a spreadsheet program shows it).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from boards.imports import Columns, ImportFileError, read_header, require_columns

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000  # rows of ideas, not counting the header and empty rows
MAX_COLUMNS = 100
MAX_EMPTY_ROWS = 100_000  # empty rows read past before the file is given up as hostile
MAX_ZIP_ENTRIES = 1_000
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # five times the largest upload
MAX_PART_BYTES = 16 * 1024 * 1024  # the shared strings of 20,000 ideas of 500 characters, or a sheet of them
MAX_RATIO = 100  # uncompressed : compressed, for entries and the whole of a zip over RATIO_FROM bytes
RATIO_FROM = 1024 * 1024
SEPARATORS = (";", ",", "\t")

_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Excel format (and Word's)
_ZIP_MAGIC = b"PK\x03\x04"
# letters that the umlauts of a DOS (cp850) or Mac code page become when read as Windows-1252
_WRONG_CODE_PAGE = set("ŠšŽžŸŒœƒ†‡ˆ‰‹›˜™")
_INSIDE_WORDS = re.compile(r"\w[„”“‚§•¤]\w")


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # as the spreadsheet numbers it; the header is 1
    cells: tuple[str, ...]
    formulas: frozenset[int] = frozenset()  # indexes of cells that hold a formula (XLSX)


@dataclass(slots=True)
class Sheet:
    name: str | None  # None: a CSV file's only table
    header: tuple[str, ...]
    columns: Columns
    rows: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class Table:
    kind: str  # csv, xlsx
    sheets: list[Sheet]
    encoding: str | None = None  # CSV: utf-8, utf-8-sig, cp1252
    separator: str | None = None  # CSV
    ignored_sheets: list[str] = field(default_factory=list)
    empty_rows: int = 0

    def rows(self) -> Iterator[tuple[Sheet, Row]]:
        for sheet in self.sheets:
            for row in sheet.rows:
                yield sheet, row


def read_table(data: bytes, separator: str | None = None) -> Table:
    """The rows of an import file; ``separator`` None finds it. Raises ``ImportFileError``."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.",
            code="too_large",
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
        )
    if not data.strip():
        raise ImportFileError("The file is empty.", code="empty")
    if data.startswith(_XLS_MAGIC):
        raise ImportFileError("This is an old Excel file (.xls); save it as .xlsx or as CSV (UTF-8).", code="old_excel")
    if data.startswith(_ZIP_MAGIC):
        return read_xlsx(data)
    if separator is not None and separator not in SEPARATORS:
        raise ImportFileError(f"Unknown separator {separator!r}.", code="bad_separator")
    return read_csv(data, separator)


# -- CSV -------------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(
            "The file is saved as UTF-16 (Unicode text); save it as CSV (UTF-8).", code="not_utf8", line=1
        )
    if data.startswith(codecs.BOM_UTF8):
        body, encoding = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    else:
        body, encoding = data, "utf-8"
    try:
        return body.decode("utf-8"), encoding
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        if encoding == "utf-8" and (text := _cp1252(body)) is not None:
            return text, "cp1252"
        raise ImportFileError(
            f"The file is not UTF-8 (line {line}); save it as CSV (UTF-8).", code="not_utf8", line=line
        ) from None


def _cp1252(data: bytes) -> str | None:
    """The text, if the bytes read as Windows-1252 look like the text a person wrote in it."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: unused in Windows-1252
        return None
    if any(ch < " " and ch not in "\t\r\n" for ch in text) or "\x7f" in text:
        return None  # not text
    if _WRONG_CODE_PAGE.intersection(text) or _INSIDE_WORDS.search(text):
        return None  # another code page's umlauts
    return text


def _records(text: str, separator: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 - read after the loop on errors
            yield record
    except csv.Error as exc:
        raise ImportFileError(
            f"Row {number + 1} cannot be read as CSV ({exc}).", code="bad_csv", row=number + 1
        ) from None


def _header(text: str, separator: str) -> list[str]:
    return next(_records(text, separator), [])


def read_csv(data: bytes, separator: str | None) -> Table:
    text, encoding = decode(data)
    if separator is None:
        separator = max(SEPARATORS, key=lambda s: read_header(_header(text, s)[:MAX_COLUMNS]).recognised())
    header = [h.strip() for h in _header(text, separator)[:MAX_COLUMNS]]
    columns = read_header(header)
    try:
        require_columns(columns, header)
    except ImportFileError:
        for other in SEPARATORS:
            if other != separator:
                found = read_header(_header(text, other)[:MAX_COLUMNS])
                if found.recognised() > columns.recognised() and "field" in found.index:
                    raise ImportFileError(
                        f"The file's separator seems to be {other!r}, not {separator!r}.",
                        code="wrong_separator",
                        chosen=separator,
                        found=other,
                    ) from None
        raise
    sheet = Sheet(name=None, header=tuple(header), columns=columns)
    table = Table(kind="csv", sheets=[sheet], encoding=encoding, separator=separator)
    records = _records(text, separator)
    next(records)
    for number, record in enumerate(records, start=2):
        cells = tuple(record[:MAX_COLUMNS])
        if not any(c.strip() for c in cells):
            table.empty_rows += 1
            _check_empty(table.empty_rows)
            continue
        _check_rows(len(sheet.rows) + 1)
        sheet.rows.append(Row(number, cells))
    return table


def _check_rows(count: int) -> None:
    if count > MAX_ROWS:
        raise ImportFileError(
            f"The file has more than {MAX_ROWS:,} rows of ideas; split it into several files.",
            code="too_many_rows",
            max=MAX_ROWS,
        )


def _check_empty(count: int) -> None:
    if count > MAX_EMPTY_ROWS:
        raise ImportFileError(
            f"The file has more than {MAX_EMPTY_ROWS:,} empty rows.", code="too_many_empty_rows", max=MAX_EMPTY_ROWS
        )


# -- XLSX ------------------------------------------------------------------------------------------


def check_zip(data: bytes) -> None:
    """Refuse a zip that is not an XLSX or would unpack to far more than it is (a zip bomb),
    reading only its directory."""
    not_xlsx = ImportFileError("The file is neither an XLSX workbook nor a CSV file.", code="not_xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_xlsx from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise _bomb(f"it holds {len(entries):,} files")
        unzipped = sum(e.file_size for e in entries)
        if unzipped > MAX_UNZIPPED_BYTES:
            raise _bomb(f"it would unpack to {unzipped:,} bytes")
        packed = sum(e.compress_size for e in entries)
        if unzipped > RATIO_FROM and unzipped > MAX_RATIO * max(packed, 1):
            raise _bomb(f"it would unpack to {unzipped // max(packed, 1)} times its size")
        for entry in entries:
            if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
                raise _bomb(
                    f"{entry.filename} would unpack to {entry.file_size // max(entry.compress_size, 1)} times its size"
                )
            if entry.file_size > MAX_PART_BYTES:
                raise _bomb(f"{entry.filename} would unpack to {entry.file_size:,} bytes, more than {MAX_PART_BYTES:,}")
            if entry.flag_bits & 0x1:
                raise ImportFileError("The workbook is encrypted; save it without a password.", code="encrypted")
        names = {e.filename for e in entries}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise not_xlsx


def _bomb(detail: str) -> ImportFileError:
    return ImportFileError(f"The workbook is refused: {detail}.", code="zip_bomb", detail=detail)


def read_xlsx(data: bytes) -> Table:
    check_zip(data)
    import openpyxl  # only for an XLSX: it takes a while to import

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises anything from KeyError to XML errors for a broken file
        raise ImportFileError(f"The workbook cannot be read ({type(exc).__name__}).", code="bad_xlsx") from None
    table = Table(kind="xlsx", sheets=[])
    first_header: tuple[str, ...] | None = None
    first_error: ImportFileError | None = None
    try:
        for worksheet in workbook.worksheets:
            sheet = _read_sheet(worksheet, table)
            if sheet is None:
                table.ignored_sheets.append(worksheet.title)
                continue
            if isinstance(sheet, ImportFileError):
                first_error = first_error or sheet
                table.ignored_sheets.append(worksheet.title)
                continue
            if first_header is None and sheet.header:
                first_header = sheet.header
            table.sheets.append(sheet)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(f"The workbook cannot be read ({type(exc).__name__}).", code="bad_xlsx") from None
    finally:
        workbook.close()
    if not table.sheets:
        raise first_error or ImportFileError("The workbook has no rows.", code="empty")
    return table


def _read_sheet(worksheet: Any, table: Table) -> Sheet | ImportFileError | None:
    """A sheet whose header row has the idea columns; the reason it has not (as an error), or None when empty."""
    width = min(MAX_COLUMNS, worksheet.max_column or MAX_COLUMNS)  # the sheet's own width, from its dimension
    rows = worksheet.iter_rows(min_row=1, max_col=width)  # every row from 1, empty ones too
    sheet: Sheet | None = None
    empty = 0
    for number, cells in enumerate(rows, start=1):
        values = tuple(_text(c.value) for c in cells)
        end = len(values)
        while end and not values[end - 1]:  # a sheet without its dimension is read MAX_COLUMNS wide
            end -= 1
        values = values[:end]
        if sheet is None:
            if not any(v.strip() for v in values):
                empty += 1
                _check_empty(empty)
                continue
            header = tuple(v.strip() for v in values)
            columns = read_header(header)
            try:
                require_columns(columns, header)
            except ImportFileError as exc:
                return exc
            sheet = Sheet(name=worksheet.title, header=header, columns=columns)
            continue
        if not any(v.strip() for v in values):
            table.empty_rows += 1
            _check_empty(table.empty_rows)
            continue
        _check_rows(sum(len(s.rows) for s in table.sheets) + len(sheet.rows) + 1)
        formulas = frozenset(i for i, c in enumerate(cells) if getattr(c, "data_type", None) == "f")
        sheet.rows.append(Row(number, values, formulas))
    return sheet


def _text(value: object) -> str:
    """A cell's value as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def column_letter(index: int) -> str:
    """The spreadsheet's name of a column: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
