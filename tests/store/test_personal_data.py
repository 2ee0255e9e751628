"""Personal data in the idea store, on SQLite and PostgreSQL: one member's data erased (their content kept or
removed, their dots still counted, nothing of them left in any table), exported (everything about them, nothing
about others), and the retention period's purge (old events only, idempotent, a dry run changes nothing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from boards import commands as c
from boards.actors import Actor, Role
from boards.errors import Conflict, Forbidden, NotFound
from boards.model import Phase
from boards.rules import apply, apply_vote, decide, decide_vote
from boards.voting import Scope, ScopeKind
from rooms import breakouts as br
from rooms.audit import audit_entry
from rooms.chat import Message
from rooms.erasure import Content
from rooms.questions import Question
from rooms.site_texts import Page
from server.ids import new_id, token_hash, utcnow
from server.live.views import record
from server.store import tables as t
from server.store.curation import IdeaFilter
from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from server.store.imports import ImportStore
from tests.store.test_curation import T0, Workshop

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ANNA = "Annika77"  # her pseudonym, found nowhere else
NAME = "Annika"  # her name, in what she wrote


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


class Scene(Workshop):
    """A workshop where Annika and Ben (participants) and Fatma (facilitator) used everything that keeps
    personal data: ideas, comments, a report, dots, chat, questions and upvotes, breakout rooms and topic
    choices, chat silencing, and moderators' acts in the audit log."""

    @classmethod
    async def scene(cls, store: IdeaStore, organizer: str = "orga", title: str = "Werkstatt") -> Scene:
        self: Scene = await cls.make(store, organizer, title)  # type: ignore[assignment]
        ev = self.event_id
        self.anna = await store.create_member(ev, Role.PARTICIPANT, ANNA, "green", token_hash(ev + "anna"))
        self.ben = await store.create_member(ev, Role.PARTICIPANT, "Ben42", "blue", token_hash(ev + "ben"))
        self.plenary = (await store.plenary(ev)).id
        a, b, f = self.actor(self.anna), self.actor(self.ben), self.actor(self.fac)
        await self.run(
            a, c.PostIdea(self.id("i_a"), self.column("Mobilität"), f"Radweg, sagt {NAME}", T0, title="Radweg")
        )
        await self.run(b, c.PostIdea(self.id("i_b"), self.column("Umwelt"), "Bäume am Markt", T0, title="Bäume"))
        await self.run(b, c.AddComment(self.id("c_b"), self.id("i_a"), "Ben findet das gut", T0))
        await self.run(a, c.AddComment(self.id("c_a"), self.id("i_b"), f"{NAME} auch", T0))
        await self.run(a, c.ReportIdea(self.id("i_b"), T0))
        await self.place_dots(a, b, f)
        await store.add_message(Message(self.id("m_a"), self.plenary, self.anna.id, f"Hallo von {NAME}", T0))
        await store.add_message(Message(self.id("m_b"), self.plenary, self.ben.id, "Hallo von Ben", T0))
        await store.commit_question(
            ev, Question(self.id("q_a"), self.anna.id, "Wer zahlt?", T0, True, frozenset({self.ben.id}))
        )
        await store.commit_question(
            ev, Question(self.id("q_b"), self.ben.id, "Wann?", T0, upvoters=frozenset({self.anna.id}))
        )
        await store.set_pinned(ev, self.id("q_a"))
        await store.set_silenced(ev, self.anna.id, True)
        await self.breakouts(f)
        for action, target in (("chat.silence", self.anna.id), ("chat.silence", self.ben.id), ("hand.next", None)):
            await store.add_audit(audit_entry(ev, f, action, T0, target, {"silenced": True}))
        await store.add_audit(audit_entry(ev, a, "hand.lower", T0))  # hypothetically, Annika's own act
        return self

    def id(self, name: str) -> str:
        """An id of the scene's own (ids of ideas, questions, rounds … are unique in the whole store)."""
        return f"{name}-{self.event_id}"

    @staticmethod
    def actor(member: Any) -> Actor:
        return Actor(member.id, member.role)

    async def run(self, actor: Actor, command: object) -> None:
        """As ``Workshop.run``, with Ben among the authors."""
        events = decide(self.board, actor, command)  # type: ignore[arg-type]
        authors = {m.id: m for m in (self.anna, self.ben, self.fac)}
        await self.store.commit_board_events(self.board, events, [record(self.board, e, authors) for e in events])
        for event in events:
            apply(self.board, event)

    async def place_dots(self, *voters: Actor) -> None:
        f = voters[-1]
        await self.run(f, c.SetPhase(Phase.VOTE, T0))
        await self.run(
            f, c.OpenVote(self.id("vs_1"), T0, budget=5, cap=5, blind=False, scope=Scope(ScopeKind.BOARD, ()))
        )
        for voter, ideas in (
            (voters[0], [self.id("i_a"), self.id("i_b"), self.id("i_b")]),
            (voters[1], [self.id("i_a")]),
        ):
            cast = []
            for idea in ideas:
                event = decide_vote(self.board, voter, c.CastDot(self.id("vs_1"), idea, T0))
                apply_vote(self.board, event)
                cast.append(event)
            await self.store.commit_dots(cast, budget=5, cap=5)
        await self.run(f, c.CloseVote(self.id("vs_1"), T0, reveal=True))

    async def breakouts(self, f: Actor) -> None:
        rooms = [br.BreakoutRoom(new_id("rm"), name) for name in ("Schule", "Markt")]
        both = (self.anna.id, self.ben.id)
        rnd = br.new_round(
            round_id=self.id("br_1"), event_id=self.event_id, number=1, rooms=rooms, now=T0, mode=br.Mode.PREFERENCE
        )
        await self.store.create_round(rnd)
        rnd = await self.step(rnd, self.actor(self.anna), br.Prefer((rooms[1].id, rooms[0].id)))
        rnd = await self.step(rnd, self.actor(self.ben), br.Prefer((rooms[0].id,)))
        rnd = await self.step(rnd, f, br.Assign(br.Mode.PREFERENCE, seed=1, members=both))
        rnd = await self.step(rnd, f, br.Open(T0, present=both))
        rnd = await self.step(rnd, f, br.StartClose(T0 + timedelta(minutes=1)))
        await self.step(rnd, f, br.Close(T0 + timedelta(minutes=2)))
        second = br.new_round(round_id=self.id("br_2"), event_id=self.event_id, number=2, rooms=rooms, now=T0)
        await self.store.create_round(second)
        second = await self.step(second, f, br.Assign(br.Mode.AUTOMATIC, seed=1, members=both))
        await self.step(second, f, br.Open(T0, present=both))

    async def step(self, rnd: br.BreakoutRound, actor: Actor, command: br.BreakoutCommand) -> br.BreakoutRound:
        events = br.decide(rnd, actor, command)
        after = rnd
        for event in events:
            after = br.apply(after, event)
        await self.store.commit_round(rnd, events, after)
        return after


