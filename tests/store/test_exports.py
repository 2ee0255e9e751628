"""The export records on SQLite and PostgreSQL: the internal kind holds everything the organizer sees;
the open-data kind no personal data, nothing hidden, pending or deleted and no unrevealed dots, in
every format; open data is public only while published; each organizer exports only their own."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

import openpyxl
import pytest

from boards import commands as c
from boards.actors import Actor
from boards.errors import InvalidInput, NotFound
from boards.model import Phase
from boards.open_data import Licence, OpenData, clean_open_data
from server.i18n.catalogs import Translator
from server.store.db import create_engine, migrate
from server.store.exports.formats import Format, render
from server.store.exports.open_data import catalog, write_zip
from server.store.exports.records import Export, ExportKind
from server.store.idea_store import IdeaStore
from tests.store.test_curation import T0, Workshop

TR = Translator("de")
PUBLISHED = OpenData(Licence.CC_BY_4, "Stadt Aalen", "", True)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


@dataclass
class Scene:
    w: Workshop
    anonymous_board: str


async def scene(store: IdeaStore) -> Scene:
    """Ideas visible, hidden, pending, deleted and anonymous; comments visible and hidden; dots of an
    open vote (revealed) and of a blind vote (not revealed)."""
    w = await Workshop.make(store)
    fac = Actor(w.fac.id, w.fac.role)
    anna = Actor(w.anna.id, w.anna.role)
    await w.post("i_open", "Radweg am Kocher", tags=("Radverkehr",))
    await w.post("i_blind", "Busse am Sonntag", at=1)
    await w.post("i_hidden", "Ausgeblendete Idee", at=2)
    await w.post("i_deleted", "Gelöschte Idee", at=3)
    await w.run(fac, c.ModerateIdea("i_hidden", "hide", T0))
    await w.run(anna, c.DeleteIdea("i_deleted", T0))
    await w.run(anna, c.AddComment("cm_ok", "i_open", "Unbedingt!", T0))
    await w.run(anna, c.AddComment("cm_hidden", "i_open", "Versteckter Kommentar", T0))
    await w.run(fac, c.ModerateComment("cm_hidden", True, T0))
    await w.run(fac, c.SetPremoderation(True, T0))
    await w.post("i_pending", "Wartende Idee", field="Umwelt", at=4)
    main = w.board
    plenary = await store.plenary(w.event_id)
    anonymous = await store.create_board(w.event_id, plenary.id, "Anonym", anonymous=True)
    w.board = await store.load_board(anonymous)
    await w.post("i_anon", "Anonyme Idee", at=5)
    await w.run(anna, c.AddComment("cm_anon", "i_anon", "Anonymer Kommentar", T0))
    w.board = main
    await w.vote("vs_1", ["i_open", "i_open"], blind=False, reveal=True)
    await w.vote("vs_2", ["i_blind", "i_blind", "i_blind"], blind=True, reveal=False)
    return Scene(w, anonymous)


def every_format(export: Export) -> dict[str, str]:
    """Each format's text: the XLSX as the text of all its cells."""
    out = {}
    for fmt in Format:
        body = render(export, fmt, TR, "de").body
        if fmt is Format.XLSX:
            book = openpyxl.load_workbook(io.BytesIO(body))
            cells = [str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row if v]
            out[fmt.value] = "\n".join(cells)
        else:
            out[fmt.value] = body.decode("utf-8")
    return out


