"""Importing ideas from CSV and XLSX on SQLite and PostgreSQL: a town's spreadsheet and the export's
own columns become ideas with their status, feedback and provenance; every kind of bad or hostile
file gets a report per row or for the file, and nothing is written until the import, which writes
exactly what the dry run showed — only into the organizer's own events."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import threading
import zipfile
from collections.abc import Coroutine, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
import sqlalchemy as sa

from boards.actors import Role
from boards.curation import ReviewStatus
from boards.errors import Conflict, NotFound
from boards.imports import ImportFileError
from server.ids import token_hash
from server.store import imports
from server.store import tables as t
from server.store.curation import IdeaFilter
from server.store.idea_store import IdeaStore
from server.store.import_files import MAX_FILE_BYTES, MAX_PART_BYTES, MAX_ROWS, read_table
from server.store.imports import ImportStore
from tests.store.test_curation import Workshop
from tests.store.test_curation import store as store  # the fixture: the store, migrated, on both databases

R = TypeVar("R")
FIXTURE = Path(__file__).parent / "data" / "ideenspeicher_aalen_heidenheim.csv"
FIELDS = (
    "Mobilität",
    "Bildung",
    "Digitale Verwaltung",
    "Umwelt und Klima",
    "Wirtschaft und Handel",
    "Gesundheit und Soziales",
    "Kultur und Freizeit",
    "Stadtentwicklung und Wohnen",
)
EXPORT_HEADER = (
    "id;event;field;title;text;tags;author;created_at;room;breakout_round;board;phase;source;"
    "review_status;feedback;score;dots;comments;duplicate_of"
).split(";")
GERMAN_HEADER = ["Handlungsfeld", "Titel", "Idee", "Schlagworte", "Autor", "Status", "Rückmeldung"]


class Town:
    """An organizer's event with the eight fields of action of Aalen and Heidenheim's idea store."""

    def __init__(self, store: IdeaStore, organizer_id: str, event_id: str) -> None:
        self.store, self.organizer_id, self.event_id = store, organizer_id, event_id
        self.imports = ImportStore(store)

    @classmethod
    async def make(cls, store: IdeaStore, organizer: str = "aalen", fields: Sequence[str] = FIELDS) -> Town:
        org = await store.organizer_by_username(organizer) or await store.create_organizer(organizer, "hash")
        event = await store.create_event(
            org.id, title="Ideenspeicher", description="", date=date(2026, 5, 6), language="de", field_names=fields
        )
        return cls(store, org.id, event.id)

    async def dry_run(self, data: bytes, separator: str | None = None) -> tuple[str, object]:
        import_id = await self.imports.upload(self.organizer_id, self.event_id, "ideen.csv", data, separator)
        return import_id, await self.imports.dry_run(self.organizer_id, self.event_id, import_id)

    async def run(self, data: bytes, *, valid_only: bool = False) -> list[dict[str, object]]:
        import_id, report = await self.dry_run(data)
        await self.imports.write(
            self.organizer_id,
            self.event_id,
            import_id,
            report.digest,
            valid_only=valid_only,  # type: ignore[attr-defined]
        )
        return await self.store.idea_rows(self.event_id)


def csv_file(header: Sequence[str], rows: Sequence[Sequence[str]], *, sep: str = ";", bom: bool = True) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (codecs.BOM_UTF8 if bom else b"") + buf.getvalue().encode("utf-8")


def xlsx_file(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


async def counts(store: IdeaStore) -> dict[str, int]:
    """How many rows the tables an import writes to hold (the uploads aside)."""

    def read() -> dict[str, int]:
        with store.engine.connect() as conn:
            return {
                table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in (t.ideas, t.members, t.boards, t.idea_history, t.fields)
            }

    return read()


def problems(report: object) -> dict[str, list[str]]:
    return {r.ref: [p.code for p in r.problems] for r in report.rows if r.problems}  # type: ignore[attr-defined]


# -- a valid file ----------------------------------------------------------------------------------


async def test_a_towns_spreadsheet_becomes_ideas_with_status_feedback_and_provenance(store: IdeaStore) -> None:
    town = await Town.make(store)
    before = await counts(store)
    import_id, report = await town.dry_run(FIXTURE.read_bytes())
    assert await counts(store) == before  # a dry run writes nothing
    assert len(report.valid) == 32 and report.errors == []  # type: ignore[attr-defined]
    assert report.per_field() == [(name, 5 if name in FIELDS[:4] else 3) for name in FIELDS]  # type: ignore[attr-defined]
    assert (report.kind, report.encoding, report.separator) == ("csv", "utf-8-sig", ";")  # type: ignore[attr-defined]

    await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    ideas = await store.idea_rows(town.event_id)
    assert len(ideas) == 32 and {i["source"] for i in ideas} == {"import"}
    by_title = {i["title"]: i for i in ideas}
    radweg = by_title["Radwegenetz Aalen–Heidenheim"]
    assert radweg["review_status"] == "shortlisted"  # "vorgemerkt", the German name
    assert radweg["feedback"] == "Wird im Mobilitätskonzept 2027 geprüft." and radweg["feedback_at"] is not None
    assert radweg["tags"] == ["Radverkehr", "Interkommunal"]
    assert by_title["Rufbus für die Teilorte"]["review_status"] == "in_implementation"  # the stable value
    assert by_title["Füllstandsmelder für Altglascontainer"]["review_status"] == "rejected"
    assert by_title["Leerstandskataster"]["review_status"] == "new"  # empty: new
    coding = by_title["Coding-AG an weiterführenden Schulen"]
    assert coding["text"].endswith("Hochschule Aalen.\nMit Abschlussprojekt für die Stadt.")  # a cell's line break

    # one new board in the plenary, with the event's fields as its columns
    plenary = await store.plenary(town.event_id)
    boards = await store.board_ids(plenary.id)
    assert len(boards) == 2 and {i["board_id"] for i in ideas} == {boards[1]}
    board = await store.load_board(boards[1])
    assert board.title.startswith("Import 20")  # "Import 2026-12-06"
    assert [c.name for c in board.columns] == list(FIELDS)
    assert len([i for i in board.ideas.values() if i.column_id == board.columns[0].id]) == 5

    # the authors: members of the event who cannot log in; rows without one are "Import"'s
    members = {m.pseudonym: m for m in (await store.members_of(town.event_id)).values()}
    assert {"Jonas K.", "Petra", "Import", "Code for Aalen"} <= set(members)
    assert members["Petra"].role is Role.PARTICIPANT
    author = {i["title"]: i["author_id"] for i in ideas}
    assert author["Echtzeit-Anzeigen an Bushaltestellen"] == members["Import"].id
    assert (await store.event_numbers(town.event_id)).joined == []  # nobody of them joined the event

    # the console sees them like any idea: detail with provenance and history, search, filters
    detail = await store.idea(town.organizer_id, radweg["id"])
    assert detail.provenance.source == "import" and detail.provenance.room == plenary.name
    assert [h.action for h in detail.history] == ["import"]
    assert detail.history[0].details["row"] == "3" and detail.history[0].details["file"] == "ideen.csv"
    assert detail.history[0].details["review_status"] == "shortlisted"
    found = await store.list_ideas(town.organizer_id, IdeaFilter(query="Sensor"))  # "Sensoren", "Sensoren an"
    assert found.total >= 3
    done = await store.list_ideas(town.organizer_id, IdeaFilter(statuses=(ReviewStatus.DONE,)))
    assert done.total == 5


async def test_the_exports_columns_import_as_the_same_ideas(store: IdeaStore) -> None:
    """Ideas posted on a board, written in the export's columns (UTF-8 with BOM, ";" and tags joined by
    ", ", formulas guarded by an apostrophe), import into another event as the same ideas."""
    workshop = await Workshop.make(store, organizer="aalen")
    await workshop.post("i_1", "Mehr Radwege in der Innenstadt", tags=("Rad", "Innenstadt"), title="Radwege")
    await workshop.post("i_2", "=1+1 ist keine Formel; <b>fett</b> ist kein HTML", field="Umwelt", at=1)
    await workshop.post("i_3", '-Minus, "Zitat" und ein Zeilen-\numbruch', at=2)
    await store.set_review_status(workshop.organizer_id, ["i_1"], ReviewStatus.IN_IMPLEMENTATION)
    await store.set_feedback(workshop.organizer_id, "i_1", "Kommt 2027.")
    source = await store.list_ideas(workshop.organizer_id, IdeaFilter(event_ids=(workshop.event_id,), per_page=10))

    def guard(value: str) -> str:  # the export's formula guard
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

    rows = [
        [
            i.id,
            i.event_title,
            i.field,
            guard(i.title),
            guard(i.text),
            ", ".join(i.tags),
            i.author or "",
            i.created_at.isoformat(),
            "Plenum",
            "",
            "Werkstatt",
            "collect",
            "board",
            i.review_status.value,
            guard(i.feedback),
            "",
            str(i.dots),
            "",
            "",
        ]
        for i in source.items
    ]
    target = await Town.make(store, organizer="aalen", fields=("Mobilität", "Umwelt"))
    imported = await target.run(csv_file(EXPORT_HEADER, rows))

    def same(idea: object) -> tuple[object, ...]:
        return (idea.field, idea.title, idea.text, idea.tags, idea.author, idea.review_status, idea.feedback)  # type: ignore[attr-defined]

    copies = await store.list_ideas(target.organizer_id, IdeaFilter(event_ids=(target.event_id,), per_page=10))
    assert sorted(map(same, copies.items), key=str) == sorted(map(same, source.items), key=str)
    assert {c.author for c in copies.items} == {"Anna"}
    history = (await store.idea(target.organizer_id, copies.items[0].id)).history[0].details
    assert history["original"]["id"] in {"i_1", "i_2", "i_3"} and history["original"]["event"] == "Werkstatt"
    assert len(imported) == 3


async def test_html_and_formulas_in_a_csv_stay_text(store: IdeaStore) -> None:
    town = await Town.make(store)
    texts = [
        "<script>alert('x')</script> Mehr Bänke",
        '=HYPERLINK("http://evil.example";"klick")',
        "+49 7361 52-0 anrufen",
        "@Stadtwerke: Ladesäulen",
    ]
    ideas = await town.run(csv_file(GERMAN_HEADER, [["Mobilität", "", text, "", "", "", ""] for text in texts]))
    assert sorted(i["text"] for i in ideas) == sorted(texts)


# -- bad rows --------------------------------------------------------------------------------------


async def test_every_bad_row_is_reported_and_nothing_is_written(store: IdeaStore) -> None:
    town = await Town.make(store)
    members_before = await store.members_of(town.event_id)
    rows = [
        ["Mobilität", "Gute Idee", "Eine gültige Zeile", "", "", "", ""],  # row 2
        ["Tourismus", "", "Ein Feld, das es nicht gibt", "", "", "", ""],  # 3
        ["Bildung", "", "", "", "", "", ""],  # 4: neither text nor title
        ["Bildung", "", "x" * 2001, "", "", "", ""],  # 5
        ["Bildung", "", "Glocke \x07 läutet", "", "", "", ""],  # 6
        ["Bildung", "", "Viele Schlagworte", ",".join(f"t{n}" for n in range(11)), "", "", ""],  # 7
        ["Bildung", "", "Status?", "", "", "vielleicht", ""],  # 8
        ["Bildung", "", "Langer Name", "", "N" * 41, "", ""],  # 9
        ["Bildung", "", "Lange Rückmeldung", "", "", "", "r" * 4001],  # 10
        ["Bildung", "Zwei\nZeilen", "Titel mit Zeilenumbruch", "", "", "", ""],  # 11
        ["", "", "Ohne Feld", "", "", "", ""],  # 12
        ["Bildung", "T" * 121, "Langer Titel", "", "", "", ""],  # 13
        ["  bildung ", "Nur ein Titel", "", "", "", "", ""],  # 14: valid — the field by any case, the title as text
    ]
    before = await counts(store)
    import_id, report = await town.dry_run(csv_file(GERMAN_HEADER, rows))
    assert problems(report) == {
        "3": ["unknown_field"],
        "4": ["missing_text"],
        "5": ["text_too_long"],
        "6": ["control_characters"],
        "7": ["too_many_tags"],
        "8": ["unknown_status"],
        "9": ["text_too_long"],
        "10": ["text_too_long"],
        "11": ["control_characters"],
        "12": ["missing_field"],
        "13": ["text_too_long"],
    }
    unknown = report.rows[1].problems[0]  # type: ignore[attr-defined]
    assert "Mobilität, Bildung, Digitale Verwaltung" in unknown.message and unknown.params["value"] == "Tourismus"
    valid = [r.idea for r in report.valid]  # type: ignore[attr-defined]
    assert [(i.field, i.title, i.text) for i in valid] == [
        ("Mobilität", "Gute Idee", "Eine gültige Zeile"),
        ("Bildung", "Nur ein Titel", "Nur ein Titel"),
    ]
    with pytest.raises(Conflict) as refused:
        await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    assert refused.value.code == "import_has_errors"
    assert await counts(store) == before and await store.members_of(town.event_id) == members_before

    await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest, valid_only=True)  # type: ignore[attr-defined]
    assert len(await store.idea_rows(town.event_id)) == 2


async def test_row_numbers_are_the_spreadsheets_even_after_a_cell_with_line_breaks(store: IdeaStore) -> None:
    town = await Town.make(store)
    rows = [
        ["Mobilität", "", "Erste Zeile\nzweite Zeile\ndritte Zeile", "", "", "", ""],
        [],  # an empty row: passed over, but counted
        ["Weltraum", "", "Im falschen Feld", "", "", "", ""],
    ]
    _id, report = await town.dry_run(csv_file(GERMAN_HEADER, rows))
    assert problems(report) == {"4": ["unknown_field"]} and report.empty_rows == 1  # type: ignore[attr-defined]


# -- bad files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "separator", "code", "says"),
    [
        (
            csv_file(["Titel", "Beschreibung"], [["a", "b"]]),
            None,
            "missing_columns",
            "field; its header row has: Titel",
        ),
        (csv_file(["Handlungsfeld", "Notiz"], [["a", "b"]]), None, "missing_columns", "lacks the column(s) text"),
        (
            csv_file(["Handlungsfeld", "Idee", "Text"], [["a", "b", "c"]]),
            None,
            "ambiguous_columns",
            "'Idee' and 'Text'",
        ),
        (csv_file(GERMAN_HEADER, [["Mobilität", "", "x", "", "", "", ""]]), ",", "wrong_separator", "';', not ','"),
        (csv_file(["field", "text"], [["Mobilität", "x"]], sep=","), ";", "wrong_separator", "',', not ';'"),
        ("Handlungsfeld;Idee\nMärz;x\n".encode("cp850"), None, "not_utf8", "line 2"),  # DOS: "M„rz"
        ("Handlungsfeld;Idee\nMärz;x\n".encode("mac_roman"), None, "not_utf8", "line 2"),  # Mac: "MŠrz"
        ("Handlungsfeld;Idee\nUmwelt;x\n".encode("utf-16"), None, "not_utf8", "UTF-16"),
        (b"", None, "empty", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), None, "old_excel", ".xls"),
        (b"PK\x03\x04 not really a zip", None, "not_xlsx", "neither"),
        (bytes(range(256)) * 8, None, "not_utf8", "not UTF-8"),
    ],
    ids=[
        "no field",
        "no text",
        "two texts",
        "semicolons read with commas",
        "commas read with semicolons",
        "DOS code page",
        "Mac code page",
        "UTF-16",
        "empty",
        "old Excel",
        "broken zip",
        "binary",
    ],
)
async def test_a_file_that_cannot_be_read_says_why_and_nothing_is_kept(
    store: IdeaStore, data: bytes, separator: str | None, code: str, says: str
) -> None:
    town = await Town.make(store)
    with pytest.raises(ImportFileError) as refused:
        await town.imports.upload(town.organizer_id, town.event_id, "ideen.csv", data, separator)
    assert refused.value.code == code and says in refused.value.message
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.idea_imports)).scalar_one() == 0


async def test_windows_1252_is_read_when_it_is_recognisably_so_and_the_separator_is_found(store: IdeaStore) -> None:
    town = await Town.make(store, fields=("Mobilität", "Umwelt"))
    data = 'Handlungsfeld,Idee,Autor\nMobilität,"Straßenbahn – „schnell“, für 5 €",Jürgen\n'.encode("cp1252")
    _id, report = await town.dry_run(data)
    assert (report.encoding, report.separator) == ("cp1252", ",")  # type: ignore[attr-defined]
    idea = report.valid[0].idea  # type: ignore[attr-defined]
    assert (idea.field, idea.text, idea.author) == ("Mobilität", "Straßenbahn – „schnell“, für 5 €", "Jürgen")


async def test_size_and_row_limits(store: IdeaStore) -> None:
    town = await Town.make(store)
    too_many = csv_file(["field", "text"], [["Mobilität", f"Idee {n}"] for n in range(MAX_ROWS + 1)])
    with pytest.raises(ImportFileError) as refused:
        await town.imports.upload(town.organizer_id, town.event_id, "x.csv", too_many, None)
    assert refused.value.code == "too_many_rows"
    too_large = csv_file(["field", "text"], [["Mobilität", "x" * 1000]] * (MAX_FILE_BYTES // 1000))
    with pytest.raises(ImportFileError) as refused:
        await town.imports.upload(town.organizer_id, town.event_id, "x.csv", too_large, None)
    assert refused.value.code == "too_large"


# -- XLSX ------------------------------------------------------------------------------------------


async def test_an_xlsx_workbook_reads_every_sheet_of_ideas_and_refuses_formulas(store: IdeaStore) -> None:
    town = await Town.make(store)
    data = xlsx_file(
        {
            "Übersicht": [["Handlungsfeld", "Ideen"], ["Mobilität", 2]],
            "Mobilität": [
                ["Handlungsfeld", "Titel", "Idee", "Schlagworte", "Status"],
                ["Mobilität", "Rufbus", "Ein Rufbus für die Teilorte", 2027, "in Umsetzung"],
                ["Mobilität", "Summe", '=CONCAT("Rad";"wege")', None, None],
            ],
            "Bildung": [
                [],
                ["field", "text", "review_status"],
                ["Bildung", "Tablets für Grundschulen", "Done"],
            ],
        }
    )
    import_id, report = await town.dry_run(data)
    assert report.kind == "xlsx" and report.sheets == ["Mobilität", "Bildung"]  # type: ignore[attr-defined]
    assert report.ignored_sheets == ["Übersicht"]  # type: ignore[attr-defined]
    assert problems(report) == {"Mobilität!3": ["formula"]}
    assert report.rows[1].problems[0].params == {"cell": "C3"}  # type: ignore[attr-defined]
    first, last = report.valid[0].idea, report.valid[1].idea  # type: ignore[attr-defined]
    assert (first.tags, first.review_status) == (("2027",), ReviewStatus.IN_IMPLEMENTATION)  # a number as text
    assert (report.valid[1].ref, last.review_status) == ("Bildung!3", ReviewStatus.DONE)  # type: ignore[attr-defined]
    before = await counts(store)
    with pytest.raises(Conflict):
        await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    assert await counts(store) == before


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return buf.getvalue()


XLSX_PARTS = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        # 15 MB of zeros in 15 KB; not even XML: openpyxl would fail otherwise, with another error
        ({**XLSX_PARTS, "xl/worksheets/sheet1.xml": bytes(15 * 1024 * 1024)}, "times its size"),
        ({**XLSX_PARTS, **{f"xl/media/{n}.xml": b"<x/>" for n in range(1001)}}, "holds 1,003 files"),
    ],
    ids=["ratio", "entries"],
)
async def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    store: IdeaStore, entries: dict[str, bytes], says: str
) -> None:
    town = await Town.make(store)
    with pytest.raises(ImportFileError) as refused:
        await town.imports.upload(town.organizer_id, town.event_id, "bomb.xlsx", _zip(entries), None)
    assert refused.value.code == "zip_bomb" and says in refused.value.message


def with_shared_strings(workbook: bytes, sst: bytes) -> bytes:
    """The workbook with ``sst`` as its shared strings, where Excel puts them and as openpyxl finds them."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["xl/sharedStrings.xml"] = sst
    return _zip(parts)


