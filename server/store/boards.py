"""The boards part of the idea store: loading a board whole, committing its changes and dots.

A board change commits only if the board's stored sequence is the one it was decided on;
a batch of dots commits only if every voter's stored count is the one it was decided on
and the session is still open. Either way a node with an outdated board gets
``stale_board``, reloads and decides again, so two nodes can never overspend a budget.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.curation import ReviewStatus
from boards.domain_events import (
    BoardEvent,
    ClusterChanged,
    CommentChanged,
    DotsChanged,
    IdeaChanged,
    SessionChanged,
    SettingsChanged,
)
from boards.errors import Conflict, NotFound
from boards.model import Board, Cluster, Column, Comment, Idea, IdeaStatus, Phase, Settings
from boards.voting import Ballots, ResultRow, Scope, ScopeKind, VoteSession, VoteStatus
from boards.window import Window
from server.ids import utcnow
from server.store import tables as t
from server.store.db import DB_THREADS, SQLITE_READERS


@dataclass(frozen=True, slots=True)
class StoredChange:
    seq: int
    payload: dict[str, Any]


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="BoardStore")


def _on(pool: str) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], Coroutine[Any, Any, R]]]:
    def decorate(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
        @functools.wraps(method)
        async def run(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
            call = functools.partial(method, self, *args, **kwargs)
            return await asyncio.get_running_loop().run_in_executor(getattr(self, pool), call)

        return run

    return decorate


in_thread = _on("executor")
"""Run a store method, a whole transaction of blocking SQLAlchemy calls, on the store's
database threads, and await it from the event loop.

