"""Rules for ideas imported from a spreadsheet: which column is which, and what a row must hold to
become an idea. A row obeys the rules of an idea posted on a board (``boards.rules``: text, title,
tags), of a pseudonym (``rooms.members``) and of official feedback (``boards.curation``), so an
imported idea is one that could have been posted.

Pure: ``server.store.import_files`` reads the file into rows of text, ``server.store.imports`` checks
them here and writes them. Nothing here raises for a bad row: a row's problems are collected, each
with a stable ``code`` and the values its message needs, so the dry run shows them all at once.

Headers are matched case-insensitively, with spaces and hyphens read as ``_``: the export's
``snake_case`` names and the German names a town's own spreadsheet has (``COLUMNS``).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from boards.curation import FEEDBACK_MAX, ReviewStatus, clean_feedback
from boards.errors import DomainError, InvalidInput
from boards.rules import IDEA_TEXT_MAX, IDEA_TITLE_MAX, TAG_MAX, TAGS_MAX, clean_idea_text
from boards.rules import _tags as board_tags  # the board's own rules for a posted idea's tags and title
from boards.rules import _title as board_title
from rooms.members import PSEUDONYM_MAX, clean_pseudonym, pseudonym_key

# What each column of an idea may be called in the header row (compared by ``header_key``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "field": ("field", "field_of_action", "handlungsfeld"),
    "title": ("title", "titel"),
    "text": ("text", "idee", "idea", "beschreibung", "description"),
    "tags": ("tags", "schlagworte", "schlagwörter"),
    "author": ("author", "autor", "autorin", "name", "pseudonym"),
    "review_status": ("review_status", "status"),
    "feedback": ("feedback", "rückmeldung"),
}
# The export's other columns: where an idea came from, kept in its history as it was in the file.
PROVENANCE = ("id", "event", "created_at", "room", "breakout_round", "board", "phase", "source")
# The export's columns that the import leaves alone: counted, computed or linked in the store.
DERIVED = ("score", "dots", "comments", "duplicate_of", "dots_by_round", "board_status")

# A review status by its stable value or its name in German or English (compared by ``header_key``).
STATUS_NAMES: dict[ReviewStatus, tuple[str, ...]] = {
    ReviewStatus.NEW: ("neu", "new"),
    ReviewStatus.UNDER_REVIEW: ("in prüfung", "wird geprüft", "under review", "in review"),
    ReviewStatus.SHORTLISTED: ("vorgemerkt", "in der engeren wahl", "engere wahl", "shortlisted"),
    ReviewStatus.IN_IMPLEMENTATION: ("in umsetzung", "wird umgesetzt", "in implementation"),
    ReviewStatus.DONE: ("umgesetzt", "erledigt", "done", "implemented"),
    ReviewStatus.REJECTED: ("abgelehnt", "rejected"),
}

IMPORT_AUTHOR = "Import"  # who wrote an idea whose row names nobody
VARIANT = "Import"  # "Anna (Import)": an author whose pseudonym a member of the event has already
TAG_SEPARATORS = re.compile(r"[,;\n]")
# A spreadsheet program's guard before a cell that would be read as a formula: "'=SUM(A1)"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def header_key(name: str) -> str:
    """The form in which header names and status names are compared: "Review-Status " is "review_status"."""
    text = unicodedata.normalize("NFC", name).replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s\-_]+", "_", text)


_BY_HEADER = {header_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
_KNOWN = {**_BY_HEADER, **{name: name for name in (*PROVENANCE, *DERIVED)}}
_STATUS_BY_NAME = {
    header_key(name): status for status, names in STATUS_NAMES.items() for name in (status.value, *names)
}


class ImportFileError(InvalidInput):
    """A file that cannot be imported at all (its columns, encoding, size): nothing is read of it.

    ``params`` hold the values its message needs, for the page to say it in the organizer's language."""

    def __init__(self, message: str, *, code: str, **params: object) -> None:
        super().__init__(message, code=code)
        self.params = params


@dataclass(frozen=True, slots=True)
class Columns:
    """What the header row says: the column index of each idea column and provenance column."""

    index: dict[str, int]
    ignored: tuple[str, ...]  # header names that are none of the known columns

    def recognised(self) -> int:
        return len(self.index)