def dump(store: IdeaStore) -> dict[str, list[str]]:
    """Every row of every table, as text."""
    with store.engine.connect() as conn:
        return {
            table.name: [
                json.dumps(dict(row._mapping), default=str, ensure_ascii=False)
                for row in conn.execute(sa.select(table))
            ]
            for table in t.metadata.sorted_tables
        }


async def rows(store: IdeaStore, table: sa.Table, *where: Any) -> list[Any]:
    def read() -> list[Any]:
        with store.engine.connect() as conn:
            return list(conn.execute(sa.select(table).where(*where)).all())

    return await asyncio.to_thread(read)


def mentions(tables: dict[str, list[str]], *needles: str) -> dict[str, list[str]]:
    return {
        name: [r for r in found if any(n in r for n in needles)]
        for name, found in tables.items()
        if any(any(n in r for n in needles) for r in found)
    }


async def erase(store: IdeaStore, s: Scene, choice: Content) -> Any:
    org = await store.organizer_by_username("orga")
    assert org is not None
    me = await store.organizer_member(s.event_id, org)
    return await store.erase_member(s.event_id, s.anna.id, choice, Actor(me.id, Role.ORGANIZER), NOW)


# -- erasing one member --------------------------------------------------------------------------


@pytest.mark.parametrize("choice", [Content.KEEP, Content.REMOVE])
async def test_erasing_a_member_leaves_nothing_of_them_and_keeps_every_count(store: IdeaStore, choice: Content) -> None:
    s = await Scene.scene(store)
    before_votes = await rows(store, t.votes)
    before_results = (await rows(store, t.vote_sessions))[0].results
    anna_token = token_hash(s.event_id + "anna")
    assert (await store.member_by_token(anna_token)) is not None
    assert mentions(await asyncio.to_thread(dump, store), ANNA)  # the scene stores her pseudonym in several places

    erased = await erase(store, s, choice)

    assert erased.pseudonym == "Gelöscht 1" and (erased.ideas, erased.comments, erased.messages, erased.questions) == (
        1,
        1,
        1,
        1,
    )
    assert await store.member_by_token(anna_token) is None  # her link no longer lets her in
    tables = await asyncio.to_thread(dump, store)
    assert mentions(tables, ANNA, ANNA.casefold(), anna_token) == {}  # in no row of any table
    [member] = await rows(store, t.members, t.members.c.id == s.anna.id)
    assert (member.pseudonym, member.colour, member.removed_at, member.erased_at) == ("Gelöscht 1", "slate", NOW, NOW)
    for table in (t.breakout_placements, t.breakout_final_placements, t.breakout_preferences, t.chat_silenced):
        assert await rows(store, table, table.c.member_id == s.anna.id) == [], table.name
        assert await rows(store, table, table.c.member_id == s.ben.id) or table is t.chat_silenced, table.name
    # dots: the same rows, counts and results; they stay with the neutral member
    assert await rows(store, t.votes) == before_votes
    assert (await rows(store, t.vote_sessions))[0].results == before_results
    page = await store.list_ideas(s.organizer_id, IdeaFilter())
    assert {i.id: i.dots for i in page.items} == (
        {s.id("i_a"): 2, s.id("i_b"): 2} if choice is Content.KEEP else {s.id("i_b"): 2}
    )
    assert len(await rows(store, t.question_upvotes, t.question_upvotes.c.member_id == s.anna.id)) == 1
    # Ben's contributions stay as they were
    assert [r.text for r in await rows(store, t.chat_messages, t.chat_messages.c.author_id == s.ben.id)] == [
        "Hallo von Ben"
    ]
    assert [r.text for r in await rows(store, t.comments, t.comments.c.author_id == s.ben.id)] == ["Ben findet das gut"]
    # hers: kept (with the neutral name) or removed
    [idea] = await rows(store, t.ideas, t.ideas.c.id == s.id("i_a"))
    messages = await rows(store, t.chat_messages, t.chat_messages.c.author_id == s.anna.id)
    questions = await rows(store, t.questions, t.questions.c.author_id == s.anna.id)
    [comment] = await rows(store, t.comments, t.comments.c.id == s.id("c_a"))
    if choice is Content.KEEP:
        assert idea.deleted_at is None and idea.title == "Radweg" and idea.author_id == s.anna.id
        assert len(messages) == 1 and len(questions) == 1 and questions[0].anonymous
        assert comment.deleted_at is None and comment.text == f"{NAME} auch"
        assert (await store.load_board(s.board.id)).ideas[s.id("i_a")].text == f"Radweg, sagt {NAME}"  # texts kept
    else:
        assert idea.deleted_at == NOW and (idea.title, idea.text, idea.tags) == ("", "", [])
        assert messages == [] and questions == [] and await rows(store, t.question_pins) == []
        assert comment.deleted_at == NOW and comment.text == ""
        assert s.id("i_a") not in (await store.load_board(s.board.id)).ideas
        assert mentions(tables, NAME) == {}  # not even in what she wrote
    # recorded, with what it did; Ben's and the moderators' entries stay
    log = await store.audit_log(s.event_id)
    assert log[0].action == "member.erase" and log[0].target == s.anna.id
    assert dict(log[0].details) == {"content": choice.value, "ideas": 1, "comments": 1, "messages": 1, "questions": 1}
    assert len(log) == 5


