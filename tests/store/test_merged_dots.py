"""Dots of merged ideas on SQLite and PostgreSQL: the idea store counts them for the idea they were
merged into (following merges of merges), as the board's reveal does (``boards.voting.rank``) — in
the console's list, its sort and filter by votes, the idea's page, both exports and the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from boards import commands as c
from boards.actors import Actor
from server.store.curation import IdeaFilter, Sort
from server.store.db import create_engine, migrate
from server.store.exports.records import ExportKind
from server.store.idea_store import IdeaStore
from tests.store.test_curation import T0, Workshop, ids


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:  # as every store test's (tests/store/*)
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


async def dots_everywhere(store: IdeaStore, w: Workshop) -> dict[str, object]:
    """Every idea's dots as each place shows them."""
    page = await store.list_ideas(w.organizer_id, IdeaFilter())
    internal = await store.export(w.organizer_id, [w.event_id], ExportKind.INTERNAL)
    public = await store.export(w.organizer_id, [w.event_id], ExportKind.OPEN)
    numbers = await store.event_numbers(w.event_id)
    return {
        "list": {i.id: i.dots for i in page.items},
        "internal": {i.id: i.dots_by_round for i in internal.ideas},
        "open": {i.id: i.dots_by_round for i in public.ideas},
        "dashboard": [[(r.idea_id, r.dots) for r in vote_round.top] for vote_round in numbers.rounds],
    }


async def test_a_blind_vote_revealed_after_a_merge_counts_the_merged_dots_for_the_target(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    await w.post("i_a", "Radweg am Kocher")
    await w.post("i_b", "Radweg entlang des Kochers", at=1)
    await w.vote("vs_1", ["i_a", "i_b", "i_b"], blind=True, reveal=False)
    fac = Actor(w.fac.id, w.fac.role)
    await w.run(fac, c.MergeIdeas("i_a", ("i_b",), T0))
    assert await dots_everywhere(store, w) == {  # not revealed: nobody sees a dot
        "list": {"i_a": 0},
        "internal": {"i_a": ()},
        "open": {"i_a": ()},
        "dashboard": [],
    }
    await w.run(fac, c.RevealVote("vs_1", T0))
    [result] = w.board.sessions["vs_1"].results or ()
    assert (result.idea_id, result.dots) == ("i_a", 3)  # the board's reveal
    assert await dots_everywhere(store, w) == {
        "list": {"i_a": 3},
        "internal": {"i_a": ((1, 3),)},
        "open": {"i_a": ((1, 3),)},
        "dashboard": [[("i_a", 3)]],
    }
    assert (await store.idea(w.organizer_id, "i_a")).dots_by_round == [(1, 3)]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(vote_round=1))) == ["i_a"]


async def test_merges_of_merges_count_for_the_last_target_and_sort_it(store: IdeaStore) -> None:
    w = await Workshop.make(store)
    for n, name in enumerate(("a", "b", "c", "d", "h", "e")):
        await w.post(f"i_{name}", f"Idee {name}", at=n)
    await w.vote("vs_1", ["i_a", "i_b", "i_c", "i_c", "i_h"], blind=False, reveal=True)
    await w.vote("vs_2", ["i_d", "i_d", "i_d"], blind=False, reveal=True)
    fac = Actor(w.fac.id, w.fac.role)
    await w.run(fac, c.MergeIdeas("i_b", ("i_c",), T0))
    await w.run(fac, c.MergeIdeas("i_a", ("i_b",), T0))
    await w.run(fac, c.ModerateIdea("i_h", "hide", T0))
    seen = await dots_everywhere(store, w)
    assert seen["list"] == {"i_a": 4, "i_d": 3, "i_h": 1, "i_e": 0}
    assert seen["internal"] == {"i_a": ((1, 4),), "i_d": ((2, 3),), "i_h": ((1, 1),), "i_e": ()}
    assert seen["open"] == {"i_a": ((1, 4),), "i_d": ((2, 3),), "i_e": ()}  # hidden ideas are not public
    # the dashboard shows what the board revealed: merged ones in their target, no hidden ones
    assert seen["dashboard"] == [[("i_a", 4)], [("i_d", 3)]]
    assert [r.total_dots for r in (await store.event_numbers(w.event_id)).rounds] == [5, 3]
    by_votes = await store.list_ideas(w.organizer_id, IdeaFilter(sort=Sort.VOTES))
    assert ids(by_votes) == ["i_a", "i_d", "i_h", "i_e"]  # 4 of A's own 1 and its merged ones' 3 put it first
    second = await store.list_ideas(w.organizer_id, IdeaFilter(sort=Sort.VOTES, per_page=2, page=2))
    assert ids(second) == ["i_h", "i_e"]
    assert (await store.idea(w.organizer_id, "i_a")).dots_by_round == [(1, 4)]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(vote_round=1))) == ["i_h", "i_a"]
    assert ids(await store.list_ideas(w.organizer_id, IdeaFilter(vote_round=2))) == ["i_d"]
