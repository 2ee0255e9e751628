"""The dashboard's numbers on SQLite and PostgreSQL: who joined when, ideas per field of action,
and each vote round's top ideas by the dots everyone may see."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from tests.console_town import AALEN_FIELDS, EVENING, seed_town


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


async def test_event_numbers(store: IdeaStore) -> None:
    organizer = await store.create_organizer("orga", "hash")
    town = await seed_town(store, organizer.id)
    numbers = await store.event_numbers(town.aalen.event_id)
    assert len(numbers.joined) == 7 and numbers.joined == sorted(numbers.joined)
    assert numbers.joined[0] == EVENING.replace(minute=5)  # 25 minutes before the start
    assert numbers.ideas_per_field == list(zip(AALEN_FIELDS, (3, 2, 2, 2), strict=True))
    assert numbers.ideas == 9
    [vote_round] = numbers.rounds
    assert (vote_round.round, vote_round.room_kind, vote_round.total_dots) == (1, "plenary", 9)
    assert (vote_round.top[0].label, vote_round.top[0].dots) == ("Mehr Radwege", 3)
    assert {(r.label, r.dots) for r in vote_round.top[1:]} == {
        ("Anträge online stellen", 2),
        ("Bäume mit Sensoren gießen", 2),
        ("Tablets für alle Schulen", 2),
    }
    # the other event: no vote yet, fields of its own
    other = await store.event_numbers(town.heidenheim.event_id)
    assert other.rounds == [] and other.ideas == 4 and len(other.joined) == 3
