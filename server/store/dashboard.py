"""What an event's dashboard shows, read from the idea store in one transaction: when its
participants joined, how many ideas each field of action holds, and the top ideas of every vote
round by the dots everyone may see (``server.store.curation.visible_dots``: a blind vote counts
only once revealed), as the board ranked them at the reveal (merged ideas' dots counted for the
idea they were merged into; only ideas visible on the board). The pages draw them (``server.web.dashboard``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.store import tables as t
from server.store.boards import BoardStore, reading
from server.store.curation import visible_dots
from server.store.merges import votes_by_root

TOP_IDEAS = 5  # per vote round


@dataclass(frozen=True, slots=True)
class VoteResult:
    idea_id: str
    label: str  # the idea's title, or the start of its text
    dots: int


@dataclass(frozen=True, slots=True)
class VoteRound:
    board: str
    room: str
    room_kind: str  # plenary, breakout
    round: int
    total_dots: int
    top: list[VoteResult]


@dataclass(frozen=True, slots=True)
class EventNumbers:
    joined: list[datetime]  # when each participant joined, oldest first
    ideas_per_field: list[tuple[str, int]]  # the event's fields of action in their order
    ideas: int  # every idea on a board of the event (not deleted, not merged into another)
    rounds: list[VoteRound]


def idea_label(title: str, text: str, length: int = 80) -> str:
    """How an idea is named where there is room for a line: its title, else its text's start."""
    if title:
        return title
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


class DashboardStore(BoardStore):
    """The dashboard's reads; ``IdeaStore`` inherits them. The caller checks that the event is the
    organizer's own (``server.web.organizer.own_event``)."""

    @reading
    def event_numbers(self, event_id: str) -> EventNumbers:
        with self.engine.connect() as conn:
            joined = list(
                conn.execute(
                    sa.select(t.members.c.created_at)
                    .where(
                        t.members.c.event_id == event_id,
                        t.members.c.role == "participant",
                        # an imported idea's author was never here: the import made them (server/store/imports.py)
                        ~sa.exists().where(t.ideas.c.author_id == t.members.c.id, t.ideas.c.source == "import"),
                    )
                    .order_by(t.members.c.created_at)
                ).scalars()
            )
            live = sa.and_(
                t.ideas.c.field_id == t.fields.c.id,
                t.ideas.c.deleted_at.is_(None),
                t.ideas.c.merged_into.is_(None),
            )
            per_field = [
                (r.name, int(r.ideas))
                for r in conn.execute(
                    sa.select(t.fields.c.name, sa.func.count(t.ideas.c.id).label("ideas"))
                    .select_from(t.fields.outerjoin(t.ideas, live))
                    .where(
                        t.fields.c.event_id == event_id,
                        t.fields.c.board_id.is_(None),  # the event's fields, not a free board's columns
                        t.fields.c.archived.is_(False),
                    )
                    .group_by(t.fields.c.id, t.fields.c.name, t.fields.c.position)
                    .order_by(t.fields.c.position)
                )
            ]
            ideas = conn.execute(
                sa.select(sa.func.count()).where(
                    t.ideas.c.event_id == event_id, t.ideas.c.deleted_at.is_(None), t.ideas.c.merged_into.is_(None)
                )
            ).scalar_one()
            rounds = self._rounds(conn, event_id)
        return EventNumbers(joined=joined, ideas_per_field=per_field, ideas=int(ideas), rounds=rounds)

    def _rounds(self, conn: sa.Connection, event_id: str) -> list[VoteRound]:
        """Each round's dots as its board revealed them (``boards.voting.rank``): an idea's dots
        include those of the ideas merged into it, and the top lists only ideas visible on the
        board — not merged ones, nor hidden or pending ones, on the organizer's dashboard either:
        it shows the results everyone saw. The total counts every dot (on ideas not deleted)."""
        votes = votes_by_root()
        rows = conn.execute(
            sa.select(
                t.vote_sessions.c.id.label("session_id"),
                t.vote_sessions.c.round,
                t.boards.c.title.label("board"),
                t.boards.c.position,
                t.rooms.c.name.label("room"),
                t.rooms.c.kind.label("room_kind"),
                t.rooms.c.position.label("room_position"),
                t.ideas.c.id.label("idea_id"),
                t.ideas.c.title,
                t.ideas.c.text,
                t.ideas.c.status,
                t.ideas.c.merged_into,
                sa.func.sum(votes.c.dots).label("dots"),
            )
            .select_from(
                t.vote_sessions.join(t.boards, t.boards.c.id == t.vote_sessions.c.board_id)
                .join(t.rooms, t.rooms.c.id == t.boards.c.room_id)
                .join(votes, votes.c.session_id == t.vote_sessions.c.id)
                .join(t.ideas, t.ideas.c.id == votes.c.idea_id)
            )
            .where(t.boards.c.event_id == event_id, visible_dots(), t.ideas.c.deleted_at.is_(None))
            .group_by(
                t.vote_sessions.c.id,
                t.vote_sessions.c.round,
                t.boards.c.title,
                t.boards.c.position,
                t.rooms.c.name,
                t.rooms.c.kind,
                t.rooms.c.position,
                t.ideas.c.id,
                t.ideas.c.title,
                t.ideas.c.text,
                t.ideas.c.status,
                t.ideas.c.merged_into,
            )
        ).all()
        sessions: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            sessions[row.session_id].append(row)
        rounds = []
        for session_rows in sessions.values():
            first = session_rows[0]
            shown = [r for r in session_rows if r.status == "visible" and r.merged_into is None]
            ranked = sorted(shown, key=lambda r: (-int(r.dots), r.idea_id))
            rounds.append(
                (
                    (first.room_kind != "plenary", first.room_position, first.position, first.board, first.round),
                    VoteRound(
                        board=first.board,
                        room=first.room,
                        room_kind=first.room_kind,
                        round=first.round,
                        # a merged idea's own row repeats what its root's holds (merges.votes_by_root)
                        total_dots=sum(int(r.dots) for r in session_rows if r.merged_into is None),
                        top=[
                            VoteResult(r.idea_id, idea_label(r.title, r.text), int(r.dots)) for r in ranked[:TOP_IDEAS]
                        ],
                    ),
                )
            )
        return [vote_round for _key, vote_round in sorted(rounds, key=lambda pair: pair[0])]
