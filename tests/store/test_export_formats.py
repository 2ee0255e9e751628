"""Every export format read back as its readers read it: the csv module, openpyxl, the JSON Schema in
docs/, and the Markdown and HTML as text — with people's texts that would be formulas or markup."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from boards.curation import ReviewStatus
from boards.open_data import Licence, OpenData
from server.i18n.catalogs import Translator
from server.store.exports.formats import Format, render, slug
from server.store.exports.records import (
    COLUMNS,
    CommentRecord,
    EventRecord,
    Export,
    ExportKind,
    IdeaRecord,
    columns,
)
from server.store.exports.to_csv import neutralise, restore, write_csv
from server.store.exports.to_html import STYLE_HASH, write_html
from server.store.exports.to_json import schema_json, write_json
from server.store.exports.to_markdown import write_markdown
from server.store.exports.to_xlsx import write_xlsx

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "export.schema.json"
T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
TR = Translator("de")
HOSTILE = ['=HYPERLINK("http://evil.example","Klick")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
SCRIPT = "<script>alert(1)</script>"


def idea(n: int, text: str, field: str = "Mobilität", **kw: object) -> IdeaRecord:
    values: dict[str, object] = dict(
        id=f"i_{n}",
        event_id="ev_1",
        event="Zukunftswerkstatt Aalen",
        field=field,
        title="",
        text=text,
        tags=("Kinder", "Radverkehr"),
        author="Anna",
        created_at=T0 + timedelta(minutes=n),
        room="Plenum",
        breakout_round=None,
        board="Ideen",
        phase="collect",
        source="board",
        review_status=ReviewStatus.NEW,
        feedback="",
        score=None,
        dots=0,
        dots_by_round=(),
        comments=(),
        duplicate_of=None,
        board_status="visible",
    )
    values.update(kw)
    return IdeaRecord(**values)  # type: ignore[arg-type]


def sample(kind: ExportKind = ExportKind.INTERNAL) -> Export:
    event = EventRecord(
        id="ev_1",
        title="Zukunftswerkstatt Aalen",
        description="",
        date=date(2026, 5, 6),
        language="de",
        fields=("Mobilität", "Umwelt", "Bildung"),
        open_data=OpenData(Licence.DL_BY_DE_2, "Stadt Aalen", "", True),
        issued_at=T0,
    )
    ideas = [idea(n, text) for n, text in enumerate(HOSTILE)]
    ideas.append(
        idea(
            10,
            SCRIPT,
            field="Umwelt",
            title="# Überschrift? [Link](javascript:x)",
            dots=5,
            dots_by_round=((1, 2), (2, 3)),
            score=3.75,
            review_status=ReviewStatus.SHORTLISTED,
            feedback="Wird geprüft.\n=1+1",
            comments=(
                CommentRecord("Ben", "Gute Idee <b>!</b>", T0, False),
                CommentRecord("Cem", "=WEBSERVICE(1)", T0, True),
            ),
            breakout_round=2,
        )
    )
    ideas.append(idea(11, "Ein Baum für jedes Kind", field="Umwelt", dots=2, dots_by_round=((1, 2),), author=None))
    return Export(kind=kind, generated_at=T0, modified_at=T0, events=(event,), ideas=ideas)


def read_csv(body: bytes, separator: str) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=separator))


@pytest.mark.parametrize("separator", [";", ","])
def test_csv_reads_back_with_its_separator_and_neutralised_formulas(separator: str) -> None:
    rows = read_csv(write_csv(sample(), separator), separator)
    assert list(rows[0]) == list(columns(ExportKind.INTERNAL))
    assert list(rows[0])[: len(COLUMNS)] == list(COLUMNS)
    texts = [row["text"] for row in rows]
    for hostile, got in zip(HOSTILE, texts, strict=False):
        assert got == "'" + hostile, "a formula comes back with a quote in front, as text"
        assert restore(got) == hostile
    shortlisted = rows[len(HOSTILE)]
    assert shortlisted["text"] == SCRIPT and shortlisted["feedback"] == "Wird geprüft.\n=1+1"
    assert shortlisted["tags"] == "Kinder, Radverkehr" and shortlisted["author"] == "Anna"
    assert shortlisted["dots"] == "5" and shortlisted["dots_by_round"] == "1: 2, 2: 3"
    assert shortlisted["score"] == ("3,75" if separator == ";" else "3.75")  # as a German Excel reads numbers
    assert shortlisted["breakout_round"] == "2" and shortlisted["review_status"] == "shortlisted"
    assert "[hidden] Cem: =WEBSERVICE(1)" in shortlisted["comments"]
    assert rows[-1]["author"] == "" and rows[-1]["created_at"] == "2026-05-06T18:41:00Z"


@pytest.mark.parametrize("text", [*HOSTILE, "'=x", "''+1", "'quoted", "plain", "", "-", "'"])
def test_neutralising_is_undone_exactly(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_open_csv_has_no_author_column() -> None:
    rows = read_csv(write_csv(sample(ExportKind.OPEN)), ";")
    assert "author" not in rows[0] and "board_status" not in rows[0]
    assert "Anna" not in write_csv(sample(ExportKind.OPEN)).decode()


def test_xlsx_has_a_summary_a_sheet_per_field_and_no_formula() -> None:
    book = openpyxl.load_workbook(io.BytesIO(write_xlsx(sample(), TR)))
    assert book.sheetnames == ["Zusammenfassung", "Mobilität", "Umwelt", "Bildung"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    mobility = list(book["Mobilität"].iter_rows(values_only=True))
    assert list(mobility[0]) == list(columns(ExportKind.INTERNAL))
    texts = [row[4] for row in mobility[1:]]
    assert texts == [*HOSTILE[:5], "\nx"]  # as typed, in text cells (a carriage return as the line end XML reads)
    environment = list(book["Umwelt"].iter_rows(values_only=True))
    assert [row[0] for row in environment[1:]] == ["i_10", "i_11"]
    assert environment[1][4] == SCRIPT and environment[1][14] == "Wird geprüft.\n=1+1"
    assert book["Umwelt"]["E2"].data_type == "s"
    summary = {row[0]: row[1:] for row in book["Zusammenfassung"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Mobilität"][:2] == (6, 0) and summary["Umwelt"][:2] == (2, 7) and summary["Bildung"][:2] == (0, 0)
    assert summary["Ideen insgesamt"][0] == 8
    assert summary["in der engeren Wahl"][0] == 1


def test_xlsx_sheet_names_are_made_acceptable_and_unique() -> None:
    export = sample()
    names = ("Bildung/Schule: [alt]", "Bildung/Schule: [neu]", "x" * 40)
    ideas = [idea(n, "Text", field=name) for n, name in enumerate(names)]
    other = Export(export.kind, T0, T0, (export.events[0],), ideas)
    book = openpyxl.load_workbook(io.BytesIO(write_xlsx(other, TR)))
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert len({name.casefold() for name in book.sheetnames}) == len(book.sheetnames)


def validate(document: dict[str, object]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


@pytest.mark.parametrize("kind", list(ExportKind))
def test_json_follows_the_schema_in_docs(kind: ExportKind) -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_json(), "docs/export.schema.json: run python -m server.docs_gen"
    document = json.loads(write_json(sample(kind)))
    validate(document)
    assert document["kind"] == kind.value and len(document["ideas"]) == 8
    shortlisted = document["ideas"][len(HOSTILE)]
    assert shortlisted["text"] == SCRIPT and shortlisted["tags"] == ["Kinder", "Radverkehr"]
    assert shortlisted["dots_by_round"] == [{"round": 1, "dots": 2}, {"round": 2, "dots": 3}]
    if kind is ExportKind.OPEN:
        assert "author" not in shortlisted and "author" not in shortlisted["comments"][0]
        assert document["events"][0]["licence"]["uri"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    else:
        assert shortlisted["author"] == "Anna" and shortlisted["comments"][1]["hidden"] is True


def test_json_that_breaks_the_schema_is_refused() -> None:
    document = json.loads(write_json(sample()))
    document["ideas"][0]["dots"] = -1
    with pytest.raises(jsonschema.ValidationError):
        validate(document)
    document = json.loads(write_json(sample()))
    document["ideas"][0]["member_id"] = "mb_x"  # nothing the schema does not name
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_markdown_shows_texts_as_typed() -> None:
    text = write_markdown(sample(), TR).decode()
    assert "<script>" not in text and "\\<script\\>alert(1)\\</script\\>" in text
    assert "### \\# Überschrift? \\[Link\\](javascript:x)" in text
    assert "## Mobilität" in text and "## Bildung" in text and "_Keine Ideen._" in text
    assert '### \\=HYPERLINK("http://evil.example","Klick")' in text  # a line's "=" would underline a heading
    assert "\\- Punkte" not in text and "- Punkte: 5 (je Runde: 1: 2, 2: 3)" in text
    assert "- (ausgeblendet) Cem: \\=WEBSERVICE(1)" in text  # internal: hidden comments flagged


def test_html_report_escapes_texts_draws_charts_and_prints() -> None:
    html = write_html(sample(), TR, "de").decode()
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Gute Idee &lt;b&gt;!&lt;/b&gt;" in html
    assert html.count("<svg") == 2 and 'role="img"' in html
    assert "@media print" in html and "@page" in html
    assert (
        "src=" not in html and "stylesheet" not in html and "@import" not in html and "url(" not in html
    )  # self-contained
    assert "<script" not in html
    assert STYLE_HASH.startswith("sha256-")


def test_render_names_the_files() -> None:
    export = sample(ExportKind.OPEN)
    assert render(export, Format.CSV, TR, "de").filename == "zukunftswerkstatt-aalen-2026-05-06-open-ideas.csv"
    assert render(export, Format.HTML, TR, "de").media_type.startswith("text/html")
    assert slug("Straße & Plätze – Ölmühle") == "strasse-plaetze-oelmuehle"
