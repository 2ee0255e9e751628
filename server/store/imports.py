"""Importing ideas from a CSV or XLSX file into an organizer's event: upload, dry run, import.

1. ``upload`` reads the file (``server.store.import_files``; a file that cannot be read at all is an
   ``ImportFileError`` and nothing is kept) and keeps it under a random id for ``KEEP``.
2. ``dry_run`` reads it again against the event as it is now and reports every row: the idea it
   becomes or its problems (``boards.imports.check_row``). Nothing is written. The report's
   ``digest`` fingerprints what it showed.
3. ``write`` imports exactly that: it reads the file again, and writes only if the digest is the
   same (the event's fields did not change meanwhile) — all in one transaction, so an import is
   wholly in the store or not at all, and an upload is imported at most once (the transaction
   first claims the upload, which a second one then finds claimed).

The file is read (``read_table``, up to seconds for a large workbook) on a thread of asyncio's own
(``asyncio.to_thread``), never on the store's database threads: not on SQLite's one writer, which
every board write of the live server waits for, nor on a reader or a PostgreSQL connection's
thread. Those are held only for the statements: the upload's INSERT, the dry run's look-up.

Where the ideas go: a new board in the event's plenary, "Import 2026-12-06", whose columns are the
event's fields, made in the same transaction as its ideas — never a board that may be live on some
node, whose state is in that node's memory. Each author of the file becomes a member of the event
who cannot log in (the hash of a token nobody holds, as ``IdeaStore.organizer_member``); a
pseudonym a member has already gets a variant (``boards.imports.author_names``). Each idea gets a
history entry ``import`` with the file, the row, its status and feedback and the export's provenance
columns. The search index follows by itself (SQLite triggers, PostgreSQL's expression index).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.actors import Role
from boards.errors import Conflict, InvalidInput, NotFound
from boards.imports import ImportedIdea, Problem, author_names, cell, check_row, plan_digest
from boards.ordering import spread_keys
from rooms.members import AVATAR_COLOURS, pseudonym_key
from server.ids import new_id, new_token, token_hash, utcnow
from server.store import tables as t
from server.store.boards import BoardStore, in_thread, reading
from server.store.idea_store import _read_event
from server.store.import_files import Table, column_letter, read_table

KEEP = timedelta(hours=24)  # how long an uploaded file waits for its import
BATCH = 500  # rows per INSERT, and how often the progress is told
IDEA_COLUMNS = ("field", "title", "text", "tags", "author", "review_status", "feedback")

Progress = Callable[[int, int], None]  # (ideas written, of how many)


@dataclass(frozen=True, slots=True)
class RowReport:
    sheet: str | None
    number: int
    values: dict[str, str]  # the idea columns as the file has them
    idea: ImportedIdea | None
    problems: list[Problem]

    @property
    def ref(self) -> str:
        return str(self.number) if self.sheet is None else f"{self.sheet}!{self.number}"


@dataclass(frozen=True, slots=True)
class Report:
    """What an import would do: every row's idea or problems, and what is said of the file."""

    import_id: str
    filename: str
    kind: str  # csv, xlsx
    encoding: str | None
    separator: str | None
    sheets: list[str]
    ignored_sheets: list[str]
    ignored_columns: list[str]
    empty_rows: int
    rows: list[RowReport]
    fields: list[str]  # the event's fields of action
    authors: dict[str | None, str]  # each author of a valid row → the pseudonym they get
    digest: str

    @property
    def valid(self) -> list[RowReport]:
        return [r for r in self.rows if r.idea is not None]

    @property
    def errors(self) -> list[RowReport]:
        return [r for r in self.rows if r.idea is None]

    def per_field(self) -> list[tuple[str, int]]:
        """How many ideas each field gets, in the event's order of fields."""
        counts = Counter(r.idea.field for r in self.valid if r.idea is not None)
        return [(name, counts[name]) for name in self.fields if counts[name]]

    def renamed(self) -> list[tuple[str, str]]:
        """Authors whose pseudonym the event has already: (as in the file, as they will appear)."""
        return [(a, b) for a, b in self.authors.items() if a is not None and a != b]


