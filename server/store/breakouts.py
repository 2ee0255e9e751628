"""The breakouts part of the idea store: rooms, breakout rounds whole, and what came back from them.

A round is stored as ``rooms.breakouts.BreakoutRound`` holds it: its help queue on its row, and
its own fields, each round's rooms (``breakout_round_rooms``: a World Café round uses the rooms of the
round before, and their boards, again), who is in which room (one row per round and member: the key
keeps a member in one room), the topic choices, and who was where when it closed.

A round's changes commit only if its stored sequence is the one they were decided on, as a board's do:
a node with an outdated round gets ``stale_round``, reloads and decides again, so two nodes cannot
both place a member. At most one round of an event is open or closing (a partial unique index); an
``Open`` that would make a second one is refused with ``already_open``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.errors import Conflict, NotFound
from rooms.breakouts import (
    BreakoutEvent,
    BreakoutRoom,
    BreakoutRound,
    MembersPlaced,
    Mode,
    PreferencesChanged,
    RoundStatus,
)
from server.store import tables as t
from server.store.boards import BoardStore, in_thread, reading, upsert

OPEN_STATUSES = (RoundStatus.OPEN.value, RoundStatus.CLOSING.value)


@dataclass(frozen=True, slots=True)
class Room:
    """A room of an event: the plenary, or a breakout room with what its newest round gave it."""

    id: str
    event_id: str
    kind: str  # plenary, breakout
    name: str
    round_id: str | None = None  # the breakout round the room was made for
    position: int = 0
    topic: str = ""
    field_id: str | None = None
    capacity: int | None = None
    host_member_id: str | None = None


@dataclass(frozen=True, slots=True)
class BoardIdeas:
    board_id: str
    title: str
    ideas: int  # not deleted


@dataclass(frozen=True, slots=True)
class RoomSummary:
    """A breakout room and what its boards hold, for the plenary to look at."""

    room: Room
    boards: tuple[BoardIdeas, ...]


def stale_round() -> Conflict:
    return Conflict("The breakout round changed meanwhile; try again.", code="stale_round")


def _room(row: Any) -> Room:
    return Room(
        id=row.id,
        event_id=row.event_id,
        kind=row.kind,
        name=row.name,
        round_id=row.round_id,
        position=row.position,
        topic=row.topic,
        field_id=row.field_id,
        capacity=row.capacity,
        host_member_id=row.host_member_id,
    )


def _rooms_query(event_id: str) -> Any:
    """The event's rooms: the plenary first, then the breakout rooms by round and position."""
    r, rounds = t.rooms, t.breakout_rounds
    return (
        sa.select(r)
        .outerjoin(rounds, rounds.c.id == r.c.round_id)
        .where(r.c.event_id == event_id)
        .order_by(sa.case((r.c.kind == "plenary", 0), else_=1), rounds.c.number, r.c.position, r.c.id)
    )


def _round_values(rnd: BreakoutRound) -> dict[str, Any]:
    """The round's own fields, as its row holds them."""
    return {
        "status": rnd.status.value,
        "mode": rnd.mode.value,
        "countdown_s": rnd.countdown_s,
        "duration_s": rnd.duration_s,
        "opened_at": rnd.opened_at,
        "ends_at": rnd.ends_at,
        "closes_at": rnd.closes_at,
        "closed_at": rnd.closed_at,
        "seq": rnd.seq,
        "help_queue": " ".join(rnd.help_queue),
    }


def _room_values(room: BreakoutRoom, position: int) -> dict[str, Any]:
    return {
        "position": position,
        "name": room.name,
        "topic": room.topic,
        "field_id": room.field,
        "capacity": room.capacity,
        "host_member_id": room.host,
    }


