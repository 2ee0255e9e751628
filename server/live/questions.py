"""Live questions on a node: asked, upvoted, answered, hidden and pinned, committed before anyone hears of it
(``rooms.questions`` holds the rules, the store keeps them).

An event's questions have one serializer key. Each batch starts from the questions as stored (so what other
nodes committed counts: an upvote made there is not made twice here), decides each command on the state the
ones before it left, commits it (``commit_question`` writes only the upvotes a change adds or withdraws, and
the store's key holds one upvote per member), applies it, fans it out and answers it.

``question.changed`` goes to the whole event in the forms its readers may see: the author of an anonymous
question is never sent; ``mine`` is true only in the author's own form; whether one upvoted is told only to the
member who changed it and the author (null for the rest, who keep what they knew); a hidden question reaches
only facilitators, organizers and its author.

Several nodes: a batch reads the stored questions anyway, but the copy ``current`` gives (the pinned question,
with its votes, in ``facilitation.state``) would be outdated after a change on another node. So a node that
changed questions tells the others (``questions.outdated``), which drop their copy of the event's questions
(``server.live.copies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boards.actors import Actor, Role
from rooms import questions
from rooms.members import Member
from rooms.questions import Question, Questions
from server import protocol as p
from server.live.copies import Copies, drop_when_told
from server.live.lookup import author, members_of
from server.live.serializer import Pending, Serializer
from server.live.state import Connection, LiveState
from server.transport.fanout import Forms, event_channel

NOBODY = Actor("", Role.PARTICIPANT)  # a reader who asked nothing and upvoted nothing
A_MODERATOR = Actor("", Role.FACILITATOR)
CHANGED = "questions.outdated"  # what a node tells the others when it changed an event's questions: {"event_id"}


@dataclass(frozen=True, slots=True)
class QuestionCommand:
    conn: Connection
    command: questions.Command


@dataclass(frozen=True, slots=True)
class QuestionOutcome:
    state: Questions  # after the command
    events: list[questions.QuestionEvent]


@dataclass
class QuestionDesk:
    live: LiveState
    states: Copies[Questions] = field(default_factory=Copies)  # by event: the node's copy, as last committed
    serializer: Serializer[QuestionCommand, QuestionOutcome] = field(init=False)

    def __post_init__(self) -> None:
        self.serializer = Serializer(self._run_batch, name="questions of event")
        drop_when_told(self.live, CHANGED, self.states)

    async def current(self, event_id: str) -> Questions:
        """The node's copy (loaded once), for what is read often: the pinned question after a reconnect."""
        if event_id not in self.states:
            count = self.states.count(event_id)
            loaded = await self.live.store.load_questions(event_id)
            self.states.keep(event_id, loaded, count)
            return loaded
        return self.states[event_id]

    async def run(self, conn: Connection, command: questions.Command) -> QuestionOutcome:
        return await self.serializer.submit(conn.event_id, QuestionCommand(conn, command))

    async def _run_batch(self, event_id: str, batch: list[Pending[QuestionCommand, QuestionOutcome]]) -> None:
        count = self.states.count(event_id)
        state = await self.live.store.load_questions(event_id)
        self.states.keep(event_id, state, count)
        for pending in batch:
            if pending.answered:
                continue
            conn, command = pending.command.conn, pending.command.command
            try:
                events = questions.decide(state, conn.actor, command)
                before = state
                for event in events:
                    await self._commit(event_id, before, event)
                    before = questions.apply(before, event)
            except Exception as exc:  # refused, or the store failed for this command: the others go on
                pending.refuse(exc)
                continue
            for event in events:
                state = questions.apply(state, event)
                self.states.keep(event_id, state, count)
                await self._send(event_id, conn, state, event)
            if events and self.live.redis is not None:
                await self.live.fanout.tell(CHANGED, {"event_id": event_id})  # others' copies are outdated
            pending.answer(QuestionOutcome(state, events))

    async def _commit(self, event_id: str, before: Questions, event: questions.QuestionEvent) -> None:
        store = self.live.store
        if isinstance(event, questions.PinChanged):
            await store.set_pinned(event_id, event.question_id)
            return
        old = None if event.kind == "asked" else before.get(event.question.id)
        await store.commit_question(event_id, event.question, old)

    async def _send(self, event_id: str, conn: Connection, state: Questions, event: questions.QuestionEvent) -> None:
        channel = event_channel(event_id)
        if isinstance(event, questions.PinChanged):
            message = p.QuestionChanged(
                kind="pinned" if event.question_id else "unpinned",
                question_id=event.question_id,
                question=None,
                pinned=state.pinned,
            )
            await self.live.fanout.publish(channel, "question.changed", message.model_dump(mode="json"))
            return
        question = event.question
        members = await members_of(self.live, event_id, {question.author_id, conn.member.id})

        def form(viewer: Actor, *, own: bool) -> dict[str, Any]:
            out = question_out(question, viewer, members, own=own)
            changed = p.QuestionChanged.model_validate(
                {"kind": event.kind, "question_id": question.id, "question": out, "pinned": state.pinned}
            )
            return changed.model_dump(mode="json")

        own_forms: dict[str, Any] = {}
        for member in members.values():  # the author and the member who changed it
            own_forms[member.id] = form(Actor(member.id, member.role), own=True)
        forms = Forms(public=form(NOBODY, own=False), moderated=form(A_MODERATOR, own=False), members=own_forms)
        await self.live.fanout.publish_forms(channel, "question.changed", forms)

    async def close(self) -> None:
        await self.serializer.close()


def question_out(
    question: Question, viewer: Actor, members: dict[str, Member], *, own: bool = True
) -> p.QuestionOut | None:
    """The question as ``viewer`` may see it (None when hidden from them); ``own``: whether ``upvoted`` is theirs
    to know (else null)."""
    if not questions.sees(viewer, question):
        return None
    wire = questions.to_wire(question, viewer)
    asker = None if question.anonymous else members.get(question.author_id)
    return p.QuestionOut(
        id=wire["id"],
        text=wire["text"],
        asked_at=question.asked_at,
        anonymous=wire["anonymous"],
        author=author(asker) if asker is not None else None,
        mine=wire["mine"],
        votes=wire["votes"],
        upvoted=wire["upvoted"] if own else None,
        answered=wire["answered"],
        hidden=wire["hidden"],
    )


async def questions_out(live: LiveState, event_id: str, items: list[Question], viewer: Actor) -> list[p.QuestionOut]:
    """Questions as the viewer sees them (each one they may see), with their authors."""
    members = await members_of(live, event_id, (q.author_id for q in items if not q.anonymous))
    return [out for q in items if (out := question_out(q, viewer, members)) is not None]
