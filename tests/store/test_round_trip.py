"""Export → import gives the same ideas, on SQLite and PostgreSQL: the files the console and
``werkstatt export`` write (CSV with ";" and with ",", XLSX) imported into another event of the organizer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from boards.actors import Actor
from boards.commands import AddComment
from boards.curation import ReviewStatus
from server.store.curation import IdeaFilter, IdeaSummary
from server.store.db import create_engine, migrate
from server.store.exports.records import ExportKind
from server.store.exports.to_csv import write_csv
from server.store.exports.to_xlsx import write_xlsx
from server.store.idea_store import IdeaStore
from server.store.imports import ImportStore
from tests.store.test_curation import T0, Workshop

HOSTILE = (
    '=HYPERLINK("http://evil.example";"klick") bitte nicht',
    "+49 7361 52-0 anrufen",
    "-Minus am Anfang",
    "@Stadtwerke: Ladesäulen",
    "<script>alert(1)</script> Mehr Bänke",
    'Ein "Zitat"; mit Semikolon, Komma\nund zweiter Zeile',
    "'+1 mit Apostroph davor",  # a text that looks like the export's own guard
    "''=A1 zwei Apostrophe",
    "'Apostroph ohne Formel",
)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


def same(idea: IdeaSummary) -> tuple[object, ...]:
    return (idea.field, idea.title, idea.text, idea.tags, idea.author, idea.review_status, idea.feedback)


async def ideas_of(store: IdeaStore, organizer_id: str, event_id: str) -> list[IdeaSummary]:
    page = await store.list_ideas(organizer_id, IdeaFilter(event_ids=(event_id,), per_page=100))
    return page.items


@pytest.mark.parametrize("fmt", ["csv;", "csv,", "xlsx"])
async def test_an_export_imports_as_the_same_ideas(store: IdeaStore, fmt: str) -> None:
    source = await Workshop.make(store, organizer="aalen", title="Zukunftswerkstatt")
    await source.post("i_rad", "Mehr Radwege in der Innenstadt", title="Radwege", tags=("Rad", "Innenstadt"))
    for n, text in enumerate(HOSTILE, start=1):
        await source.post(f"i_{n}", text, field="Umwelt" if n % 2 else "Mobilität", at=n, tags=("Ärger & Co", "'=x"))
    await source.run(Actor(source.anna.id, source.anna.role), AddComment("cm_1", "i_rad", "Gute Idee", T0))
    await store.set_review_status(source.organizer_id, ["i_rad", "i_2"], ReviewStatus.IN_IMPLEMENTATION)
    await store.set_feedback(source.organizer_id, "i_rad", "=Kommt 2027.\nDanke!")
    await store.set_feedback(source.organizer_id, "i_3", "Wird geprüft")
    export = await store.export(source.organizer_id, [source.event_id], ExportKind.INTERNAL)
    if fmt == "xlsx":
        data = write_xlsx(export, lambda key, **_kw: key)
    else:
        data = write_csv(export, separator=fmt[-1])

    org = source.organizer_id
    target = await store.create_event(
        org, title="Ideenspeicher", description="", date=None, language="de", field_names=("Mobilität", "Umwelt")
    )
    imports = ImportStore(store)
    import_id = await imports.upload(org, target.id, f"ideen.{fmt[:4]}", data, None)
    report = await imports.dry_run(org, target.id, import_id)
    assert report.errors == [] and len(report.valid) == 1 + len(HOSTILE)
    assert await ideas_of(store, org, target.id) == []  # the dry run wrote nothing
    await imports.write(org, target.id, import_id, report.digest)

    originals = await ideas_of(store, org, source.event_id)
    copies = await ideas_of(store, org, target.id)
    assert len(copies) == 1 + len(HOSTILE)
    assert sorted(map(same, copies), key=repr) == sorted(map(same, originals), key=repr)
    # and the copies export as the originals did
    again = await store.export(org, [target.id], ExportKind.INTERNAL)
    assert sorted((i.field, i.title, i.text, i.tags, i.feedback) for i in again.ideas) == sorted(
        (i.field, i.title, i.text, i.tags, i.feedback) for i in export.ideas
    )
