"""What happens on a board: each event carries the new state of what it changed.

Every event but ``DotsChanged`` takes the board's next sequence number. Dots are counted
per vote session instead: they are many, private while the vote is blind, and sent only
to those who may see them.
"""

from __future__ import annotations

from dataclasses import dataclass

from boards.actors import Actor
from boards.model import Cluster, Comment, Idea, Settings
from boards.voting import VoteSession


@dataclass(frozen=True, slots=True)
class IdeaChanged:
    seq: int
    actor: Actor
    kind: str  # created, edited, moved, clustered, merged, reported, hidden, restored, approved, deleted
    idea: Idea  # after the change (as it was, for "deleted")
    before: Idea | None = None


@dataclass(frozen=True, slots=True)
class ClusterChanged:
    seq: int
    actor: Actor
    kind: str  # created, renamed, nested, dissolved
    cluster: Cluster


@dataclass(frozen=True, slots=True)
class CommentChanged:
    seq: int
    actor: Actor
    kind: str  # created, deleted, hidden, restored
    comment: Comment


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    seq: int
    actor: Actor
    kind: str  # phase, revealed, locked, premoderation
    settings: Settings


@dataclass(frozen=True, slots=True)
class SessionChanged:
    seq: int
    actor: Actor
    kind: str  # opened, changed, extended, closed, revealed
    session: VoteSession


@dataclass(frozen=True, slots=True)
class DotsChanged:
    actor: Actor
    session_id: str
    idea_id: str
    delta: int  # +1 for a dot placed, -1 for one taken back
    count: int  # the voter's dots on this idea now
    used: int  # the voter's dots in the session now


BoardEvent = IdeaChanged | ClusterChanged | CommentChanged | SettingsChanged | SessionChanged
