"""A room's space as the rules see it: a grid of tiles (walkable or not), its zones and spawn points.

Read from a Tiled map by ``rooms.space.tiled`` (docs/space.md says which layers and objects mean
what); the rest of ``rooms.space`` (collision, paths, movement, interest cells, bubbles) works on
this model only. Coordinates: a position is in pixels from the map's top-left corner (ints); a
tile is ``(column, row)``; a zone's rectangle is in pixels as Tiled stores it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

TILE = 32  # pixels: every map's tiles are 32 × 32 (the default maps' and WorkAdventure's size)


class ZoneKind(enum.StrEnum):
    TABLE = "table"  # everyone in it is in one conversation, whatever the distance (capacity ≤ 6)
    STAGE = "stage"  # whoever stands on it is heard and seen by the whole room
    BOARD = "board"  # a board wall: walking into it opens the board (property ``board``: its title)
    QUIET = "quiet"  # no conversation
    PRIVATE = "private"  # one conversation, not heard outside, at most ``capacity`` people
    SPAWN = "spawn"  # where people arrive
    WALL = "wall"  # not walkable (as a wall tile)


@dataclass(frozen=True, slots=True)
class Rect:
    """Pixels: ``x``, ``y`` the top-left corner, ``w``, ``h`` the size (a point object: w = h = 0)."""

    x: int
    y: int
    w: int
    h: int

    def contains(self, px: int, py: int) -> bool:
        return self.x <= px < self.x + max(self.w, 1) and self.y <= py < self.y + max(self.h, 1)


@dataclass(frozen=True, slots=True)
class Zone:
    id: str  # stable within the map: ``z<Tiled object id>``
    kind: ZoneKind
    name: str  # the object's name in Tiled, or "" (the list view then names it by kind and number)
    rect: Rect
    capacity: int | None = None  # tables and private zones (1–6); None for the rest
    board: str | None = None  # a board wall: the title of the board it opens (None: the room's first board)


@dataclass(frozen=True, slots=True)
class SpaceMap:
    """The rules' view of a map. ``blocked`` holds one byte per tile, row by row: 1 where nobody may stand."""

    width: int  # tiles
    height: int  # tiles
    blocked: bytes
    zones: tuple[Zone, ...]
    spawns: tuple[tuple[int, int], ...]  # walkable tiles where people arrive (at least one)

    @property
    def pixel_width(self) -> int:
        return self.width * TILE

    @property
    def pixel_height(self) -> int:
        return self.height * TILE

    def walkable(self, col: int, row: int) -> bool:
        return 0 <= col < self.width and 0 <= row < self.height and not self.blocked[row * self.width + col]

    def walkable_px(self, px: int, py: int) -> bool:
        return px >= 0 and py >= 0 and self.walkable(px // TILE, py // TILE)
