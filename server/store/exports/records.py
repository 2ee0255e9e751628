"""The export records: every idea of one event (or of several events of one organizer) as the idea
store keeps it, in one of two kinds.

``internal``: everything the organizer may see — hidden and pending ideas (``board_status``) and
hidden comments (flagged), authors' pseudonyms (none on anonymous boards).

``open``: no personal data at all and nothing that is not public — no pseudonyms, no comments'
authors, no member ids; only ideas visible on their boards and comments not hidden; plus the
event's licence. Deleted ideas and comments, and ideas merged into another on their board (the
merged one stands for them), are in neither kind. Dots are the same in both: only the dots
everyone may see (``server.store.curation.visible_dots``: of votes that are not blind, or blind
ones revealed), so a blind vote's dots never leave the store before they are revealed.

``COLUMNS`` names the fields of a flat row (CSV, XLSX) once; the import reads the same names.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.curation import ReviewStatus
from boards.errors import NotFound
from boards.open_data import Licence, OpenData
from server.ids import utcnow
from server.store import tables as t
from server.store.boards import in_thread, reading
from server.store.curation import CurationStore, visible_dots
from server.store.merges import merged_in_events

FORMAT_VERSION = 1

COLUMNS: tuple[str, ...] = (
    "id",
    "event",
    "field",
    "title",
    "text",
    "tags",
    "author",
    "created_at",
    "room",
    "breakout_round",
    "board",
    "phase",
    "source",
    "review_status",
    "feedback",
    "score",
    "dots",
    "comments",
    "duplicate_of",
)
"""The columns of a flat export, in this order: the import reads these names."""

EXTRA_COLUMNS: tuple[str, ...] = ("dots_by_round", "board_status")
"""After ``COLUMNS`` in a flat export; an import ignores them."""

PERSONAL_COLUMNS = frozenset({"author"})
OPEN_OMITTED = PERSONAL_COLUMNS | {"board_status"}  # open data holds only ideas visible on their boards

TAG_SEPARATOR = ", "


STATUSES = {status.value: status for status in ReviewStatus}


class ExportKind(enum.StrEnum):
    INTERNAL = "internal"
    OPEN = "open"


def columns(kind: ExportKind) -> tuple[str, ...]:
    every = COLUMNS + EXTRA_COLUMNS
    return every if kind is ExportKind.INTERNAL else tuple(c for c in every if c not in OPEN_OMITTED)


@dataclass(frozen=True, slots=True)
class CommentRecord:
    author: str | None  # internal only; None on an anonymous board and always in open data
    text: str
    created_at: datetime
    hidden: bool  # only ever True in the internal kind


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each of 22 fields through object.__setattr__
class IdeaRecord:
    id: str
    event_id: str
    event: str  # the event's title
    field: str
    title: str
    text: str
    tags: tuple[str, ...]
    author: str | None  # the pseudonym; None on an anonymous board and always in open data
    created_at: datetime
    room: str
    breakout_round: int | None
    board: str
    phase: str
    source: str
    review_status: ReviewStatus
    feedback: str
    score: float | None
    dots: int  # dots everyone may see
    dots_by_round: tuple[tuple[int, int], ...]  # (round, dots) of the rounds everyone may see
    comments: tuple[CommentRecord, ...]
    duplicate_of: str | None
    board_status: str  # visible, pending, hidden; always visible in open data


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    title: str
    description: str
    date: date | None
    language: str
    fields: tuple[str, ...]  # the event's fields of action, in their order
    open_data: OpenData
    issued_at: datetime | None  # first published


@dataclass(frozen=True, slots=True)
class Export:
    kind: ExportKind
    generated_at: datetime
    modified_at: datetime  # the newest change of anything exported
    events: tuple[EventRecord, ...]
    ideas: list[IdeaRecord] = field(default_factory=list)

    def fields(self) -> list[str]:
        """Every field an idea sits in, the events' own first in their order, then free boards' columns."""
        names = dict.fromkeys(name for event in self.events for name in event.fields)
        names.update(dict.fromkeys(idea.field for idea in self.ideas))
        return list(names)

    @property
    def title(self) -> str:
        return " · ".join(event.title for event in self.events)


# -- flat rows (CSV, XLSX) --------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """A time as ISO 8601 in UTC, to the second: ``2026-05-06T18:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def comments_cell(comments: Iterable[CommentRecord]) -> str:
    """Comments in one cell: one per paragraph, ``[time] author: text``, hidden ones marked."""
    out = []
    for c in comments:
        head = f"[{iso(c.created_at)}]"
        if c.hidden:
            head += " [hidden]"
        if c.author:
            head += f" {c.author}:"
        out.append(f"{head} {c.text}")
    return "\n\n".join(out)


