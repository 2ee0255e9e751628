"""The room: entering it (who am I, who is here, which boards)."""

from __future__ import annotations

from typing import Any

from server import protocol as p
from server.live.gateway import EVERYONE
from server.live.handlers.common import registry
from server.live.state import Connection, LiveState
from server.live.views import (
    member_out,
)


@registry.on("room.enter", payload=p.RoomEnter, ack=p.RoomEnterAck, roles=EVERYONE)
async def room_enter(live: LiveState, conn: Connection, _payload: p.RoomEnter) -> dict[str, Any]:
    """Who am I, which event and room is this, who is here (in order of arrival), which boards are there."""
    event = await live.event(conn.event_id)
    room = await live.plenary(conn.event_id)
    summaries = []
    for board_id in await live.board_ids(room.id):
        async with live.board(board_id, conn.event_id) as board:
            summaries.append(p.BoardSummary(id=board.id, title=board.title, seq=board.seq))
    ack = p.RoomEnterAck(
        me=member_out(conn.member),
        event=p.EventOut(
            id=event.id,
            title=event.title,
            description=event.description,
            language=event.language,
            fields=[p.FieldOut(id=f.id, name=f.name) for f in event.fields],
        ),
        room=p.RoomOut(id=room.id, name=room.name, kind=room.kind),
        presence=[],
        boards=summaries,
        presented=live.presented_board(room.id),
    ).model_dump(mode="json")
    ack["presence"] = live.present(conn.event_id)  # kept dumped: 2,000 members are not validated again
    return ack
