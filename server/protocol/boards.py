"""The board events' payloads, acknowledgements and server→client shapes: boards, ideas, clusters, comments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.protocol.common import AuthorOut, BoardPayload, ClientId, Id, OkAck, Out, Payload, SeqAck, Text
from server.protocol.rooms import BoardSummary
from server.protocol.votes import MyDots, SessionOut, VoteProgress


class ReviewOut(Out):
    status: Literal["new", "under_review", "shortlisted", "in_implementation", "done", "rejected"] = Field(
        description="Where the idea stands with the organizers (the idea store's review status)."
    )
    feedback: str = Field(description="The organizers' official feedback on the idea; empty when none.")


class IdeaOut(Out):
    id: str
    board_id: str
    field_id: str = Field(description="The column: a field of action of the event.")
    title: str
    text: str
    tags: list[str]
    colour: str | None
    position: str = Field(description="Ordering key within the column: sort ideas by it (as strings).")
    cluster_id: str | None
    status: Literal["visible", "pending", "hidden"] = Field(
        description="`pending` and `hidden` ideas reach only their author and facilitators."
    )
    phase: str = Field(description="The phase in which it was posted.")
    merged_from: list[str] = Field(description="Ideas merged into this one (provenance).")
    author: AuthorOut | None = Field(description="Null on anonymous boards, except for the author themself.")
    reports: int = Field(0, description="How often it was reported; sent to facilitators only (0 for others).")
    reported_by_me: bool = Field(False, description="Whether you reported it.")
    review: ReviewOut | None = Field(
        None,
        description="The organizers' answer, set in the idea store: null while its status is `new` and "
        "there is no feedback. Read with the board; a change of it reaches clients with their next snapshot.",
    )
    created_at: datetime
    updated_at: datetime


class ClusterOut(Out):
    id: str
    field_id: str
    heading: str
    position: str
    parent_id: str | None = Field(description="The enclosing cluster: clusters form a forest.")


class CommentOut(Out):
    id: str
    idea_id: str
    text: str
    author: AuthorOut | None
    hidden: bool
    created_at: datetime


class SettingsOut(Out):
    phase: Literal["collect", "cluster", "vote", "discuss", "closed"]
    silent: bool = Field(description="Silent collection: until the reveal each participant sees only their own ideas.")
    revealed: bool
    locked: bool
    premoderation: bool
    anonymous: bool
    opens_at: datetime | None = Field(
        None, description="Asynchronous participation: participants may change the board from here …"
    )
    closes_at: datetime | None = Field(
        None,
        description="… until here (null: no window). Outside it they read only (`not_open_yet`, `board_closed`); "
        "facilitators and organizers act at any time.",
    )


class ColumnOut(Out):
    id: str
    name: str


CHANGE_TYPES = (
    "idea.created",
    "idea.edited",
    "idea.moved",
    "idea.clustered",
    "idea.merged",
    "idea.reported",
    "idea.hidden",
    "idea.restored",
    "idea.approved",
    "idea.deleted",
    "cluster.created",
    "cluster.renamed",
    "cluster.nested",
    "cluster.dissolved",
    "comment.created",
    "comment.deleted",
    "comment.hidden",
    "comment.restored",
    "board.phase",
    "board.revealed",
    "board.locked",
    "board.premoderation",
    "board.window",
    "vote.opened",
    "vote.changed",
    "vote.extended",
    "vote.closed",
    "vote.revealed",
)


class Change(Out):
    """One committed change of a board; `seq` counts up by one per board.

    The change carries the new state of what it touched, as this recipient may see it:
    `idea` (null: remove it from your view, and its comments with it), `cluster` (null:
    dissolved), `comment` (null: remove it), `settings`, `session`; `ideas` lists the ideas a
    reveal shows, and `comments` the comments of ideas that come (back) into view.
    Comments of ideas you do not have are not shown.
    """

    board_id: str
    seq: int
    type: str = Field(description="One of: " + ", ".join(f"`{t}`" for t in CHANGE_TYPES) + ".")
    idea_id: str | None = None
    idea: IdeaOut | None = None
    ideas: list[IdeaOut] | None = None
    cluster_id: str | None = None
    cluster: ClusterOut | None = None
    comment_id: str | None = None
    comment: CommentOut | None = None
    comments: list[CommentOut] | None = None
    settings: SettingsOut | None = None
    session: SessionOut | None = None


class BoardSnapshot(Out):
    board_id: str
    title: str
    seq: int
    settings: SettingsOut
    columns: list[ColumnOut]
    ideas: list[IdeaOut]
    clusters: list[ClusterOut]
    comments: list[CommentOut]
    sessions: list[SessionOut] = Field(description="Every vote round of the board, oldest first.")
    my_dots: MyDots | None = Field(description="Your dots in the open vote.")
    progress: VoteProgress | None = Field(description="The open vote's progress.")
    window_state: Literal["not_open_yet", "open", "closed"] | None = Field(
        None,
        description="Where the board's window (`settings.opens_at` … `closes_at`) stands by the server's clock "
        "when the snapshot was made; null without a window. Ask again (`board.sync` without `since`) after a "
        "`board.window` change or a refusal with `not_open_yet` or `board_closed`.",
    )


class BoardViewer(Out):
    member_id: str
    pseudonym: str
    editing: str | None = Field(description="The idea they are editing, if any.")


Phase = Literal["collect", "cluster", "vote", "discuss", "closed"]


Heading = Annotated[str, StringConstraints(max_length=400)]


Tag = Annotated[str, StringConstraints(max_length=200)]


class BoardSync(BoardPayload):
    since: int | None = Field(
        None, ge=0, description="The last `seq` the client applied; omitted or null asks for a full snapshot."
    )


class BoardCreate(Payload):
    title: Annotated[str, StringConstraints(max_length=800)]
    anonymous: bool = Field(False, description="Authors are never sent to others, for the board's whole life.")
    columns: list[Annotated[str, StringConstraints(max_length=400)]] | None = Field(
        None, max_length=40, description="A free board's own columns (1–20); omitted: the event's fields of action."
    )


class BoardView(BoardPayload):
    editing: Id | None = Field(None, description="The idea the member is editing now, if any.")


class BoardPresent(BoardPayload):
    """The board the room's projector views show from now on."""