@dataclass(frozen=True, slots=True)
class ImportRecord:
    id: str
    event_id: str
    filename: str
    imported: bool
    board_id: str | None
    ideas: int | None
    board_title: str | None = None


class ImportStore(BoardStore):
    """The imports' part of the idea store. It works on the store's engine and threads: made from
    the app's ``IdeaStore`` for a request, never closed itself."""

    def __init__(self, store: BoardStore) -> None:  # not super().__init__(): that would start new threads
        self.engine = store.engine
        self.executor = store.executor
        self.readers = store.readers

    async def upload(self, organizer_id: str, event_id: str, filename: str, data: bytes, separator: str | None) -> str:
        """Keep a file that can be read for its dry run; returns its id. Raises ``ImportFileError``."""
        await asyncio.to_thread(read_table, data, separator)
        return await self._keep(organizer_id, event_id, filename, data, separator)

    @in_thread
    def _keep(self, organizer_id: str, event_id: str, filename: str, data: bytes, separator: str | None) -> str:
        import_id = new_id("imp")
        now = utcnow()
        with self.engine.begin() as conn:
            _own_event(conn, organizer_id, event_id)
            conn.execute(
                t.idea_imports.delete().where(t.idea_imports.c.expires_at < now, t.idea_imports.c.imported_at.is_(None))
            )
            conn.execute(
                t.idea_imports.insert().values(
                    id=import_id,
                    organizer_id=organizer_id,
                    event_id=event_id,
                    filename=(filename or "")[-200:],
                    separator=separator,
                    content=data,
                    created_at=now,
                    expires_at=now + KEEP,
                )
            )
        return import_id

    @reading
    def record(self, organizer_id: str, event_id: str, import_id: str) -> ImportRecord:
        with self.engine.connect() as conn:
            row = _upload(conn, organizer_id, event_id, import_id)
            title = conn.execute(sa.select(t.boards.c.title).where(t.boards.c.id == row.board_id)).scalar()
        return ImportRecord(
            row.id, row.event_id, row.filename, row.imported_at is not None, row.board_id, row.ideas, title
        )

    async def dry_run(self, organizer_id: str, event_id: str, import_id: str) -> Report:
        """What importing the upload would do now. Writes nothing."""
        row, fields, taken = await self._waiting(organizer_id, event_id, import_id)
        return await asyncio.to_thread(_read_report, row, list(fields), taken)

    @reading
    def _waiting(self, organizer_id: str, event_id: str, import_id: str) -> tuple[Any, dict[str, str], set[str]]:
        """The upload waiting for its import, the event's fields and the pseudonyms taken in it."""
        with self.engine.connect() as conn:
            row = _upload(conn, organizer_id, event_id, import_id, waiting=True)
            return row, _fields(conn, event_id), _taken(conn, event_id)

    async def write(
        self,
        organizer_id: str,
        event_id: str,
        import_id: str,
        digest: str,
        *,
        valid_only: bool = False,
        progress: Progress | None = None,
    ) -> ImportRecord:
        """Import what the dry run with ``digest`` showed: its valid rows, and only if none has
        problems unless ``valid_only``. Raises ``Conflict`` when the event changed since.

        The file is read and checked off the database's threads; the store's writer (SQLite has one
        for every event) is held only for the transaction that writes."""
        report, fields = await self._check(organizer_id, event_id, import_id, digest, valid_only=valid_only)
        return await self._commit(organizer_id, event_id, report, fields, progress)

    async def _check(
        self, organizer_id: str, event_id: str, import_id: str, digest: str, *, valid_only: bool
    ) -> tuple[Report, dict[str, str]]:
        row, fields, taken = await self._waiting(organizer_id, event_id, import_id)
        report = await asyncio.to_thread(_read_report, row, list(fields), taken)
        if report.digest != digest:
            raise Conflict(
                "The event or the file changed since the dry run; look at the dry run again.", code="import_changed"
            )
        if report.errors and not valid_only:
            raise Conflict(
                f"{len(report.errors)} row(s) have problems: correct the file, or import only the valid rows.",
                code="import_has_errors",
            )
        if not report.valid:
            raise InvalidInput("No row of the file can be imported.", code="import_empty")
        return report, fields

    @in_thread
    def _commit(
        self, organizer_id: str, event_id: str, report: Report, fields: dict[str, str], progress: Progress | None
    ) -> ImportRecord:
        now = utcnow()
        with self.engine.begin() as conn:
            claimed = conn.execute(  # first: a second import of the upload waits here, then finds it claimed
                t.idea_imports.update()
                .where(
                    t.idea_imports.c.id == report.import_id,
                    t.idea_imports.c.imported_at.is_(None),
                    t.idea_imports.c.expires_at > now,
                )
                .values(imported_at=now)
            ).rowcount
            if claimed != 1:
                raise Conflict("This file has been imported already.", code="import_done")
            if _fields(conn, event_id) != fields:  # changed since the check a moment ago
                raise Conflict(
                    "The event's fields changed meanwhile; look at the dry run again.", code="import_changed"
                )
            # who joined since the check may have taken a pseudonym of the file
            authors = author_names((r.idea.author for r in report.valid if r.idea is not None), _taken(conn, event_id))
            board_id = _write(conn, organizer_id, event_id, replace(report, authors=authors), fields, progress)
            conn.execute(
                t.idea_imports.update()
                .where(t.idea_imports.c.id == report.import_id)
                .values(board_id=board_id, ideas=len(report.valid), content=None)
            )
        return ImportRecord(report.import_id, event_id, report.filename, True, board_id, len(report.valid), _title(now))


