"""The space's events (docs/space.md): entering a room's space, moving, going to, following and locating someone, the
status, the bubble's lock and chat, and WebRTC signalling. ``server.live.space`` holds the state and sends the
moves; ``rooms.space`` holds the rules."""

from __future__ import annotations

from typing import Any

from server import protocol as p
from server.live.gateway import CONTRIBUTORS, EVERYONE
from server.live.handlers.common import registry
from server.live.state import Connection, LiveState

_MOVED: dict[str, Any] = {"ok": True}  # what a move answers, were it asked (the client asks for nothing)


@registry.on("space.enter", payload=p.SpaceEnter, ack=p.SpaceEnterAck, roles=EVERYONE)
async def space_enter(live: LiveState, conn: Connection, _payload: p.SpaceEnter) -> dict[str, Any]:
    """Show the space of the room you are in (after `room.enter`, and again after each `room.moved`): the map's
    URL, everyone's position and status, the zones and who is in each, your conversation. From now on this
    connection gets `space.moves`, `space.gone`, `space.zones`, `space.status`, `conversation.changed`,
    `bubble.message` and `rtc.signal`; `space.settings` comes right before this answer."""
    room = live.room(conn.room_id) or await live.plenary(conn.event_id)
    return await live.space.enter(conn, room)  # kept dumped: 2,000 avatars are not validated again


@registry.on("space.move", payload=p.SpaceMove, ack=p.OkAck, roles=EVERYONE, volatile=True)
def space_move(live: LiveState, conn: Connection, payload: p.SpaceMove) -> dict[str, Any]:
    """Your position: send it at most every 200 ms while walking, and when you stop or turn, *without* asking
    for an acknowledgement (volatile). The server checks the newest of each tick (50 ms) against your last
    accepted position; a refused one gets `space.corrected` (to you only). Its own rate budget: 10 a second,
    20 at once; beyond it moves are dropped without an answer. It is handled as it is read, so it may overtake
    an event of yours sent just before it that is still being handled."""
    live.space.move(conn, payload.x, payload.y, payload.dir, payload.moving)
    return _MOVED


@registry.on("space.goto", payload=p.SpaceGoto, ack=p.SpaceGotoAck, roles=EVERYONE)
async def space_goto(live: LiveState, conn: Connection, payload: p.SpaceGoto) -> p.SpaceGotoAck:
    """Go next to a member of your room, or into a zone: the server finds a free tile there that you can
    reach and places you (`unreachable` if there is none; `zone_full` for a full table or private zone).
    Ends following."""
    position = await live.space.goto(conn, payload.member_id, payload.zone_id)
    return p.SpaceGotoAck(position=p.PositionOut.model_validate(position))


@registry.on("space.follow", payload=p.SpaceFollow, ack=p.SpaceFollowAck, roles=EVERYONE)
async def space_follow(live: LiveState, conn: Connection, payload: p.SpaceFollow) -> p.SpaceFollowAck:
    """Follow a member of your room (you are placed next to them, and again whenever they walk away;
    `space.corrected` tells your tabs), or stop (`member_id: null`). Walking yourself ends it, and so does
    their leaving the room."""
    followed = await live.space.follow(conn, payload.member_id)
    return p.SpaceFollowAck(
        following=followed["following"], position=p.PositionOut.model_validate(followed["position"])
    )


@registry.on("space.locate", payload=p.SpaceLocate, ack=p.SpaceLocateAck, roles=EVERYONE)
async def space_locate(live: LiveState, conn: Connection, payload: p.SpaceLocate) -> p.SpaceLocateAck:
    """Where a member of your room's space stands now, however far (the list view's "show": the map centres
    on them and says where they are). `not_found` when they are not in the room's space."""
    position = await live.space.locate(conn, payload.member_id)
    return p.SpaceLocateAck(member_id=payload.member_id, position=p.PositionOut.model_validate(position))


@registry.on("space.status", payload=p.SpaceStatus, ack=p.SpaceStatusAck, roles=EVERYONE)
async def space_status(live: LiveState, conn: Connection, payload: p.SpaceStatus) -> p.SpaceStatusAck:
    """Your status in the space: `available`, `away` or `hand`. The room's space gets `space.status`."""
    await live.space.set_status(conn, payload.status)
    return p.SpaceStatusAck(status=payload.status)


@registry.on("bubble.lock", payload=p.BubbleLock, ack=p.ConversationAck, roles=EVERYONE)
async def bubble_lock(live: LiveState, conn: Connection, payload: p.BubbleLock) -> p.ConversationAck:
    """Lock your bubble (nobody new joins it) or unlock it; its members get `conversation.changed`.
    `no_bubble` unless you are in a bubble."""
    conversation = await live.space.lock(conn, payload.locked)
    return p.ConversationAck.model_validate({"conversation": conversation})


@registry.on("bubble.chat", payload=p.BubbleChat, ack=p.OkAck, roles=CONTRIBUTORS)
async def bubble_chat(live: LiveState, conn: Connection, payload: p.BubbleChat) -> p.OkAck:
    """A text message to your conversation (not stored): its members (you too) get `bubble.message`.
    `not_in_conversation` when you are in none."""
    await live.space.chat(conn, payload.text)
    return p.OkAck()


@registry.on("rtc.signal", payload=p.RtcSignal, ack=p.OkAck, roles=EVERYONE)
async def rtc_signal(live: LiveState, conn: Connection, payload: p.RtcSignal) -> p.OkAck:
    """WebRTC signalling for audio and video: an offer, answer, ICE candidate or `bye` for `to`, relayed as
    sent (`rtc.signal` with `from`). Only to a member of your conversation, or between a stage and anyone in
    its room; else `not_in_conversation` and nothing is relayed."""
    await live.space.signal(conn, payload.to, payload.data.model_dump(mode="json", exclude_unset=True))
    return p.OkAck()
