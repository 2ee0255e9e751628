"""The organizers' idea store on SQLite and PostgreSQL: search in German, filters, sorting and paging,
and curation (status, feedback, ratings, duplicates) with its history — each organizer only their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from boards import commands as c
from boards.actors import Actor, Role
from boards.curation import ReviewStatus
from boards.errors import Conflict, InvalidInput, NotFound
from boards.model import Phase
from boards.rules import apply, apply_vote, decide, decide_vote
from boards.voting import Scope, ScopeKind
from server.ids import token_hash
from server.live.views import record
from server.store.curation import IdeaFilter, Sort
from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


class Workshop:
    """An event of an organizer with one participant and one facilitator posting through the board rules."""

    def __init__(self, store: IdeaStore, organizer_id: str, event_id: str) -> None:
        self.store, self.organizer_id, self.event_id = store, organizer_id, event_id

    @classmethod
    async def make(cls, store: IdeaStore, organizer: str = "orga", title: str = "Werkstatt") -> Workshop:
        existing = await store.organizer_by_username(organizer)
        org = existing or await store.create_organizer(organizer, "hash")
        event = await store.create_event(
            org.id,
            title=title,
            description="",
            date=date(2026, 5, 6),
            language="de",
            field_names=("Mobilität", "Umwelt"),
        )
        self = cls(store, org.id, event.id)
        self.anna = await store.create_member(event.id, Role.PARTICIPANT, "Anna", "blue", token_hash(event.id + "a"))
        self.fac = await store.create_member(event.id, Role.FACILITATOR, "Fatma", "red", token_hash(event.id + "f"))
        [board_id] = await store.board_ids((await store.plenary(event.id)).id)
        self.board = await store.load_board(board_id)
        return self

    def column(self, name: str) -> str:
        return next(col.id for col in self.board.columns if col.name == name)

    async def run(self, actor: Actor, command: object) -> None:
        events = decide(self.board, actor, command)  # type: ignore[arg-type]
        authors = {self.anna.id: self.anna, self.fac.id: self.fac}
        await self.store.commit_board_events(self.board, events, [record(self.board, e, authors) for e in events])
        for event in events:
            apply(self.board, event)

    async def post(self, idea_id: str, text: str, field: str = "Mobilität", at: int = 0, **kw: object) -> None:
        a = Actor(self.anna.id, self.anna.role)
        await self.run(a, c.PostIdea(idea_id, self.column(field), text, T0 + timedelta(minutes=at), **kw))  # type: ignore[arg-type]

    async def vote(self, session_id: str, dots: list[str], *, blind: bool, reveal: bool | None) -> None:
        f = Actor(self.fac.id, self.fac.role)
        if self.board.settings.phase is not Phase.VOTE:
            await self.run(f, c.SetPhase(Phase.VOTE, T0))
        await self.run(f, c.OpenVote(session_id, T0, budget=5, cap=5, blind=blind, scope=Scope(ScopeKind.BOARD, ())))
        cast = []
        for idea in dots:
            event = decide_vote(self.board, Actor(self.anna.id, self.anna.role), c.CastDot(session_id, idea, T0))
            apply_vote(self.board, event)
            cast.append(event)
        await self.store.commit_dots(cast, budget=5, cap=5)
        if reveal is not None:
            await self.run(f, c.CloseVote(session_id, T0, reveal=reveal))


def ids(page: object) -> list[str]:
    return [i.id for i in page.items]  # type: ignore[attr-defined]


async def test_search_finds_german_word_forms_in_title_and_text(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    await w.post("i_rad", "Mehr sichere Radwege in der Innenstadt")
    await w.post("i_baum", "Einen Baum pflanzen für jedes Kind", field="Umwelt", at=1)
    await w.post("i_bus", "Busse am Sonntag", title="Straßen ohne Autos", at=2)
    find = lambda q: store.list_ideas(w.organizer_id, IdeaFilter(query=q))  # noqa: E731
    assert ids(await find("Radweg")) == ["i_rad"]  # the singular finds the plural
    assert ids(await find("Bäume")) == ["i_baum"]  # the plural with umlaut finds the singular
    assert ids(await find("straße")) == ["i_bus"]  # the title counts; ß and case do not matter
    assert ids(await find("sicherer Radwegen")) == ["i_rad"]  # every word, each in any form
    assert ids(await find("Radweg Baum")) == []
    assert ids(await find('"); DROP TABLE ideas; --')) == []  # typed text is never query syntax
    assert (await find("  ")).total == 3  # no words: no search
    await w.run(Actor(w.anna.id, w.anna.role), c.EditIdea("i_bus", T0, text="Straßenbahn bis zum Bahnhof"))
    assert ids(await find("Bahnhöfe")) == ["i_bus"]  # the index follows edits


async def test_filters_sorting_and_paging(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    for n in range(7):
        await w.post(
            f"i_{n}",
            f"Idee {n}",
            field="Umwelt" if n % 2 else "Mobilität",
            at=n,
            tags=("Kinder", "Bürger_100%") if n < 2 else ("Kinder2",),
        )
    everything = await store.list_ideas(w.organizer_id, IdeaFilter(per_page=3))
    assert everything.total == 7 and everything.pages == 3
    assert ids(everything) == ["i_6", "i_5", "i_4"]  # newest first
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(per_page=3, page=3))) == ["i_0"]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(sort=Sort.OLDEST, per_page=2))) == ["i_0", "i_1"]
    umwelt = await store.list_ideas(w.organizer_id, IdeaFilter(field_names=("Umwelt",)))
    assert sorted(ids(umwelt)) == ["i_1", "i_3", "i_5"]
    assert sorted(ids(await store.list_ideas(w.organizer_id, IdeaFilter(tag="Kinder")))) == ["i_0", "i_1"]
    assert sorted(ids(await store.list_ideas(w.organizer_id, IdeaFilter(tag="Bürger_100%")))) == ["i_0", "i_1"]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(tag="Bürger_1000"))) == []
    assert await store.tags_in_use(w.organizer_id) == ["Bürger_100%", "Kinder", "Kinder2"]
    await w.run(Actor(w.anna.id, w.anna.role), c.EditIdea("i_1", T0, tags=("Klima",)))  # the filter follows edits
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(tag="Kinder"))) == ["i_0"]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(tag="Klima"))) == ["i_1"]
    await w.run(Actor(w.anna.id, w.anna.role), c.DeleteIdea("i_1", T0))  # a deleted idea's tags are offered no more
    assert "Klima" not in await store.tags_in_use(w.organizer_id)
    assert await store.field_names_in_use(w.organizer_id) == ["Mobilität", "Umwelt"]
    await store.set_review_status(w.organizer_id, ["i_2", "i_3"], ReviewStatus.SHORTLISTED)
    shortlisted = await store.list_ideas(w.organizer_id, IdeaFilter(statuses=(ReviewStatus.SHORTLISTED,)))
    assert sorted(ids(shortlisted)) == ["i_2", "i_3"]


async def test_sorting_by_votes_counts_only_dots_everyone_may_see(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    for n in range(4):
        await w.post(f"i_{n}", f"Idee {n}", at=n)
    by_votes = lambda **kw: store.list_ideas(w.organizer_id, IdeaFilter(sort=Sort.VOTES, **kw))  # noqa: E731
    await w.vote("vs_1", ["i_0", "i_0", "i_1"], blind=False, reveal=None)  # open, not blind: seen live
    page = await by_votes()
    assert [(i.id, i.dots) for i in page.items] == [("i_0", 2), ("i_1", 1), ("i_3", 0), ("i_2", 0)]
    await w.run(Actor(w.fac.id, w.fac.role), c.CloseVote("vs_1", T0, reveal=True))
    await w.vote("vs_2", ["i_2", "i_2", "i_2"], blind=True, reveal=False)  # blind and closed, not revealed
    page = await by_votes()
    assert [(i.id, i.dots) for i in page.items] == [("i_0", 2), ("i_1", 1), ("i_3", 0), ("i_2", 0)]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(vote_round=2))) == []
    await w.run(Actor(w.fac.id, w.fac.role), c.RevealVote("vs_2", T0))
    page = await by_votes()
    assert [(i.id, i.dots) for i in page.items] == [("i_2", 3), ("i_0", 2), ("i_1", 1), ("i_3", 0)]
    # pages run on from the ideas with dots into those without
    assert [ids(await by_votes(per_page=k, page=p)) for k, p in ((2, 1), (2, 2), (3, 2), (2, 3))] == [
        ["i_2", "i_0"],
        ["i_1", "i_3"],
        ["i_3"],
        [],
    ]
    assert ids(await by_votes(query="Idee", per_page=2, page=2)) == ["i_1", "i_3"]  # searching too
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(vote_round=2))) == ["i_2"]
    assert ids(await by_votes(vote_round=1)) == ["i_0", "i_1"]  # the round's filter and the sort in one statement
    detail = await store.idea(w.organizer_id, "i_0")
    assert detail.dots_by_round == [(1, 2)]


async def test_curation_is_recorded_and_scored(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    await w.post("i_a", "Radweg am Kocher")
    await w.post("i_b", "Radweg entlang des Kochers", at=1)
    criteria = await store.set_criteria(w.organizer_id, [("Wirkung", 2), ("Machbarkeit", 1)])
    impact, feasible = (cr.id for cr in criteria)
    assert await store.rate(w.organizer_id, "i_a", {impact: 5, feasible: 2}) == pytest.approx(4.0)
    assert await store.set_review_status(w.organizer_id, ["i_a"], ReviewStatus.UNDER_REVIEW) == 1
    assert await store.set_review_status(w.organizer_id, ["i_a"], ReviewStatus.UNDER_REVIEW) == 0
    await store.set_feedback(w.organizer_id, "i_a", "  Wird 2027 geprüft.\r\nDanke!  ")
    await store.mark_duplicate(w.organizer_id, "i_b", "i_a")
    detail = await store.idea(w.organizer_id, "i_a")
    assert detail.summary.feedback == "Wird 2027 geprüft.\nDanke!"
    assert detail.summary.review_status is ReviewStatus.UNDER_REVIEW and detail.summary.score == pytest.approx(4.0)
    assert detail.ratings == {impact: 5, feasible: 2}
    assert detail.duplicates == [("i_b", "Radweg entlang des Kochers")]
    assert [(h.actor, h.action) for h in detail.history] == [
        ("orga", "rating"),
        ("orga", "status"),
        ("orga", "feedback"),
    ]
    assert detail.history[1].details == {"from": "new", "to": "under_review"}
    assert detail.provenance.room_kind == "plenary" and detail.provenance.phase == "collect"
    assert detail.summary.author == "Anna"
    # a duplicate leaves the list unless asked for
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter())) == ["i_a"]
    assert len(ids(await store.list_ideas(w.organizer_id, IdeaFilter(include_duplicates=True)))) == 2
    # dropping a criterion drops it from the score
    await store.set_criteria(w.organizer_id, [("Machbarkeit", 1)])
    assert (await store.idea(w.organizer_id, "i_a")).summary.score == pytest.approx(2.0)


async def test_bad_curation_changes_nothing(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    other = await Workshop.make(store, organizer="andere", title="Fremd")
    await w.post("i_a", "Radweg")
    await other.post("i_x", "Fremde Idee")
    with pytest.raises(NotFound):  # all or nothing: one foreign idea refuses the whole change
        await store.set_review_status(w.organizer_id, ["i_a", "i_x"], ReviewStatus.DONE)
    with pytest.raises(NotFound):
        await store.idea(w.organizer_id, "i_x")
    with pytest.raises(NotFound):
        await store.mark_duplicate(w.organizer_id, "i_a", "i_x")
    with pytest.raises(InvalidInput):
        await store.set_feedback(w.organizer_id, "i_a", "x" * 4001)
    with pytest.raises(InvalidInput):
        await store.set_feedback(w.organizer_id, "i_a", "Bell\x07")
    [crit] = await store.set_criteria(w.organizer_id, [("Kosten", 1)])
    for bad in ({crit.id: 0}, {crit.id: 6}, {crit.id: True}, {"crit_unknown": 3}):
        with pytest.raises(InvalidInput):
            await store.rate(w.organizer_id, "i_a", bad)
    with pytest.raises(InvalidInput):
        await store.set_criteria(w.organizer_id, [("Kosten", 1), ("kosten", 2)])
    with pytest.raises(Conflict):
        await store.mark_duplicate(w.organizer_id, "i_a", "i_a")
    detail = await store.idea(w.organizer_id, "i_a")
    assert detail.summary.review_status is ReviewStatus.NEW and detail.summary.feedback == ""
    assert detail.summary.score is None and detail.history == []
    assert ids(await other.store.list_ideas(other.organizer_id, IdeaFilter())) == ["i_x"]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(event_ids=(other.event_id,)))) == []


async def test_stop_words_are_no_search_on_either_database(store: IdeaStore) -> None:
    """PostgreSQL's german configuration leaves out "und", "die" …; SQLite's query does too."""
    w = await Workshop.make(store)
    await w.post("i_rad", "Die Radwege und die Busse")
    await w.post("i_baum", "Bäume für die Innenstadt", at=1)
    find = lambda q: store.list_ideas(w.organizer_id, IdeaFilter(query=q))  # noqa: E731
    assert ids(await find("die Radwege")) == ["i_rad"]  # as "Radwege"
    assert ids(await find("Radwege unter den Bäumen")) == []  # every word but the stop words
    assert (await find("und die")).total == 2  # stop words alone: no search, every idea