One hop to the thread per transaction, not per statement (as an async driver under
SQLAlchemy's asyncio extension makes it), and no greenlet, ORM or async driver in the
process: the event loop only waits, and a batch of a hundred dots is one hop.
"""

reading = _on("readers")
"""The same for a method that only reads: on SQLite its own threads, so that a long read
(a board, an export) never waits for the one writer nor holds it up (WAL lets readers and
the writer go on together)."""


def _stale() -> Conflict:
    return Conflict("The board changed meanwhile; try again.", code="stale_board")


def upsert(conn: Connection, table: sa.Table, values: dict[str, Any]) -> None:
    """Insert a row or update it by its primary key, on SQLite and PostgreSQL alike.

    ``values`` names every column the row sets; the statement is built once per table and
    set of columns (building it costs more than running it)."""
    conn.execute(_upsert_statement(conn.dialect.name, table, tuple(values)), values)


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table, columns: tuple[str, ...]) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(table).values({name: sa.bindparam(name) for name in columns})
    update = {name: stmt.excluded[name] for name in columns if name not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=update) if update else stmt.on_conflict_do_nothing()


def idea_row(board: Board, idea: Idea) -> dict[str, Any]:
    return {
        "id": idea.id,
        "board_id": board.id,
        "room_id": board.room_id,
        "event_id": board.event_id,
        "field_id": idea.column_id,
        "author_id": idea.author_id,
        "text": idea.text,
        "client_id": idea.client_id,
        "created_at": idea.created_at,
        "updated_at": idea.updated_at,
        "title": idea.title,
        "tags": list(idea.tags),
        "colour": idea.colour,
        "position": idea.position,
        "cluster_id": idea.cluster_id,
        "status": idea.status.value,
        "phase": idea.phase.value,
        "merged_into": idea.merged_into,
        "merged_from": list(idea.merged_from),
        "reporters": sorted(idea.reporters),
    }


def _idea(row: Any) -> Idea:
    return Idea(
        id=row.id,
        column_id=row.field_id,
        author_id=row.author_id,
        text=row.text,
        created_at=row.created_at,
        updated_at=row.updated_at,
        client_id=row.client_id,
        title=row.title,
        tags=tuple(row.tags or ()),
        colour=row.colour,
        position=row.position,
        cluster_id=row.cluster_id,
        status=IdeaStatus(row.status),
        phase=Phase(row.phase),
        merged_into=row.merged_into,
        merged_from=tuple(row.merged_from or ()),
        reporters=frozenset(row.reporters or ()),
        review=ReviewStatus(row.review_status),
        feedback=row.feedback,
    )


def _results_json(results: tuple[ResultRow, ...] | None) -> list[dict[str, Any]] | None:
    if results is None:
        return None
    return [
        {
            "idea_id": r.idea_id,
            "column_id": r.column_id,
            "dots": r.dots,
            "voters": r.voters,
            "rank": r.rank,
            "tie": r.tie,
            "column_rank": r.column_rank,
            "column_tie": r.column_tie,
            "merged_from": list(r.merged_from),
        }
        for r in results
    ]


def _session(row: Any) -> VoteSession:
    return VoteSession(
        id=row.id,
        round=row.round,
        budget=row.budget,
        cap=row.cap,
        blind=row.blind,
        scope=Scope(ScopeKind(row.scope_kind), tuple(row.scope_ids)),
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        ends_at=row.ends_at,
        status=VoteStatus(row.status),
        moderators_vote=row.moderators_vote,
        results=None
        if row.results is None
        else tuple(ResultRow(**{**r, "merged_from": tuple(r["merged_from"])}) for r in row.results),
    )


@dataclass(frozen=True, slots=True)
class _DotStatements:
    open_session: Any
    update_ballot: Any
    first_ballot: Any
    insert_vote: Any
    update_vote: Any
    delete_vote: Any


@functools.cache
def _dot_statements(dialect: str) -> _DotStatements:
    """The statements a batch of dots runs, built once (building them costs more than running them)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    b = sa.bindparam
    ballots, votes, sessions = t.ballots, t.votes, t.vote_sessions
    vote = insert(votes).values(session_id=b("sid"), member_id=b("member"), idea_id=b("idea"), dots=b("dots"))
    return _DotStatements(
        # open, and with the budget and cap the dots were decided on
        open_session=sessions.update()
        .where(
            sessions.c.id == b("sid"),
            sessions.c.status == VoteStatus.OPEN.value,
            sessions.c.budget == b("decided_budget"),
            sessions.c.cap == b("decided_cap"),
        )
        .values(cast=sessions.c.cast + b("net")),
        update_ballot=ballots.update()
        .where(ballots.c.session_id == b("sid"), ballots.c.member_id == b("member"), ballots.c.used == b("old"))
        .values(used=b("new")),
        # a voter's first dot: if another node made the row meanwhile, nothing is inserted (rowcount 0)
        # (psycopg reports an INSERT's rowcount only when asked to keep it)
        first_ballot=insert(ballots)
        .values(session_id=b("sid"), member_id=b("member"), used=b("new"))
        .on_conflict_do_nothing(index_elements=["session_id", "member_id"])
        .execution_options(preserve_rowcount=True),
        insert_vote=vote.on_conflict_do_nothing(
            index_elements=["session_id", "member_id", "idea_id"]
        ).execution_options(preserve_rowcount=True),
        update_vote=votes.update().where(*_vote_key(b), votes.c.dots == b("old")).values(dots=b("dots")),
        delete_vote=votes.delete().where(*_vote_key(b), votes.c.dots == b("old")),
    )


def _vote_key(b: Any) -> tuple[Any, ...]:
    votes = t.votes
    return (votes.c.session_id == b("sid"), votes.c.member_id == b("member"), votes.c.idea_id == b("idea"))


class BoardStore:
    """The idea store's boards; ``IdeaStore`` adds events, members and organizers."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        # SQLite has one writer: one thread for writes, so they queue in Python, not on the
        # file's lock, and a few for reads. PostgreSQL: as many threads as the engine has
        # connections.
        if engine.dialect.name == "sqlite" and isinstance(engine.pool, sa.StaticPool):  # in memory: one connection
            self.executor = self.readers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="werkstatt-db")
        elif engine.dialect.name == "sqlite":
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="werkstatt-db-write")
            self.readers = ThreadPoolExecutor(max_workers=SQLITE_READERS, thread_name_prefix="werkstatt-db-read")
        else:
            self.executor = self.readers = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="werkstatt-db")

    async def close(self) -> None:
        """Let the transactions under way finish, then release the database connections."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.executor.shutdown)
        await loop.run_in_executor(None, self.readers.shutdown)
        self.engine.dispose()

    @reading
    def load_board(self, board_id: str) -> Board:
        """The board as committed: settings, columns (the event's fields), ideas, clusters,
        comments, vote sessions and their dots."""
        with self.engine.connect() as conn:
            row = (conn.execute(sa.select(t.boards).where(t.boards.c.id == board_id))).first()
            if row is None:
                raise NotFound(f"No board {board_id!r}.")
            own = t.fields.c.board_id == board_id if row.free else t.fields.c.board_id.is_(None)
            field_rows = (
                conn.execute(
                    sa.select(t.fields)
                    .where(t.fields.c.event_id == row.event_id, t.fields.c.archived.is_(False), own)
                    .order_by(t.fields.c.position)
                )
            ).all()
            idea_rows = (conn.execute(sa.select(t.ideas).where(t.ideas.c.board_id == board_id))).all()
            cluster_rows = (
                conn.execute(
                    sa.select(t.clusters).where(t.clusters.c.board_id == board_id, t.clusters.c.dissolved_at.is_(None))
                )
            ).all()
            comment_rows = (
                conn.execute(
                    sa.select(t.comments).where(t.comments.c.board_id == board_id, t.comments.c.deleted_at.is_(None))
                )
            ).all()
            session_rows = (
                conn.execute(
                    sa.select(t.vote_sessions)
                    .where(t.vote_sessions.c.board_id == board_id)
                    .order_by(t.vote_sessions.c.round)
                )
            ).all()
            vote_rows = (
                conn.execute(
                    sa.select(t.votes)
                    .join(t.vote_sessions, t.vote_sessions.c.id == t.votes.c.session_id)
                    .where(t.vote_sessions.c.board_id == board_id)
                )
            ).all()
        board = Board(
            id=row.id,
            room_id=row.room_id,
            event_id=row.event_id,
            title=row.title,
            columns=tuple(Column(f.id, f.name) for f in field_rows),
            seq=row.seq,
            settings=Settings(
                phase=Phase(row.phase),
                silent=row.silent,
                revealed=row.revealed,
                locked=row.locked,
                premoderation=row.premoderation,
                anonymous=row.anonymous,
                window=None if row.opens_at is None else Window(row.opens_at, row.closes_at),
            ),
            ideas={i.id: _idea(i) for i in idea_rows if i.deleted_at is None},
            clusters={
                k.id: Cluster(k.id, k.column_id, k.heading, k.created_by, k.position, k.parent_id) for k in cluster_rows
            },
            comments={
                m.id: Comment(m.id, m.idea_id, m.author_id, m.text, m.created_at, m.hidden) for m in comment_rows
            },
            client_ids={(i.author_id, i.client_id): i.id for i in idea_rows if i.client_id is not None},
            sessions={s.id: _session(s) for s in session_rows},
        )
        board.ballots = {s.id: Ballots() for s in session_rows}
        for vote in vote_rows:
            board.ballots[vote.session_id].dots.setdefault(vote.member_id, Counter())[vote.idea_id] = vote.dots
        return board

    @in_thread
    def commit_board_events(
        self, board: Board, events: Sequence[BoardEvent], payloads: Sequence[dict[str, Any]]
    ) -> None:
        """Commit ``events`` (with their change records) in one transaction, or raise stale_board.

        The board's stored sequence must be the one before the first event (``board`` may
        have the events applied already).
        """
        if not events:
            return
        with self.engine.begin() as conn:
            result = conn.execute(
                t.boards.update()
                .where(t.boards.c.id == board.id, t.boards.c.seq == events[0].seq - 1)
                .values(seq=events[-1].seq)
            )
            if result.rowcount != 1:
                raise _stale()
            for event, payload in zip(events, payloads, strict=True):
                _write(conn, board, event)
                conn.execute(
                    t.board_changes.insert().values(
                        board_id=board.id,
                        seq=event.seq,
                        kind=payload["type"],
                        actor_id=event.actor.member_id,
                        payload=payload,
                        created_at=utcnow(),
                    )
                )

    @in_thread
    def commit_dots(self, events: Sequence[DotsChanged], *, budget: int, cap: int) -> None:
        """Commit a batch of dots of one session, checked against the store, or raise ``stale_board``.

        The session must still be open with the ``budget`` and ``cap`` the dots were decided
        on, and every voter's stored total and count per idea must be what their first dot of
        the batch was decided on; so a node that decided on an outdated board commits
        nothing, reloads, and decides again.
        """
        if not events:
            return
        session_id = events[0].session_id
        first_used: dict[str, int] = {}
        last_used: dict[str, int] = {}
        first_count: dict[tuple[str, str], int] = {}
        last_count: dict[tuple[str, str], int] = {}
        for event in events:
            member, key = event.actor.member_id, (event.actor.member_id, event.idea_id)
            first_used.setdefault(member, event.used - event.delta)
            last_used[member] = event.used
            first_count.setdefault(key, event.count - event.delta)
            last_count[key] = event.count
        net = sum(event.delta for event in events)
        sql = _dot_statements(self.engine.dialect.name)
        # each kind of statement once for the whole batch (an executemany: psycopg sends them in one pipeline);
        # one statement per voter took a handover of the GIL each, 5 ms apiece while the event loop is busy
        ballots = [{"sid": session_id, "member": m, "old": first_used[m], "new": used} for m, used in last_used.items()]
        votes: dict[Any, list[dict[str, Any]]] = {}
        for (member, idea_id), new in last_count.items():
            old = first_count[(member, idea_id)]
            if old == new:
                continue
            statement = sql.insert_vote if old == 0 else sql.delete_vote if new == 0 else sql.update_vote
            votes.setdefault(statement, []).append(
                {"sid": session_id, "member": member, "idea": idea_id, "old": old, "dots": new, "new_dots": new}
            )
        with self.engine.begin() as conn:
            params: dict[str, Any] = {"sid": session_id, "net": net, "decided_budget": budget, "decided_cap": cap}
            if (conn.execute(sql.open_session, params)).rowcount != 1:
                raise _stale()  # closed or changed meanwhile: deciding again tells which
            held = [b for b in ballots if b["old"] != 0]  # stored with exactly that count
            if held and conn.execute(sql.update_ballot, held).rowcount != len(held):
                raise _stale()  # another node placed this voter's dots meanwhile
            first = [b for b in ballots if b["old"] == 0]  # stored with none, or not stored yet
            if first:
                updated = conn.execute(sql.update_ballot, first).rowcount
                inserted = conn.execute(sql.first_ballot, first).rowcount  # (those updated conflict: not counted)
                if updated + inserted != len(first):
                    raise _stale()
            for statement, rows in votes.items():
                if conn.execute(statement, rows).rowcount != len(rows):
                    raise _stale()

    @reading
    def changes_since(self, board_id: str, seq: int, limit: int) -> list[StoredChange] | None:
        """The change records after ``seq`` in order, or None when there are more than ``limit`` or some were
        dropped (personal data erased: ``server.store.personal_data``); the caller sends the board whole then."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(t.board_changes.c.seq, t.board_changes.c.payload)
                    .where(t.board_changes.c.board_id == board_id, t.board_changes.c.seq > seq)
                    .order_by(t.board_changes.c.seq)
                    .limit(limit + 1)
                )
            ).all()
            if not rows:
                stored = conn.execute(sa.select(t.boards.c.seq).where(t.boards.c.id == board_id)).scalar_one_or_none()
                return [] if stored is None or stored <= seq else None
        if len(rows) > limit or rows[0].seq != seq + 1:
            return None
        return [StoredChange(row.seq, row.payload) for row in rows]

    @reading
    def dot_counts(self, session_id: str, member_id: str, idea_id: str) -> tuple[int, int]:
        """A voter's stored dots in a session, and on one idea."""
        with self.engine.connect() as conn:
            used = (
                conn.execute(
                    sa.select(t.ballots.c.used).where(
                        t.ballots.c.session_id == session_id, t.ballots.c.member_id == member_id
                    )
                )
            ).scalar_one_or_none()
            dots = (
                conn.execute(
                    sa.select(t.votes.c.dots).where(
                        t.votes.c.session_id == session_id,
                        t.votes.c.member_id == member_id,
                        t.votes.c.idea_id == idea_id,
                    )
                )
            ).scalar_one_or_none()
        return used or 0, dots or 0

    @reading
    def boards_with_open_votes(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.vote_sessions.c.board_id).where(t.vote_sessions.c.status == VoteStatus.OPEN.value)
            )
            return list(rows.scalars())

    @reading
    def vote_rows(self, session_id: str) -> list[tuple[str, str, int]]:
        """(member, idea, dots) as stored."""
        with self.engine.connect() as conn:
            rows = (conn.execute(sa.select(t.votes).where(t.votes.c.session_id == session_id))).all()
        return [(r.member_id, r.idea_id, r.dots) for r in rows]


