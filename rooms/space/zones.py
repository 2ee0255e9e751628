"""Which zones a pixel lies in, fast: a per-map index of the zones by tile.

``zones_at`` is asked for every accepted move (hundreds a second in a full room) on maps with up to
500 zones, so a map's zones are bucketed once by the tiles their rectangles overlap; a lookup checks
only the zones of one tile. The index is kept for the last few maps asked about (a map is immutable).
Zones come back in the map's order.
"""

from __future__ import annotations

from rooms.space.model import TILE, SpaceMap, Zone

_KEEP = 32  # maps whose index is kept


class ZoneIndex:
    __slots__ = ("_buckets", "_width")

    def __init__(self, space: SpaceMap) -> None:
        self._width = space.width
        buckets: dict[int, list[Zone]] = {}
        for zone in space.zones:
            rect = zone.rect
            first_col, first_row = max(rect.x, 0) // TILE, max(rect.y, 0) // TILE
            last_col = min((rect.x + max(rect.w, 1) - 1) // TILE, space.width - 1)
            last_row = min((rect.y + max(rect.h, 1) - 1) // TILE, space.height - 1)
            for row in range(first_row, last_row + 1):
                for col in range(first_col, last_col + 1):
                    buckets.setdefault(row * space.width + col, []).append(zone)
        self._buckets = {i: tuple(zones) for i, zones in buckets.items()}

    def at(self, x: int, y: int) -> tuple[Zone, ...]:
        if x < 0 or y < 0 or x // TILE >= self._width:
            return ()
        zones = self._buckets.get((y // TILE) * self._width + x // TILE, ())
        return tuple(zone for zone in zones if zone.rect.contains(x, y))


_indexes: dict[int, tuple[SpaceMap, ZoneIndex]] = {}


def zone_index(space: SpaceMap) -> ZoneIndex:
    """The map's index (built on first use; the map is held with it, so its ``id`` stays its own)."""
    hit = _indexes.get(id(space))
    if hit is not None and hit[0] is space:
        return hit[1]
    if len(_indexes) >= _KEEP:
        del _indexes[next(iter(_indexes))]
    index = ZoneIndex(space)
    _indexes[id(space)] = (space, index)
    return index


def zones_at(space: SpaceMap, x: int, y: int) -> tuple[Zone, ...]:
    """The zones whose rectangle holds the pixel ``(x, y)``, in the map's order."""
    return zone_index(space).at(x, y)
