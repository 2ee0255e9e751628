"""The live questions of an event (information evenings): asked, upvoted, answered, hidden, pinned
(``server.live.questions`` commits and fans out, ``rooms.questions`` holds the rules)."""

from __future__ import annotations

from rooms import questions
from server import protocol as p
from server.ids import new_id, utcnow
from server.live.audit import audit
from server.live.gateway import CONTRIBUTORS, EVERYONE, MODERATORS
from server.live.handlers.common import registry
from server.live.questions import QuestionOutcome, questions_out
from server.live.state import Connection, LiveState


async def _question_ack(live: LiveState, conn: Connection, outcome: QuestionOutcome, question_id: str) -> p.QuestionAck:
    found = [q for q in outcome.state.items if q.id == question_id]
    [out] = await questions_out(live, conn.event_id, found, conn.actor)
    return p.QuestionAck(question=out)


@registry.on("question.ask", payload=p.QuestionAsk, ack=p.QuestionAck, roles=CONTRIBUTORS)
async def question_ask(live: LiveState, conn: Connection, payload: p.QuestionAsk) -> p.QuestionAck:
    """Ask a question (3–300 characters), anonymously if you like: then nobody is told who asked, facilitators
    neither. At most 3 of yours may be open at once (`too_many_questions`). Everyone gets `question.changed`."""
    question_id = new_id("qn")
    command = questions.AskQuestion(question_id, payload.text, utcnow(), payload.anonymous)
    outcome = await live.facilitation.questions.run(conn, command)
    return await _question_ack(live, conn, outcome, question_id)


@registry.on("question.upvote", payload=p.QuestionUpvote, ack=p.QuestionAck, roles=CONTRIBUTORS)
async def question_upvote(live: LiveState, conn: Connection, payload: p.QuestionUpvote) -> p.QuestionAck:
    """Upvote a question (once: `already_upvoted`, from another tab too), or withdraw your upvote (`up: false`;
    `not_upvoted` when there is none). Your own question too. Hidden questions take none."""
    now = utcnow()
    command: questions.Command = (
        questions.Upvote(payload.question_id, now) if payload.up else questions.WithdrawUpvote(payload.question_id, now)
    )
    outcome = await live.facilitation.questions.run(conn, command)
    return await _question_ack(live, conn, outcome, payload.question_id)


@registry.on("question.answer", payload=p.QuestionAnswer, ack=p.QuestionAck, roles=MODERATORS)
async def question_answer(live: LiveState, conn: Connection, payload: p.QuestionAnswer) -> p.QuestionAck:
    """Mark a question answered, or open again (`answered: false`). Answering the pinned question unpins it."""
    command = questions.MarkAnswered(payload.question_id, payload.answered, utcnow())
    outcome = await live.facilitation.questions.run(conn, command)
    if outcome.events:
        await audit(live, conn, "question.answer", payload.question_id, {"answered": payload.answered})
    return await _question_ack(live, conn, outcome, payload.question_id)


@registry.on("question.hide", payload=p.QuestionHide, ack=p.QuestionAck, roles=MODERATORS)
async def question_hide(live: LiveState, conn: Connection, payload: p.QuestionHide) -> p.QuestionAck:
    """Hide a question (only facilitators, organizers and its author see it then), or show it again. Hiding the
    pinned question unpins it."""
    command = questions.HideQuestion(payload.question_id, payload.hidden, utcnow())
    outcome = await live.facilitation.questions.run(conn, command)
    if outcome.events:
        await audit(live, conn, "question.hide", payload.question_id, {"hidden": payload.hidden})
    return await _question_ack(live, conn, outcome, payload.question_id)


@registry.on("question.pin", payload=p.QuestionPin, ack=p.PinAck, roles=MODERATORS)
async def question_pin(live: LiveState, conn: Connection, payload: p.QuestionPin) -> p.PinAck:
    """Pin the question being answered now ("now answering"), or unpin (null). Not a hidden one
    (`question_hidden`)."""
    outcome = await live.facilitation.questions.run(conn, questions.PinQuestion(payload.question_id, utcnow()))
    if outcome.events:
        await audit(live, conn, "question.pin", payload.question_id, {"pinned": payload.question_id is not None})
    return p.PinAck(pinned=outcome.state.pinned)


@registry.on("question.list", payload=p.QuestionList, ack=p.QuestionListAck, roles=EVERYONE)
async def question_list(live: LiveState, conn: Connection, payload: p.QuestionList) -> p.QuestionListAck:
    """Every question of the event you may see, as stored (after a reload too), in the order asked for, and the
    pinned one."""
    state = await live.store.load_questions(conn.event_id)
    items = questions.ordered(state, conn.actor, questions.Order(payload.order), answered_last=payload.answered_last)
    return p.QuestionListAck(questions=await questions_out(live, conn.event_id, items, conn.actor), pinned=state.pinned)