async def test_erasing_drops_the_boards_change_records_so_clients_get_the_whole_board(store: IdeaStore) -> None:
    s = await Scene.scene(store)
    seq = s.board.seq
    assert await store.changes_since(s.board.id, seq - 2, limit=100)  # records to replay
    await erase(store, s, Content.KEEP)
    reloaded = await store.load_board(s.board.id)
    assert reloaded.seq == seq + 1  # raised without a record: a node with the old board meets stale_board
    for since in (0, seq - 2, seq):
        assert await store.changes_since(s.board.id, since, limit=100) is None  # a gap: the whole board
    assert await store.changes_since(s.board.id, seq + 1, limit=100) == []
    comment = c.AddComment(s.id("c_new"), s.id("i_b"), "Noch was", T0)
    with pytest.raises(Conflict) as stale:  # decided on the board as it was before
        await s.run(Actor(s.ben.id, Role.PARTICIPANT), comment)
    assert stale.value.code == "stale_board"
    s.board = await store.load_board(s.board.id)
    await s.run(Actor(s.ben.id, Role.PARTICIPANT), comment)
    assert [ch.seq for ch in await store.changes_since(s.board.id, seq + 1, limit=100) or []] == [seq + 2]


async def test_erasing_again_keeps_the_name_and_removes_what_was_kept(store: IdeaStore) -> None:
    s = await Scene.scene(store)
    first = await erase(store, s, Content.KEEP)
    again = await erase(store, s, Content.REMOVE)
    assert first.pseudonym == again.pseudonym == "Gelöscht 1"
    assert await rows(store, t.chat_messages, t.chat_messages.c.author_id == s.anna.id) == []
    ben_scene_member = await store.create_member(s.event_id, Role.PARTICIPANT, "Gelöscht 2", "red", token_hash("x"))
    org = await store.organizer_by_username("orga")
    me = await store.organizer_member(s.event_id, org)  # type: ignore[arg-type]
    ben = await store.erase_member(s.event_id, s.ben.id, Content.KEEP, Actor(me.id, Role.ORGANIZER), NOW)
    assert ben.pseudonym == "Gelöscht 3"  # the next free number: someone calls themselves "Gelöscht 2"
    assert (await store.members_of(s.event_id))[ben_scene_member.id].pseudonym == "Gelöscht 2"


