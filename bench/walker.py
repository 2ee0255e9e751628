"""Avatars that walk legally on a space's map: the steps the ``movement`` workload sends.

The space's rules (docs/space.md) accept a move when its tile is walkable, the straight line
from the last accepted position crosses no wall, and it is no longer than 160 px/s × the
time since the last accepted move plus one tile of slack (32 px). A walker here steps from
the centre of a tile to the centre of one of its four neighbours: 32 px, so a step is legal
however early or late it arrives after the one before (the slack alone covers it), and the
straight line between two neighbouring tiles touches only those two. Sent every 200 ms that
is the rules' top speed, 5 tiles a second.

Walkers keep off the tiles of zones that refuse or gather people (tables, private zones,
stages: a full one refuses who walks in) and off wall zones, and stay in the part of the
map connected to the spawn points. ``Walker.wander`` is a random walk that keeps its
heading for a while (so the crowd spreads over the map rather than shuffling on the spot);
``Walker.head_for`` walks a shortest path (breadth first, four directions) to a tile.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from rooms.space.model import TILE, SpaceMap, ZoneKind

Tile = tuple[int, int]

AVOIDED = frozenset({ZoneKind.TABLE, ZoneKind.PRIVATE, ZoneKind.STAGE, ZoneKind.WALL})
STEPS: tuple[Tile, ...] = ((1, 0), (-1, 0), (0, 1), (0, -1))
DIRECTION = {(1, 0): "right", (-1, 0): "left", (0, 1): "down", (0, -1): "up"}
TURN_CHANCE = 0.15  # per step: a heading lasts about 7 steps (1.4 s)


def centre(tile: Tile) -> tuple[int, int]:
    """A tile's centre in pixels."""
    return tile[0] * TILE + TILE // 2, tile[1] * TILE + TILE // 2


def tile_of(x: int, y: int) -> Tile:
    return x // TILE, y // TILE


class Grounds:
    """The tiles walkers may stand on: walkable, in no avoided zone, reachable from a spawn."""

    def __init__(self, space: SpaceMap) -> None:
        self.space = space
        open_tiles = {
            (col, row)
            for row in range(space.height)
            for col in range(space.width)
            if space.walkable(col, row) and not self._avoided(col, row)
        }
        starts = [s for s in space.spawns if s in open_tiles] or sorted(open_tiles)[:1]
        self.free: frozenset[Tile] = frozenset(self._reachable(starts, open_tiles))
        if not self.free:
            raise ValueError("the map has no walkable tile reachable from a spawn point")
        self.tiles: tuple[Tile, ...] = tuple(sorted(self.free))

    def _avoided(self, col: int, row: int) -> bool:
        x, y = centre((col, row))
        return any(z.kind in AVOIDED and z.rect.contains(x, y) for z in self.space.zones)

    @staticmethod
    def _reachable(starts: Iterable[Tile], tiles: set[Tile]) -> set[Tile]:
        seen = set(starts)
        queue = deque(seen)
        while queue:
            col, row = queue.popleft()
            for dc, dr in STEPS:
                n = (col + dc, row + dr)
                if n in tiles and n not in seen:
                    seen.add(n)
                    queue.append(n)
        return seen

    def neighbours(self, tile: Tile) -> list[Tile]:
        return [(tile[0] + dc, tile[1] + dr) for dc, dr in STEPS if (tile[0] + dc, tile[1] + dr) in self.free]

    def path(self, start: Tile, goal: Tile) -> list[Tile]:
        """The tiles after ``start`` up to ``goal`` on a shortest four-direction path ([] when
        unreachable or already there). ``start`` itself need not be free (a spawn the server
        chose may lie in a zone walkers avoid): the path leaves it by a free neighbour."""
        if start == goal:
            return []
        came: dict[Tile, Tile | None] = {start: None}
        queue = deque([start])
        while queue:
            tile = queue.popleft()
            if tile == goal:
                steps = []
                at: Tile | None = tile
                while at is not None and at != start:
                    steps.append(at)
                    at = came[at]
                return steps[::-1]
            for n in self.neighbours(tile):
                if n not in came:
                    came[n] = tile
                    queue.append(n)
        return []

    def way_out(self, tile: Tile) -> list[Tile]:
        """From a tile off the grounds (a spawn the server chose in a table or a private zone when
        the entrance was full): the tiles after it up to the nearest free one, over any walkable
        tile (leaving a zone is always allowed). [] when there is none."""
        came: dict[Tile, Tile | None] = {tile: None}
        queue = deque([tile])
        while queue:
            here = queue.popleft()
            if here in self.free:
                steps = []
                at: Tile | None = here
                while at is not None and at != tile:
                    steps.append(at)
                    at = came[at]
                return steps[::-1]
            for dc, dr in STEPS:
                n = (here[0] + dc, here[1] + dr)
                if n not in came and self.space.walkable(*n):
                    came[n] = here
                    queue.append(n)
        return []


@dataclass(slots=True)
class Walker:
    """One avatar: where it is (pixels as the server last accepted them) and where it heads."""

    grounds: Grounds
    x: int
    y: int
    heading: Tile = (1, 0)
    route: list[Tile] = field(default_factory=list)  # tiles still to walk (head_for)

    @property
    def tile(self) -> Tile:
        return tile_of(self.x, self.y)

    def head_for(self, goal: Tile) -> None:
        """Walk a shortest path to ``goal`` with the next steps (before wandering on)."""
        start = self.tile
        self.route = [start] if (self.x, self.y) != centre(start) else []  # a tile's edge to its centre: < 23 px
        if start not in self.grounds.free:
            self.route += self.grounds.way_out(start)
            if not self.route:
                return
            start = self.route[-1]
        self.route += self.grounds.path(start, goal)

    def step(self, rng: random.Random) -> tuple[int, int, str]:
        """The next position (x, y) and its direction: along the route, else wandering."""
        if self.route:
            nxt = self.route.pop(0)
        else:
            nxt = self._wander(rng)
        col, row = self.tile
        dc, dr = nxt[0] - col, nxt[1] - row
        heading = (max(-1, min(1, dc)), max(-1, min(1, dr)))
        if heading != (0, 0):
            self.heading = heading if heading in DIRECTION else self.heading
        self.x, self.y = centre(nxt)
        return self.x, self.y, DIRECTION.get(self.heading, "down")

    def _wander(self, rng: random.Random) -> Tile:
        here = self.tile
        options = self.grounds.neighbours(here)
        if not options:  # boxed in (or off the grounds): stay on the tile's centre
            return here
        ahead = (here[0] + self.heading[0], here[1] + self.heading[1])
        if ahead in options and rng.random() > TURN_CHANCE:
            return ahead
        back = (here[0] - self.heading[0], here[1] - self.heading[1])
        sideways = [t for t in options if t != back and t != ahead]
        return rng.choice(sideways or options)
