"""The state of a board: its settings, ideas, clusters, comments and vote sessions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from boards.curation import ReviewStatus
from boards.errors import NotFound
from boards.window import Window

if TYPE_CHECKING:
    from boards.voting import Ballots, VoteSession


class Phase(enum.StrEnum):
    COLLECT = "collect"
    CLUSTER = "cluster"
    VOTE = "vote"
    DISCUSS = "discuss"
    CLOSED = "closed"


class IdeaStatus(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # waits for a facilitator's approval (pre-moderation)
    HIDDEN = "hidden"  # hidden by a facilitator


IDEA_COLOURS = ("yellow", "green", "blue", "pink", "orange", "purple")


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the board: on an event's plenary board, one field of action."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Idea:
    id: str
    column_id: str
    author_id: str
    text: str
    created_at: datetime
    updated_at: datetime
    client_id: str | None = None
    title: str = ""
    tags: tuple[str, ...] = ()
    colour: str | None = None
    position: str = "V"  # fractional ordering key within its column
    cluster_id: str | None = None
    status: IdeaStatus = IdeaStatus.VISIBLE
    phase: Phase = Phase.COLLECT  # the phase in which it was posted (provenance)
    merged_into: str | None = None
    merged_from: tuple[str, ...] = ()
    reporters: frozenset[str] = frozenset()
    # the organizers' answer in the idea store (``boards.curation``): read with the board and shown
    # on its card; no board rule changes them, and the board never writes them back
    review: ReviewStatus = ReviewStatus.NEW
    feedback: str = ""

    @property
    def live(self) -> bool:
        """Shown on the board (to someone): not merged away."""
        return self.merged_into is None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A heading that groups ideas (and other clusters: clusters form a forest)."""

    id: str
    column_id: str
    heading: str
    created_by: str
    position: str = "V"
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    idea_id: str
    author_id: str
    text: str
    created_at: datetime
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    """What the facilitator sets for a board."""

    phase: Phase = Phase.COLLECT
    silent: bool = False  # in collect: each participant sees only their own ideas …
    revealed: bool = True  # … until the facilitator reveals
    locked: bool = False
    premoderation: bool = False
    anonymous: bool = False  # fixed when the board is made: authors are never sent to others
    window: Window | None = None  # asynchronous participation: open to participants only then

    @property
    def silent_now(self) -> bool:
        return self.silent and not self.revealed

    @property
    def read_only(self) -> bool:
        return self.locked or self.phase is Phase.CLOSED


@dataclass(slots=True)
class Board:
    id: str
    room_id: str
    event_id: str
    title: str
    columns: tuple[Column, ...]
    seq: int = 0
    settings: Settings = field(default_factory=Settings)
    ideas: dict[str, Idea] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    # (author, client id) → idea id, for every idea ever posted here (deleted ones too), so
    # that a retried post is recognised even after its idea was deleted
    client_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    sessions: dict[str, VoteSession] = field(default_factory=dict)  # every round, in order
    ballots: dict[str, Ballots] = field(default_factory=dict)  # session id → dots

    def open_session(self) -> VoteSession | None:
        for session in self.sessions.values():
            if session.status == "open":
                return session
        return None

    def session(self, session_id: str) -> VoteSession:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise NotFound(f"The board has no vote session {session_id!r}.") from None

    def column(self, column_id: str) -> Column:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise NotFound(f"The board has no column {column_id!r}.")

    def idea(self, idea_id: str) -> Idea:
        idea = self.ideas.get(idea_id)
        if idea is None or not idea.live:
            raise NotFound(f"The board has no idea {idea_id!r}.")
        return idea

    def cluster(self, cluster_id: str) -> Cluster:
        try:
            return self.clusters[cluster_id]
        except KeyError:
            raise NotFound(f"The board has no cluster {cluster_id!r}.") from None

    def comment(self, comment_id: str) -> Comment:
        try:
            return self.comments[comment_id]
        except KeyError:
            raise NotFound(f"The board has no comment {comment_id!r}.") from None

    def idea_by_client_id(self, author_id: str, client_id: str) -> Idea | None:
        idea_id = self.client_ids.get((author_id, client_id))
        return None if idea_id is None else self.ideas.get(idea_id)

    def column_order(self, column_id: str, *, without: str | None = None) -> list[Idea]:
        """The live ideas of a column in their order."""
        ideas = [i for i in self.ideas.values() if i.live and i.column_id == column_id and i.id != without]
        return sorted(ideas, key=lambda i: (i.position, i.id))

    def cluster_ancestors(self, cluster_id: str | None) -> list[str]:
        chain: list[str] = []
        while cluster_id is not None:
            if cluster_id in chain:  # pragma: no cover - the rules never let a cycle in
                raise AssertionError("cluster cycle")
            chain.append(cluster_id)
            cluster_id = self.clusters[cluster_id].parent_id
        return chain