async def test_who_cannot_be_erased_and_what_is_refused_changes_nothing(store: IdeaStore) -> None:
    s = await Scene.scene(store)
    other = await Scene.scene(store, "orga2", "Andere")
    org = await store.organizer_by_username("orga")
    me = await store.organizer_member(s.event_id, org)  # type: ignore[arg-type]
    by = Actor(me.id, Role.ORGANIZER)
    with pytest.raises(Forbidden):
        await store.erase_member(s.event_id, me.id, Content.KEEP, by, NOW)  # an organizer's own membership
    with pytest.raises(NotFound):
        await store.erase_member(s.event_id, other.anna.id, Content.KEEP, by, NOW)  # another event's member
    # dots of an open vote on her ideas: removing them would change a vote under way
    f = Actor(s.fac.id, Role.FACILITATOR)
    await s.run(f, c.OpenVote(s.id("vs_2"), T0, budget=5, cap=5, blind=False, scope=Scope(ScopeKind.BOARD, ())))
    event = decide_vote(s.board, Actor(s.ben.id, Role.PARTICIPANT), c.CastDot(s.id("vs_2"), s.id("i_a"), T0))
    apply_vote(s.board, event)
    await store.commit_dots([event], budget=5, cap=5)
    before = await asyncio.to_thread(dump, store)
    with pytest.raises(Conflict) as refused:
        await store.erase_member(s.event_id, s.anna.id, Content.REMOVE, by, NOW)
    assert refused.value.code == "open_vote"
    assert await asyncio.to_thread(dump, store) == before
    assert (await store.erase_member(s.event_id, s.anna.id, Content.KEEP, by, NOW)).pseudonym == "Gelöscht 1"


