"""The tile grid: pixels and tiles, lines of sight, paths, the nearest free tile.

Rules:

- A pixel position ``(x, y)`` lies on tile ``(x // TILE, y // TILE)``; a tile's centre is the pixel
  ``(col * TILE + TILE // 2, row * TILE + TILE // 2)``.
- ``line_clear``: the straight segment between two pixel positions is clear when every tile it
  touches is walkable (a *supercover* walk: where the segment passes exactly through a corner of
  four tiles, both tiles beside the corner count as touched, so a move cannot slip diagonally
  between two walls that meet at a corner). A position outside the map is never clear.
- ``find_path``: A* over the tiles in 8 directions; a straight step costs 10, a diagonal one 14
  (octile distance, so paths look like walking, not like a chess king); a diagonal step is allowed
  only when both tiles beside it are walkable (no corner cutting). The path holds the start and the
  goal; ``None`` when the goal is a wall, off the map, not connected to the start, or when more than
  ``limit`` tiles would have to be expanded to find out.
- Two tiles are connected when a path joins them; without corner cutting that is the same as being
  joined by straight steps only, so ``reachable`` floods in 4 directions.
- ``free_tile_near``: breadth first from a tile in rings (8 directions, through walls too: the tile
  asked for may be a wall, such as a board), the first walkable tile not in ``taken`` (and in
  ``within`` when given); ties within a ring go by the order up, left, right, down and then the
  diagonals, so the answer is deterministic.
"""

from __future__ import annotations

import functools
import heapq
from array import array
from collections import deque
from collections.abc import Collection, Container, Iterator

from rooms.space.model import TILE, SpaceMap

Tile = tuple[int, int]

STRAIGHT = 10
DIAGONAL = 14
# breadth-first order: the four sides first, then the diagonals
_STEPS = ((0, -1), (-1, 0), (1, 0), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1))


