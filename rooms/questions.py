"""Live questions for information evenings: asked, upvoted, answered, pinned.

Rules (``decide`` checks them; ``apply`` takes the events it returned):

- Participants, facilitators and organizers ask and upvote; observers only read (Forbidden "forbidden"),
  as everywhere: an upvote is taking part, and observers (press, council members watching) do not.
- A question's text is 3 to 300 characters (``boards.text.clean_text``, line breaks allowed). Ids are given by
  the caller and unique (Conflict "conflict").
- Anonymous questions keep their author's id, for moderation and for the limit below, but are marked: the
  edge never sends the author of an anonymous question, to moderators neither (``to_wire``).
- A member has at most 3 open questions at once (Conflict "too_many_questions"): open means neither
  answered nor hidden, so a question marked answered or hidden frees its place. Facilitators and
  organizers are not limited (they seed questions).
- Upvotes: once per member and question (Conflict "already_upvoted"); withdrawing one's upvote is allowed
  (Conflict "not_upvoted" when there is none). Upvoting one's own question is allowed: every asker may do
  it alike, so it shifts nothing between askers, and forbidding it would only invite a second account.
  Hidden questions take no upvotes (Conflict "question_hidden"; NotFound for those who cannot see them);
  answered ones do. The vote count is the number of distinct upvoters; who upvoted is never sent.
- Facilitators and organizers mark a question answered or unanswered, hide or unhide it, and pin one
  question as "now answering" (or unpin). Pinning a hidden question is refused (Conflict
  "question_hidden"); hiding or answering the pinned question unpins it. Anyone else: Forbidden "forbidden".
- A command whose outcome holds already (answering an answered question, pinning the pinned one) is accepted
  and yields nothing.
- Hidden questions are seen by moderators and by their author only; others get NotFound as if they did not
  exist.
- Orderings (``ordered``): by votes, ties by age (older first); newest first; either with answered
  questions last.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from boards.actors import Actor
from boards.errors import Conflict, Forbidden, NotFound
from boards.text import clean_text

TEXT_MIN = 3
TEXT_MAX = 300
OPEN_MAX = 3


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    author_id: str  # kept for anonymous questions too; never sent for them
    text: str
    asked_at: datetime
    anonymous: bool = False
    upvoters: frozenset[str] = frozenset()
    answered: bool = False
    hidden: bool = False

    @property
    def votes(self) -> int:
        return len(self.upvoters)

    @property
    def open(self) -> bool:
        return not self.answered and not self.hidden


@dataclass(frozen=True, slots=True)
class Questions:
    """An event's questions in the order they were asked, and the one being answered now."""

    event_id: str
    items: tuple[Question, ...] = ()
    pinned: str | None = None

    def get(self, question_id: str) -> Question:
        for question in self.items:
            if question.id == question_id:
                return question
        raise NotFound(f"There is no question {question_id!r}.")

    def replaced(self, question: Question) -> Questions:
        return replace(self, items=tuple(question if q.id == question.id else q for q in self.items))


def sees(actor: Actor, question: Question) -> bool:
    return not question.hidden or actor.role.moderates or question.author_id == actor.member_id


# -- commands and events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AskQuestion:
    question_id: str
    text: str
    now: datetime
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class Upvote:
    question_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class WithdrawUpvote:
    question_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class MarkAnswered:
    """Mark answered (``answered=True``) or unanswered again."""

    question_id: str
    answered: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class HideQuestion:
    """Hide (``hidden=True``) or unhide."""

    question_id: str
    hidden: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class PinQuestion:
    """Pin a question as "now answering"; None unpins."""

    question_id: str | None
    now: datetime


Command = AskQuestion | Upvote | WithdrawUpvote | MarkAnswered | HideQuestion | PinQuestion


@dataclass(frozen=True, slots=True)
class QuestionChanged:
    actor: Actor
    kind: str  # asked, upvoted, upvote_withdrawn, answered, reopened, hidden, restored
    question: Question  # after the change


@dataclass(frozen=True, slots=True)
class PinChanged:
    actor: Actor
    question_id: str | None
    at: datetime


QuestionEvent = QuestionChanged | PinChanged


# -- decide ----------------------------------------------------------------------------------


def clean_question(text: str) -> str:
    return clean_text(text, label="The question", min_len=TEXT_MIN, max_len=TEXT_MAX, multiline=True)


def _moderator(actor: Actor) -> None:
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can do that.")


def _visible(state: Questions, actor: Actor, question_id: str) -> Question:
    question = state.get(question_id)
    if not sees(actor, question):
        raise NotFound(f"There is no question {question_id!r}.")
    return question


