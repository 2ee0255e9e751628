"""Reading import files: whatever bytes arrive, the reader returns rows or refuses the file with an
``ImportFileError`` that says why — never another exception, never unbounded work."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from boards.imports import ImportFileError
from server.store.import_files import column_letter, read_table


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_with_a_reason(data: bytes) -> None:
    try:
        read_table(data)
    except ImportFileError as refused:
        assert refused.code and refused.message


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=5), max_size=20),
    st.sampled_from([";", ",", "\t"]),
)
def test_any_table_of_text_with_the_columns_is_read_row_by_row(rows: list[list[str]], separator: str) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=separator).writerows([["Handlungsfeld", "Idee"], *rows])
    try:
        table = read_table(buf.getvalue().encode("utf-8"))
    except ImportFileError as refused:  # a cell with a NUL, say: then the file is refused as a whole
        assert refused.code == "bad_csv"
        return
    assert table.separator == separator
    assert len(table.sheets[0].rows) + table.empty_rows == len(rows)


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 2, 25, 26, 27, 701, 702)] == ["A", "C", "Z", "AA", "AB", "ZZ", "AAA"]