def _title(now: datetime) -> str:
    return f"Import {now.date().isoformat()}"


def _own_event(conn: Connection, organizer_id: str, event_id: str) -> None:
    found = conn.execute(
        sa.select(t.events.c.id).where(t.events.c.id == event_id, t.events.c.organizer_id == organizer_id)
    ).first()
    if found is None:
        raise NotFound("No such event.")


def _upload(conn: Connection, organizer_id: str, event_id: str, import_id: str, *, waiting: bool = False) -> Any:
    """The organizer's upload for the event; ``waiting``: one not yet imported, its file still kept."""
    row = conn.execute(
        sa.select(t.idea_imports).where(
            t.idea_imports.c.id == import_id,
            t.idea_imports.c.organizer_id == organizer_id,
            t.idea_imports.c.event_id == event_id,
        )
    ).first()
    if row is None or (row.imported_at is None and row.expires_at < utcnow()):
        raise NotFound("No such upload; it may have expired: upload the file again.", code="import_expired")
    if waiting and row.imported_at is not None:
        raise Conflict("This file has been imported already.", code="import_done")
    return row


def _fields(conn: Connection, event_id: str) -> dict[str, str]:
    """The event's fields of action, name → id, in their order."""
    return {f.name: f.id for f in _read_event(conn, event_id).fields}


def _taken(conn: Connection, event_id: str) -> set[str]:
    return set(conn.execute(sa.select(t.members.c.pseudonym_key).where(t.members.c.event_id == event_id)).scalars())


def _read_report(upload: Any, fields: list[str], taken: set[str]) -> Report:
    """The report of an upload's file, read again: for a thread of its own (it may take seconds)."""
    return _report(upload, read_table(upload.content, upload.separator), fields, taken)


def _report(upload: Any, table: Table, fields: list[str], taken: set[str]) -> Report:
    rows: list[RowReport] = []
    first_of_id: dict[str, str] = {}
    for sheet, row in table.rows():
        values: dict[str, str] = {}
        formulas: list[tuple[str, str]] = []
        for column, index in sheet.columns.index.items():
            values[column] = cell(row.cells[index], table.kind) if index < len(row.cells) else ""
            if index in row.formulas and column in IDEA_COLUMNS:
                formulas.append((column, f"{column_letter(index)}{row.number}"))
        idea, problems = check_row(values, fields, formulas=formulas)
        report = RowReport(sheet.name, row.number, {c: values.get(c, "") for c in IDEA_COLUMNS}, idea, problems)
        original_id = values.get("id", "").strip()
        if original_id:
            if original_id in first_of_id:  # the same idea twice, e.g. on two sheets of a workbook
                problems.append(
                    Problem(
                        "duplicate_id",
                        "id",
                        {"value": original_id[:40], "row": first_of_id[original_id]},
                        f"The id {original_id[:40]!r} is in row {first_of_id[original_id]} already.",
                    )
                )
                report = RowReport(sheet.name, row.number, report.values, None, problems)
            else:
                first_of_id[original_id] = report.ref
        rows.append(report)
    authors = author_names((r.idea.author for r in rows if r.idea is not None), taken)
    return Report(
        import_id=upload.id,
        filename=upload.filename,
        kind=table.kind,
        encoding=table.encoding,
        separator=table.separator,
        sheets=[s.name for s in table.sheets if s.name is not None],
        ignored_sheets=table.ignored_sheets,
        ignored_columns=[name for s in table.sheets for name in s.columns.ignored],
        empty_rows=table.empty_rows,
        rows=rows,
        fields=fields,
        authors=authors,
        digest=plan_digest((r.ref, r.idea) for r in rows),
    )