def read_header(header: Sequence[str]) -> Columns:
    """Map a header row; raise ``ImportFileError`` when a column is missing or named twice."""
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    ignored: list[str] = []
    for i, raw in enumerate(header):
        name = raw.strip()
        column = _KNOWN.get(header_key(name))
        if column is None:
            if name:
                ignored.append(name)
            continue
        if column in index:
            raise ImportFileError(
                f"The columns {names[column]!r} and {name!r} both mean {column!r}; keep one of them.",
                code="ambiguous_columns",
                first=names[column],
                second=name,
                column=column,
            )
        index[column] = i
        names[column] = name
    return Columns(index=index, ignored=tuple(ignored))


def require_columns(columns: Columns, header: Sequence[str]) -> None:
    missing = [c for c in ("field",) if c not in columns.index]
    if "text" not in columns.index and "title" not in columns.index:
        missing.append("text")
    if missing:
        found = [h.strip() for h in header if h.strip()]
        raise ImportFileError(
            f"The file lacks the column(s) {', '.join(missing)}; its header row has: {', '.join(found) or 'nothing'}.",
            code="missing_columns",
            missing=missing,
            found=found,
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row cannot become an idea: a stable ``code``, the column it concerns and its values."""

    code: str
    column: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)
    message: str = ""  # in English, for logs and tests; the page says it from ``code`` and ``params``


@dataclass(frozen=True, slots=True)
class ImportedIdea:
    """A row that passed every rule, as it will be stored."""

    field: str  # the event's field's name, as the event spells it
    title: str
    text: str
    tags: tuple[str, ...]
    author: str | None  # the pseudonym; None: written by ``IMPORT_AUTHOR``
    review_status: ReviewStatus
    feedback: str
    original: dict[str, str]  # the export's provenance columns, as in the file

    def key(self) -> list[object]:
        return [
            self.field,
            self.title,
            self.text,
            list(self.tags),
            self.author,
            self.review_status.value,
            self.feedback,
        ]


def cell(value: str, kind: str = "csv") -> str:
    """A cell's text as the file meant it. In a CSV, the guard that keeps "=1+1" from being a formula
    removed: a single quote before a text that, without its leading quotes, starts with = + - @, a tab
    or a carriage return (the export puts one there, and one more before a text that had such quotes
    already, so this is its exact inverse). An XLSX cell is a typed text cell: kept as it is."""
    if kind == "csv" and value.startswith("'") and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def review_status_of(value: str) -> ReviewStatus | None:
    return _STATUS_BY_NAME.get(header_key(value))


def check_row(
    values: Mapping[str, str],
    fields: Sequence[str],
    *,
    formulas: Iterable[tuple[str, str]] = (),
) -> tuple[ImportedIdea | None, list[Problem]]:
    """An idea from a row's cells (by column name), or the row's problems, all of them.

    ``fields`` are the event's fields of action; ``formulas`` the (column, cell reference) of cells
    that hold a spreadsheet formula, which are refused: a formula is not an idea's text, and its
    value is whatever the program that saved the file computed last.
    """
    problems: list[Problem] = []
    formula_columns = set()
    for column, ref in formulas:
        formula_columns.add(column)
        problems.append(
            Problem("formula", column, {"cell": ref}, f"The cell {ref} holds a formula; enter its value as text.")
        )

    def rule(column: str, clean: object, value: object) -> object:
        if column in formula_columns:
            return None
        try:
            return clean(value)  # type: ignore[operator]
        except DomainError as exc:
            problems.append(_problem(column, exc))
            return None

    title = rule("title", board_title, values.get("title", ""))
    text_cell = values.get("text", "").strip() or (title if isinstance(title, str) else "")
    text = None
    if not text_cell and "text" not in formula_columns and "title" not in formula_columns:
        problems.append(Problem("missing_text", "text", {}, "The row has neither a text nor a title."))
    elif text_cell:
        text = rule("text", clean_idea_text, text_cell)
    tags = rule("tags", board_tags, tuple(t for t in TAG_SEPARATORS.split(values.get("tags", "")) if t.strip()))
    author_cell = values.get("author", "").strip()
    author = rule("author", clean_pseudonym, author_cell) if author_cell else None
    feedback = rule("feedback", clean_feedback, values.get("feedback", ""))
    status = _status(values.get("review_status", ""), problems) if "review_status" not in formula_columns else None
    field_name = _field(values.get("field", ""), fields, problems) if "field" not in formula_columns else None
    if problems:
        return None, problems
    assert isinstance(title, str) and isinstance(text, str) and isinstance(tags, tuple)
    assert isinstance(feedback, str) and status is not None and field_name is not None
    original = {name: values[name].strip() for name in PROVENANCE if values.get(name, "").strip()}
    return (
        ImportedIdea(
            field=field_name,
            title=title,
            text=text,
            tags=tags,
            author=author if isinstance(author, str) else None,
            review_status=status,
            feedback=feedback,
            original=original,
        ),
        [],
    )


# the longest text each column may hold (a tag: each one of them)
MAX_LENGTH = {
    "title": IDEA_TITLE_MAX,
    "text": IDEA_TEXT_MAX,
    "tags": TAG_MAX,
    "author": PSEUDONYM_MAX,
    "feedback": FEEDBACK_MAX,
}


def _problem(column: str, exc: DomainError) -> Problem:
    params: dict[str, object] = {}
    if exc.code == "text_too_long":
        params["max"] = MAX_LENGTH[column]
    elif exc.code == "control_characters":
        found = re.search(r"U\+[0-9A-F]{4,6}", exc.message)
        params["char"] = found.group(0) if found else "?"
    elif exc.code == "too_many_tags":
        params["max"] = TAGS_MAX
    return Problem(exc.code, column, params, exc.message)


def _status(value: str, problems: list[Problem]) -> ReviewStatus | None:
    if not value.strip():
        return ReviewStatus.NEW
    status = review_status_of(value)
    if status is None:
        allowed = [s.value for s in ReviewStatus]
        problems.append(
            Problem(
                "unknown_status",
                "review_status",
                {"value": value.strip()[:80], "allowed": allowed},
                f"Unknown status {value.strip()[:80]!r}; one of {', '.join(allowed)} (or its German name).",
            )
        )
    return status


def _field(value: str, fields: Sequence[str], problems: list[Problem]) -> str | None:
    wanted = " ".join(value.split()).casefold()
    if not wanted:
        problems.append(Problem("missing_field", "field", {}, "The row names no field of action."))
        return None
    for name in fields:
        if " ".join(name.split()).casefold() == wanted:
            return name
    shown = value.strip()[:80]
    problems.append(
        Problem(
            "unknown_field",
            "field",
            {"value": shown, "fields": list(fields)},
            f"The event has no field of action {shown!r}; its fields are: {', '.join(fields)}.",
        )
    )
    return None


def author_names(authors: Iterable[str | None], taken: set[str]) -> dict[str | None, str]:
    """The pseudonym each author of the file gets in the event: their own, or "Anna (Import)" (then
    "Anna (Import 2)", …) when a member of the event has it already. Authors whose pseudonyms are
    one (``pseudonym_key``: "Anna" and "anna") are one author. ``None`` is ``IMPORT_AUTHOR``."""
    used = set(taken)
    names: dict[str | None, str] = {}
    by_key: dict[str, str] = {}
    for author in authors:
        if author in names:
            continue
        wanted = IMPORT_AUTHOR if author is None else author
        key = pseudonym_key(wanted)
        if key in by_key:
            names[author] = by_key[key]
            continue
        name = wanted
        n = 1
        while pseudonym_key(name) in used:
            suffix = f" ({VARIANT})" if n == 1 else f" ({VARIANT} {n})"
            name = wanted[: PSEUDONYM_MAX - len(suffix)].rstrip() + suffix
            n += 1
        used.add(pseudonym_key(name))
        by_key[key] = name
        names[author] = name
    return names


def plan_digest(rows: Iterable[tuple[str, ImportedIdea | None]]) -> str:
    """A fingerprint of what a dry run showed, row by row: the import writes only if the file read
    against the event's fields now gives the same."""
    body = json.dumps([[ref, None if idea is None else idea.key()] for ref, idea in rows], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:32]
