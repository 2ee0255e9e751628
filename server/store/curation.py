"""The idea store as the organizers see it: every idea of their events, searched, filtered,
sorted and paged; an idea whole with its provenance and history; their curation (status,
feedback, ratings, duplicates), each change one transaction that also writes the history.

An organizer reaches only the ideas of their own events: every query here is scoped by
``organizer_id``, and an idea of another organizer's event is ``not_found``.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
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
from server.store.merges import merge_roots, merged_into, votes_by_root
from server.store.search import fts5_query, postgres_query

PAGE_MAX = 200
SEARCH_COUNT_MAX = 1000


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
    more: bool = False  # a search with more matches than ``total`` (SEARCH_COUNT_MAX)

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
    """Each idea's dots everyone may see, those of the ideas merged into it included."""
    seen = sa.select(t.vote_sessions.c.id).where(visible_dots())
    votes = votes_by_root()
    return (
        sa.select(votes.c.idea_id, sa.func.sum(votes.c.dots).label("dots"))
        .where(votes.c.session_id.in_(seen))
        .group_by(votes.c.idea_id)
        .subquery("dots")
    )


def search_condition(dialect: str, text: str, *, by_date: bool = False) -> Any:
    """Ideas whose title or text hold every word of ``text`` in some form (``server.store.search``).
    ``by_date``: on SQLite, kept off the indexes (see ``CurationStore._where``)."""
    if dialect == "postgresql":
        words = postgres_query(text)
        if words is None:
            return sa.true()
        # ideas.search_vector: a generated column of PostgreSQL's only (migration 0009)
        return sa.text("ideas.search_vector @@ plainto_tsquery('german'::regconfig, :words)").bindparams(words=words)
    match = fts5_query(text)
    if match is None:
        return sa.true()
    found = sa.text("SELECT rowid FROM idea_search WHERE idea_search MATCH :match").bindparams(match=match)
    return sa.literal_column("+ideas.rowid" if by_date else "ideas.rowid").in_(found)