def rounds_cell(rounds: Iterable[tuple[int, int]]) -> str:
    return ", ".join(f"{number}: {dots}" for number, dots in rounds)


def flat(idea: IdeaRecord, kind: ExportKind) -> list[Any]:
    """The idea's values in the order of ``columns(kind)``: text, int, float or None."""
    values = [
        idea.id,
        idea.event,
        idea.field,
        idea.title,
        idea.text,
        TAG_SEPARATOR.join(idea.tags),
        idea.author,
        iso(idea.created_at),
        idea.room,
        idea.breakout_round,
        idea.board,
        idea.phase,
        idea.source,
        idea.review_status.value,
        idea.feedback,
        None if idea.score is None else round(idea.score, 2),
        idea.dots,
        comments_cell(idea.comments),
        idea.duplicate_of,
        rounds_cell(idea.dots_by_round),
        idea.board_status,
    ]
    if kind is ExportKind.INTERNAL:
        return values
    every = COLUMNS + EXTRA_COLUMNS
    return [v for name, v in zip(every, values, strict=True) if name not in OPEN_OMITTED]


# -- reading them from the store -------------------------------------------------------------------


class ExportStore(CurationStore):
    """The exports' reads, and the organizer's open-data settings."""

    @reading
    def export(self, organizer_id: str, event_ids: Sequence[str], kind: ExportKind) -> Export:
        """The ideas of the organizer's events ``event_ids``; another organizer's event is ``not_found``."""
        ids = list(dict.fromkeys(event_ids))
        with self.engine.connect() as conn:
            owned = set(
                conn.execute(
                    sa.select(t.events.c.id).where(t.events.c.id.in_(ids), t.events.c.organizer_id == organizer_id)
                ).scalars()
            )
            if not ids or owned != set(ids):
                raise NotFound("No such event.")
            return _collect(conn, ids, kind)

    @reading
    def open_export(self, event_id: str) -> Export:
        """An event's open data for everyone: ``not_found`` unless the event is published."""
        with self.engine.connect() as conn:
            if not _published(conn, [event_id]):
                raise NotFound("No such event.")
            return _collect(conn, [event_id], ExportKind.OPEN)

    @reading
    def published_exports(self) -> list[Export]:
        """The open data of every published event (for the site's catalog), without their ideas."""
        with self.engine.connect() as conn:
            ids = list(
                conn.execute(
                    sa.select(t.events.c.id)
                    .where(t.events.c.open_data_published.is_(True))
                    .order_by(t.events.c.open_data_issued_at, t.events.c.id)
                ).scalars()
            )
            return [_collect(conn, [event_id], ExportKind.OPEN, with_ideas=False) for event_id in ids]

    @reading
    def open_data(self, event_id: str) -> OpenData:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.events).where(t.events.c.id == event_id)).first()
        if row is None:
            raise NotFound("No such event.")
        return _open_data(row)

    @in_thread
    def set_open_data(self, organizer_id: str, event_id: str, settings: OpenData) -> OpenData:
        """Store an event's open-data settings (checked by ``boards.open_data.clean_open_data``)."""
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(t.events).where(t.events.c.id == event_id, t.events.c.organizer_id == organizer_id)
            ).first()
            if row is None:
                raise NotFound("No such event.")
            issued = row.open_data_issued_at or (now if settings.published else None)
            conn.execute(
                t.events.update()
                .where(t.events.c.id == event_id)
                .values(
                    open_data_licence=None if settings.licence is None else settings.licence.value,
                    open_data_publisher=settings.publisher,
                    open_data_contributor=settings.contributor_id,
                    open_data_published=settings.published,
                    open_data_issued_at=issued,
                    open_data_changed_at=now,
                )
            )
        return settings


def _open_data(row: Any) -> OpenData:
    return OpenData(
        licence=None if row.open_data_licence is None else Licence(row.open_data_licence),
        publisher=row.open_data_publisher,
        contributor_id=row.open_data_contributor,
        published=row.open_data_published,
    )


def _published(conn: Connection, event_ids: Sequence[str]) -> bool:
    count = conn.execute(
        sa.select(sa.func.count())
        .select_from(t.events)
        .where(t.events.c.id.in_(event_ids), t.events.c.open_data_published.is_(True))
    ).scalar_one()
    return count == len(event_ids)