async def test_open_data_holds_no_personal_data_nor_anything_hidden(store: IdeaStore) -> None:
    s = await scene(store)
    w = s.w
    export = await store.export(w.organizer_id, [w.event_id], ExportKind.OPEN)
    assert sorted(i.id for i in export.ideas) == ["i_anon", "i_blind", "i_open"]
    by_id = {i.id: i for i in export.ideas}
    assert by_id["i_open"].dots == 2 and by_id["i_open"].dots_by_round == ((1, 2),)
    assert by_id["i_blind"].dots == 0 and by_id["i_blind"].dots_by_round == ()  # the blind vote is not revealed
    assert [cm.text for cm in by_id["i_open"].comments] == ["Unbedingt!"]
    assert all(i.author is None for i in export.ideas)
    assert all(cm.author is None for i in export.ideas for cm in i.comments)
    secrets = ("Anna", "Fatma", w.anna.id, w.fac.id, "Versteckter Kommentar", "Ausgeblendete", "Gelöschte", "Wartende")
    for fmt, text in every_format(export).items():
        for secret in secrets:
            assert secret not in text, f"{fmt} holds {secret!r}"
        assert "Radweg am Kocher" in text and "Anonymer Kommentar" in text
    document = json.loads(render(export, Format.JSON, TR, "de").body)
    assert {i["id"]: i["dots"] for i in document["ideas"]} == {"i_open": 2, "i_blind": 0, "i_anon": 0}
    # revealed, the blind vote's dots are everyone's
    f = Actor(w.fac.id, w.fac.role)
    await w.run(f, c.RevealVote("vs_2", T0))
    again = await store.export(w.organizer_id, [w.event_id], ExportKind.OPEN)
    assert {i.id: i.dots_by_round for i in again.ideas}["i_blind"] == ((2, 3),)