def _read_round(conn: Connection, row: Any) -> BreakoutRound:
    rr = t.breakout_round_rooms
    rooms = conn.execute(sa.select(rr).where(rr.c.round_id == row.id).order_by(rr.c.position)).all()
    placed = conn.execute(sa.select(t.breakout_placements).where(t.breakout_placements.c.round_id == row.id)).all()
    final = conn.execute(
        sa.select(t.breakout_final_placements).where(t.breakout_final_placements.c.round_id == row.id)
    ).all()
    prefs = conn.execute(
        sa.select(t.breakout_preferences)
        .where(t.breakout_preferences.c.round_id == row.id)
        .order_by(t.breakout_preferences.c.member_id, t.breakout_preferences.c.rank)
    ).all()
    preferences: dict[str, tuple[str, ...]] = {}
    for p in prefs:
        preferences[p.member_id] = (*preferences.get(p.member_id, ()), p.room_id)
    return BreakoutRound(
        id=row.id,
        event_id=row.event_id,
        number=row.number,
        rooms=tuple(BreakoutRoom(r.room_id, r.name, r.topic, r.field_id, r.capacity, r.host_member_id) for r in rooms),
        created_at=row.created_at,
        mode=Mode(row.mode),
        status=RoundStatus(row.status),
        placement={p.member_id: p.room_id for p in placed},
        preferences=preferences,
        duration_s=row.duration_s,
        countdown_s=row.countdown_s,
        opened_at=row.opened_at,
        ends_at=row.ends_at,
        closes_at=row.closes_at,
        closed_at=row.closed_at,
        final_placement={p.member_id: p.room_id for p in final},
        help_queue=tuple(row.help_queue.split()),
        seq=row.seq,
    )


def _another_open_round(conn: Connection, rnd: BreakoutRound) -> bool:
    rounds = t.breakout_rounds
    query = sa.select(rounds.c.id).where(
        rounds.c.event_id == rnd.event_id, rounds.c.id != rnd.id, rounds.c.status.in_(OPEN_STATUSES)
    )
    return conn.execute(query).first() is not None


def _already_open() -> Conflict:
    return Conflict("Another breakout round of this event is open already; close it first.", code="already_open")


def _placements(conn: Connection, table: sa.Table, round_id: str, placement: dict[str, str]) -> None:
    if placement:
        conn.execute(
            table.insert(), [{"round_id": round_id, "member_id": m, "room_id": r} for m, r in placement.items()]
        )


def _preferences(conn: Connection, round_id: str, member_id: str, room_ids: Sequence[str]) -> None:
    prefs = t.breakout_preferences
    conn.execute(prefs.delete().where(prefs.c.round_id == round_id, prefs.c.member_id == member_id))
    if room_ids:
        conn.execute(
            prefs.insert(),
            [{"round_id": round_id, "member_id": member_id, "rank": n, "room_id": r} for n, r in enumerate(room_ids)],
        )


def _insert_rooms(conn: Connection, rnd: BreakoutRound) -> None:
    """The round's rooms: new ones made, those of earlier rounds of the event given this round's values."""
    for position, room in enumerate(rnd.rooms):
        values = _room_values(room, position)
        existing = conn.execute(sa.select(t.rooms).where(t.rooms.c.id == room.id)).first()
        if existing is None:
            conn.execute(
                t.rooms.insert().values(id=room.id, event_id=rnd.event_id, kind="breakout", round_id=rnd.id, **values)
            )
        elif existing.event_id != rnd.event_id or existing.kind != "breakout":
            raise Conflict(f"The room id {room.id!r} is taken by another room.")
        else:
            conn.execute(t.rooms.update().where(t.rooms.c.id == room.id).values(**values))
        conn.execute(t.breakout_round_rooms.insert().values(round_id=rnd.id, room_id=room.id, **values))


