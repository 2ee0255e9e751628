"""Room chat on a node: posting, hiding and silencing, committed before anyone hears of it (``rooms.chat`` holds
the rules, the store keeps every message).

An event's chat has one serializer key: its commands are decided one after another on the chat as the ones
before left it. A batch's posts are committed together, in one transaction (a hiding or a silence alone, after
the posts before it), then applied to the node's copy, fanned out and answered, in order. A refused command is
refused alone; a failed commit refuses the commands it held, and none of them is stored or sent.

What goes out: ``chat.message`` to the room; ``chat.hidden`` to the room in the forms its readers may see (a
hidden message only for facilitators, organizers and its author); ``chat.silenced`` to the member concerned and
the event's facilitators and organizers.

Several nodes: each keeps its own copy. A copy without the messages posted elsewhere does no harm (hiding one of
them reloads the chat), but one that missed a hiding or a silence would show a wrong state (``silenced`` in
``chat.history`` and ``facilitation.state``) or take a hiding for done. So a node that hid or silenced tells the
others (``chat.outdated``), which drop their copy of the event's chat (``server.live.copies``). Until that word
arrives (or while Redis is away) a copy may miss a silence: so the posts' transaction reads who is silenced and
leaves their messages out, and a silence is decided on who is silenced as stored.
"""

from __future__ import annotations

import itertools
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


Waiting = Pending[ChatCommand, list[rules.ChatEvent]]


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

    async def _run_batch(self, event_id: str, batch: list[Waiting]) -> None:
        """Decide each command in order on the chat the ones before left. The posts are committed together, in one
        transaction, before the next hiding or silence is decided (on the chat with them) and at the end of the batch;
        a hiding or a silence is committed alone. Then each is applied, fanned out and answered, in order."""
        count = self.chats.count(event_id)
        state = await self.chat(event_id)  # as committed
        posts: list[tuple[Waiting, rules.MessagePosted]] = []  # decided, not committed yet
        deciding = state  # with them
        for pending in batch:
            if pending.answered:
                continue
            conn, command = pending.command.conn, pending.command.command
            if not isinstance(command, rules.PostMessage):
                state = await self._post(event_id, state, posts, count)
                posts = []
                deciding = state = await self._moderate(event_id, state, pending, count)
                continue
            try:
                [posted] = rules.decide(deciding, conn.actor, command)
            except Exception as exc:  # refused: the others go on
                pending.refuse(exc)
                continue
            assert isinstance(posted, rules.MessagePosted)
            deciding = rules.apply(deciding, posted)
            posts.append((pending, posted))
        await self._post(event_id, state, posts, count)

    async def _post(
        self, event_id: str, state: Chat, posts: list[tuple[Waiting, rules.MessagePosted]], count: int
    ) -> Chat:
        """Commit the posts decided on ``state`` in one transaction, then apply, publish and answer each in order; the
        chat after them. When the commit fails each is refused with its error, and none is stored or sent.

        With several nodes the transaction reads who is silenced and leaves their messages out (refused as
        ``silenced``): another node may have silenced them since this node's copy was read. One node alone has every
        silence in its copy (the only other writer, erasing a member, drops it), so it reads nothing more.
        """
        if not posts:
            return state
        several_nodes = self.live.redis is not None
        try:
            silenced = await self.live.store.add_messages(
                [posted.message for _, posted in posts], event_id if several_nodes else None
            )
        except Exception as exc:  # the store refused the transaction: none of it happened
            for pending, _ in posts:
                pending.refuse(exc)
            return state
        if silenced is not None:
            state = replace(state, silenced=silenced)
        stored: list[tuple[Waiting, rules.MessagePosted]] = []
        for pending, posted in posts:
            if posted.message.author_id in state.silenced:
                pending.refuse(rules.silenced_refusal())
                continue
            state = rules.apply(state, posted)
            stored.append((pending, posted))
        self.chats.keep(event_id, state, count)
        outs = {out["id"]: out for out in await self.out(event_id, [posted.message for _, posted in stored])}
        for room_id, in_room in itertools.groupby(stored, key=lambda post: post[1].message.room_id):
            group = list(in_room)
            wire = [outs[posted.message.id] for _, posted in group]
            await self.live.fanout.publish_all(room_channel(room_id), "chat.message", wire)
            for pending, posted in group:
                pending.answer([posted])
        return state

    async def _moderate(self, event_id: str, state: Chat, pending: Waiting, count: int) -> Chat:
        """Decide, commit, apply and fan out a hiding or a silence, alone; the chat after it."""
        conn, command = pending.command.conn, pending.command.command
        store = self.live.store
        try:
            if isinstance(command, rules.SilenceMember) and self.live.redis is not None:
                # perhaps silenced or let speak on another node since this node's copy was read
                state = replace(state, silenced=await store.silenced(event_id))
            try:
                events = rules.decide(state, conn.actor, command)
            except NotFound:
                if not isinstance(command, rules.HideMessage):
                    raise
                # perhaps posted on another node since this node loaded the chat
                state = await store.load_chat(event_id)
                self.chats.keep(event_id, state, count)
                events = rules.decide(state, conn.actor, command)
            for event in events:
                await self._commit(event_id, event)
        except Exception as exc:  # refused, or the store failed for this command: the others go on
            pending.refuse(exc)
            return state
        for event in events:
            state = rules.apply(state, event)
        self.chats.keep(event_id, state, count)
        for event in events:
            await self._send(event_id, event)
        if self.live.redis is not None and events:
            await self.live.fanout.tell(CHANGED, {"event_id": event_id})  # others' copies missed it
        pending.answer(events)
        return state

    async def _commit(self, event_id: str, event: rules.ChatEvent) -> None:
        store = self.live.store
        if isinstance(event, rules.MessageModerated):
            await store.set_message_hidden(event.message.room_id, event.message.id, event.message.hidden)
        elif isinstance(event, rules.SilenceChanged):
            await store.set_silenced(event_id, event.member_id, event.silenced)
        else:  # pragma: no cover - posts are committed together (``_post``)
            raise TypeError(f"not committed alone: {event!r}")

    async def _send(self, event_id: str, event: rules.ChatEvent) -> None:
        fanout = self.live.fanout
        if isinstance(event, rules.MessageModerated):
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
        elif isinstance(event, rules.SilenceChanged):
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
