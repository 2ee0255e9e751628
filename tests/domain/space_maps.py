"""SpaceMap objects from ASCII pictures, for the space's tests.

One character a tile, one line a row (leading and trailing blank lines and the common indent are
dropped): ``#`` a wall, ``.`` floor, ``@`` floor and a spawn tile, any letter a floor tile of the
zone named by that letter. A zone's rectangle is the bounding box of its letter's tiles (so draw
zones as rectangles); its kind and capacity come from ``zones`` (letter → kind, or (kind, capacity));
a letter not given there is a table of capacity 6. Zone ids are ``z<letter>``. Without ``@`` the
first floor tile is the spawn tile.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from rooms.space.model import TILE, Rect, SpaceMap, Zone, ZoneKind

ZoneSpec = ZoneKind | tuple[ZoneKind, int]


def space_map(picture: str, zones: Mapping[str, ZoneSpec] | None = None, *, extra: tuple[Zone, ...] = ()) -> SpaceMap:
    rows = [line.rstrip() for line in textwrap.dedent(picture).strip("\n").splitlines()]
    width = max(len(row) for row in rows)
    rows = [row.ljust(width, "#") for row in rows]
    blocked = bytearray()
    spawns: list[tuple[int, int]] = []
    boxes: dict[str, list[int]] = {}  # letter → [min col, min row, max col, max row]
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            if char == "@":
                spawns.append((c, r))
            elif char.isalpha():
                box = boxes.setdefault(char, [c, r, c, r])
                box[:] = [min(box[0], c), min(box[1], r), max(box[2], c), max(box[3], r)]
            elif char not in ".#":
                raise ValueError(f"unknown tile {char!r} at ({c}, {r})")
            kind = _kind((zones or {}).get(char)) if char.isalpha() else None
            blocked.append(1 if char == "#" or kind is ZoneKind.WALL else 0)
    built: list[Zone] = []
    for letter, (c0, r0, c1, r1) in sorted(boxes.items()):
        spec = (zones or {}).get(letter, (ZoneKind.TABLE, 6))
        kind = _kind(spec)
        cap = spec[1] if isinstance(spec, tuple) else (6 if kind in (ZoneKind.TABLE, ZoneKind.PRIVATE) else None)
        rect = Rect(c0 * TILE, r0 * TILE, (c1 - c0 + 1) * TILE, (r1 - r0 + 1) * TILE)
        built.append(Zone(f"z{letter}", kind, letter, rect, capacity=cap))
    if not spawns:
        first = blocked.index(0)
        spawns.append((first % width, first // width))
    return SpaceMap(width, len(rows), bytes(blocked), (*built, *extra), tuple(spawns))


def _kind(spec: ZoneSpec | None) -> ZoneKind:
    if spec is None:
        return ZoneKind.TABLE
    return spec[0] if isinstance(spec, tuple) else spec


def open_map(width: int, height: int) -> SpaceMap:
    """A floor of ``width`` × ``height`` tiles with no walls and no zones."""
    return SpaceMap(width, height, bytes(width * height), (), ((0, 0),))