class BreakoutStore(BoardStore):
    """Rooms and breakout rounds; ``FacilitationStore`` adds the agenda, chat, questions and audit log."""

    # -- rooms ------------------------------------------------------------------------------------

    @reading
    def rooms_of(self, event_id: str) -> list[Room]:
        """The event's rooms: the plenary first, then the breakout rooms by round and position."""
        with self.engine.connect() as conn:
            return [_room(row) for row in conn.execute(_rooms_query(event_id)).all()]

    @reading
    def room(self, room_id: str) -> Room:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.rooms).where(t.rooms.c.id == room_id)).first()
        if row is None:
            raise NotFound(f"There is no room {room_id!r}.", code="no_such_room")
        return _room(row)

    # -- rounds -----------------------------------------------------------------------------------

    @in_thread
    def create_round(self, rnd: BreakoutRound) -> None:
        """Store a new round whole (usually a draft), its rooms as rooms of kind breakout.

        A room that an earlier round of the event made is used again (a World Café table keeps its
        boards) and takes this round's name, topic, field, capacity and host. A round whose number is
        taken meanwhile is refused with ``stale_round`` (``next_round_number`` again).
        """
        rounds = t.breakout_rounds
        taken = sa.select(rounds.c.id).where(
            sa.or_(rounds.c.id == rnd.id, sa.and_(rounds.c.event_id == rnd.event_id, rounds.c.number == rnd.number))
        )
        try:
            with self.engine.begin() as conn:
                if conn.execute(taken).first() is not None:
                    raise stale_round()
                if rnd.status.value in OPEN_STATUSES and _another_open_round(conn, rnd):
                    raise _already_open()
                conn.execute(
                    rounds.insert().values(
                        id=rnd.id,
                        event_id=rnd.event_id,
                        number=rnd.number,
                        created_at=rnd.created_at,
                        **_round_values(rnd),
                    )
                )
                _insert_rooms(conn, rnd)
                _placements(conn, t.breakout_placements, rnd.id, rnd.placement)
                _placements(conn, t.breakout_final_placements, rnd.id, rnd.final_placement)
                for member_id, room_ids in rnd.preferences.items():
                    _preferences(conn, rnd.id, member_id, room_ids)
        except sa.exc.IntegrityError:
            with self.engine.connect() as conn:  # another node made or opened a round meanwhile
                if conn.execute(taken).first() is not None:
                    raise stale_round() from None
                if rnd.status.value in OPEN_STATUSES and _another_open_round(conn, rnd):
                    raise _already_open() from None
            raise

    @reading
    def load_round(self, round_id: str) -> BreakoutRound:
        """The round as committed."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.breakout_rounds).where(t.breakout_rounds.c.id == round_id)).first()
            if row is None:
                raise NotFound(f"There is no breakout round {round_id!r}.")
            return _read_round(conn, row)

    @reading
    def rounds_of(self, event_id: str) -> list[BreakoutRound]:
        """The event's rounds whole, by number (the newest last)."""
        rounds = t.breakout_rounds
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(rounds).where(rounds.c.event_id == event_id).order_by(rounds.c.number)).all()
            return [_read_round(conn, row) for row in rows]

    @reading
    def open_round(self, event_id: str) -> BreakoutRound | None:
        """The event's round that is open or closing, if there is one (there is at most one)."""
        rounds = t.breakout_rounds
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(rounds).where(rounds.c.event_id == event_id, rounds.c.status.in_(OPEN_STATUSES))
            ).first()
            return None if row is None else _read_round(conn, row)

    @reading
    def next_round_number(self, event_id: str) -> int:
        rounds = t.breakout_rounds
        with self.engine.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(rounds.c.number)).where(rounds.c.event_id == event_id))
            return (last.scalar_one_or_none() or 0) + 1

    @reading
    def final_placements(self, event_id: str) -> list[dict[str, str]]:
        """Who was in which room when each closed round of the event closed, oldest round first
        (``Assign.previous`` and ``Assign.history``, ``next_rotation``'s history)."""
        rounds, final = t.breakout_rounds, t.breakout_final_placements
        with self.engine.connect() as conn:
            closed = conn.execute(
                sa.select(rounds.c.id)
                .where(rounds.c.event_id == event_id, rounds.c.status == RoundStatus.CLOSED.value)
                .order_by(rounds.c.number)
            ).scalars()
            result: dict[str, dict[str, str]] = {round_id: {} for round_id in closed}
            rows = conn.execute(
                sa.select(final).join(rounds, rounds.c.id == final.c.round_id).where(rounds.c.event_id == event_id)
            ).all()
        for row in rows:
            if row.round_id in result:
                result[row.round_id][row.member_id] = row.room_id
        return list(result.values())

    @in_thread
    def commit_round(self, before: BreakoutRound, events: Sequence[BreakoutEvent], after: BreakoutRound) -> None:
        """Commit ``events`` (``decide`` on ``before``; ``after`` is ``before`` with them applied) in one
        transaction, or raise ``stale_round`` when the stored round is no longer ``before``.

        The round's own fields are written from ``after``; who is where and the topic choices change
        as the events say; ``Close`` stores who was where; the help queue is written from ``after``.
        """
        if not events:
            return
        if events[0].seq != before.seq + 1 or events[-1].seq != after.seq or after.id != before.id:
            raise ValueError("commit_round: the events do not lead from `before` to `after`")
        placed: dict[str, str | None] = {}  # member → their room after the events; None: the plenary
        preferred: dict[str, tuple[str, ...]] = {}
        final: dict[str, str] | None = None
        for event in events:
            if isinstance(event, MembersPlaced):
                for member_id, _from, to in event.moves:
                    placed[member_id] = to
                if event.kind == "closed":
                    final = {m: r for m, r, _to in event.moves if r is not None}
            elif isinstance(event, PreferencesChanged):
                preferred[event.member_id] = event.room_ids
        rounds = t.breakout_rounds
        try:
            with self.engine.begin() as conn:
                opening = after.status.value in OPEN_STATUSES and before.status.value not in OPEN_STATUSES
                if opening and _another_open_round(conn, after):
                    raise _already_open()
                result = conn.execute(
                    rounds.update()
                    .where(rounds.c.id == before.id, rounds.c.seq == before.seq)
                    .values(**_round_values(after))
                )
                if result.rowcount != 1:
                    raise stale_round()
                key = t.breakout_placements.c
                gone = [member_id for member_id, room_id in placed.items() if room_id is None]
                if gone and not after.placement:  # everyone back (the round closed): one statement
                    conn.execute(t.breakout_placements.delete().where(key.round_id == before.id))
                else:
                    for start in range(0, len(gone), 500):
                        conn.execute(
                            t.breakout_placements.delete().where(
                                key.round_id == before.id, key.member_id.in_(gone[start : start + 500])
                            )
                        )
                for member_id, room_id in placed.items():
                    if room_id is not None:
                        upsert(
                            conn,
                            t.breakout_placements,
                            {"round_id": before.id, "member_id": member_id, "room_id": room_id},
                        )
                for member_id, room_ids in preferred.items():
                    _preferences(conn, before.id, member_id, room_ids)
                if final is not None:
                    final_c = t.breakout_final_placements.c
                    conn.execute(t.breakout_final_placements.delete().where(final_c.round_id == before.id))
                    _placements(conn, t.breakout_final_placements, before.id, final)
        except sa.exc.IntegrityError:
            # another node opened a round of the event between the check and the update
            with self.engine.connect() as conn:
                if _another_open_round(conn, after):
                    raise _already_open() from None
            raise

    # -- what came back ---------------------------------------------------------------------------

    @reading
    def room_summaries(self, event_id: str) -> list[RoomSummary]:
        """Each breakout room of the event with its boards and how many ideas (not deleted) they hold."""
        b, i = t.boards, t.ideas
        counts = (
            sa.select(i.c.board_id, sa.func.count().label("n"))
            .where(i.c.event_id == event_id, i.c.deleted_at.is_(None))
            .group_by(i.c.board_id)
            .subquery()
        )
        with self.engine.connect() as conn:
            rooms = [_room(row) for row in conn.execute(_rooms_query(event_id)).all() if row.kind == "breakout"]
            boards = conn.execute(
                sa.select(b.c.id, b.c.room_id, b.c.title, sa.func.coalesce(counts.c.n, 0).label("n"))
                .outerjoin(counts, counts.c.board_id == b.c.id)
                .join(t.rooms, t.rooms.c.id == b.c.room_id)
                .where(b.c.event_id == event_id, t.rooms.c.kind == "breakout")
                .order_by(b.c.position, b.c.id)
            ).all()
        by_room: dict[str, list[BoardIdeas]] = {}
        for row in boards:
            by_room.setdefault(row.room_id, []).append(BoardIdeas(row.id, row.title, row.n))
        return [RoomSummary(room, tuple(by_room.get(room.id, ()))) for room in rooms]

    @reading
    def ideas_of_round(self, round_id: str) -> list[dict[str, Any]]:
        """The ideas (not deleted) posted on the boards of the round's rooms while it was open, as the
        idea store keeps them; none for a round that never opened. (A room that several rounds use
        keeps one board; the time tells which round an idea came from.)"""
        rounds, i = t.breakout_rounds, t.ideas
        with self.engine.connect() as conn:
            rnd = conn.execute(sa.select(rounds).where(rounds.c.id == round_id)).first()
            if rnd is None:
                raise NotFound(f"There is no breakout round {round_id!r}.")
            if rnd.opened_at is None:
                return []
            room_ids = sa.select(t.breakout_round_rooms.c.room_id).where(t.breakout_round_rooms.c.round_id == round_id)
            query = sa.select(i).where(
                i.c.room_id.in_(room_ids), i.c.deleted_at.is_(None), i.c.created_at >= rnd.opened_at
            )
            if rnd.closed_at is not None:
                query = query.where(i.c.created_at <= rnd.closed_at)
            rows = conn.execute(query.order_by(i.c.created_at, i.c.id)).all()
        return [dict(row._mapping) for row in rows]
