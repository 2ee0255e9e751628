"""The space's maps in the idea store: the maps organizers upload, and which map each room uses.

A stored map is what ``rooms.space.tiled.load_map`` made of an upload: the browser's copy as JSON
(``maps.client``) and the tileset images it names (``map_files``). A map is never changed once
stored (an organizer uploads a new one), so a map read once is kept in memory by its id.

Which map a room uses (``room_map``): the room's own (``rooms.map_id``), else its event's for the
room's kind (``events.plenary_map`` / ``events.breakout_map``), else the built-in one
(``rooms.space.maps``). Deleting a map clears those references: the rooms fall back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import orjson
import sqlalchemy as sa

from boards.errors import Conflict, NotFound
from rooms.space.maps import builtin
from rooms.space.tiled import LoadedMap, load_map
from server.ids import new_id, utcnow
from server.store import tables as t
from server.store.boards import BoardStore, in_thread, reading
from server.store.breakouts import Room

MAX_MAPS = 50  # per organizer
MAX_NAME = 100
PNG = "image/png"
KINDS = ("plenary", "breakout")
CACHED = 32  # maps kept in memory per process


@dataclass(frozen=True, slots=True)
class StoredMap:
    id: str  # a maps.id, or "builtin:<name>" for a shipped map
    name: str
    loaded: LoadedMap
    url: str  # same-origin URL of the client .tmj; its images lie next to it


@dataclass(frozen=True, slots=True)
class MapSummary:
    """A map on the organizer's maps page."""

    id: str
    name: str
    width: int  # tiles
    height: int
    zones: int
    created_at: datetime
    used_by: tuple[str, ...]  # titles of the organizer's events that use it


@dataclass(frozen=True, slots=True)
class EventMaps:
    plenary: str | None  # a maps.id; None: the built-in map
    breakout: str | None


def builtin_map(kind: str) -> StoredMap:
    name = "plenary" if kind == "plenary" else "breakout"
    return StoredMap(f"builtin:{name}", name, builtin(name), f"/maps/builtin/{name}.tmj")


def map_url(map_id: str) -> str:
    return f"/maps/{map_id}/map.tmj"


