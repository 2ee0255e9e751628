"""Commands on a board. Identifiers and the time are given by the caller, so the rules stay pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from boards.model import Phase
from boards.voting import Scope


@dataclass(frozen=True, slots=True)
class PostIdea:
    idea_id: str
    column_id: str
    text: str
    now: datetime
    client_id: str | None = None
    title: str = ""
    tags: tuple[str, ...] = ()
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class EditIdea:
    idea_id: str
    now: datetime
    text: str | None = None
    column_id: str | None = None
    title: str | None = None
    tags: tuple[str, ...] | None = None
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteIdea:
    idea_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class MoveIdea:
    """Put an idea into a column, right after ``after_id`` (None: at the top)."""

    idea_id: str
    column_id: str
    after_id: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class GroupIdeas:
    """Make a cluster of ideas (dropping one onto another, or a selection)."""

    cluster_id: str
    heading: str
    idea_ids: tuple[str, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class SetIdeaCluster:
    """Put an idea into a cluster, or take it out (None)."""

    idea_id: str
    cluster_id: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class RenameCluster:
    cluster_id: str
    heading: str
    now: datetime


@dataclass(frozen=True, slots=True)
class NestCluster:
    """Put a cluster under another (None: to the top level)."""

    cluster_id: str
    parent_id: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class DissolveCluster:
    cluster_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class MergeIdeas:
    """Merge duplicates into ``target_id``; they keep their provenance and their dots."""

    target_id: str
    idea_ids: tuple[str, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class ReportIdea:
    idea_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class ModerateIdea:
    """A facilitator hides, restores or approves an idea."""

    idea_id: str
    action: str  # "hide" | "restore" | "approve"
    now: datetime


@dataclass(frozen=True, slots=True)
class AddComment:
    comment_id: str
    idea_id: str
    text: str
    now: datetime


@dataclass(frozen=True, slots=True)
class DeleteComment:
    comment_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class ModerateComment:
    comment_id: str
    hidden: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class SetPhase:
    phase: Phase
    now: datetime
    silent: bool | None = None  # with collect: each sees only their own ideas until the reveal


@dataclass(frozen=True, slots=True)
class RevealIdeas:
    """End silent collection: everyone sees every idea."""

    now: datetime


@dataclass(frozen=True, slots=True)
class SetLock:
    locked: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class SetPremoderation:
    on: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class SetWindow:
    """Open the board for asynchronous participation from ``opens_at`` to ``closes_at`` (both None: no window)."""

    opens_at: datetime | None
    closes_at: datetime | None
    now: datetime


@dataclass(frozen=True, slots=True)
class OpenVote:
    session_id: str
    now: datetime
    budget: int = 5
    cap: int = 3
    blind: bool = True
    duration_s: int | None = None
    scope: Scope = field(default_factory=Scope)
    moderators_vote: bool = False  # facilitators and organizers are voters of the round too


@dataclass(frozen=True, slots=True)
class ChangeVote:
    session_id: str
    now: datetime
    budget: int | None = None
    cap: int | None = None


@dataclass(frozen=True, slots=True)
class ExtendVote:
    session_id: str
    seconds: int
    now: datetime


@dataclass(frozen=True, slots=True)
class CloseVote:
    session_id: str
    now: datetime
    reveal: bool = False


@dataclass(frozen=True, slots=True)
class RevealVote:
    session_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class CastDot:
    session_id: str
    idea_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class RemoveDot:
    session_id: str
    idea_id: str
    now: datetime


Command = (
    PostIdea
    | EditIdea
    | DeleteIdea
    | MoveIdea
    | GroupIdeas
    | SetIdeaCluster
    | RenameCluster
    | NestCluster
    | DissolveCluster
    | MergeIdeas
    | ReportIdea
    | ModerateIdea
    | AddComment
    | DeleteComment
    | ModerateComment
    | SetPhase
    | RevealIdeas
    | SetLock
    | SetPremoderation
    | SetWindow
    | OpenVote
    | ChangeVote
    | ExtendVote
    | CloseVote
    | RevealVote
)
VoteCommand = CastDot | RemoveDot