def _write(conn: Connection, board: Board, event: BoardEvent) -> None:
    now = utcnow()
    if isinstance(event, IdeaChanged):
        if event.kind == "deleted":
            conn.execute(
                t.ideas.update()
                .where(t.ideas.c.id == event.idea.id)
                .values(deleted_at=event.idea.updated_at, deleted_by=event.actor.member_id)
            )
        else:
            upsert(conn, t.ideas, idea_row(board, event.idea))
    elif isinstance(event, ClusterChanged):
        k = event.cluster
        upsert(
            conn,
            t.clusters,
            {
                "id": k.id,
                "board_id": board.id,
                "column_id": k.column_id,
                "heading": k.heading,
                "created_by": k.created_by,
                "position": k.position,
                "parent_id": k.parent_id,
                "dissolved_at": now if event.kind == "dissolved" else None,
            },
        )
    elif isinstance(event, CommentChanged):
        m = event.comment
        upsert(
            conn,
            t.comments,
            {
                "id": m.id,
                "board_id": board.id,
                "idea_id": m.idea_id,
                "author_id": m.author_id,
                "text": m.text,
                "created_at": m.created_at,
                "hidden": m.hidden,
                "deleted_at": now if event.kind == "deleted" else None,
            },
        )
    elif isinstance(event, SettingsChanged):
        s = event.settings
        conn.execute(
            t.boards.update()
            .where(t.boards.c.id == board.id)
            .values(
                phase=s.phase.value,
                silent=s.silent,
                revealed=s.revealed,
                locked=s.locked,
                premoderation=s.premoderation,
                anonymous=s.anonymous,
                opens_at=s.window.opens_at if s.window else None,
                closes_at=s.window.closes_at if s.window else None,
            )
        )
    elif isinstance(event, SessionChanged):
        v = event.session
        values = {
            "id": v.id,
            "board_id": board.id,
            "round": v.round,
            "budget": v.budget,
            "cap": v.cap,
            "blind": v.blind,
            "scope_kind": v.scope.kind.value,
            "scope_ids": list(v.scope.ids),
            "opened_by": v.opened_by,
            "opened_at": v.opened_at,
            "ends_at": v.ends_at,
            "status": v.status.value,
            "results": _results_json(v.results),
            "moderators_vote": v.moderators_vote,
        }
        if event.kind == "opened":
            conn.execute(t.vote_sessions.insert().values(**values, cast=0))
            return
        query = t.vote_sessions.update().where(t.vote_sessions.c.id == v.id)
        if event.kind in ("closed", "changed"):
            query = query.where(t.vote_sessions.c.status == VoteStatus.OPEN.value)
        result = conn.execute(query.values(**values))
        if result.rowcount != 1:
            raise _stale()
        if event.kind in ("closed", "changed"):
            # The ranking (or the check against what is cast) was decided on the dots this node
            # knows. The update above holds the session row, which every batch of dots updates
            # first, so no dot can come in between: compare with the stored ones.
            rows = conn.execute(
                sa.select(t.votes.c.member_id, t.votes.c.idea_id, t.votes.c.dots).where(t.votes.c.session_id == v.id)
            )
            stored = {(m, i): n for m, i, n in rows}
            known = {
                (m, i): n
                for m, ballot in (board.ballots.get(v.id) or Ballots()).dots.items()
                for i, n in ballot.items()
            }
            if stored != known:
                raise _stale()
