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
    """Who am I, which event and room is this (the plenary, or one's breakout room while a round is
    open), who is here (in order of arrival), which boards are there."""
    event = await live.event(conn.event_id)
    room = live.room(conn.room_id) or await live.plenary(conn.event_id)
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
        boards=[],
        presented=None,
    ).model_dump(mode="json")
    ack.update(await live.room_view(room))  # kept dumped: 2,000 members are not validated again
    return ack