def _write(
    conn: Connection,
    organizer_id: str,
    event_id: str,
    report: Report,
    fields: dict[str, str],
    progress: Progress | None,
) -> str:
    """The board, the authors, the ideas and their history; returns the board's id."""
    now = utcnow()
    room_id = conn.execute(
        sa.select(t.rooms.c.id).where(t.rooms.c.event_id == event_id, t.rooms.c.kind == "plenary")
    ).scalar_one()
    board_id = new_id("bd")
    position = conn.execute(
        sa.select(sa.func.count()).select_from(t.boards).where(t.boards.c.room_id == room_id)
    ).scalar_one()
    conn.execute(
        t.boards.insert().values(
            id=board_id,
            room_id=room_id,
            event_id=event_id,
            title=_title(now),
            seq=0,
            created_at=now,
            position=position,
        )
    )
    colours = list(AVATAR_COLOURS)
    member_ids: dict[str, str] = {}
    members = []
    for n, name in enumerate(dict.fromkeys(report.authors.values())):
        member_ids[name] = new_id("mb")
        members.append(
            {
                "id": member_ids[name],
                "event_id": event_id,
                "role": Role.PARTICIPANT.value,
                "pseudonym": name,
                "pseudonym_key": pseudonym_key(name),
                "colour": colours[n % len(colours)],
                "token_hash": token_hash(new_token()),  # a token nobody holds: imported authors cannot log in
                "created_at": now,
            }
        )
    for start in range(0, len(members), BATCH):
        conn.execute(t.members.insert(), members[start : start + BATCH])

    valid = report.valid
    per_field = Counter(r.idea.field for r in valid if r.idea is not None)
    keys = {name: iter(spread_keys(count)) for name, count in per_field.items()}
    ideas: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for row in valid:
        idea = row.idea
        assert idea is not None
        idea_id = new_id("idea")
        ideas.append(
            {
                "id": idea_id,
                "board_id": board_id,
                "room_id": room_id,
                "event_id": event_id,
                "field_id": fields[idea.field],
                "author_id": member_ids[report.authors[idea.author]],
                "text": idea.text,
                "client_id": None,
                "created_at": now,
                "updated_at": now,
                "title": idea.title,
                "tags": list(idea.tags),
                "colour": None,
                "position": next(keys[idea.field]),
                "cluster_id": None,
                "status": "visible",
                "phase": "collect",
                "merged_into": None,
                "merged_from": [],
                "reporters": [],
                "review_status": idea.review_status.value,
                "feedback": idea.feedback,
                "feedback_at": now if idea.feedback else None,
                "source": "import",
            }
        )
        details: dict[str, Any] = {"file": report.filename, "row": row.ref, "review_status": idea.review_status.value}
        if idea.feedback:
            details["feedback"] = idea.feedback
        if idea.original:
            details["original"] = idea.original
        history.append(
            {"idea_id": idea_id, "at": now, "actor_id": organizer_id, "action": "import", "details": details}
        )
    for start in range(0, len(ideas), BATCH):
        conn.execute(t.ideas.insert(), ideas[start : start + BATCH])
        conn.execute(t.idea_history.insert(), history[start : start + BATCH])
        if progress is not None:
            progress(min(start + BATCH, len(ideas)), len(ideas))
    return board_id
