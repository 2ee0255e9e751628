"""Room chat on a node: posting, hiding and silencing, committed before anyone hears of it (``rooms.chat`` holds
the rules, the store keeps every message).

An event's chat has one serializer key: its commands are decided one after another on the chat as the ones
before left it (who is silenced is read from the store for each batch, so a silence given on another node
holds), each is committed, then applied to the node's copy, fanned out and answered.

What goes out: ``chat.message`` to the room; ``chat.hidden`` to the room in the forms its readers may see (a
hidden message only for facilitators, organizers and its author); ``chat.silenced`` to the member concerned and
the event's facilitators and organizers.

Several nodes: each keeps its own copy. A copy without the messages posted elsewhere does no harm (hiding one of
them reloads the chat), but one that missed a hiding or a silence would show a wrong state (``silenced`` in
``chat.history`` and ``facilitation.state``) or take a hiding for done. So a node that hid or silenced tells the
others (``chat.outdated``), which drop their copy of the event's chat (``server.live.copies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from boards.errors import NotFound
from rooms import chat as rules
from rooms.chat import Chat, Message
from server import protocol as p
from server.live.copies import Copies, drop_when_told
from server.live.lookup import author, members_of
from server.live.serializer import Pending, Serializer
from server.live.state import Connection, LiveState
from server.transport.fanout import Forms, member_channel, moderators_channel, room_channel

CHANGED = "chat.outdated"  # what a node tells the others when it hid a message or silenced someone: {"event_id"}


@dataclass(frozen=True, slots=True)
class ChatCommand:
    conn: Connection
    command: rules.Command


@dataclass
class ChatDesk:
    live: LiveState
    chats: Copies[Chat] = field(default_factory=Copies)  # by event: the node's copy, as committed
    serializer: Serializer[ChatCommand, list[rules.ChatEvent]] = field(init=False)

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="chat of event")
        drop_when_told(self.live, CHANGED, self.chats)

    async def chat(self, event_id: str) -> Chat:
        if event_id not in self.chats:
            count = self.chats.count(event_id)
            loaded = await self.live.store.load_chat(event_id)
            self.chats.keep(event_id, loaded, count)
            return loaded
        return self.chats[event_id]

    async def silenced(self, event_id: str, member_id: str) -> bool:
        return member_id in (await self.chat(event_id)).silenced

    async def run(self, conn: Connection, command: rules.Command) -> list[rules.ChatEvent]:
        """Decide, commit, apply and fan out one command; its events once committed (none when nothing changed)."""
        return await self.serializer.submit(conn.event_id, ChatCommand(conn, command))

    async def _run_batch(self, event_id: str, batch: list[Pending[ChatCommand, list[rules.ChatEvent]]]) -> None:
        count = self.chats.count(event_id)
        state = replace(await self.chat(event_id), silenced=await self.live.store.silenced(event_id))
        self.chats.keep(event_id, state, count)
        for pending in batch:
            if pending.answered:
                continue
            conn, command = pending.command.conn, pending.command.command
            try:
                try:
                    events = rules.decide(state, conn.actor, command)
                except NotFound:
                    if not isinstance(command, rules.HideMessage):
                        raise
                    # perhaps posted on another node since this node loaded the chat
                    state = await self.live.store.load_chat(event_id)
                    self.chats.keep(event_id, state, count)
                    events = rules.decide(state, conn.actor, command)
                for event in events:
                    await self._commit(event_id, event)
            except Exception as exc:  # refused, or the store failed for this command: the others go on
                pending.refuse(exc)
                continue
            for event in events:
                state = rules.apply(state, event)
            self.chats.keep(event_id, state, count)
            for event in events:
                await self._send(event_id, event)
            if self.live.redis is not None and any(not isinstance(e, rules.MessagePosted) for e in events):
                await self.live.fanout.tell(CHANGED, {"event_id": event_id})  # others' copies missed it
            pending.answer(events)

    async def _commit(self, event_id: str, event: rules.ChatEvent) -> None:
        store = self.live.store
        if isinstance(event, rules.MessagePosted):
            await store.add_message(event.message)
        elif isinstance(event, rules.MessageModerated):
            await store.set_message_hidden(event.message.room_id, event.message.id, event.message.hidden)
        else:
            await store.set_silenced(event_id, event.member_id, event.silenced)

    async def _send(self, event_id: str, event: rules.ChatEvent) -> None:
        fanout = self.live.fanout
        if isinstance(event, rules.MessagePosted):
            [out] = await self.out(event_id, [event.message])
            await fanout.publish(room_channel(event.message.room_id), "chat.message", out)
        elif isinstance(event, rules.MessageModerated):
            message = event.message
            [out] = await self.out(event_id, [message])
            seen = p.ChatHidden(room_id=message.room_id, message_id=message.id, hidden=message.hidden, message=None)
            shown = seen.model_dump(mode="json") | {"message": out}
            forms = Forms(
                public=shown if not message.hidden else seen.model_dump(mode="json"),
                moderated=shown,
                members={message.author_id: shown},
            )
            await fanout.publish_forms(room_channel(message.room_id), "chat.hidden", forms)
        else:
            by = (await members_of(self.live, event_id, [event.actor.member_id]))[event.actor.member_id]
            silenced = p.ChatSilenced(member_id=event.member_id, silenced=event.silenced, by=author(by))
            wire = silenced.model_dump(mode="json")
            await fanout.publish(member_channel(event.member_id), "chat.silenced", wire)
            await fanout.publish(moderators_channel(event_id), "chat.silenced", wire)

    async def out(self, event_id: str, messages: list[Message]) -> list[dict[str, Any]]:
        """``MessageOut`` of each message, with its author."""
        authors = await members_of(self.live, event_id, (m.author_id for m in messages))
        return [
            p.MessageOut(
                id=m.id,
                room_id=m.room_id,
                author=author(authors[m.author_id]),
                text=m.text,
                sent_at=m.sent_at,
                hidden=m.hidden,
            ).model_dump(mode="json")
            for m in messages
            if m.author_id in authors
        ]

    async def close(self) -> None:
        await self.serializer.close()