class CurationStore(FacilitationStore):
    """The organizer console's reads and writes over the idea store."""

    # -- reading -----------------------------------------------------------------------------------

    @reading
    def list_ideas(self, organizer_id: str, f: IdeaFilter) -> IdeaPage:
        """A page of the organizer's ideas. The total is counted on the narrow index of listed ideas
        (migration 0010), the page's ids found by the sort's own index, and only the page's ideas are
        read whole (``docs/benchmarks.md``: 100,000 ideas)."""
        per_page = max(1, min(f.per_page, PAGE_MAX))
        page = max(1, f.page)
        with self.engine.connect() as conn:
            where = self._where(conn, organizer_id, f)
            offset = (page - 1) * per_page
            searching = bool(f.query.strip())
            more = False
            if searching:
                # a search counts its matches up to SEARCH_COUNT_MAX ("more than 1,000"): nobody pages
                # through more, and counting every match of a common word would cost more than the page
                matches = sa.select(t.ideas.c.id).where(*where).limit(SEARCH_COUNT_MAX + 1).subquery()
                total = conn.execute(sa.select(sa.func.count()).select_from(matches)).scalar_one()
                more = total > SEARCH_COUNT_MAX
                total = min(total, SEARCH_COUNT_MAX)
                # many matches: read the page off the date index and stop; few: sort just them
                by_date = self._where(conn, organizer_id, f, by_date=True) if more else where
            else:
                total = conn.execute(sa.select(sa.func.count()).select_from(t.ideas).where(*where)).scalar_one()
                by_date = self._where(conn, organizer_id, f, by_date=True)
            if f.sort is Sort.VOTES:
                ids = self._by_votes(conn, where, by_date, per_page, offset)
            else:
                query = sa.select(t.ideas.c.id).where(*(where if f.sort is Sort.RATING else by_date))
                query = query.order_by(*_order(f.sort), t.ideas.c.id).limit(per_page).offset(offset)
                ids = list(conn.execute(query).scalars())
            items = self._summaries(conn, ids)
        return IdeaPage(items=items, total=total, page=page, per_page=per_page, more=more)

    def _by_votes(self, conn: Connection, where: list[Any], by_date: list[Any], limit: int, offset: int) -> list[str]:
        """A page by dots: first the ideas with dots everyone may see (a few among many, sorted by
        their sums), then the others newest first off the date index — never a sort of every idea."""
        dots = _dots_subquery()
        with_dots = sa.func.count().over().label("with_dots")
        voted = sa.select(t.ideas.c.id, with_dots).join(dots, dots.c.idea_id == t.ideas.c.id).where(*where)
        rows = conn.execute(
            voted.order_by(dots.c.dots.desc(), t.ideas.c.created_at.desc(), t.ideas.c.id).limit(limit).offset(offset)
        ).all()
        ids = [r.id for r in rows]
        if rows:
            voted_count = int(rows[0].with_dots)
        else:  # past the ideas with dots (or none has any): how many there are, to page on after them
            voted_count = conn.execute(
                sa.select(sa.func.count()).select_from(t.ideas).join(dots, dots.c.idea_id == t.ideas.c.id).where(*where)
            ).scalar_one()
        if len(ids) < limit:
            rest = (
                sa.select(t.ideas.c.id)
                .where(*by_date, t.ideas.c.id.not_in(sa.select(dots.c.idea_id)))
                .order_by(t.ideas.c.created_at.desc(), t.ideas.c.id)
                .limit(limit - len(ids))
                .offset(max(0, offset - voted_count))
            )
            ids += conn.execute(rest).scalars()
        return ids

    def _where(self, conn: Connection, organizer_id: str, f: IdeaFilter, *, by_date: bool = False) -> list[Any]:
        """The list's conditions. ``by_date``: for a page newest or oldest first, which SQLite reads
        off ``ix_ideas_created`` and stops — unless a condition on the event lets it choose the index
        of listed ideas and sort every one of them; SQLite's unary ``+`` keeps a term off the indexes."""
        own_events = sa.select(t.events.c.id).where(t.events.c.organizer_id == organizer_id).scalar_subquery()
        event_id: Any = t.ideas.c.event_id
        if by_date and conn.dialect.name == "sqlite":
            event_id = sa.literal_column("+ideas.event_id", sa.String)
        where: list[Any] = [
            event_id.in_(own_events),
            t.ideas.c.deleted_at.is_(None),
            t.ideas.c.merged_into.is_(None),  # merged on its board: the merged idea stands for it
        ]
        if f.event_ids:
            where.append(event_id.in_(f.event_ids))
        if f.field_names:
            where.append(
                t.ideas.c.field_id.in_(
                    sa.select(t.fields.c.id).where(
                        t.fields.c.name.in_(f.field_names), t.fields.c.event_id.in_(own_events)
                    )
                )
            )
        if f.statuses:
            where.append(t.ideas.c.review_status.in_([s.value for s in f.statuses]))
        if not f.include_duplicates:
            where.append(t.ideas.c.duplicate_of.is_(None))
        if not f.include_hidden:
            where.append(t.ideas.c.status == "visible")
        if f.tag:
            where.append(_has_tag(conn.dialect.name, f.tag, by_date=by_date))
        if f.vote_round is not None:
            # an idea got dots in a round if it did, or an idea merged into it did: the round's votes
            # found by their sessions first, so that neither side reads every vote
            sessions = sa.select(t.vote_sessions.c.id).where(t.vote_sessions.c.round == f.vote_round, visible_dots())
            roots = merge_roots()
            where.append(
                sa.or_(
                    t.ideas.c.id.in_(sa.select(t.votes.c.idea_id).where(t.votes.c.session_id.in_(sessions))),
                    t.ideas.c.id.in_(
                        sa.select(roots.c.root)
                        .join(t.votes, t.votes.c.idea_id == roots.c.id)
                        .where(t.votes.c.session_id.in_(sessions))
                    ),
                )
            )
        if f.query.strip():
            where.append(search_condition(conn.dialect.name, f.query, by_date=by_date))
        return where

    def _summaries(self, conn: Connection, ids: Sequence[str]) -> list[IdeaSummary]:
        if not ids:
            return []
        rows = conn.execute(
            sa.select(
                t.ideas,
                t.events.c.title.label("event_title"),
                t.fields.c.name.label("field_name"),
                t.members.c.pseudonym,
                t.boards.c.anonymous,
            )
            .select_from(
                t.ideas.join(t.events, t.events.c.id == t.ideas.c.event_id)
                .join(t.fields, t.fields.c.id == t.ideas.c.field_id)
                .join(t.members, t.members.c.id == t.ideas.c.author_id)
                .join(t.boards, t.boards.c.id == t.ideas.c.board_id)
            )
            .where(t.ideas.c.id.in_(ids))
        ).all()
        seen = sa.select(t.vote_sessions.c.id).where(visible_dots())
        merged = merged_into(conn, ids)  # their dots count for the idea they were merged into
        dots: Counter[str] = Counter()
        for idea_id, n in conn.execute(
            sa.select(t.votes.c.idea_id, sa.func.sum(t.votes.c.dots))
            .where(t.votes.c.idea_id.in_([*ids, *merged]), t.votes.c.session_id.in_(seen))
            .group_by(t.votes.c.idea_id)
        ):
            dots[merged.get(idea_id, idea_id)] += int(n or 0)
        by_id = {row.id: _summary(row, dots[row.id]) for row in rows}
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
                    .where(t.votes.c.idea_id.in_([idea_id, *merged_into(conn, [idea_id])]), visible_dots())
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
        """Every tag on a listed idea of the organizer's events (not deleted, not merged away), sorted."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.ideas.c.tags)
                .join(t.events, t.events.c.id == t.ideas.c.event_id)
                .where(
                    t.events.c.organizer_id == organizer_id,
                    t.ideas.c.tags.is_not(None),
                    t.ideas.c.deleted_at.is_(None),
                    t.ideas.c.merged_into.is_(None),
                )
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


def _order(sort: Sort) -> list[Any]:
    return {
        Sort.RATING: [sa.func.coalesce(t.ideas.c.score, 0).desc(), t.ideas.c.created_at.desc()],
        Sort.OLDEST: [t.ideas.c.created_at.asc()],
        Sort.NEWEST: [t.ideas.c.created_at.desc()],
    }.get(sort, [t.ideas.c.created_at.desc()])


def _has_tag(dialect: str, tag: str, *, by_date: bool) -> Any:
    """Ideas with the tag: PostgreSQL's GIN index on ``tags::jsonb``, SQLite's ``idea_tags`` (migration 0010)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB  # only where it runs (the dialect is 2.2 MB)

        return sa.cast(t.ideas.c.tags, JSONB).op("@>")(sa.cast(sa.literal(json.dumps([tag])), JSONB))
    tagged = sa.text("SELECT idea_rowid FROM idea_tags WHERE tag = :tag").bindparams(tag=tag)
    return sa.literal_column("+ideas.rowid" if by_date else "ideas.rowid").in_(tagged)


def _summary(row: Any, dots: int) -> IdeaSummary:
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
        dots=dots,
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