async def test_open_data_holds_no_idea_of_a_silent_collection_before_its_reveal(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    fac = Actor(w.fac.id, w.fac.role)
    await w.run(fac, c.SetPhase(Phase.COLLECT, T0, silent=True))
    await w.post("i_silent", "Nur die Autorin sieht das bis zur Freigabe")
    assert (await store.export(w.organizer_id, [w.event_id], ExportKind.OPEN)).ideas == []
    internal = await store.export(w.organizer_id, [w.event_id], ExportKind.INTERNAL)
    assert [i.id for i in internal.ideas] == ["i_silent"]
    await w.run(fac, c.RevealIdeas(T0))
    assert [i.id for i in (await store.export(w.organizer_id, [w.event_id], ExportKind.OPEN)).ideas] == ["i_silent"]


async def test_internal_export_holds_everything_the_organizer_sees(store: IdeaStore) -> None:
    s = await scene(store)
    w = s.w
    export = await store.export(w.organizer_id, [w.event_id], ExportKind.INTERNAL)
    by_id = {i.id: i for i in export.ideas}
    assert sorted(by_id) == ["i_anon", "i_blind", "i_hidden", "i_open", "i_pending"]  # deleted ones never
    assert by_id["i_hidden"].board_status == "hidden" and by_id["i_pending"].board_status == "pending"
    assert by_id["i_open"].author == "Anna" and by_id["i_anon"].author is None
    assert sorted((cm.text, cm.hidden, cm.author) for cm in by_id["i_open"].comments) == [
        ("Unbedingt!", False, "Anna"),
        ("Versteckter Kommentar", True, "Anna"),
    ]
    assert by_id["i_anon"].comments[0].author is None  # anonymous boards stay anonymous
    assert by_id["i_blind"].dots == 0  # the organizer too sees only the dots everyone may see
    assert (
        by_id["i_open"].room == "Plenum"
        and by_id["i_open"].phase == "collect"
        and by_id["i_open"].tags == ("Radverkehr",)
    )
    assert by_id["i_pending"].field == "Umwelt" and by_id["i_anon"].board == "Anonym"
    texts = every_format(export)
    assert all("Versteckter Kommentar" in text for text in texts.values())
    assert w.anna.id not in "".join(texts.values())  # member ids are in no export


async def test_exports_are_the_organizers_own(store: IdeaStore) -> None:
    s = await scene(store)
    other = await Workshop.make(store, organizer="andere", title="Fremd")
    with pytest.raises(NotFound):
        await store.export(other.organizer_id, [s.w.event_id], ExportKind.INTERNAL)
    with pytest.raises(NotFound):  # all or nothing
        await store.export(s.w.organizer_id, [s.w.event_id, other.event_id], ExportKind.INTERNAL)
    with pytest.raises(NotFound):
        await store.set_open_data(other.organizer_id, s.w.event_id, PUBLISHED)
    await other.post("i_x", "Fremde Idee")
    second = await Workshop.make(store, title="Zweite Werkstatt")
    await second.post("i_second", "Zweite Idee")
    both = await store.export(s.w.organizer_id, [second.event_id, s.w.event_id], ExportKind.INTERNAL)
    assert [e.title for e in both.events] == ["Zweite Werkstatt", "Werkstatt"]
    assert both.ideas[0].id == "i_second" and "i_x" not in {i.id for i in both.ideas}


async def test_open_data_is_public_only_while_published(store: IdeaStore) -> None:
    s = await scene(store)
    w = s.w
    with pytest.raises(NotFound):
        await store.open_export(w.event_id)
    assert await store.published_exports() == []
    await store.set_open_data(w.organizer_id, w.event_id, PUBLISHED)
    export = await store.open_export(w.event_id)
    assert export.kind is ExportKind.OPEN and len(export.ideas) == 3
    [listed] = await store.published_exports()
    assert listed.events[0].open_data == PUBLISHED and listed.events[0].issued_at is not None
    first_issued = listed.events[0].issued_at
    document = catalog([export], "https://beteiligung.example", TR, about="https://beteiligung.example/x")
    [dataset] = document["dcat:dataset"]
    assert dataset["dct:publisher"]["foaf:name"] == "Stadt Aalen"
    assert {d["dct:license"]["@id"] for d in dataset["dcat:distribution"]} == {Licence.CC_BY_4.uri}
    archive = zipfile.ZipFile(io.BytesIO(write_zip(export, "https://beteiligung.example", TR)))
    assert sorted(archive.namelist()) == [
        "README.md",
        "catalog.jsonld",
        "export.schema.json",
        "ideas.csv",
        "ideas.json",
    ]
    assert "http://dcat-ap.de/def/licenses/cc-by/4.0" in archive.read("README.md").decode()
    assert "Anna" not in archive.read("ideas.json").decode()
    # switched off: gone again; published again: first issued as before
    await store.set_open_data(w.organizer_id, w.event_id, OpenData(Licence.CC_BY_4, "Stadt Aalen", "", False))
    with pytest.raises(NotFound):
        await store.open_export(w.event_id)
    await store.set_open_data(w.organizer_id, w.event_id, PUBLISHED)
    assert (await store.published_exports())[0].events[0].issued_at == first_issued


@pytest.mark.parametrize(
    ("licence", "publisher", "contributor", "publish", "code"),
    [
        ("", "Stadt Aalen", "", True, "licence_missing"),
        ("cc-by/4.0", "  ", "", True, "publisher_missing"),
        ("mit", "Stadt Aalen", "", False, "invalid_licence"),
        ("cc-zero", "Stadt Aalen", "javascript:alert(1)", True, "invalid_contributor"),
        ("cc-zero", "Stadt\x07Aalen", "", True, "control_characters"),
    ],
)
def test_bad_open_data_settings_are_refused(
    licence: str, publisher: str, contributor: str, publish: bool, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_open_data(licence_key=licence, publisher=publisher, contributor_id=contributor, publish=publish)
    assert refused.value.code == code


def test_open_data_settings_that_are_complete_are_taken() -> None:
    settings = clean_open_data(
        licence_key="dl-zero-de/2.0",
        publisher=" Stadt Jena ",
        contributor_id="http://dcat-ap.de/def/contributors/stadtJena",
        publish=True,
    )
    assert settings == OpenData(
        Licence.DL_ZERO_DE_2, "Stadt Jena", "http://dcat-ap.de/def/contributors/stadtJena", True
    )
    assert settings.licence is not None and not settings.licence.attribution
    # unpublished, nothing is required yet
    assert clean_open_data(licence_key="", publisher="", contributor_id="", publish=False) == OpenData()