def _collect(conn: Connection, event_ids: list[str], kind: ExportKind, *, with_ideas: bool = True) -> Export:
    internal = kind is ExportKind.INTERNAL
    events = _events(conn, event_ids)
    stamps: list[datetime | None] = [e.changed for e in events.values()]
    ideas: list[IdeaRecord] = []
    if with_ideas:
        ideas = _ideas(conn, event_ids, internal, {e.record.id: e.record.title for e in events.values()})
        stamps += _change_stamps(conn, event_ids)
    modified = max((s for s in stamps if s is not None), default=utcnow())
    return Export(
        kind=kind,
        generated_at=utcnow(),
        modified_at=modified,
        events=tuple(events[i].record for i in event_ids),
        ideas=ideas,
    )


@dataclass(frozen=True, slots=True)
class _Event:
    record: EventRecord
    changed: datetime


def _events(conn: Connection, event_ids: list[str]) -> dict[str, _Event]:
    fields: dict[str, list[str]] = defaultdict(list)
    for f in conn.execute(
        sa.select(t.fields.c.event_id, t.fields.c.name)
        .where(t.fields.c.event_id.in_(event_ids), t.fields.c.board_id.is_(None), t.fields.c.archived.is_(False))
        .order_by(t.fields.c.position)
    ):
        fields[f.event_id].append(f.name)
    out = {}
    for row in conn.execute(sa.select(t.events).where(t.events.c.id.in_(event_ids))):
        record = EventRecord(
            id=row.id,
            title=row.title,
            description=row.description,
            date=row.date,
            language=row.language,
            fields=tuple(fields[row.id]),
            open_data=_open_data(row),
            issued_at=row.open_data_issued_at,
        )
        out[row.id] = _Event(record, max(row.updated_at, row.open_data_changed_at or row.updated_at))
    return out


def _ideas(conn: Connection, event_ids: list[str], internal: bool, titles: dict[str, str]) -> list[IdeaRecord]:
    where: list[Any] = [
        t.ideas.c.event_id.in_(event_ids),
        t.ideas.c.deleted_at.is_(None),
        t.ideas.c.merged_into.is_(None),
    ]
    if not internal:
        where.append(t.ideas.c.status == "visible")
        where.append(_not_silent_now())  # a silent collection's ideas are their authors' until revealed
    rounds = sa.select(t.breakout_rounds.c.id, t.breakout_rounds.c.number).subquery("rounds")
    columns: list[Any] = [
        t.ideas.c.id,
        t.ideas.c.event_id,
        t.ideas.c.title,
        t.ideas.c.text,
        t.ideas.c.tags,
        t.ideas.c.created_at,
        t.ideas.c.phase,
        t.ideas.c.source,
        t.ideas.c.review_status,
        t.ideas.c.feedback,
        t.ideas.c.score,
        t.ideas.c.duplicate_of,
        t.ideas.c.status,
        t.fields.c.name.label("field_name"),
        t.boards.c.title.label("board_title"),
        t.boards.c.anonymous,
        t.rooms.c.name.label("room_name"),
        rounds.c.number.label("round_number"),
    ]
    joins = (
        t.ideas.join(t.fields, t.fields.c.id == t.ideas.c.field_id)
        .join(t.boards, t.boards.c.id == t.ideas.c.board_id)
        .outerjoin(t.rooms, t.rooms.c.id == t.ideas.c.room_id)
        .outerjoin(rounds, rounds.c.id == t.rooms.c.round_id)
    )
    if internal:  # the pseudonym is read only where it may be written out
        columns.append(t.members.c.pseudonym)
        joins = joins.join(t.members, t.members.c.id == t.ideas.c.author_id)
    order = sa.case({event_id: n for n, event_id in enumerate(event_ids)}, value=t.ideas.c.event_id)
    rows = conn.execute(
        sa.select(*columns).select_from(joins).where(*where).order_by(order, t.ideas.c.created_at, t.ideas.c.id)
    ).all()
    dots = _dots(conn, event_ids)
    comments = _comments(conn, event_ids, internal)
    duplicates = {r.duplicate_of for r in rows if r.duplicate_of is not None}
    public = duplicates if internal else _public_ideas(conn, duplicates - {r.id for r in rows})
    exported = {r.id for r in rows}
    ideas = []
    # rows read as plain tuples: a Row's attributes cost more than the rest of the loop together
    for values in rows:
        (
            idea_id, event_id, title, text, tags, created_at, phase, source, review_status, feedback, score,
            duplicate, board_status, field_name, board_title, anonymous, room_name, round_number, *author,
        ) = values  # fmt: skip
        by_round = tuple(sorted(dots[idea_id].items())) if idea_id in dots else ()
        ideas.append(
            IdeaRecord(
                id=idea_id,
                event_id=event_id,
                event=titles[event_id],
                field=field_name,
                title=title,
                text=text,
                tags=tuple(tags or ()),
                author=None if not internal or anonymous else author[0],
                created_at=created_at,
                room=room_name or "",
                breakout_round=round_number,
                board=board_title,
                phase=phase,
                source=source,
                review_status=STATUSES[review_status],
                feedback=feedback,
                score=score,
                dots=sum(n for _round, n in by_round),
                dots_by_round=by_round,
                comments=tuple(comments.get(idea_id, ())),
                duplicate_of=duplicate if (duplicate in exported or duplicate in public) else None,
                board_status=board_status,
            )
        )
    return ideas


