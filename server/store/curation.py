"""The idea store as the organizers see it: every idea of their events, searched, filtered,
sorted and paged; an idea whole with its provenance and history; their curation (status,
feedback, ratings, duplicates), each change one transaction that also writes the history.

An organizer reaches only the ideas of their own events: every query here is scoped by
``organizer_id``, and an idea of another organizer's event is ``not_found``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.curation import (
    MAX_BULK,
    Criterion,
    ReviewStatus,
    check_duplicate,
    clean_criteria,
    clean_feedback,
    clean_rating,
    score,
)
from boards.errors import InvalidInput, NotFound
from server.ids import new_id, utcnow
from server.store import tables as t
from server.store.boards import in_thread, reading
from server.store.facilitation import FacilitationStore
from server.store.search import fts5_query, postgres_query

PAGE_MAX = 200


class Sort(enum.StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    VOTES = "votes"
    RATING = "rating"


@dataclass(frozen=True, slots=True)
class IdeaFilter:
    """What the console's list shows: every filter optional; ``query`` is a full-text search."""

    event_ids: tuple[str, ...] = ()
    field_names: tuple[str, ...] = ()  # fields are per event; the same name across events is one filter
    statuses: tuple[ReviewStatus, ...] = ()
    tag: str | None = None
    vote_round: int | None = None  # ideas that got dots in this round of their board's votes
    query: str = ""
    include_duplicates: bool = False
    include_hidden: bool = True  # hidden or waiting for approval on their board
    sort: Sort = Sort.NEWEST
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class IdeaSummary:
    id: str
    event_id: str
    event_title: str
    field: str
    title: str
    text: str
    tags: tuple[str, ...]
    author: str | None  # the pseudonym; None on an anonymous board
    created_at: datetime
    review_status: ReviewStatus
    feedback: str
    score: float | None
    dots: int  # dots everyone may see: of open votes and revealed blind ones
    board_status: str  # visible, pending, hidden
    duplicate_of: str | None


