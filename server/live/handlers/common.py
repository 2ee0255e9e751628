"""What the handlers share: the registry, and running a command on a board with an acknowledgement's view."""

from __future__ import annotations

from collections.abc import Callable

from boards import commands as c
from boards.model import Board, Idea
from rooms.members import Member
from server import protocol as p
from server.live.gateway import Registry
from server.live.state import BoardOutcome, Connection, LiveState, View
from server.live.views import (
    idea_record,
    project_idea,
)

registry = Registry()

SYNC_LIMIT = 500  # a client further behind than this gets a snapshot instead


async def run_command(
    live: LiveState,
    conn: Connection,
    board_id: str,
    command: c.Command,
    *,
    fresh: bool = False,
    view: View | None = None,
) -> BoardOutcome:
    room_id = None if conn.role.moderates else conn.room_id  # participants: the boards of their room
    return await live.run(board_id, conn.actor, conn.event_id, command, fresh=fresh, view=view, room_id=room_id)


def idea_view(conn: Connection, find: Callable[[Board], Idea | None]) -> View:
    """The acknowledgement's idea, as this connection sees it right after the command."""

    def view(board: Board, authors: dict[str, Member]) -> p.IdeaOut:
        idea = find(board)
        assert idea is not None  # the command just made or changed it
        record = idea_record(board.id, idea, authors[idea.author_id], board.settings)
        return p.IdeaOut.model_validate(project_idea(record, conn.viewer))

    return view


async def idea_ack(
    live: LiveState, conn: Connection, board_id: str, command: c.Command, idea_id: str, *, fresh: bool = False
) -> p.IdeaAck:
    outcome = await run_command(
        live, conn, board_id, command, fresh=fresh, view=idea_view(conn, lambda b: b.ideas[idea_id])
    )
    return p.IdeaAck(seq=outcome.seq, idea=outcome.view)
