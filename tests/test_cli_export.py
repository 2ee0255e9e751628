"""``werkstatt export``, run as a person would: the file it writes parses, open data holds no pseudonym,
and a wrong event or an old schema gets a message, not a traceback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl

from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from tests.store.test_curation import Workshop
from tests.test_cli import werkstatt


async def workshop(db: str) -> str:
    engine = create_engine(db)
    await migrate(engine)
    store = IdeaStore(engine)
    try:
        w = await Workshop.make(store, title="Werkstatt Jena")
        await w.post("i_a", "@SUM(A1) mehr Grün")
        await w.post("i_b", "Radwege", field="Umwelt", at=1)
        return w.event_id
    finally:
        await store.close()
        engine.dispose()


async def test_export_writes_each_format(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    event_id = await workshop(db)
    done = werkstatt("export", event_id, "--database", db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff")), delimiter=";"))
    assert [(r["text"], r["author"]) for r in rows] == [("'@SUM(A1) mehr Grün", "Anna"), ("Radwege", "Anna")]

    out = tmp_path / "ideen.xlsx"
    done = werkstatt("export", event_id, "--format", "xlsx", "--output", str(out), "--database", db, cwd=tmp_path)
    assert done.returncode == 0 and "2 ideas written" in done.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["Zusammenfassung", "Mobilität", "Umwelt"]

    done = werkstatt("export", event_id, "--format", "json", "--kind", "open", "--database", db, cwd=tmp_path)
    document = json.loads(done.stdout)
    assert document["kind"] == "open" and "Anna" not in done.stdout


async def test_export_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    await workshop(db)
    unknown = werkstatt("export", "ev_nope", "--database", db, cwd=tmp_path)
    assert unknown.returncode == 1 and "No such event" in unknown.stderr and "Traceback" not in unknown.stderr
    bad = werkstatt("export", "ev_x", "--format", "pdf", "--database", db, cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    old = werkstatt("export", "ev_x", "--database", empty, cwd=tmp_path)
    assert old.returncode == 1 and "werkstatt migrate" in old.stderr