@dataclass(frozen=True, slots=True)
class IdeaPage:
    items: list[IdeaSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class Provenance:
    event_id: str
    event_title: str
    room: str
    room_kind: str  # plenary, breakout
    breakout_round: int | None
    board_id: str
    board: str
    phase: str
    source: str  # board, import


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str  # the organizer's name, or a pseudonym
    action: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommentView:
    author: str | None
    text: str
    created_at: datetime
    hidden: bool


@dataclass(frozen=True, slots=True)
class IdeaDetail:
    summary: IdeaSummary
    provenance: Provenance
    comments: list[CommentView]
    dots_by_round: list[tuple[int, int]]  # (round, dots) of the rounds everyone may see
    ratings: dict[str, int]  # this organizer's own values per criterion id
    criteria: list[Criterion]
    history: list[HistoryEntry]
    duplicates: list[tuple[str, str]]  # (id, title or text) of the ideas marked duplicates of this one
    merged_from: tuple[str, ...] = field(default=())


def visible_dots() -> Any:
    """The dots anyone may see: of votes that are not blind, or blind ones revealed."""
    return sa.or_(t.vote_sessions.c.blind.is_(False), t.vote_sessions.c.status == "revealed")


def _dots_subquery() -> Any:
    return (
        sa.select(t.votes.c.idea_id, sa.func.sum(t.votes.c.dots).label("dots"))
        .join(t.vote_sessions, t.vote_sessions.c.id == t.votes.c.session_id)
        .where(visible_dots())
        .group_by(t.votes.c.idea_id)
        .subquery("dots")
    )


def search_condition(dialect: str, text: str) -> Any:
    """Ideas whose title or text hold every word of ``text`` in some form (``server.store.search``)."""
    if dialect == "postgresql":
        words = postgres_query(text)
        if words is None:
            return sa.true()
        vector = sa.func.to_tsvector(sa.literal_column("'german'::regconfig"), t.ideas.c.title + " " + t.ideas.c.text)
        return vector.op("@@")(sa.func.plainto_tsquery(sa.literal_column("'german'::regconfig"), words))
    match = fts5_query(text)
    if match is None:
        return sa.true()
    found = sa.text("SELECT rowid FROM idea_search WHERE idea_search MATCH :match").bindparams(match=match)
    return sa.literal_column("ideas.rowid").in_(found)


class CurationStore(FacilitationStore):
    """The organizer console's reads and writes over the idea store."""

    # -- reading -----------------------------------------------------------------------------------

    @reading
    def list_ideas(self, organizer_id: str, f: IdeaFilter) -> IdeaPage:
        per_page = max(1, min(f.per_page, PAGE_MAX))
        page = max(1, f.page)
        with self.engine.connect() as conn:
            dots = _dots_subquery()
            where = self._where(conn, organizer_id, f)
            base = (
                sa.select(t.ideas.c.id)
                .select_from(
                    t.ideas.join(t.events, t.events.c.id == t.ideas.c.event_id).join(
                        t.fields, t.fields.c.id == t.ideas.c.field_id
                    )
                )
                .where(*where)
            )
            total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
            order: list[Any]
            query = base
            if f.sort is Sort.VOTES:
                query = query.outerjoin(dots, dots.c.idea_id == t.ideas.c.id)
                order = [sa.func.coalesce(dots.c.dots, 0).desc(), t.ideas.c.created_at.desc()]
            elif f.sort is Sort.RATING:
                order = [sa.func.coalesce(t.ideas.c.score, 0).desc(), t.ideas.c.created_at.desc()]
            elif f.sort is Sort.OLDEST:
                order = [t.ideas.c.created_at.asc()]
            else:
                order = [t.ideas.c.created_at.desc()]
            ids = list(
                conn.execute(
                    query.order_by(*order, t.ideas.c.id).limit(per_page).offset((page - 1) * per_page)
                ).scalars()
            )
            items = self._summaries(conn, ids)
        return IdeaPage(items=items, total=total, page=page, per_page=per_page)

    def _where(self, conn: Connection, organizer_id: str, f: IdeaFilter) -> list[Any]:
        where: list[Any] = [t.events.c.organizer_id == organizer_id, t.ideas.c.deleted_at.is_(None)]
        where.append(t.ideas.c.merged_into.is_(None))  # merged on its board: the merged idea stands for it
        if f.event_ids:
            where.append(t.ideas.c.event_id.in_(f.event_ids))
        if f.field_names:
            where.append(t.fields.c.name.in_(f.field_names))
        if f.statuses:
            where.append(t.ideas.c.review_status.in_([s.value for s in f.statuses]))
        if not f.include_duplicates:
            where.append(t.ideas.c.duplicate_of.is_(None))
        if not f.include_hidden:
            where.append(t.ideas.c.status == "visible")
        if f.tag:
            where.append(_has_tag(conn.dialect.name, f.tag))
        if f.vote_round is not None:
            where.append(
                t.ideas.c.id.in_(
                    sa.select(t.votes.c.idea_id)
                    .join(t.vote_sessions, t.vote_sessions.c.id == t.votes.c.session_id)
                    .where(t.vote_sessions.c.round == f.vote_round, visible_dots())
                )
            )
        if f.query.strip():
            where.append(search_condition(conn.dialect.name, f.query))
        return where

    def _summaries(self, conn: Connection, ids: Sequence[str]) -> list[IdeaSummary]:
        if not ids:
            return []
        dots = _dots_subquery()
        rows = conn.execute(
            sa.select(
                t.ideas,
                t.events.c.title.label("event_title"),
                t.fields.c.name.label("field_name"),
                t.members.c.pseudonym,
                t.boards.c.anonymous,
                sa.func.coalesce(dots.c.dots, 0).label("dots"),
            )
            .select_from(
                t.ideas.join(t.events, t.events.c.id == t.ideas.c.event_id)
                .join(t.fields, t.fields.c.id == t.ideas.c.field_id)
                .join(t.members, t.members.c.id == t.ideas.c.author_id)
                .join(t.boards, t.boards.c.id == t.ideas.c.board_id)
                .outerjoin(dots, dots.c.idea_id == t.ideas.c.id)
            )
            .where(t.ideas.c.id.in_(ids))
        ).all()
        by_id = {row.id: _summary(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    @reading
    def idea(self, organizer_id: str, idea_id: str) -> IdeaDetail:
        with self.engine.connect() as conn:
            row = self._own_idea(conn, organizer_id, idea_id)
            summary = self._summaries(conn, [idea_id])[0]
            room = conn.execute(sa.select(t.rooms).where(t.rooms.c.id == row.room_id)).first()
            board = conn.execute(sa.select(t.boards).where(t.boards.c.id == row.board_id)).one()
            number = None
            if room is not None and room.round_id is not None:
                number = conn.execute(
                    sa.select(t.breakout_rounds.c.number).where(t.breakout_rounds.c.id == room.round_id)
                ).scalar()
            provenance = Provenance(
                event_id=row.event_id,
                event_title=summary.event_title,
                room=room.name if room is not None else "",
                room_kind=room.kind if room is not None else "",
                breakout_round=number,
                board_id=board.id,
                board=board.title,
                phase=row.phase,
                source=row.source,
            )
            comments = [
                CommentView(
                    author=None if board.anonymous else c.pseudonym,
                    text=c.text,
                    created_at=c.created_at,
                    hidden=c.hidden,
                )
                for c in conn.execute(
                    sa.select(t.comments, t.members.c.pseudonym)
                    .join(t.members, t.members.c.id == t.comments.c.author_id)
                    .where(t.comments.c.idea_id == idea_id, t.comments.c.deleted_at.is_(None))
                    .order_by(t.comments.c.created_at)
                )
            ]
            rounds = [
                (r.round, int(r.dots))
                for r in conn.execute(
                    sa.select(t.vote_sessions.c.round, sa.func.sum(t.votes.c.dots).label("dots"))
                    .join(t.votes, t.votes.c.session_id == t.vote_sessions.c.id)
                    .where(t.votes.c.idea_id == idea_id, visible_dots())
                    .group_by(t.vote_sessions.c.round)
                    .order_by(t.vote_sessions.c.round)
                )
            ]
            criteria = _criteria(conn, organizer_id)
            ratings = {
                r.criterion_id: r.value
                for r in conn.execute(
                    sa.select(t.idea_ratings).where(
                        t.idea_ratings.c.idea_id == idea_id, t.idea_ratings.c.rater_id == organizer_id
                    )
                )
            }
            history = self._history(conn, idea_id)
            duplicates = [
                (d.id, d.title or d.text[:80])
                for d in conn.execute(
                    sa.select(t.ideas.c.id, t.ideas.c.title, t.ideas.c.text)
                    .where(t.ideas.c.duplicate_of == idea_id)
                    .order_by(t.ideas.c.created_at)
                )
            ]
        return IdeaDetail(
            summary=summary,
            provenance=provenance,
            comments=comments,
            dots_by_round=rounds,
            ratings=ratings,
            criteria=criteria,
            history=history,
            duplicates=duplicates,
            merged_from=tuple(row.merged_from or ()),
        )

    def _history(self, conn: Connection, idea_id: str) -> list[HistoryEntry]:
        names = sa.select(t.organizers.c.id, t.organizers.c.username.label("name")).union_all(
            sa.select(t.members.c.id, t.members.c.pseudonym.label("name"))
        )
        actors = names.subquery("actors")
        return [
            HistoryEntry(at=h.at, actor=h.name or "", action=h.action, details=dict(h.details))
            for h in conn.execute(
                sa.select(t.idea_history, actors.c.name)
                .outerjoin(actors, actors.c.id == t.idea_history.c.actor_id)
                .where(t.idea_history.c.idea_id == idea_id)
                .order_by(t.idea_history.c.id)
            )
        ]

    def _own_idea(self, conn: Connection, organizer_id: str, idea_id: str) -> Any:
        row = conn.execute(
            sa.select(t.ideas)
            .join(t.events, t.events.c.id == t.ideas.c.event_id)
            .where(t.ideas.c.id == idea_id, t.events.c.organizer_id == organizer_id, t.ideas.c.deleted_at.is_(None))
        ).first()
        if row is None:
            raise NotFound("No such idea.")
        return row

    @reading
    def tags_in_use(self, organizer_id: str) -> list[str]:
        """Every tag on an idea of the organizer's events, sorted."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.ideas.c.tags)
                .join(t.events, t.events.c.id == t.ideas.c.event_id)
                .where(t.events.c.organizer_id == organizer_id, t.ideas.c.tags.is_not(None))
            ).scalars()
            return sorted({tag for tags in rows for tag in (tags or ())}, key=str.casefold)

    @reading
    def field_names_in_use(self, organizer_id: str) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.fields.c.name)
                .join(t.events, t.events.c.id == t.fields.c.event_id)
                .where(t.events.c.organizer_id == organizer_id, t.fields.c.board_id.is_(None))
                .distinct()
            ).scalars()
            return sorted(rows, key=str.casefold)

    # -- criteria ----------------------------------------------------------------------------------

    @reading
    def criteria(self, organizer_id: str) -> list[Criterion]:
        with self.engine.connect() as conn:
            return _criteria(conn, organizer_id)

    @in_thread
    def set_criteria(self, organizer_id: str, entries: Sequence[tuple[str, int]]) -> list[Criterion]:
        """The organizer's rating criteria, matched by name: kept ones keep their ratings, removed
        ones are archived (their ratings no longer count), new ones added. Scores are recomputed."""
        cleaned = clean_criteria(entries)
        with self.engine.begin() as conn:
            current = {
                r.name.casefold(): r
                for r in conn.execute(
                    sa.select(t.rating_criteria).where(t.rating_criteria.c.organizer_id == organizer_id)
                )
            }
            wanted = {name.casefold() for name, _ in cleaned}
            for key, row in current.items():
                if key not in wanted and not row.archived:
                    conn.execute(
                        t.rating_criteria.update().where(t.rating_criteria.c.id == row.id).values(archived=True)
                    )
            for position, (name, weight) in enumerate(cleaned):
                existing = current.get(name.casefold())
                if existing is None:
                    conn.execute(
                        t.rating_criteria.insert().values(
                            id=new_id("crit"),
                            organizer_id=organizer_id,
                            position=position,
                            name=name,
                            weight=weight,
                            archived=False,
                        )
                    )
                else:
                    conn.execute(
                        t.rating_criteria.update()
                        .where(t.rating_criteria.c.id == existing.id)
                        .values(position=position, name=name, weight=weight, archived=False)
                    )
            criteria = _criteria(conn, organizer_id)
            rated = conn.execute(
                sa.select(t.idea_ratings.c.idea_id)
                .join(t.rating_criteria, t.rating_criteria.c.id == t.idea_ratings.c.criterion_id)
                .where(t.rating_criteria.c.organizer_id == organizer_id)
                .distinct()
            ).scalars()
            for idea_id in list(rated):
                _rescore(conn, idea_id, criteria)
            return criteria

    # -- curation ----------------------------------------------------------------------------------

    @in_thread
    def set_review_status(self, organizer_id: str, idea_ids: Sequence[str], status: ReviewStatus) -> int:
        """Give ideas a status, all or none: an id that is not the organizer's is ``not_found``.
        Returns how many changed (an idea that has the status already is left as it is)."""
        ids = list(dict.fromkeys(idea_ids))
        if not ids:
            raise InvalidInput("Choose at least one idea.", code="nothing_chosen")
        if len(ids) > MAX_BULK:
            raise InvalidInput(f"At most {MAX_BULK} ideas at once.", code="too_many")
        now = utcnow()
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.ideas.c.id, t.ideas.c.review_status)
                .join(t.events, t.events.c.id == t.ideas.c.event_id)
                .where(t.ideas.c.id.in_(ids), t.events.c.organizer_id == organizer_id, t.ideas.c.deleted_at.is_(None))
            ).all()
            if len(rows) != len(ids):
                raise NotFound("No such idea.")
            changed = [r for r in rows if r.review_status != status.value]
            if changed:
                conn.execute(
                    t.ideas.update().where(t.ideas.c.id.in_([r.id for r in changed])).values(review_status=status.value)
                )
                conn.execute(
                    t.idea_history.insert(),
                    [
                        {
                            "idea_id": r.id,
                            "at": now,
                            "actor_id": organizer_id,
                            "action": "status",
                            "details": {"from": r.review_status, "to": status.value},
                        }
                        for r in changed
                    ],
                )
        return len(changed)

    @in_thread
    def set_feedback(self, organizer_id: str, idea_id: str, text: str) -> str:
        """Official feedback on an idea (shown with it to everyone, its author too); "" removes it."""
        feedback = clean_feedback(text)
        now = utcnow()
        with self.engine.begin() as conn:
            row = self._own_idea(conn, organizer_id, idea_id)
            if row.feedback == feedback:
                return feedback
            conn.execute(
                t.ideas.update()
                .where(t.ideas.c.id == idea_id)
                .values(feedback=feedback, feedback_at=now if feedback else None)
            )
            _record(conn, idea_id, organizer_id, "feedback", {"text": feedback}, now)
        return feedback

    @in_thread
    def rate(self, organizer_id: str, idea_id: str, values: Mapping[str, int]) -> float | None:
        """The organizer's rating of an idea on their criteria; returns the idea's new score."""
        now = utcnow()
        with self.engine.begin() as conn:
            self._own_idea(conn, organizer_id, idea_id)
            criteria = _criteria(conn, organizer_id)
            cleaned = clean_rating(values, criteria)
            for criterion_id, value in cleaned.items():
                conn.execute(
                    t.idea_ratings.delete().where(
                        t.idea_ratings.c.idea_id == idea_id,
                        t.idea_ratings.c.criterion_id == criterion_id,
                        t.idea_ratings.c.rater_id == organizer_id,
                    )
                )
                conn.execute(
                    t.idea_ratings.insert().values(
                        idea_id=idea_id, criterion_id=criterion_id, rater_id=organizer_id, value=value, rated_at=now
                    )
                )
            new_score = _rescore(conn, idea_id, criteria)
            names = {c.id: c.name for c in criteria}
            _record(conn, idea_id, organizer_id, "rating", {names[c]: v for c, v in cleaned.items()}, now)
        return new_score

    @in_thread
    def mark_duplicate(self, organizer_id: str, idea_id: str, of_id: str | None) -> None:
        """Mark an idea a duplicate of another of the organizer's ideas (any event), or unmark it
        (``of_id`` None). Ideas marked duplicates of ``idea_id`` move on to ``of_id``."""
        now = utcnow()
        with self.engine.begin() as conn:
            row = self._own_idea(conn, organizer_id, idea_id)
            if of_id is None:
                if row.duplicate_of is not None:
                    conn.execute(t.ideas.update().where(t.ideas.c.id == idea_id).values(duplicate_of=None))
                    _record(conn, idea_id, organizer_id, "duplicate", {"of": None}, now)
                return
            original = self._own_idea(conn, organizer_id, of_id)
            check_duplicate(idea_id, of_id, {idea_id: row.duplicate_of, of_id: original.duplicate_of})
            followers = list(conn.execute(sa.select(t.ideas.c.id).where(t.ideas.c.duplicate_of == idea_id)).scalars())
            conn.execute(t.ideas.update().where(t.ideas.c.id.in_([idea_id, *followers])).values(duplicate_of=of_id))
            for moved in (idea_id, *followers):
                _record(conn, moved, organizer_id, "duplicate", {"of": of_id}, now)


def _has_tag(dialect: str, tag: str) -> Any:
    if dialect == "postgresql":
        return sa.cast(t.ideas.c.tags, sa.dialects.postgresql.JSONB).op("?")(tag)
    each = sa.func.json_each(t.ideas.c.tags).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == tag))


def _summary(row: Any) -> IdeaSummary:
    return IdeaSummary(
        id=row.id,
        event_id=row.event_id,
        event_title=row.event_title,
        field=row.field_name,
        title=row.title,
        text=row.text,
        tags=tuple(row.tags or ()),
        author=None if row.anonymous else row.pseudonym,
        created_at=row.created_at,
        review_status=ReviewStatus(row.review_status),
        feedback=row.feedback,
        score=row.score,
        dots=int(row.dots),
        board_status=row.status,
        duplicate_of=row.duplicate_of,
    )


def _criteria(conn: Connection, organizer_id: str) -> list[Criterion]:
    return [
        Criterion(r.id, r.name, r.weight)
        for r in conn.execute(
            sa.select(t.rating_criteria)
            .where(t.rating_criteria.c.organizer_id == organizer_id, t.rating_criteria.c.archived.is_(False))
            .order_by(t.rating_criteria.c.position)
        )
    ]


def _rescore(conn: Connection, idea_id: str, criteria: Sequence[Criterion]) -> float | None:
    values = conn.execute(
        sa.select(t.idea_ratings.c.criterion_id, t.idea_ratings.c.value).where(t.idea_ratings.c.idea_id == idea_id)
    ).all()
    new_score = score(((r.criterion_id, r.value) for r in values), criteria)
    conn.execute(t.ideas.update().where(t.ideas.c.id == idea_id).values(score=new_score))
    return new_score


def _record(conn: Connection, idea_id: str, actor_id: str, action: str, details: dict[str, Any], at: datetime) -> None:
    conn.execute(
        t.idea_history.insert().values(idea_id=idea_id, at=at, actor_id=actor_id, action=action, details=details)
    )