class IdeaCreate(BoardPayload):
    field_id: Id
    text: Text = Field(
        description="1–2,000 characters after trimming; no control characters. Stored as typed: a client shows "
        "it as text, never as HTML."
    )
    title: Annotated[str, StringConstraints(max_length=800)] = Field("", description="Up to 120 characters.")
    tags: list[Tag] = Field([], max_length=40, description="Up to 10 tags of 1–30 characters.")
    colour: Literal["yellow", "green", "blue", "pink", "orange", "purple"] | None = None
    client_id: ClientId | None = Field(
        None,
        description="Chosen by the client, unique per idea: sending the same one again (after a reconnect) "
        "returns the stored idea instead of a duplicate.",
    )


class IdeaEdit(BoardPayload):
    idea_id: Id
    text: Text | None = None
    title: Annotated[str, StringConstraints(max_length=800)] | None = None
    tags: list[Tag] | None = Field(None, max_length=40)
    colour: Literal["yellow", "green", "blue", "pink", "orange", "purple"] | None = None
    field_id: Id | None = None


class IdeaRef(BoardPayload):
    idea_id: Id


class IdeaDelete(IdeaRef):
    pass


class IdeaReport(IdeaRef):
    pass


class IdeaMove(IdeaRef):
    field_id: Id
    after_id: Id | None = Field(description="Place it right after this idea of the column; null: at the top.")


class IdeaModerate(IdeaRef):
    action: Literal["hide", "restore", "approve"]


class IdeaMerge(BoardPayload):
    target_id: Id
    idea_ids: list[Id] = Field(min_length=1, max_length=50, description="The duplicates merged into the target.")


class ClusterCreate(BoardPayload):
    idea_ids: list[Id] = Field(min_length=1, max_length=200)
    heading: Heading = Field("", description="Up to 80 characters.")


class ClusterAssign(IdeaRef):
    cluster_id: Id | None = Field(description="Null takes the idea out of its cluster.")


class ClusterRef(BoardPayload):
    cluster_id: Id


class ClusterRename(ClusterRef):
    heading: Heading


class ClusterNest(ClusterRef):
    parent_id: Id | None = Field(description="Null moves it to the top level.")


class ClusterDissolve(ClusterRef):
    pass


class CommentCreate(IdeaRef):
    text: Text = Field(description="1–1,000 characters.")


class CommentRef(BoardPayload):
    comment_id: Id


class CommentDelete(CommentRef):
    pass


class CommentModerate(CommentRef):
    hidden: bool


class BoardPhase(BoardPayload):
    phase: Phase
    silent: bool | None = Field(None, description="With `collect`: a silent collection.")


class BoardReveal(BoardPayload):
    pass


class BoardLock(BoardPayload):
    locked: bool


class BoardPremoderation(BoardPayload):
    on: bool


class BoardSyncAck(OkAck):
    board_id: str
    seq: int = Field(description="The board's sequence number after the returned changes or snapshot.")
    changes: list[Change] | None = Field(None, description="What happened after `since`, in order.")
    snapshot: BoardSnapshot | None = Field(
        None,
        description="The whole board, when `since` was omitted, too far behind, or above the board's `seq`.",
    )


class BoardCreated(OkAck):
    board: BoardSummary


class IdeaAck(SeqAck):
    idea: IdeaOut


class IdeaDeletedAck(SeqAck):
    idea_id: str


class ClusterAck(SeqAck):
    cluster: ClusterOut


class CommentAck(SeqAck):
    comment: CommentOut


class ViewAck(OkAck):
    viewers: list[BoardViewer]


class PresentAck(OkAck):
    board_id: str = Field(description="The room's presented board now.")


class BoardPresence(Out):
    board_id: str
    viewers: list[BoardViewer]


class BoardPresented(Out):
    board_id: str = Field(description="The room's presented board now.")
