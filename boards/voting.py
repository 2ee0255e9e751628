"""Dot-voting: vote sessions, their ballots, and the ranking at the reveal."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from boards.actors import Role
from boards.model import Board, Idea, IdeaStatus

BUDGET_MAX = 99
DURATION_MIN_S = 10
DURATION_MAX_S = 24 * 3600


class VoteStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REVEALED = "revealed"


class ScopeKind(enum.StrEnum):
    BOARD = "board"
    COLUMNS = "columns"
    CLUSTERS = "clusters"
    IDEAS = "ideas"


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind = ScopeKind.BOARD
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultRow:
    idea_id: str
    column_id: str
    dots: int
    voters: int
    rank: int  # 1 = most dots; equal dots share a rank
    tie: bool  # another idea has the same rank
    column_rank: int
    column_tie: bool
    merged_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VoteSession:
    id: str
    round: int
    budget: int
    cap: int
    blind: bool
    scope: Scope
    opened_by: str
    opened_at: datetime
    ends_at: datetime | None = None
    status: VoteStatus = VoteStatus.OPEN
    results: tuple[ResultRow, ...] | None = None
    moderators_vote: bool = False  # facilitators and organizers place dots too

    def admits(self, role: Role) -> bool:
        """Whether a member with ``role`` is a voter of this round.

        Participants are; observers never. Facilitators and organizers run the vote and do
        not take part in it, unless it was opened with ``moderators_vote``: then they get
        dots like everyone else.
        """
        if not role.contributes:
            return False
        return self.moderators_vote or not role.moderates


@dataclass(slots=True)
class Ballots:
    """Every voter's dots in one session: member → idea → count."""

    dots: dict[str, Counter[str]] = field(default_factory=dict)

    def of(self, member_id: str) -> Counter[str]:
        return self.dots.get(member_id) or Counter()

    def used(self, member_id: str) -> int:
        return sum(self.of(member_id).values())

    def set(self, member_id: str, idea_id: str, count: int) -> None:
        ballot = self.dots.setdefault(member_id, Counter())
        if count:
            ballot[idea_id] = count
        else:
            ballot.pop(idea_id, None)
            if not ballot:
                del self.dots[member_id]

    def tallies(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for ballot in self.dots.values():
            total.update(ballot)
        return total

    def voters(self) -> int:
        return len(self.dots)

    def cast(self) -> int:
        return sum(sum(b.values()) for b in self.dots.values())

    def max_used(self) -> int:
        return max((sum(b.values()) for b in self.dots.values()), default=0)

    def max_on_one_idea(self) -> int:
        return max((max(b.values()) for b in self.dots.values() if b), default=0)


def in_scope(board: Board, scope: Scope, idea: Idea) -> bool:
    if scope.kind is ScopeKind.BOARD:
        return True
    if scope.kind is ScopeKind.COLUMNS:
        return idea.column_id in scope.ids
    if scope.kind is ScopeKind.CLUSTERS:
        return bool(set(board.cluster_ancestors(idea.cluster_id)) & set(scope.ids))
    return idea.id in scope.ids


def votable(board: Board, session: VoteSession, idea: Idea) -> bool:
    return idea.live and idea.status is IdeaStatus.VISIBLE and in_scope(board, session.scope, idea)


def merge_root(board: Board, idea_id: str) -> str:
    """The idea that ``idea_id`` was merged into, following merges of merges."""
    seen = set()
    while (idea := board.ideas.get(idea_id)) is not None and idea.merged_into is not None and idea_id not in seen:
        seen.add(idea_id)
        idea_id = idea.merged_into
    return idea_id


def _ranks(values: list[int]) -> list[tuple[int, bool]]:
    """Competition ranking (1, 2, 2, 4) of values sorted descending, with a tie flag."""
    counts = Counter(values)
    ranks: list[tuple[int, bool]] = []
    for index, value in enumerate(values):
        rank = index + 1 if index == 0 or values[index - 1] != value else ranks[-1][0]
        ranks.append((rank, counts[value] > 1))
    return ranks


def rank(board: Board, session: VoteSession, ballots: Ballots) -> tuple[ResultRow, ...]:
    """The ranking at the reveal: every votable idea, dots of merged ideas counted for their target."""
    dots: Counter[str] = Counter()
    voters: dict[str, set[str]] = {}
    for member_id, ballot in ballots.dots.items():
        for idea_id, count in ballot.items():
            root = merge_root(board, idea_id)
            dots[root] += count
            voters.setdefault(root, set()).add(member_id)
    # every idea that can be voted on, and those that got dots while they could: but only
    # what is visible now (a hidden or deleted idea's dots stay stored, not shown)
    candidates = {i.id for i in board.ideas.values() if votable(board, session, i)} | set(dots)
    ideas = [
        board.ideas[i]
        for i in candidates
        if i in board.ideas and board.ideas[i].live and board.ideas[i].status is IdeaStatus.VISIBLE
    ]
    ideas.sort(key=lambda i: (-dots[i.id], i.position, i.id))
    overall = _ranks([dots[i.id] for i in ideas])
    by_column: dict[str, list[Idea]] = {}
    for idea in ideas:
        by_column.setdefault(idea.column_id, []).append(idea)
    column_ranks: dict[str, tuple[int, bool]] = {}
    for column_ideas in by_column.values():
        for idea, r in zip(column_ideas, _ranks([dots[i.id] for i in column_ideas]), strict=True):
            column_ranks[idea.id] = r
    return tuple(
        ResultRow(
            idea_id=idea.id,
            column_id=idea.column_id,
            dots=dots[idea.id],
            voters=len(voters.get(idea.id, ())),
            rank=r,
            tie=tie,
            column_rank=column_ranks[idea.id][0],
            column_tie=column_ranks[idea.id][1],
            merged_from=idea.merged_from,
        )
        for idea, (r, tie) in zip(ideas, overall, strict=True)
    )
