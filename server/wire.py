"""Domain objects in the shapes of ``server.protocol``, ready for JSON."""

from __future__ import annotations

from typing import Any, Literal

from boards.board import Board, BoardEvent, Idea, IdeaEdited, IdeaPosted
from rooms.members import Member
from server import protocol as p

ChangeType = Literal["idea.created", "idea.edited", "idea.deleted"]
_CHANGE_TYPES: dict[type, ChangeType] = {IdeaPosted: "idea.created", IdeaEdited: "idea.edited"}


def member_out(member: Member) -> p.MemberOut:
    return p.MemberOut(id=member.id, pseudonym=member.pseudonym, colour=member.colour, role=member.role.value)


def idea_out(board_id: str, idea: Idea, author: Member) -> p.IdeaOut:
    return p.IdeaOut(
        id=idea.id,
        board_id=board_id,
        field_id=idea.column_id,
        text=idea.text,
        author=p.AuthorOut(id=author.id, pseudonym=author.pseudonym, colour=author.colour),
        created_at=idea.created_at,
        updated_at=idea.updated_at,
    )


def change_payload(board_id: str, event: BoardEvent, author: Member, *, deleted: bool) -> dict[str, Any]:
    change = p.Change(
        board_id=board_id,
        seq=event.seq,
        type="idea.deleted" if deleted else _CHANGE_TYPES[type(event)],
        idea=None if deleted else idea_out(board_id, event.idea, author),
        idea_id=event.idea.id,
    )
    return change.model_dump(mode="json")


def snapshot(board: Board, authors: dict[str, Member]) -> p.BoardSnapshot:
    return p.BoardSnapshot(
        board_id=board.id,
        title=board.title,
        seq=board.seq,
        columns=[p.ColumnOut(id=c.id, name=c.name) for c in board.columns],
        ideas=[idea_out(board.id, idea, authors[idea.author_id]) for idea in board.ideas.values()],
    )