async def test_shared_strings_too_large_to_parse_are_refused_before_they_are_parsed(store: IdeaStore) -> None:
    """Tiny strings pack about six to one, under every ratio, and cost openpyxl a second per MB or
    more: past ``MAX_PART_BYTES`` the workbook is refused from its zip directory alone (the code
    ``zip_bomb`` comes only from there, before openpyxl opens the file)."""
    town = await Town.make(store)
    sst = b"".join(b"<si><t>%05d</t></si>" % (n % 100_000) for n in range(MAX_PART_BYTES // 20 + 1))
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + sst + b"</sst>"
    data = with_shared_strings(xlsx_file({"Ideen": [["Handlungsfeld", "Idee"], ["Mobilität", "Rufbus"]]}), sst)
    assert len(data) < MAX_FILE_BYTES and len(sst) < 10 * len(data)  # an upload, and no zip bomb by its ratio
    with pytest.raises(ImportFileError) as refused:
        await town.imports.upload(town.organizer_id, town.event_id, "ideen.xlsx", data, None)
    assert refused.value.code == "zip_bomb"
    assert f"xl/sharedStrings.xml would unpack to {len(sst):,} bytes" in refused.value.message
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.idea_imports)).scalar_one() == 0


async def test_the_file_is_read_while_the_boards_are_written(store: IdeaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a file may take seconds: it holds none of the store's threads, so a board write of the
    live event goes on meanwhile (on SQLite it would otherwise wait for the one writer)."""
    town = await Town.make(store)
    workshop = await Workshop.make(store)
    loop = asyncio.get_running_loop()
    reading = asyncio.Event()
    written = threading.Event()
    threads: list[str] = []

    def slow_read(data: bytes, separator: str | None = None) -> object:  # the real reader, once a board is written
        threads.append(threading.current_thread().name)
        loop.call_soon_threadsafe(reading.set)
        assert written.wait(timeout=30), "the board write waited for the file to be read"
        return read_table(data, separator)

    monkeypatch.setattr(imports, "read_table", slow_read)
    data = csv_file(GERMAN_HEADER, [["Mobilität", "Rufbus", "Ein Rufbus für die Teilorte", "", "", "", ""]])

    async def while_reading(step: str, call: Coroutine[Any, Any, R]) -> R:
        written.clear()
        reading.clear()
        task = asyncio.create_task(call)
        await reading.wait()
        await workshop.post(f"i-{len(threads)}", f"Während des Lesens ({step})")  # the writer is free
        written.set()
        return await task

    o, e = town.organizer_id, town.event_id
    import_id = await while_reading("upload", town.imports.upload(o, e, "x.csv", data, None))
    report = await while_reading("dry run", town.imports.dry_run(o, e, import_id))
    await while_reading("import", town.imports.write(o, e, import_id, report.digest))
    assert len(threads) == 3 and not any(name.startswith("werkstatt-db") for name in threads)
    board = await store.load_board(workshop.board.id)
    assert [i.text for i in board.ideas.values()] == [
        "Während des Lesens (upload)",
        "Während des Lesens (dry run)",
        "Während des Lesens (import)",
    ]
    assert len(await store.idea_rows(town.event_id)) == 1


async def test_a_zip_that_is_no_workbook_is_not_an_xlsx(store: IdeaStore) -> None:
    town = await Town.make(store)
    with pytest.raises(ImportFileError) as refused:
        await town.imports.upload(town.organizer_id, town.event_id, "x.ods", _zip({"mimetype": b"x"}), None)
    assert refused.value.code == "not_xlsx"


# -- who and when ----------------------------------------------------------------------------------


async def test_only_into_the_organizers_own_events(store: IdeaStore) -> None:
    aalen = await Town.make(store, organizer="aalen")
    jena = await Town.make(store, organizer="jena")
    data = FIXTURE.read_bytes()
    with pytest.raises(NotFound):
        await jena.imports.upload(jena.organizer_id, aalen.event_id, "x.csv", data, None)
    import_id, report = await aalen.dry_run(data)
    for organizer_id, event_id in ((jena.organizer_id, aalen.event_id), (jena.organizer_id, jena.event_id)):
        with pytest.raises(NotFound):
            await jena.imports.dry_run(organizer_id, event_id, import_id)
        with pytest.raises(NotFound):
            await jena.imports.write(organizer_id, event_id, import_id, report.digest)  # type: ignore[attr-defined]
    with pytest.raises(NotFound):  # aalen's upload is for aalen's event only
        await aalen.imports.dry_run(aalen.organizer_id, jena.event_id, import_id)
    assert await store.idea_rows(jena.event_id) == [] and await store.idea_rows(aalen.event_id) == []


async def test_the_import_writes_what_the_dry_run_showed_and_only_once(store: IdeaStore) -> None:
    town = await Town.make(store)
    import_id, report = await town.dry_run(FIXTURE.read_bytes())
    before = await counts(store)
    await store.update_event(  # a field renamed meanwhile: the dry run no longer says what would happen
        town.event_id, title="Ideenspeicher", description="", date=None, language="de",
        field_names=("Verkehr", *FIELDS[1:]),
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    assert refused.value.code == "import_changed"
    after_rename = await counts(store)
    assert {k: after_rename[k] - before[k] for k in before} == {k: (1 if k == "fields" else 0) for k in before}

    report = await town.imports.dry_run(town.organizer_id, town.event_id, import_id)
    assert len(report.errors) == 5  # the five ideas of "Mobilität"
    await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest, valid_only=True)
    assert len(await store.idea_rows(town.event_id)) == 27
    with pytest.raises(Conflict) as again:
        await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest, valid_only=True)
    assert again.value.code == "import_done"
    record = await town.imports.record(town.organizer_id, town.event_id, import_id)
    assert record.imported and record.ideas == 27 and record.board_title is not None
    with store.engine.connect() as conn:  # the file itself is not kept once imported
        content = conn.execute(sa.select(t.idea_imports.c.content).where(t.idea_imports.c.id == import_id))
        assert content.scalar_one() is None


async def test_authors_whose_pseudonym_is_taken_get_a_variant(store: IdeaStore) -> None:
    town = await Town.make(store)
    await store.create_member(town.event_id, Role.PARTICIPANT, "Petra", "blue", token_hash("petra"))
    await store.create_member(town.event_id, Role.PARTICIPANT, "Import", "red", token_hash("import"))
    rows = [
        ["Mobilität", "", "Eins", "", "Petra", "", ""],
        ["Mobilität", "", "Zwei", "", "petra", "", ""],
        ["Mobilität", "", "Drei", "", "Jonas", "", ""],
        ["Mobilität", "", "Vier", "", "", "", ""],
    ]
    import_id, report = await town.dry_run(csv_file(GERMAN_HEADER, rows))
    assert report.renamed() == [("Petra", "Petra (Import)"), ("petra", "Petra (Import)")]  # type: ignore[attr-defined]
    assert report.authors[None] == "Import (Import)" and report.authors["Jonas"] == "Jonas"  # type: ignore[attr-defined]
    await town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    names = sorted(m.pseudonym for m in (await store.members_of(town.event_id)).values())
    assert names == ["Import", "Import (Import)", "Jonas", "Petra", "Petra (Import)"]
    authors = {i["text"]: i["author_id"] for i in await store.idea_rows(town.event_id)}
    assert authors["Eins"] == authors["Zwei"]  # "Petra" and "petra" are one


async def test_two_imports_of_one_upload_at_once_write_it_once(store: IdeaStore) -> None:
    town = await Town.make(store)
    import_id, report = await town.dry_run(FIXTURE.read_bytes())
    write = town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    again = town.imports.write(town.organizer_id, town.event_id, import_id, report.digest)  # type: ignore[attr-defined]
    results = await asyncio.gather(write, again, return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "ImportRecord"]
    assert next(r for r in results if isinstance(r, Conflict)).code == "import_done"
    assert len(await store.idea_rows(town.event_id)) == 32
    assert len(await store.board_ids((await store.plenary(town.event_id)).id)) == 2