# -- exporting one member's data -----------------------------------------------------------------


async def test_the_export_holds_everything_about_the_member_and_nothing_about_others(store: IdeaStore) -> None:
    s = await Scene.scene(store)
    data = await store.export_member(s.event_id, s.anna.id, NOW)
    assert data["member"]["pseudonym"] == ANNA and data["member"]["role"] == "participant"
    assert data["event"] == {"id": s.event_id, "title": "Werkstatt", "date": "2026-05-06"}
    assert [(i["id"], i["field"], i["text"]) for i in data["ideas"]] == [
        (s.id("i_a"), "Mobilität", f"Radweg, sagt {NAME}")
    ]
    assert [(x["id"], x["idea_id"], x["text"]) for x in data["comments"]] == [
        (s.id("c_a"), s.id("i_b"), f"{NAME} auch")
    ]
    assert [(d["idea_id"], d["dots"]) for d in data["dots"]] == [(s.id("i_a"), 1), (s.id("i_b"), 2)]
    assert data["dots_used"] == [{"vote_round": s.id("vs_1"), "used": 3}]
    assert [(m["id"], m["room"], m["text"]) for m in data["chat_messages"]] == [
        (s.id("m_a"), "Plenum", f"Hallo von {NAME}")
    ]
    assert [(q["id"], q["anonymous"]) for q in data["questions"]] == [(s.id("q_a"), True)]  # hers, though anonymous
    assert (
        data["question_upvotes"] == [s.id("q_b")] and data["ideas_reported"] == [s.id("i_b")] and data["chat_silenced"]
    )
    assert data["breakout_choices"] == [
        {"round": 1, "choice": 1, "room": "Markt"},
        {"round": 1, "choice": 2, "room": "Schule"},
    ]
    assert [p["round"] for p in data["breakout_rooms_at_close"]] == [1] and [
        p["round"] for p in data["breakout_rooms"]
    ] == [2]
    assert data["audit_log"] == [
        {"at": T0.isoformat(), "action": "chat.silence", "by_role": "facilitator", "details": {"silenced": True}},
        {"at": T0.isoformat(), "action": "hand.lower", "by": "this member"},
    ]
    text = json.dumps(data, ensure_ascii=False)
    for other in (
        s.ben.id,
        "Ben42",
        "Hallo von Ben",
        "Ben findet das gut",
        "Wann?",
        s.fac.id,
        "Fatma",
        "Bäume am Markt",
    ):
        assert other not in text, other
    assert token_hash(s.event_id + "anna") not in text
    with pytest.raises(NotFound):
        await store.export_member((await Scene.scene(store, "orga2", "Andere")).event_id, s.anna.id, NOW)


async def test_an_export_after_erasing_holds_only_the_neutral_name(store: IdeaStore) -> None:
    s = await Scene.scene(store)
    await erase(store, s, Content.REMOVE)
    data = await store.export_member(s.event_id, s.anna.id, NOW)
    assert data["member"]["pseudonym"] == "Gelöscht 1" and data["member"]["erased_at"] == NOW.isoformat()
    assert ANNA not in json.dumps(data, ensure_ascii=False)
    assert data["chat_messages"] == [] and data["questions"] == [] and data["breakout_choices"] == []
    assert [a["action"] for a in data["audit_log"]][-1] == "member.erase"


