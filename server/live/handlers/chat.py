"""The chat events: each room has its chat (the plenary and every breakout room); ``server.live.chat`` commits
and fans out, ``rooms.chat`` holds the rules."""

from __future__ import annotations

from boards.actors import Actor
from rooms import chat
from rooms.chat import HISTORY_MAX
from server import protocol as p
from server.ids import new_id, utcnow
from server.live.audit import audit
from server.live.gateway import CONTRIBUTORS, EVERYONE, MODERATORS
from server.live.handlers.common import registry
from server.live.lookup import member_of
from server.live.state import Connection, LiveState


@registry.on("chat.send", payload=p.ChatSend, ack=p.MessageAck, roles=CONTRIBUTORS)
async def chat_send(live: LiveState, conn: Connection, payload: p.ChatSend) -> p.MessageAck:
    """Post a message to the chat of the room you are in; acknowledged once stored. The room gets
    `chat.message` (you too, in every tab). Refused when a facilitator silenced you (`silenced`)."""
    desk = live.facilitation.chat
    [posted] = await desk.run(conn, chat.PostMessage(new_id("msg"), conn.room_id, payload.text, utcnow()))
    assert isinstance(posted, chat.MessagePosted)
    [out] = await desk.out(conn.event_id, [posted.message])
    return p.MessageAck(message=p.MessageOut.model_validate(out))


@registry.on("chat.history", payload=p.ChatHistory, ack=p.ChatHistoryAck, roles=EVERYONE)
async def chat_history(live: LiveState, conn: Connection, _payload: p.ChatHistory) -> p.ChatHistoryAck:
    """The last 200 messages of your room's chat that you may see (after joining, moving or reconnecting)."""
    desk = live.facilitation.chat
    messages = await live.store.messages(conn.room_id, limit=HISTORY_MAX)
    if not conn.role.moderates:
        messages = [m for m in messages if not m.hidden or m.author_id == conn.member.id]
    return p.ChatHistoryAck(
        room_id=conn.room_id,
        messages=[p.MessageOut.model_validate(m) for m in await desk.out(conn.event_id, messages)],
        silenced=await desk.silenced(conn.event_id, conn.member.id),
    )


@registry.on("chat.hide", payload=p.ChatHide, ack=p.OkAck, roles=MODERATORS)
async def chat_hide(live: LiveState, conn: Connection, payload: p.ChatHide) -> p.OkAck:
    """Hide a message of your room's chat, or show it again (`hidden: false`). Its readers get `chat.hidden`:
    facilitators, organizers and its author keep seeing it, marked; the others lose it."""
    events = await live.facilitation.chat.run(
        conn, chat.HideMessage(conn.room_id, payload.message_id, payload.hidden, utcnow())
    )
    if events:
        await audit(live, conn, "chat.hide", payload.message_id, {"room_id": conn.room_id, "hidden": payload.hidden})
    return p.OkAck()


@registry.on("chat.silence", payload=p.ChatSilence, ack=p.SilenceAck, roles=MODERATORS)
async def chat_silence(live: LiveState, conn: Connection, payload: p.ChatSilence) -> p.SilenceAck:
    """Silence a participant's or observer's chat in the whole event, or lift it. They and the event's
    facilitators and organizers get `chat.silenced`; what they wrote stays."""
    target = await member_of(live, conn.event_id, payload.member_id)
    events = await live.facilitation.chat.run(
        conn, chat.SilenceMember(Actor(target.id, target.role), payload.silenced, utcnow())
    )
    if events:
        await audit(live, conn, "chat.silence", target.id, {"silenced": payload.silenced})
    return p.SilenceAck(member_id=target.id, silenced=payload.silenced)