def _dots(conn: Connection, event_ids: list[str]) -> dict[str, dict[int, int]]:
    """Each idea's dots per vote round, of the votes everyone may see; those of the ideas merged
    into it included (``server.store.merges``)."""
    merged = merged_in_events(conn, event_ids)
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for r in conn.execute(
        sa.select(t.votes.c.idea_id, t.vote_sessions.c.round, sa.func.sum(t.votes.c.dots).label("dots"))
        .join(t.vote_sessions, t.vote_sessions.c.id == t.votes.c.session_id)
        .join(t.boards, t.boards.c.id == t.vote_sessions.c.board_id)
        .where(t.boards.c.event_id.in_(event_ids), visible_dots())
        .group_by(t.votes.c.idea_id, t.vote_sessions.c.round)
    ):
        if r.dots:
            by_round = out[merged.get(r.idea_id, r.idea_id)]
            by_round[r.round] = by_round.get(r.round, 0) + int(r.dots)
    return out


def _comments(conn: Connection, event_ids: list[str], internal: bool) -> dict[str, list[CommentRecord]]:
    where: list[Any] = [t.boards.c.event_id.in_(event_ids), t.comments.c.deleted_at.is_(None)]
    if not internal:
        where.append(t.comments.c.hidden.is_(False))
    columns: list[Any] = [t.comments.c.idea_id, t.comments.c.text, t.comments.c.created_at, t.comments.c.hidden]
    joins = t.comments.join(t.boards, t.boards.c.id == t.comments.c.board_id)
    if internal:
        columns += [t.members.c.pseudonym, t.boards.c.anonymous]
        joins = joins.join(t.members, t.members.c.id == t.comments.c.author_id)
    out: dict[str, list[CommentRecord]] = defaultdict(list)
    for c in conn.execute(
        sa.select(*columns).select_from(joins).where(*where).order_by(t.comments.c.created_at, t.comments.c.id)
    ):
        author = c.pseudonym if internal and not c.anonymous else None
        out[c.idea_id].append(CommentRecord(author=author, text=c.text, created_at=c.created_at, hidden=c.hidden))
    return out


def _not_silent_now() -> Any:
    """Ideas on a board that is not collecting silently (or whose silent collection was revealed)."""
    return sa.or_(t.boards.c.silent.is_(False), t.boards.c.revealed.is_(True))


def _public_ideas(conn: Connection, ids: set[str]) -> set[str]:
    """Those of ``ids`` that are open data themselves: visible ideas of published events."""
    if not ids:
        return set()
    return set(
        conn.execute(
            sa.select(t.ideas.c.id)
            .join(t.events, t.events.c.id == t.ideas.c.event_id)
            .join(t.boards, t.boards.c.id == t.ideas.c.board_id)
            .where(
                t.ideas.c.id.in_(ids),
                t.ideas.c.status == "visible",
                _not_silent_now(),
                t.ideas.c.deleted_at.is_(None),
                t.ideas.c.merged_into.is_(None),
                t.events.c.open_data_published.is_(True),
            )
        ).scalars()
    )


def _change_stamps(conn: Connection, event_ids: list[str]) -> list[datetime | None]:
    """The newest change to the events' ideas: edits, feedback, comments, the organizers' curation."""
    ideas = t.ideas.c.event_id.in_(event_ids)
    return [
        conn.execute(sa.select(sa.func.max(t.ideas.c.updated_at)).where(ideas)).scalar(),
        conn.execute(sa.select(sa.func.max(t.ideas.c.feedback_at)).where(ideas)).scalar(),
        conn.execute(
            sa.select(sa.func.max(t.comments.c.created_at))
            .join(t.boards, t.boards.c.id == t.comments.c.board_id)
            .where(t.boards.c.event_id.in_(event_ids))
        ).scalar(),
        conn.execute(
            sa.select(sa.func.max(t.idea_history.c.at))
            .join(t.ideas, t.ideas.c.id == t.idea_history.c.idea_id)
            .where(ideas)
        ).scalar(),
    ]