def decide(state: Questions, actor: Actor, command: Command) -> list[QuestionEvent]:
    """Check ``command``; return its events (none when its outcome holds already) or raise a DomainError."""
    if not actor.role.contributes:
        raise Forbidden("Observers read the questions and do not ask or upvote.")
    if isinstance(command, AskQuestion):
        return _ask(state, actor, command)
    if isinstance(command, Upvote | WithdrawUpvote):
        return _vote(state, actor, command)
    _moderator(actor)
    if isinstance(command, MarkAnswered):
        question = state.get(command.question_id)
        if question.answered == command.answered:
            return []
        changed = replace(question, answered=command.answered)
        return _unpinning(
            state, actor, command.now, QuestionChanged(actor, "answered" if command.answered else "reopened", changed)
        )
    if isinstance(command, HideQuestion):
        question = state.get(command.question_id)
        if question.hidden == command.hidden:
            return []
        changed = replace(question, hidden=command.hidden)
        return _unpinning(
            state, actor, command.now, QuestionChanged(actor, "hidden" if command.hidden else "restored", changed)
        )
    if isinstance(command, PinQuestion):
        if command.question_id is not None and state.get(command.question_id).hidden:
            raise Conflict("A hidden question cannot be pinned.", code="question_hidden")
        if state.pinned == command.question_id:
            return []
        return [PinChanged(actor, command.question_id, command.now)]
    raise TypeError(f"unknown command {command!r}")  # pragma: no cover - a programming error


def _ask(state: Questions, actor: Actor, cmd: AskQuestion) -> list[QuestionEvent]:
    text = clean_question(cmd.text)
    if any(q.id == cmd.question_id for q in state.items):
        raise Conflict(f"There is a question {cmd.question_id!r} already.")
    if not actor.role.moderates and sum(q.open and q.author_id == actor.member_id for q in state.items) >= OPEN_MAX:
        raise Conflict(f"You have {OPEN_MAX} open questions; wait until one is answered.", code="too_many_questions")
    question = Question(cmd.question_id, actor.member_id, text, cmd.now, anonymous=cmd.anonymous)
    return [QuestionChanged(actor, "asked", question)]


def _vote(state: Questions, actor: Actor, cmd: Upvote | WithdrawUpvote) -> list[QuestionEvent]:
    question = _visible(state, actor, cmd.question_id)
    mine = actor.member_id in question.upvoters
    if isinstance(cmd, WithdrawUpvote):
        if not mine:
            raise Conflict("You have not upvoted this question.", code="not_upvoted")
        return [
            QuestionChanged(
                actor, "upvote_withdrawn", replace(question, upvoters=question.upvoters - {actor.member_id})
            )
        ]
    if question.hidden:
        raise Conflict("A hidden question takes no upvotes.", code="question_hidden")
    if mine:
        raise Conflict("You have upvoted this question already.", code="already_upvoted")
    return [QuestionChanged(actor, "upvoted", replace(question, upvoters=question.upvoters | {actor.member_id}))]


def _unpinning(state: Questions, actor: Actor, now: datetime, event: QuestionChanged) -> list[QuestionEvent]:
    """The event, and the unpinning when it answers or hides the pinned question."""
    if state.pinned == event.question.id and not event.question.open:
        return [event, PinChanged(actor, None, now)]
    return [event]


def apply(state: Questions, event: QuestionEvent) -> Questions:
    """The questions after ``event``."""
    if isinstance(event, PinChanged):
        return replace(state, pinned=event.question_id)
    if event.kind == "asked":
        return replace(state, items=(*state.items, event.question))
    return state.replaced(event.question)


# -- reading ---------------------------------------------------------------------------------


class Order(enum.StrEnum):
    VOTES = "votes"  # most upvotes first, ties by age (older first)
    NEWEST = "newest"


def ordered(
    state: Questions, viewer: Actor, order: Order = Order.VOTES, *, answered_last: bool = False
) -> list[Question]:
    """The questions ``viewer`` may see, in ``order``; with ``answered_last`` the answered ones after the rest."""
    age = {q.id: n for n, q in enumerate(state.items)}  # the order asked breaks ties of equal times
    visible = [q for q in state.items if sees(viewer, q)]
    if order is Order.VOTES:
        visible.sort(key=lambda q: (-q.votes, q.asked_at, age[q.id]))
    else:
        visible.sort(key=lambda q: (q.asked_at, age[q.id]), reverse=True)
    if answered_last:
        visible.sort(key=lambda q: q.answered)  # stable: each group keeps its order
    return visible


def to_wire(question: Question, viewer: Actor) -> dict[str, Any]:
    """What ``viewer`` gets of a question: no author for anonymous ones, never the list of upvoters."""
    return {
        "id": question.id,
        "text": question.text,
        "asked_at": question.asked_at.isoformat(),
        "anonymous": question.anonymous,
        "author_id": None if question.anonymous else question.author_id,
        "mine": question.author_id == viewer.member_id,
        "votes": question.votes,
        "upvoted": viewer.member_id in question.upvoters,
        "answered": question.answered,
        "hidden": question.hidden,
    }
