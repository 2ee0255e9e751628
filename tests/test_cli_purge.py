"""``werkstatt purge`` through ``server.cli.main``: the retention period from the settings or ``--older-than``,
what it did printed per event, a dry run that changes nothing, a second run that finds nothing to do, and
uploaded idea files never imported deleted once their day is over."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.cli import main
from server.ids import token_hash, utcnow
from server.store import tables as t
from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from server.store.imports import ImportStore
from tests.store.test_curation import T0
from tests.store.test_personal_data import ANNA, Scene, backdate, dump


def build(url: str) -> tuple[str, str]:
    """An event from T0 (long past) and one of today, each with the scene's people and contributions."""

    async def scenes() -> tuple[str, str]:
        engine = create_engine(url)
        await migrate(engine)
        store = IdeaStore(engine)
        try:
            old = await Scene.scene(store, "orga", "Werkstatt Mai")
            await backdate(store, old.event_id, T0)
            recent = await Scene.scene(store, "orga", "Werkstatt Dezember")
            return old.event_id, recent.event_id
        finally:
            await store.close()

    return asyncio.run(scenes())


def snapshot(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    store = IdeaStore(engine)
    try:
        return dump(store)
    finally:
        asyncio.run(store.close())


def pseudonyms(url: str, event_id: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.select(t.members.c.pseudonym).where(t.members.c.event_id == event_id)).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'purge.db'}"


def test_purge_dry_run_then_purge_then_nothing_left(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    old, recent = build(url)
    before = snapshot(url)

    assert main(["purge", "--database", url, "--older-than", "90", "--dry-run"], env={}) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing changed" in out and "'Werkstatt Mai'" in out and "Dezember" not in out
    assert "would erase 4 member(s)' pseudonyms and tokens, 2 chat message(s), 2 question(s)" in out
    assert snapshot(url) == before

    assert main(["purge", "--database", url], env={"WERKSTATT_RETENTION_DAYS": "90"}) == 0
    out = capsys.readouterr().out
    assert "erased 4 member(s)' pseudonyms and tokens, 2 chat message(s), 2 question(s)" in out
    assert "1 event(s) past the retention period, 1 with personal data erased now" in out
    assert ANNA not in pseudonyms(url, old) and ANNA in pseudonyms(url, recent)
    after = snapshot(url)
    assert not any(token_hash(old + "anna") in row for row in after["members"])

    assert main(["purge", "--database", url, "--older-than", "90"], env={}) == 0
    out = capsys.readouterr().out
    assert "1 event(s) past the retention period, 0 with personal data erased now" in out
    assert snapshot(url) == after  # idempotent


def test_purge_needs_a_retention_period(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["purge", "--database", url], env={}) == 2
    assert "no retention period" in capsys.readouterr().err
    assert main(["purge", "--database", url, "--older-than", "0"], env={}) == 2
    assert "1 to 36500 days" in capsys.readouterr().err
    assert main(["purge", "--database", url], env={"WERKSTATT_RETENTION_DAYS": "0"}) == 2
    assert "retention_days" in capsys.readouterr().err


def test_purge_deletes_an_upload_never_imported_after_its_day_and_says_so(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _old, recent = build(url)

    async def upload() -> None:
        engine = create_engine(url)
        store = IdeaStore(engine)
        try:
            organizer = await store.organizer_by_username("orga")
            assert organizer is not None
            data = "Handlungsfeld;Idee;Autor\r\nMobilität;Ein Rufbus;Annika Muster\r\n".encode()
            await ImportStore(store).upload(organizer.id, recent, "ideen.csv", data, None)
        finally:
            await store.close()

    asyncio.run(upload())
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(t.idea_imports.update().values(expires_at=utcnow() - timedelta(hours=1)))
    engine.dispose()

    assert main(["purge", "--database", url, "--older-than", "90", "--dry-run"], env={}) == 0
    assert "1 uploaded idea file(s) never imported and past their 24 hours to delete" in capsys.readouterr().out
    assert main(["purge", "--database", url, "--older-than", "90"], env={}) == 0
    assert "1 uploaded idea file(s) never imported and past their 24 hours deleted" in capsys.readouterr().out
    assert not any("Annika Muster" in row for row in snapshot(url)["idea_imports"])
