"""The live questions' payloads, acknowledgements and server→client shapes (rules: ``rooms/questions.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from server.protocol.common import AuthorOut, Id, OkAck, Out, Payload, Text


class QuestionOut(Out):
    id: str
    text: str = Field(description="Shown as text, never as HTML.")
    asked_at: datetime
    anonymous: bool
    author: AuthorOut | None = Field(description="Null for an anonymous question, for everyone (moderators too).")
    mine: bool = Field(description="Whether you asked it (only in your own form; anonymous ones too).")
    votes: int = Field(description="How many members upvoted it (who did is never sent).")
    upvoted: bool | None = Field(
        description="Whether you upvoted it. In `question.changed` only for the member who changed it and its "
        "author; null for everyone else (keep what you knew from `question.list` and your own acknowledgements)."
    )
    answered: bool
    hidden: bool = Field(description="Hidden questions reach only facilitators, organizers and their author.")


class QuestionAsk(Payload):
    text: Text = Field(description="3–300 characters after trimming; line breaks allowed.")
    anonymous: bool = Field(False, description="Anonymous: the author is never sent to anyone.")


class QuestionUpvote(Payload):
    question_id: Id
    up: bool = Field(True, description="True upvotes (once per member), false withdraws one's upvote.")


class QuestionAnswer(Payload):
    question_id: Id
    answered: bool


class QuestionHide(Payload):
    question_id: Id
    hidden: bool


class QuestionPin(Payload):
    question_id: Id | None = Field(description='The question being answered now ("now answering"); null unpins.')


class QuestionList(Payload):
    order: Literal["votes", "newest"] = Field(
        "votes", description="`votes`: most upvotes first, ties by age (older first); `newest`: newest first."
    )
    answered_last: bool = Field(True, description="Answered questions after the open ones, each group in `order`.")


class QuestionAck(OkAck):
    question: QuestionOut


class PinAck(OkAck):
    pinned: str | None


class QuestionListAck(OkAck):
    questions: list[QuestionOut] = Field(description="Every question you may see, in the order asked for.")
    pinned: str | None = Field(description="The question pinned as being answered now.")


class QuestionChanged(Out):
    kind: Literal[
        "asked", "upvoted", "upvote_withdrawn", "answered", "reopened", "hidden", "restored", "pinned", "unpinned"
    ]
    question_id: str | None = Field(description="The question concerned; null when a question was unpinned.")
    question: QuestionOut | None = Field(
        description="The question as you may see it now; null when you may not (hidden) or for `pinned`/`unpinned`."
    )
    pinned: str | None = Field(description="The pinned question after the change.")