# -- the retention period's purge ----------------------------------------------------------------


async def backdate(store: IdeaStore, event_id: str, at: datetime) -> None:
    """Move what the store stamped with the time of the test back to ``at`` (the scene's own times are T0)."""

    def write() -> None:
        board_ids = sa.select(t.boards.c.id).where(t.boards.c.event_id == event_id)
        with store.engine.begin() as conn:
            conn.execute(t.events.update().where(t.events.c.id == event_id).values(updated_at=at, created_at=at))
            conn.execute(t.members.update().where(t.members.c.event_id == event_id).values(created_at=at))
            conn.execute(
                t.board_changes.update().where(t.board_changes.c.board_id.in_(board_ids)).values(created_at=at)
            )

    await asyncio.to_thread(write)


async def test_purge_erases_the_personal_data_of_old_events_only_and_is_idempotent(store: IdeaStore) -> None:
    old = await Scene.scene(store, "orga", "Alt")
    await backdate(store, old.event_id, T0)
    recent = await Scene.scene(store, "orga", "Neu")
    org = await store.organizer_by_username("orga")
    await store.create_session(org.id, "expired", NOW - timedelta(days=400))  # type: ignore[union-attr]
    old_votes = await rows(store, t.votes, t.votes.c.session_id == old.id("vs_1"))
    cutoff = NOW - timedelta(days=90)

    report = await store.purge(cutoff, NOW)

    assert [e.event_id for e in report.events] == [old.event_id]
    [done] = report.events
    assert (done.members, done.messages, done.questions) == (4, 2, 2)  # Anna, Annika, Ben, Fatma; not the organizer
    assert done.audit_entries == 4 and done.boards == 1 and done.placements > 0
    assert done.last_activity == T0 + timedelta(minutes=2)  # the breakout round closed last
    assert report.sessions == 1
    tables = await asyncio.to_thread(dump, store)
    old_people = await rows(store, t.members, t.members.c.event_id == old.event_id, t.members.c.role != "organizer")
    assert sorted(m.pseudonym for m in old_people) == ["Gelöscht 1", "Gelöscht 2", "Gelöscht 3", "Gelöscht 4"]
    assert all(m.erased_at == NOW for m in old_people)
    assert await store.member_by_token(token_hash(old.event_id + "anna")) is None
    assert await store.member_by_token(token_hash(recent.event_id + "anna")) is not None
    for table in (t.chat_messages, t.questions, t.audit_log):
        assert await rows(store, table, table.c.event_id == old.event_id) == []
    # the results stay: ideas, fields, statuses, feedback and dots
    assert {
        i.id for i in await rows(store, t.ideas, t.ideas.c.event_id == old.event_id, t.ideas.c.deleted_at.is_(None))
    } == {old.id("i_a"), old.id("i_b")}
    assert await rows(store, t.votes, t.votes.c.session_id == old.id("vs_1")) == old_votes
    # the recent event is untouched: its pseudonyms, chat and questions
    recent_rows = {m.pseudonym for m in await rows(store, t.members, t.members.c.event_id == recent.event_id)}
    assert {ANNA, "Ben42", "Fatma"} <= recent_rows
    assert len(await rows(store, t.chat_messages, t.chat_messages.c.event_id == recent.event_id)) == 2
    assert len(await rows(store, t.questions, t.questions.c.event_id == recent.event_id)) == 2

    again = await store.purge(cutoff, NOW)
    assert [e.event_id for e in again.events] == [old.event_id] and not again.events[0].changed and again.sessions == 0
    assert await asyncio.to_thread(dump, store) == tables  # nothing changed the second time