def tile_of(x: int, y: int) -> Tile:
    return (x // TILE, y // TILE)


def tile_center(tile: Tile) -> tuple[int, int]:
    col, row = tile
    return (col * TILE + TILE // 2, row * TILE + TILE // 2)


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)


def line_clear(space: SpaceMap, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when no blocked tile lies on the segment from pixel ``a`` to pixel ``b`` (both ends included).

    A grid traversal in exact integer arithmetic: from ``a``'s tile, step into the neighbour whose
    border the segment crosses first; when it crosses both at once (a corner) the two tiles beside
    the corner are checked as well.
    """
    ax, ay = a
    bx, by = b
    if ax < 0 or ay < 0 or bx < 0 or by < 0:
        return False
    col, row = tile_of(ax, ay)
    end = tile_of(bx, by)
    if not space.walkable(col, row) or not space.walkable(*end):
        return False
    dx, dy = bx - ax, by - ay
    sx, sy = _sign(dx), _sign(dy)
    adx, ady = abs(dx), abs(dy)
    steps = abs(end[0] - col) + abs(end[1] - row)
    while (col, row) != end and steps >= 0:
        steps -= 1
        # the distance to the next vertical / horizontal border, as a fraction of the segment:
        # tx = nx / adx, ty = ny / ady; compare nx * ady with ny * adx (no division, no floats)
        nx = ((col + 1) * TILE - ax if sx > 0 else ax - col * TILE) if sx else 0
        ny = ((row + 1) * TILE - ay if sy > 0 else ay - row * TILE) if sy else 0
        if not sx:
            cross_x, cross_y = False, True
        elif not sy:
            cross_x, cross_y = True, False
        else:
            lhs, rhs = nx * ady, ny * adx
            cross_x, cross_y = lhs <= rhs, rhs <= lhs
        if cross_x and cross_y and end in ((col + sx, row), (col, row + sy)):
            # the segment ends on the corner: a border crossed leftwards or upwards is only entered
            # after the crossing, so it stops in the tile beside the corner
            col, row = end
        elif cross_x and cross_y:  # exactly through a corner: both tiles beside it are touched
            if not space.walkable(col + sx, row) or not space.walkable(col, row + sy):
                return False
            col, row = col + sx, row + sy
        elif cross_x:
            col += sx
        else:
            row += sy
        if not space.walkable(col, row):
            return False
    return (col, row) == end


def _octile(dc: int, dr: int) -> int:
    dc, dr = abs(dc), abs(dr)
    return STRAIGHT * max(dc, dr) + (DIAGONAL - STRAIGHT) * min(dc, dr)


def find_path(space: SpaceMap, start: Tile, goal: Tile, *, limit: int = 20_000) -> list[Tile] | None:
    """The cheapest path of tiles from ``start`` to ``goal`` (both included), or None (see the module's rules)."""
    if not space.walkable(*start) or not space.walkable(*goal):
        return None
    if start == goal:
        return [start]
    width, height, blocked = space.width, space.height, space.blocked
    gc, gr = goal
    start_i, goal_i = start[1] * width + start[0], gr * width + gc
    best: dict[int, int] = {start_i: 0}
    came: dict[int, int] = {}
    closed: set[int] = set()
    h0 = _octile(start[0] - gc, start[1] - gr)
    # (f, h, order, tile index): on equal cost the tile nearer the goal first, then the older entry
    heap: list[tuple[int, int, int, int]] = [(h0, h0, 0, start_i)]
    order = 0
    while heap:
        _f, _h, _o, i = heapq.heappop(heap)
        if i in closed:
            continue
        if i == goal_i:
            path = [i]
            while i != start_i:
                i = came[i]
                path.append(i)
            return [(j % width, j // width) for j in reversed(path)]
        closed.add(i)
        if len(closed) > limit:
            return None
        col, row = i % width, i // width
        g = best[i]
        for dc, dr in _STEPS:
            c, r = col + dc, row + dr
            if not (0 <= c < width and 0 <= r < height) or blocked[r * width + c]:
                continue
            if dc and dr:
                if blocked[row * width + c] or blocked[r * width + col]:
                    continue  # no corner cutting
                cost = g + DIAGONAL
            else:
                cost = g + STRAIGHT
            j = r * width + c
            if j in closed or cost >= best.get(j, cost + 1):
                continue
            best[j] = cost
            came[j] = i
            h = _octile(c - gc, r - gr)
            order += 1
            heapq.heappush(heap, (cost + h, h, order, j))
    return None


class Region:
    """The tiles connected to one tile (see ``reachable``); ``tile in region``."""

    __slots__ = ("_label", "_labels", "_width", "size")

    def __init__(self, width: int, labels: array[int], label: int, size: int) -> None:
        self._width = width
        self._labels = labels
        self._label = label  # 0: no tile (the start was not walkable)
        self.size = size

    def __contains__(self, tile: object) -> bool:
        if not self._label or not isinstance(tile, tuple) or len(tile) != 2:
            return False
        col, row = tile
        if not (isinstance(col, int) and isinstance(row, int)) or not 0 <= col < self._width:
            return False
        i = row * self._width + col
        return 0 <= i < len(self._labels) and self._labels[i] == self._label


_KEEP = 32  # maps whose connected parts are kept
_parts: dict[int, tuple[SpaceMap, array[int], list[int]]] = {}


def _connected_parts(space: SpaceMap) -> tuple[array[int], list[int]]:
    """Each tile's connected part (a label from 1; 0 for a wall) and each label's size, made once per map: "go to"
    and following ask for them often, and flooding a 200 × 200 map takes some 20 ms each time."""
    hit = _parts.get(id(space))
    if hit is not None and hit[0] is space:
        return hit[1], hit[2]
    width, blocked = space.width, space.blocked
    labels = array("i", [0]) * len(blocked)
    sizes = [0]
    for first in range(len(blocked)):
        if blocked[first] or labels[first]:
            continue
        label = len(sizes)
        labels[first] = label
        todo = [first]
        size = 1
        while todo:
            i = todo.pop()
            col = i % width
            for j in (i - width, i + width, i - 1 if col else -1, i + 1 if col + 1 < width else -1):
                if 0 <= j < len(labels) and not labels[j] and not blocked[j]:
                    labels[j] = label
                    size += 1
                    todo.append(j)
        sizes.append(size)
    if len(_parts) >= _KEEP:
        del _parts[next(iter(_parts))]
    _parts[id(space)] = (space, labels, sizes)
    return labels, sizes


def reachable(space: SpaceMap, start: Tile) -> Region:
    """Every tile a path leads to from ``start`` (empty when ``start`` is not walkable)."""
    labels, sizes = _connected_parts(space)
    label = labels[start[1] * space.width + start[0]] if space.walkable(*start) else 0
    return Region(space.width, labels, label, sizes[label] if label else 0)


def free_tile_near(
    space: SpaceMap,
    tile: Tile,
    taken: Collection[Tile] = (),
    *,
    within: Container[Tile] | None = None,
) -> Tile | None:
    """The nearest walkable tile (breadth first from ``tile``) not in ``taken`` and, if given, in ``within``."""
    width, height = space.width, space.height
    col, row = tile
    if not (0 <= col < width and 0 <= row < height):
        col, row = min(max(col, 0), width - 1), min(max(row, 0), height - 1)
    for here in walk_order(space, (col, row)):
        if here not in taken and (within is None or here in within):
            return here
    return None


@functools.lru_cache(maxsize=64)
def walk_order(space: SpaceMap, tile: Tile) -> WalkOrder:
    """The walkable tiles in the order ``free_tile_near`` meets them breadth first from ``tile`` (on the map), kept
    per map and tile and searched only as far as asked so far.

    A thousand people arriving at one spawn point ask for the nearest free tile a thousand times, each further out:
    a breadth-first search each time took 0.8 s of a node's time in ``bench/whole.py``; a walk down what was found
    before, 20 ms. A search from a tile asked for once stops where it finds one, as a fresh search does."""
    return WalkOrder(space, tile)


class WalkOrder:
    """A breadth-first search from one tile, kept: the walkable tiles found so far, in order, and where it stands."""

    __slots__ = ("found", "queue", "seen", "space")

    def __init__(self, space: SpaceMap, tile: Tile) -> None:
        self.space = space
        self.found: list[Tile] = []
        self.queue = deque([tile])
        self.seen = {tile}

    def __iter__(self) -> Iterator[Tile]:
        at = 0
        while at < len(self.found) or self._further():
            yield self.found[at]
            at += 1

    def _further(self) -> bool:
        """Search on until one more walkable tile is found; False when the map has no more."""
        space, queue, seen = self.space, self.queue, self.seen
        width, height = space.width, space.height
        while queue:
            here = queue.popleft()
            for dc, dr in _STEPS:
                there = (here[0] + dc, here[1] + dr)
                if there not in seen and 0 <= there[0] < width and 0 <= there[1] < height:
                    seen.add(there)
                    queue.append(there)
            if space.walkable(*here):
                self.found.append(here)
                return True
        return False
