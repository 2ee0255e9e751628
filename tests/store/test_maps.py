"""Stored maps on SQLite and PostgreSQL: an organizer's uploaded maps, the event's choice of maps,
which map each room uses, and that nobody reaches another organizer's maps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from boards.errors import Conflict, NotFound
from rooms.space.maps import builtin
from rooms.space.tiled import LoadedMap, load_map
from server.store import tables as t
from server.store.breakouts import Room
from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from server.store.maps import MAX_MAPS
from tests.domain.test_tiled import PNG, good_map


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


@dataclass
class Setup:
    organizer: str
    event: str
    plenary: Room
    breakout: Room


async def setup(store: IdeaStore, name: str = "orga") -> Setup:
    org = await store.create_organizer(name, "hash")
    event = await store.create_event(
        org.id, title=f"Werkstatt {name}", description="", date=date(2026, 5, 6), language="de", field_names=("A",)
    )
    plenary = await store.plenary(event.id)
    breakout_id = f"room_{name}"
    with store.engine.begin() as conn:
        conn.execute(t.rooms.insert().values(id=breakout_id, event_id=event.id, kind="breakout", name="Raum 1"))
    return Setup(org.id, event.id, plenary, await store.room(breakout_id))


def uploaded() -> LoadedMap:
    return load_map(json.dumps(good_map()).encode(), {"tiles.png": PNG})


async def test_a_room_uses_the_builtin_map_until_the_event_chooses_one(store: IdeaStore) -> None:
    s = await setup(store)
    plenary, breakout = await store.room_map(s.plenary), await store.room_map(s.breakout)
    assert (plenary.id, plenary.url) == ("builtin:plenary", "/maps/builtin/plenary.tmj")
    assert plenary.loaded is builtin("plenary") and breakout.loaded is builtin("breakout")
    assert breakout.url == "/maps/builtin/breakout.tmj"

    stored = await store.save_map(s.organizer, "  Unser   Saal ", uploaded(), {"tiles.png": PNG, "extra.png": PNG})
    assert stored.name == "Unser Saal" and stored.url == f"/maps/{stored.id}/map.tmj"
    await store.set_event_maps(s.organizer, s.event, stored.id, None)
    assert (await store.event_maps(s.event)).plenary == stored.id
    chosen = await store.room_map(s.plenary)
    assert chosen.id == stored.id and chosen.loaded.space == uploaded().space
    assert (await store.room_map(s.breakout)).id == "builtin:breakout"

    await store.set_event_maps(s.organizer, s.event, None, stored.id)
    assert (await store.room_map(s.plenary)).id == "builtin:plenary"
    assert (await store.room_map(s.breakout)).id == stored.id

    # a room's own map wins over the event's
    own = await store.save_map(s.organizer, "Klein", uploaded(), {"tiles.png": PNG})
    await store.set_room_map(s.organizer, s.breakout.id, own.id)
    assert (await store.room_map(s.breakout)).id == own.id
    await store.set_room_map(s.organizer, s.breakout.id, None)
    assert (await store.room_map(s.breakout)).id == stored.id


async def test_a_stored_map_reads_back_the_same_in_a_fresh_process(store: IdeaStore) -> None:
    s = await setup(store)
    loaded = uploaded()
    stored = await store.save_map(s.organizer, "Saal", loaded, {"tiles.png": PNG, "unused.png": b"x"})
    await store.set_event_maps(s.organizer, s.event, stored.id, stored.id)
    fresh = IdeaStore(store.engine)  # no map cached
    try:
        again = await fresh.room_map(s.plenary)
        assert again.loaded.space == loaded.space and again.loaded.client == loaded.client
        assert json.loads(await fresh.map_client(stored.id)) == loaded.client
        assert await fresh.map_file(stored.id, "tiles.png") == (PNG, "image/png")
        with pytest.raises(NotFound):
            await fresh.map_file(stored.id, "unused.png")  # only the images the map names are kept
    finally:
        await fresh.close()


async def test_the_maps_page_lists_the_organizers_maps_with_the_events_using_them(store: IdeaStore) -> None:
    s = await setup(store)
    other = await setup(store, "other")
    first = await store.save_map(s.organizer, "Erste", uploaded(), {"tiles.png": PNG})
    second = await store.save_map(s.organizer, "Zweite", uploaded(), {"tiles.png": PNG})
    await store.save_map(other.organizer, "Fremde", uploaded(), {"tiles.png": PNG})
    await store.set_event_maps(s.organizer, s.event, first.id, None)
    maps = await store.maps_of(s.organizer)
    assert {m.id for m in maps} == {first.id, second.id}
    by_id = {m.id: m for m in maps}
    assert by_id[first.id].used_by == ("Werkstatt orga",) and by_id[second.id].used_by == ()
    assert (by_id[first.id].width, by_id[first.id].height, by_id[first.id].zones) == (10, 8, 4)


async def test_deleting_a_map_sends_its_events_back_to_the_builtin_maps(store: IdeaStore) -> None:
    s = await setup(store)
    stored = await store.save_map(s.organizer, "Saal", uploaded(), {"tiles.png": PNG})
    await store.set_event_maps(s.organizer, s.event, stored.id, stored.id)
    await store.set_room_map(s.organizer, s.breakout.id, stored.id)
    assert (await store.room_map(s.plenary)).id == stored.id
    await store.delete_map(s.organizer, stored.id)
    assert (await store.room_map(s.plenary)).id == "builtin:plenary"
    assert (await store.room_map(s.breakout)).id == "builtin:breakout"
    assert await store.event_maps(s.event) == type(await store.event_maps(s.event))(None, None)
    assert await store.maps_of(s.organizer) == []
    with pytest.raises(NotFound):
        await store.map_client(stored.id)
    with pytest.raises(NotFound):
        await store.map_file(stored.id, "tiles.png")
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.map_files)).scalar_one() == 0


async def test_nobody_reaches_another_organizers_maps_or_events(store: IdeaStore) -> None:
    mine = await setup(store)
    theirs = await setup(store, "other")
    my_map = await store.save_map(mine.organizer, "Meine", uploaded(), {"tiles.png": PNG})
    with pytest.raises(NotFound) as caught:
        await store.set_event_maps(theirs.organizer, theirs.event, my_map.id, None)
    assert caught.value.code == "no_such_map"
    with pytest.raises(NotFound):
        await store.set_event_maps(theirs.organizer, mine.event, None, None)  # not their event
    with pytest.raises(NotFound):
        await store.set_room_map(theirs.organizer, theirs.breakout.id, my_map.id)
    with pytest.raises(NotFound):
        await store.set_room_map(theirs.organizer, mine.breakout.id, None)
    with pytest.raises(NotFound):
        await store.delete_map(theirs.organizer, my_map.id)
    with pytest.raises(NotFound):
        await store.set_event_maps(mine.organizer, mine.event, "map_nonexistent", None)
    # nothing changed
    assert await store.maps_of(theirs.organizer) == []
    assert (await store.event_maps(theirs.event)).plenary is None
    assert (await store.room_map(theirs.plenary)).id == "builtin:plenary"
    assert [m.id for m in await store.maps_of(mine.organizer)] == [my_map.id]


async def test_an_organizer_keeps_at_most_fifty_maps(store: IdeaStore) -> None:
    s = await setup(store)
    loaded = uploaded()
    for n in range(MAX_MAPS):
        await store.save_map(s.organizer, f"Karte {n}", loaded, {"tiles.png": PNG})
    with pytest.raises(Conflict) as caught:
        await store.save_map(s.organizer, "Eine zu viel", loaded, {"tiles.png": PNG})
    assert caught.value.code == "too_many_maps"
    assert len(await store.maps_of(s.organizer)) == MAX_MAPS