async def test_a_dry_run_reports_the_same_and_changes_nothing(store: IdeaStore) -> None:
    old = await Scene.scene(store, "orga", "Alt")
    await backdate(store, old.event_id, T0)
    before = await asyncio.to_thread(dump, store)
    cutoff = NOW - timedelta(days=90)
    dry = await store.purge(cutoff, NOW, dry_run=True)
    assert await asyncio.to_thread(dump, store) == before
    real = await store.purge(cutoff, NOW)
    assert dry.dry_run and not real.dry_run
    assert [(e.event_id, e.members, e.messages, e.questions, e.audit_entries) for e in dry.events] == [
        (e.event_id, e.members, e.messages, e.questions, e.audit_entries) for e in real.events
    ]


async def test_an_event_whose_board_is_still_in_use_after_its_date_is_not_purged(store: IdeaStore) -> None:
    s = await Scene.scene(store, "orga", "Async")
    await backdate(store, s.event_id, T0)
    await store.add_message(Message(s.id("m_late"), s.plenary, s.ben.id, "Noch da", NOW - timedelta(days=3)))
    report = await store.purge(NOW - timedelta(days=90), NOW)
    assert report.events == []


async def test_purge_deletes_uploaded_idea_files_never_imported_once_their_day_is_over(store: IdeaStore) -> None:
    """Whatever the events' age: the files name their authors, and a file waits for its import 24 hours."""
    imports = ImportStore(store)
    s = await Scene.scene(store, "orga", "Neu")
    org, ev = s.organizer_id, s.event_id
    data = "Handlungsfeld;Idee;Autor\r\nMobilität;Ein Rufbus für die Teilorte;Annika Muster\r\n".encode()
    waiting = await imports.upload(org, ev, "ideen.csv", data, None)
    expired = await imports.upload(org, ev, "ideen-alt.csv", data, None)
    imported = await imports.upload(org, ev, "ideen-importiert.csv", data, None)
    report = await imports.dry_run(org, ev, imported)
    await imports.write(org, ev, imported, report.digest)
    now = utcnow()

    def expire() -> None:
        with store.engine.begin() as conn:
            conn.execute(
                t.idea_imports.update()
                .where(t.idea_imports.c.id.in_([expired, imported]))
                .values(expires_at=now - timedelta(minutes=1))
            )

    await asyncio.to_thread(expire)
    cutoff = now - timedelta(days=90)  # no event is that old

    before = await asyncio.to_thread(dump, store)
    assert (await store.purge(cutoff, now, dry_run=True)).uploads == 1
    assert await asyncio.to_thread(dump, store) == before
    purged = await store.purge(cutoff, now)
    assert purged.uploads == 1 and purged.events == []
    kept = {r.id: r for r in await rows(store, t.idea_imports)}
    assert set(kept) == {waiting, imported}
    assert kept[waiting].content == data  # its day is not over: the dry run can still read it
    assert kept[imported].content is None and kept[imported].ideas == 1  # the import emptied it; its record stays
    assert not mentions(await asyncio.to_thread(dump, store), "ideen-alt.csv")
    assert (await store.purge(cutoff, now)).uploads == 0


# -- the site's own pages --------------------------------------------------------------------------


async def test_site_texts_per_page_and_language(store: IdeaStore) -> None:
    org = await store.create_organizer("orga", "hash")
    assert await store.site_text(Page.ACCESSIBILITY, "de") is None
    await store.set_site_text(Page.ACCESSIBILITY, "de", "Erklärung der Stadt", org.id)
    await store.set_site_text(Page.ACCESSIBILITY, "de", "Erklärung der Stadt Aalen", org.id)
    await store.set_site_text(Page.PRIVACY, "en", "Our privacy", org.id)
    assert await store.site_text(Page.ACCESSIBILITY, "de") == "Erklärung der Stadt Aalen"
    assert await store.site_text(Page.ACCESSIBILITY, "en") is None and await store.site_text(Page.PRIVACY, "de") is None
    await store.set_site_text(Page.ACCESSIBILITY, "de", None, org.id)
    assert await store.site_text(Page.ACCESSIBILITY, "de") is None
