"""What the handlers share: the registry, and running a command on a board with an acknowledgement's view."""

from __future__ import annotations

from boards import commands as c
from server import protocol as p
from server.live.gateway import Registry
from server.live.state import BoardOutcome, Connection, LiveState
from server.live.views import (
    AckOf,
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
    ack: AckOf | None = None,
) -> BoardOutcome:
    room_id = None if conn.role.moderates else conn.room_id  # participants: the boards of their room
    return await live.run(board_id, conn.actor, conn.event_id, command, fresh=fresh, ack=ack, room_id=room_id)


async def idea_ack(
    live: LiveState, conn: Connection, board_id: str, command: c.Command, idea_id: str, *, fresh: bool = False
) -> p.IdeaAck:
    outcome = await run_command(live, conn, board_id, command, fresh=fresh, ack=AckOf("idea", idea_id, conn.viewer))
    return p.IdeaAck.model_validate({"seq": outcome.seq, "idea": outcome.view})
