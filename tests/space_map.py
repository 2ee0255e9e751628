"""A small map for the space's tests, built in code (no Tiled file): 40 × 30 tiles (1280 × 960 px, 4 × 3 cells).

    col  0 ………… 19 | 20 | 21 ……… 29  30 ……… 33  34 ……… 37
                  |wall|  quiet "by the wall" (cols 21–23, rows 2–4)
                  |    |               private (cap 2, rows 2–5)
                  |    |               table (cap 6, rows 10–13)
                  |    |                            quiet "far" (rows 20–23)
                  |    |  stage (cols 24–29, rows 25–27)
    the wall at column 20 runs from row 0 to row 24; below it (rows 25–29) one walks around.

A board zone "Pinnwand" (cols 8–9, rows 14–15) is a landmark in an open square (cols 3–15, rows 9–24) with no
spawn point in it. Spawn points: every third tile (columns and rows 1, 4, 7 …) outside the open square and at
least 3 tiles from the wall and 4 from every zone.
"""

from __future__ import annotations

from rooms.space.model import TILE, Rect, SpaceMap, Zone, ZoneKind
from server.live.space import RoomMap
from server.store.idea_store import Room

WIDTH, HEIGHT = 40, 30
WALL_COL, WALL_ROWS = 20, range(0, 25)


def _zone(zone_id: str, kind: ZoneKind, name: str, col: int, row: int, cols: int, rows: int, **kw: int) -> Zone:
    return Zone(zone_id, kind, name, Rect(col * TILE, row * TILE, cols * TILE, rows * TILE), **kw)  # type: ignore[arg-type]


ZONES = (
    _zone("z1", ZoneKind.QUIET, "By the wall", 21, 2, 3, 3),
    _zone("z2", ZoneKind.PRIVATE, "Kabine", 30, 2, 4, 4, capacity=2),
    _zone("z3", ZoneKind.TABLE, "Tisch", 30, 10, 4, 4, capacity=6),
    _zone("z4", ZoneKind.QUIET, "Far", 34, 20, 4, 4),
    _zone("z5", ZoneKind.STAGE, "Bühne", 24, 25, 6, 3),
    _zone("z6", ZoneKind.BOARD, "Pinnwand", 8, 14, 2, 2),  # a landmark in the open (no conversation)
)


OPEN_SQUARE = (range(3, 16), range(9, 25))  # columns, rows: no spawn point (one walks there without meeting anyone)


def _near_zone(col: int, row: int) -> bool:
    """Whether a zone is within 3 tiles of the tile, or the tile is in the open square."""
    if col in OPEN_SQUARE[0] and row in OPEN_SQUARE[1]:
        return True
    for c in range(col - 3, col + 4):
        for r in range(row - 3, row + 4):
            x, y = c * TILE + TILE // 2, r * TILE + TILE // 2
            if any(zone.rect.contains(x, y) for zone in ZONES):
                return True
    return False


def build_space() -> SpaceMap:
    blocked = bytearray(WIDTH * HEIGHT)
    for row in WALL_ROWS:
        blocked[row * WIDTH + WALL_COL] = 1
    spawns = tuple(
        (col, row)
        for row in range(1, HEIGHT, 3)
        for col in range(1, WIDTH, 3)
        if abs(col - WALL_COL) > 2 and not _near_zone(col, row)
    )
    return SpaceMap(WIDTH, HEIGHT, bytes(blocked), ZONES, spawns)


TEST_SPACE = build_space()


async def map_source(room: Room) -> RoomMap:
    """The map source the tests give the desk (``SpaceDesk.maps``): this map for every room."""
    return RoomMap(TEST_SPACE, f"/maps/test/{room.kind}.tmj")