class MapStore(BoardStore):
    """Maps of the space; ``IdeaStore`` inherits it."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self._maps: OrderedDict[str, StoredMap] = OrderedDict()  # by id, the most recently used last
        self._maps_lock = threading.Lock()  # the store's threads share it

    def _cached_map(self, map_id: str) -> StoredMap | None:
        with self._maps_lock:
            found = self._maps.get(map_id)
            if found is not None:
                self._maps.move_to_end(map_id)
            return found

    def _cache_map(self, stored: StoredMap) -> None:
        with self._maps_lock:
            self._maps[stored.id] = stored
            while len(self._maps) > CACHED:
                self._maps.popitem(last=False)

    def _forget_map(self, map_id: str) -> None:
        with self._maps_lock:
            self._maps.pop(map_id, None)

    @in_thread
    def save_map(self, organizer_id: str, name: str, loaded: LoadedMap, files: Mapping[str, bytes]) -> StoredMap:
        """Store a map ``load_map`` accepted, with the images its client copy names (taken from ``files``)."""
        name = " ".join(name.split())[:MAX_NAME] or "Map"
        images = {image: files[image] for image in loaded.images}
        map_id = new_id("map")
        with self.engine.begin() as conn:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(t.maps).where(t.maps.c.organizer_id == organizer_id)
            ).scalar_one()
            if count >= MAX_MAPS:
                raise Conflict(f"You have {MAX_MAPS} maps already: delete one first.", code="too_many_maps")
            conn.execute(
                t.maps.insert().values(
                    id=map_id,
                    organizer_id=organizer_id,
                    name=name,
                    client=orjson.dumps(loaded.client).decode(),
                    created_at=utcnow(),
                )
            )
            for image, content in images.items():
                conn.execute(t.map_files.insert().values(map_id=map_id, name=image, content=content, media_type=PNG))
        stored = StoredMap(map_id, name, loaded, map_url(map_id))
        self._cache_map(stored)
        return stored

    @reading
    def maps_of(self, organizer_id: str) -> list[MapSummary]:
        """The organizer's maps, newest first, with the events that use each."""
        m, e = t.maps, t.events
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(m.c.id, m.c.name, m.c.client, m.c.created_at)
                .where(m.c.organizer_id == organizer_id)
                .order_by(m.c.created_at.desc(), m.c.id)
            ).all()
            events = conn.execute(
                sa.select(e.c.title, e.c.plenary_map, e.c.breakout_map)
                .where(e.c.organizer_id == organizer_id)
                .order_by(e.c.title)
            ).all()
        summaries = []
        for row in rows:
            client = orjson.loads(row.client)
            zones = sum(len(layer["objects"]) for layer in client["layers"] if layer["type"] == "objectgroup")
            used = tuple(ev.title for ev in events if row.id in (ev.plenary_map, ev.breakout_map))
            summaries.append(
                MapSummary(row.id, row.name, client["width"], client["height"], zones, row.created_at, used)
            )
        return summaries

    @in_thread
    def delete_map(self, organizer_id: str, map_id: str) -> None:
        """Delete one of the organizer's maps; events and rooms that used it go back to the built-in maps."""
        with self.engine.begin() as conn:
            _own_map(conn, organizer_id, map_id)
            e, r = t.events, t.rooms
            conn.execute(e.update().where(e.c.plenary_map == map_id).values(plenary_map=None))
            conn.execute(e.update().where(e.c.breakout_map == map_id).values(breakout_map=None))
            conn.execute(r.update().where(r.c.map_id == map_id).values(map_id=None))
            conn.execute(t.map_files.delete().where(t.map_files.c.map_id == map_id))
            conn.execute(t.maps.delete().where(t.maps.c.id == map_id))
        self._forget_map(map_id)

    @reading
    def event_maps(self, event_id: str) -> EventMaps:
        e = t.events
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(e.c.plenary_map, e.c.breakout_map).where(e.c.id == event_id)).first()
        if row is None:
            raise NotFound("No such event.")
        return EventMaps(row.plenary_map, row.breakout_map)

    @in_thread
    def set_event_maps(self, organizer_id: str, event_id: str, plenary: str | None, breakout: str | None) -> None:
        """Choose the event's plenary map and its breakout rooms' map (None: the built-in one).

        Only the organizer's own event and their own maps (NotFound otherwise, nothing changed)."""
        e = t.events
        with self.engine.begin() as conn:
            owner = conn.execute(sa.select(e.c.organizer_id).where(e.c.id == event_id)).scalar_one_or_none()
            if owner != organizer_id:
                raise NotFound("No such event.")
            for map_id in {plenary, breakout} - {None}:
                assert map_id is not None
                _own_map(conn, organizer_id, map_id)
            conn.execute(e.update().where(e.c.id == event_id).values(plenary_map=plenary, breakout_map=breakout))

    @in_thread
    def set_room_map(self, organizer_id: str, room_id: str, map_id: str | None) -> None:
        """Give one room of the organizer's event its own map (None: the event's map for its kind)."""
        r, e = t.rooms, t.events
        with self.engine.begin() as conn:
            owner = conn.execute(
                sa.select(e.c.organizer_id).join(r, r.c.event_id == e.c.id).where(r.c.id == room_id)
            ).scalar_one_or_none()
            if owner != organizer_id:
                raise NotFound("No such room.")
            if map_id is not None:
                _own_map(conn, organizer_id, map_id)
            conn.execute(r.update().where(r.c.id == room_id).values(map_id=map_id))

    @reading
    def room_map(self, room: Room) -> StoredMap:
        """The map the room uses: its own, else its event's for its kind, else the built-in one."""
        r, e = t.rooms, t.events
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(r.c.map_id, e.c.plenary_map, e.c.breakout_map)
                .join(e, e.c.id == r.c.event_id)
                .where(r.c.id == room.id)
            ).first()
            if row is None:
                raise NotFound(f"There is no room {room.id!r}.", code="no_such_room")
            map_id = row.map_id or (row.plenary_map if room.kind == "plenary" else row.breakout_map)
            if map_id is None:
                return builtin_map(room.kind)
            cached = self._cached_map(map_id)
            if cached is not None:
                return cached
            stored = _read_map(conn, map_id)
        if stored is None:  # deleted between the two reads: the built-in one
            return builtin_map(room.kind)
        self._cache_map(stored)
        return stored

    @reading
    def map_client(self, map_id: str) -> bytes:
        """The client .tmj of a stored map, as JSON bytes (NotFound if there is none)."""
        with self.engine.connect() as conn:
            client = conn.execute(sa.select(t.maps.c.client).where(t.maps.c.id == map_id)).scalar_one_or_none()
        if client is None:
            raise NotFound("No such map.")
        return str(client).encode()

    @reading
    def map_file(self, map_id: str, name: str) -> tuple[bytes, str]:
        """A stored map's file by name: its content and media type (NotFound if there is none)."""
        f = t.map_files
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(f.c.content, f.c.media_type).where(f.c.map_id == map_id, f.c.name == name)
            ).first()
        if row is None:
            raise NotFound("No such map file.")
        return bytes(row.content), row.media_type


def _own_map(conn: sa.Connection, organizer_id: str, map_id: str) -> None:
    owner = conn.execute(sa.select(t.maps.c.organizer_id).where(t.maps.c.id == map_id)).scalar_one_or_none()
    if owner != organizer_id:
        raise NotFound("No such map.", code="no_such_map")


def _read_map(conn: sa.Connection, map_id: str) -> StoredMap | None:
    row = conn.execute(sa.select(t.maps.c.name, t.maps.c.client).where(t.maps.c.id == map_id)).first()
    if row is None:
        return None
    files = {
        f.name: bytes(f.content)
        for f in conn.execute(
            sa.select(t.map_files.c.name, t.map_files.c.content).where(t.map_files.c.map_id == map_id)
        )
    }
    # the stored copy is what load_map made: reading it again gives the same map (tests/store/test_maps.py)
    return StoredMap(map_id, row.name, load_map(str(row.client).encode(), files), map_url(map_id))
