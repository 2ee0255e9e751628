"""Chat in the rooms of an event: messages, hiding them, silencing members.

Rules (``decide`` checks them; ``apply`` takes the events it returned):

- A message is posted into one room (the edge passes the room its author is in now). Its text is 1 to 500
  characters, trimmed, with line breaks allowed and no other control characters (``boards.text.clean_text``).
  Message ids are given by the caller and unique within a room's history (Conflict "conflict").
- Observers read and do not post (Forbidden "forbidden"). A silenced member's new messages are refused
  (Forbidden "silenced"); what they wrote before stays.
- Facilitators and organizers hide and unhide messages (Forbidden "forbidden" for anyone else), and
  silence and unsilence members for the whole event. Moderators cannot be silenced (Forbidden
  "cannot_silence_moderator"), which also keeps a facilitator from silencing themselves.
- Hiding a hidden message, silencing a silenced member and the like are accepted and yield nothing.
- Each room keeps the last 200 messages (``HISTORY_MAX``); older ones fall out of the history here. The
  durable record, if the event keeps one, is the store's business. A message that fell out is NotFound.
- A hidden message stays in the history, marked: moderators see it (to unhide it) and so does its author, as
  on the boards; others do not get it (``History.visible_to``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from boards.actors import Actor
from boards.errors import Conflict, Forbidden, NotFound
from boards.text import clean_text

MESSAGE_MAX = 500
HISTORY_MAX = 200


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    room_id: str
    author_id: str
    text: str
    sent_at: datetime
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """The last ``HISTORY_MAX`` messages of one room, oldest first."""

    room_id: str
    messages: tuple[Message, ...] = ()

    def get(self, message_id: str) -> Message:
        for message in self.messages:
            if message.id == message_id:
                return message
        raise NotFound(f"The room's chat has no message {message_id!r}.")

    def added(self, message: Message) -> History:
        return replace(self, messages=(*self.messages, message)[-HISTORY_MAX:])

    def replaced(self, message: Message) -> History:
        return replace(self, messages=tuple(message if m.id == message.id else m for m in self.messages))

    def visible_to(self, actor: Actor) -> tuple[Message, ...]:
        """The messages ``actor`` gets: hidden ones only for moderators and their author."""
        if actor.role.moderates:
            return self.messages
        return tuple(m for m in self.messages if not m.hidden or m.author_id == actor.member_id)


@dataclass(frozen=True, slots=True)
class Chat:
    """An event's chat: one history per room that has messages, and who is silenced."""

    event_id: str
    rooms: tuple[History, ...] = ()
    silenced: frozenset[str] = frozenset()

    def history(self, room_id: str) -> History:
        for history in self.rooms:
            if history.room_id == room_id:
                return history
        return History(room_id)

    def with_history(self, history: History) -> Chat:
        others = tuple(h for h in self.rooms if h.room_id != history.room_id)
        return replace(self, rooms=(*others, history))


# -- commands and events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostMessage:
    message_id: str
    room_id: str
    text: str
    now: datetime


@dataclass(frozen=True, slots=True)
class HideMessage:
    """Hide (``hidden=True``) or unhide a message."""

    room_id: str
    message_id: str
    hidden: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class SilenceMember:
    """Silence (``silenced=True``) or unsilence a member's chat in the event; ``member`` is whom it concerns."""

    member: Actor
    silenced: bool
    now: datetime


Command = PostMessage | HideMessage | SilenceMember


@dataclass(frozen=True, slots=True)
class MessagePosted:
    actor: Actor
    message: Message


@dataclass(frozen=True, slots=True)
class MessageModerated:
    actor: Actor
    kind: str  # hidden, restored
    message: Message  # after the change


@dataclass(frozen=True, slots=True)
class SilenceChanged:
    actor: Actor
    member_id: str
    silenced: bool
    at: datetime


ChatEvent = MessagePosted | MessageModerated | SilenceChanged


def clean_message(text: str) -> str:
    return clean_text(text, label="The message", min_len=1, max_len=MESSAGE_MAX, multiline=True)


def silenced_refusal() -> Forbidden:
    """What a silenced member's message gets."""
    return Forbidden("A facilitator has silenced your chat in this event.", code="silenced")


def _moderator(actor: Actor) -> None:
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can do that.")


def decide(chat: Chat, actor: Actor, command: Command) -> list[ChatEvent]:
    """Check ``command``; return its events (none when its outcome holds already) or raise a DomainError."""
    if isinstance(command, PostMessage):
        if not actor.role.contributes:
            raise Forbidden("Observers read the chat and do not post.")
        if actor.member_id in chat.silenced:
            raise silenced_refusal()
        text = clean_message(command.text)
        history = chat.history(command.room_id)
        if any(m.id == command.message_id for m in history.messages):
            raise Conflict(f"The room's chat has a message {command.message_id!r} already.")
        return [MessagePosted(actor, Message(command.message_id, command.room_id, actor.member_id, text, command.now))]
    if isinstance(command, HideMessage):
        _moderator(actor)
        message = chat.history(command.room_id).get(command.message_id)
        if message.hidden == command.hidden:
            return []
        return [
            MessageModerated(actor, "hidden" if command.hidden else "restored", replace(message, hidden=command.hidden))
        ]
    if isinstance(command, SilenceMember):
        _moderator(actor)
        if command.member.role.moderates:
            raise Forbidden("Facilitators and organizers cannot be silenced.", code="cannot_silence_moderator")
        if (command.member.member_id in chat.silenced) == command.silenced:
            return []
        return [SilenceChanged(actor, command.member.member_id, command.silenced, command.now)]
    raise TypeError(f"unknown command {command!r}")  # pragma: no cover - a programming error


def apply(chat: Chat, event: ChatEvent) -> Chat:
    """The chat after ``event``."""
    if isinstance(event, MessagePosted):
        return chat.with_history(chat.history(event.message.room_id).added(event.message))
    if isinstance(event, MessageModerated):
        return chat.with_history(chat.history(event.message.room_id).replaced(event.message))
    if event.silenced:
        return replace(chat, silenced=chat.silenced | {event.member_id})
    return replace(chat, silenced=chat.silenced - {event.member_id})
