"""CSV: UTF-8 with a byte order mark (so Excel reads the umlauts), ``;`` between cells by default (what
a German Excel expects) or ``,``, a header row of ``records.columns(kind)``.

Every text cell that a spreadsheet would read as a formula — one starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return — gets a single quote in front (OWASP's advice against CSV
injection). So that the quote can be taken off again exactly (``restore``), a text that starts with
quotes followed by one of those characters gets one more. With ``;`` a score's decimal separator
is a comma, as a German spreadsheet reads numbers; with ``,`` it is a point.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from boards.imports import FORMULA_TRIGGERS, cell
from server.store.exports.records import Export, columns, flat

SEPARATORS = (";", ",")
BOM = "\ufeff"


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_TRIGGERS) else text


def restore(text: str) -> str:
    """The text ``neutralise`` was given: what the import does to a CSV cell (``boards.imports.cell``)."""
    return cell(text, "csv")


_FIRST = frozenset(FORMULA_TRIGGERS) | {"'"}  # a text starting otherwise is written as it is


def _cell(value: Any, decimal_comma: bool) -> Any:
    if type(value) is str:
        return neutralise(value) if value and value[0] in _FIRST else value
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if decimal_comma else text
    return value  # an int: the csv module writes it


def write_csv(export: Export, separator: str = ";") -> bytes:
    if separator not in SEPARATORS:
        raise ValueError(f"separator must be one of {SEPARATORS}")
    decimal_comma = separator == ";"
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns(export.kind))
    writer.writerows([_cell(v, decimal_comma) for v in flat(idea, export.kind)] for idea in export.ideas)
    return out.getvalue().encode("utf-8")
