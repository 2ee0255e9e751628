"""The chat events' payloads, acknowledgements and server→client shapes (rules: ``rooms/chat.py``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from server.protocol.common import AuthorOut, Id, OkAck, Out, Payload, Text


class MessageOut(Out):
    id: str
    room_id: str
    author: AuthorOut
    text: str = Field(description="Shown as text, never as HTML.")
    sent_at: datetime
    hidden: bool = Field(description="Hidden messages reach only facilitators, organizers and their author.")


class ChatSend(Payload):
    text: Text = Field(description="1–500 characters after trimming; line breaks allowed, no other control characters.")


class ChatHistory(Payload):
    """No fields: the chat of the room the connection is in."""


class ChatHide(Payload):
    message_id: Id
    hidden: bool = Field(description="True hides the message, false shows it again.")


class ChatSilence(Payload):
    member_id: Id
    silenced: bool = Field(description="True silences the member's chat in the whole event, false lifts it.")


class MessageAck(OkAck):
    message: MessageOut


class ChatHistoryAck(OkAck):
    room_id: str
    messages: list[MessageOut] = Field(
        description="The room's last 200 messages that you may see, oldest first (hidden ones only for "
        "facilitators, organizers and their author)."
    )
    silenced: bool = Field(description="Whether your chat is silenced in this event.")


class ChatHidden(Out):
    room_id: str
    message_id: str
    hidden: bool
    message: MessageOut | None = Field(
        description="The message as you may see it now; null when you may not (a hidden message, for everyone "
        "but facilitators, organizers and its author): remove it from your view."
    )


class ChatSilenced(Out):
    member_id: str
    silenced: bool
    by: AuthorOut


class SilenceAck(OkAck):
    member_id: str
    silenced: bool
