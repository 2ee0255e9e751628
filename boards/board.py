"""A live idea board: its state, the commands on it and the events they produce.

``decide(board, actor, command)`` checks every rule and returns the events that the
command causes, without changing anything; ``apply(board, event)`` changes the state.
The server persists the events between the two, so nothing is applied that was not
committed. Every event carries the board's next sequence number.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from boards.actors import Actor
from boards.errors import Conflict, Forbidden, NotFound
from boards.text import clean_text

IDEA_TEXT_MAX = 2000


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


@dataclass(slots=True)
class Board:
    id: str
    room_id: str
    event_id: str
    title: str
    columns: tuple[Column, ...]
    seq: int = 0
    ideas: dict[str, Idea] = field(default_factory=dict)
    # (author, client id) → idea id, for every idea ever posted here (deleted ones too), so
    # that a retried post is recognised even after its idea was deleted
    client_ids: dict[tuple[str, str], str] = field(default_factory=dict)

    def column(self, column_id: str) -> Column:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise NotFound(f"The board has no column {column_id!r}.")

    def idea(self, idea_id: str) -> Idea:
        try:
            return self.ideas[idea_id]
        except KeyError:
            raise NotFound(f"The board has no idea {idea_id!r}.") from None

    def idea_by_client_id(self, author_id: str, client_id: str) -> Idea | None:
        idea_id = self.client_ids.get((author_id, client_id))
        return None if idea_id is None else self.ideas.get(idea_id)


# -- commands -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostIdea:
    idea_id: str  # chosen by the caller, so that the domain stays free of randomness
    column_id: str
    text: str
    now: datetime
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class EditIdea:
    idea_id: str
    now: datetime
    text: str | None = None
    column_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteIdea:
    idea_id: str
    now: datetime


Command = PostIdea | EditIdea | DeleteIdea

# -- events ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdeaPosted:
    seq: int
    actor: Actor
    idea: Idea


@dataclass(frozen=True, slots=True)
class IdeaEdited:
    seq: int
    actor: Actor
    idea: Idea  # the idea as it is after the edit


@dataclass(frozen=True, slots=True)
class IdeaDeleted:
    seq: int
    actor: Actor
    idea: Idea  # the idea as it was; the store keeps it, marked deleted
    at: datetime


BoardEvent = IdeaPosted | IdeaEdited | IdeaDeleted


def clean_idea_text(text: str) -> str:
    return clean_text(text, label="The idea", min_len=1, max_len=IDEA_TEXT_MAX, multiline=True)


def decide(board: Board, actor: Actor, command: Command) -> list[BoardEvent]:
    """Check ``command`` against the rules; return its events or raise a DomainError."""
    if not actor.role.contributes:
        raise Forbidden("Observers can read the board but not change it.")
    seq = board.seq + 1
    if isinstance(command, PostIdea):
        if command.client_id is not None and (actor.member_id, command.client_id) in board.client_ids:
            if board.idea_by_client_id(actor.member_id, command.client_id):
                return []  # a retry of an idea that is already stored: nothing new happens
            raise Conflict("This idea was posted and has been deleted since.", code="idea_deleted")
        board.column(command.column_id)
        if command.idea_id in board.ideas:
            raise Conflict(f"An idea with id {command.idea_id!r} exists already.")
        idea = Idea(
            id=command.idea_id,
            column_id=command.column_id,
            author_id=actor.member_id,
            text=clean_idea_text(command.text),
            created_at=command.now,
            updated_at=command.now,
            client_id=command.client_id,
        )
        return [IdeaPosted(seq=seq, actor=actor, idea=idea)]
    if isinstance(command, EditIdea):
        idea = board.idea(command.idea_id)
        if idea.author_id != actor.member_id:
            raise Forbidden("Only the author can edit an idea.")
        if command.text is None and command.column_id is None:
            raise Conflict("The edit changes nothing: give a new text or column.")
        text = idea.text if command.text is None else clean_idea_text(command.text)
        column_id = idea.column_id if command.column_id is None else board.column(command.column_id).id
        if text == idea.text and column_id == idea.column_id:
            return []
        edited = replace(idea, text=text, column_id=column_id, updated_at=command.now)
        return [IdeaEdited(seq=seq, actor=actor, idea=edited)]
    if isinstance(command, DeleteIdea):
        idea = board.idea(command.idea_id)
        if idea.author_id != actor.member_id and not actor.role.moderates:
            raise Forbidden("Only the author or a facilitator can delete an idea.")
        return [IdeaDeleted(seq=seq, actor=actor, idea=idea, at=command.now)]
    raise TypeError(f"unknown command {command!r}")  # pragma: no cover - a programming error


def apply(board: Board, event: BoardEvent) -> None:
    """Change ``board`` by one event that ``decide`` produced (and the store committed)."""
    if event.seq != board.seq + 1:
        raise Conflict(f"Event {event.seq} does not follow the board's sequence {board.seq}.")
    if isinstance(event, (IdeaPosted, IdeaEdited)):
        board.ideas[event.idea.id] = event.idea
        if isinstance(event, IdeaPosted) and event.idea.client_id is not None:
            board.client_ids[(event.idea.author_id, event.idea.client_id)] = event.idea.id
    elif isinstance(event, IdeaDeleted):
        board.ideas.pop(event.idea.id, None)
    board.seq = event.seq
