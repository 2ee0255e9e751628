"""The tile grid: pixels and tiles, lines through walls, A* paths (checked against plain searches), free tiles."""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.space.grid import (
    DIAGONAL,
    STRAIGHT,
    find_path,
    free_tile_near,
    line_clear,
    reachable,
    tile_center,
    tile_of,
)
from rooms.space.model import SpaceMap
from tests.domain.space_maps import open_map, space_map

ROOM = space_map(
    """
    ##########
    #........#
    #...#....#
    #...#....#
    #...#....#
    #........#
    ##########
    """
)
Tile = tuple[int, int]
STEPS = [(dc, dr) for dc in (-1, 0, 1) for dr in (-1, 0, 1) if dc or dr]


def test_pixels_and_tiles() -> None:
    assert tile_of(0, 0) == (0, 0)
    assert tile_of(31, 31) == (0, 0)
    assert tile_of(32, 65) == (1, 2)
    assert tile_center((0, 0)) == (16, 16)
    assert tile_center((3, 2)) == (112, 80)
    assert tile_of(*tile_center((7, 9))) == (7, 9)


# -- lines -----------------------------------------------------------------------------------


def test_a_line_over_open_floor_is_clear() -> None:
    assert line_clear(ROOM, tile_center((1, 1)), tile_center((8, 1)))
    assert line_clear(ROOM, tile_center((2, 5)), tile_center((8, 4)))
    assert line_clear(ROOM, tile_center((2, 2)), tile_center((2, 2)))


def test_a_line_through_a_wall_is_not_clear() -> None:
    assert not line_clear(ROOM, tile_center((2, 3)), tile_center((6, 3)))
    assert not line_clear(ROOM, tile_center((3, 2)), tile_center((5, 4)))


def test_a_line_ending_in_a_wall_or_off_the_map_is_not_clear() -> None:
    assert not line_clear(ROOM, tile_center((2, 3)), tile_center((4, 3)))
    assert not line_clear(ROOM, tile_center((1, 1)), (-5, 40))
    assert not line_clear(ROOM, tile_center((1, 1)), (40, 7 * 32 + 3))


def test_a_line_touching_a_wall_only_at_its_corner_is_not_clear() -> None:
    grid = space_map(
        """
        ....
        .#..
        ....
        ....
        """
    )
    # (1, 1) is a wall; a segment through its bottom-right corner (64, 64) touches it
    assert not line_clear(grid, (48, 80), (80, 48))
    assert not line_clear(grid, (80, 80), (40, 40))
    # a pixel lower it passes below the corner and touches only floor
    assert line_clear(grid, (48, 81), (80, 49))


def test_a_diagonal_between_two_walls_meeting_at_a_corner_is_not_clear() -> None:
    grid = space_map(
        """
        ....
        .#..
        ..#.
        ....
        """
    )
    # (2, 1) and (1, 2) are floor, (1, 1) and (2, 2) walls: the line from (2,1) to (1,2) through the corner
    assert not line_clear(grid, tile_center((2, 1)), tile_center((1, 2)))
    assert not line_clear(grid, tile_center((1, 2)), tile_center((2, 1)))
    assert not line_clear(grid, tile_center((0, 0)), tile_center((3, 3)))


def supercover(a: tuple[int, int], b: tuple[int, int]) -> set[Tile]:
    """The tiles the segment touches, in exact arithmetic: an oracle written the slow, obvious way.

    The segment is cut where it crosses a tile border; the tile of each piece's midpoint is touched,
    and so are both ends' tiles. Where the segment passes from one tile to a diagonal neighbour
    through their common corner, the two tiles beside that corner are touched too.
    """
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    cuts = {Fraction(0), Fraction(1)}
    for start, d in ((ax, dx), (ay, dy)):
        if d:
            cuts |= {t for k in range(0, 8) if 0 <= (t := Fraction(k * 32 - start, d)) <= 1}
    ts = sorted(cuts)

    def tile(t: Fraction) -> Tile:
        return (math.floor((ax + dx * t) / 32), math.floor((ay + dy * t) / 32))

    pieces = [tile((t0 + t1) / 2) for t0, t1 in itertools.pairwise(ts)]
    sequence = [tile(Fraction(0)), *pieces, tile(Fraction(1))]
    touched = set(sequence)
    for (c0, r0), (c1, r1) in itertools.pairwise(sequence):
        if c0 != c1 and r0 != r1:
            touched |= {(c1, r0), (c0, r1)}
    return touched


COORD = st.one_of(st.integers(0, 191), st.integers(0, 5).map(lambda k: k * 32))  # often exactly on a border


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.booleans(), min_size=36, max_size=36),
    st.tuples(COORD, COORD),
    st.tuples(COORD, COORD),
)
def test_a_line_is_clear_exactly_when_the_tiles_it_crosses_are_walkable(
    walls: list[bool], a: tuple[int, int], b: tuple[int, int]
) -> None:
    space = SpaceMap(6, 6, bytes(walls), (), ((0, 0),))
    crossed = supercover(a, b)
    assert line_clear(space, a, b) == all(space.walkable(*t) for t in crossed)


# -- paths -----------------------------------------------------------------------------------


def valid_path(space: SpaceMap, path: list[Tile], start: Tile, goal: Tile) -> bool:
    if path[0] != start or path[-1] != goal or not all(space.walkable(*t) for t in path):
        return False
    for (c0, r0), (c1, r1) in itertools.pairwise(path):
        dc, dr = c1 - c0, r1 - r0
        if (dc, dr) not in STEPS:
            return False
        if dc and dr and not (space.walkable(c0 + dc, r0) and space.walkable(c0, r0 + dr)):
            return False  # cut a corner
    return True


def cost(path: list[Tile]) -> int:
    return sum(DIAGONAL if a[0] != b[0] and a[1] != b[1] else STRAIGHT for a, b in itertools.pairwise(path))


def bfs_steps(space: SpaceMap, start: Tile, goal: Tile) -> int | None:
    """Plain breadth-first search: the fewest steps (8 directions, no corner cutting), None when unreachable."""
    if not space.walkable(*start) or not space.walkable(*goal):
        return None
    seen = {start: 0}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            return seen[here]
        for dc, dr in STEPS:
            there = (here[0] + dc, here[1] + dr)
            if there in seen or not space.walkable(*there):
                continue
            if dc and dr and not (space.walkable(here[0] + dc, here[1]) and space.walkable(here[0], here[1] + dr)):
                continue
            seen[there] = seen[here] + 1
            queue.append(there)
    return None


def cheapest(space: SpaceMap, start: Tile, goal: Tile) -> int | None:
    """Plain uniform-cost search (Dijkstra, no heuristic) with the same step costs: the optimal cost."""
    best = {start: 0}
    heap = [(0, start)]
    while heap:
        g, here = heapq.heappop(heap)
        if here == goal:
            return g
        if g > best[here]:
            continue
        for dc, dr in STEPS:
            there = (here[0] + dc, here[1] + dr)
            if not space.walkable(*there):
                continue
            if dc and dr and not (space.walkable(here[0] + dc, here[1]) and space.walkable(here[0], here[1] + dr)):
                continue
            step = g + (DIAGONAL if dc and dr else STRAIGHT)
            if step < best.get(there, step + 1):
                best[there] = step
                heapq.heappush(heap, (step, there))
    return None


def test_a_path_across_open_floor_is_straight() -> None:
    path = find_path(open_map(10, 10), (0, 0), (4, 0))
    assert path == [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]
    diagonal = find_path(open_map(10, 10), (0, 0), (3, 3))
    assert diagonal == [(0, 0), (1, 1), (2, 2), (3, 3)]


def test_a_path_goes_around_a_wall() -> None:
    path = find_path(ROOM, (2, 3), (6, 3))
    assert path is not None
    assert valid_path(ROOM, path, (2, 3), (6, 3))
    assert (4, 3) not in path
    assert cost(path) == cheapest(ROOM, (2, 3), (6, 3))


def test_no_path_to_a_closed_room_a_wall_or_off_the_map() -> None:
    grid = space_map(
        """
        .....
        .###.
        .#.#.
        .###.
        .....
        """
    )
    assert find_path(grid, (0, 0), (2, 2)) is None
    assert find_path(grid, (0, 0), (1, 1)) is None
    assert find_path(grid, (0, 0), (9, 9)) is None
    assert find_path(grid, (0, 0), (-1, 0)) is None


def test_a_path_does_not_cut_corners() -> None:
    grid = space_map(
        """
        ...
        .#.
        ...
        """
    )
    path = find_path(grid, (0, 1), (1, 0))
    assert path == [(0, 1), (0, 0), (1, 0)]
    squeezed = space_map(
        """
        .#
        #.
        """
    )
    assert find_path(squeezed, (0, 0), (1, 1)) is None


def test_the_start_is_the_goal() -> None:
    assert find_path(ROOM, (1, 1), (1, 1)) == [(1, 1)]


def test_a_search_over_the_node_limit_gives_up() -> None:
    space = open_map(60, 60)
    assert find_path(space, (0, 0), (59, 59), limit=10) is None
    assert find_path(space, (0, 0), (59, 59)) is not None


@settings(max_examples=200, deadline=None)
@given(
    st.integers(3, 12),
    st.integers(3, 12),
    st.data(),
)
def test_a_star_finds_an_optimal_path_whenever_breadth_first_finds_one(
    width: int, height: int, data: st.DataObject
) -> None:
    walls = data.draw(st.lists(st.sampled_from([0, 0, 0, 1]), min_size=width * height, max_size=width * height))
    space = SpaceMap(width, height, bytes(walls), (), ((0, 0),))
    tile = st.tuples(st.integers(0, width - 1), st.integers(0, height - 1))
    start, goal = data.draw(tile), data.draw(tile)
    path = find_path(space, start, goal)
    steps = bfs_steps(space, start, goal)
    if steps is None:
        assert path is None
        assert goal not in reachable(space, start)
        return
    assert path is not None
    assert valid_path(space, path, start, goal)
    assert len(path) - 1 >= steps  # never fewer steps than the fewest
    assert cost(path) == cheapest(space, start, goal)
    assert goal in reachable(space, start)


# -- free tiles ------------------------------------------------------------------------------


def test_the_free_tile_near_a_free_tile_is_itself() -> None:
    assert free_tile_near(ROOM, (2, 2)) == (2, 2)


def test_the_free_tile_near_a_taken_tile_is_next_to_it() -> None:
    tile = free_tile_near(ROOM, (2, 2), {(2, 2)})
    assert tile is not None
    assert max(abs(tile[0] - 2), abs(tile[1] - 2)) == 1


def test_the_free_tile_near_a_wall_is_beside_it() -> None:
    tile = free_tile_near(ROOM, (4, 3))
    assert tile in {(3, 2), (3, 3), (3, 4), (5, 2), (5, 3), (5, 4)}


def test_no_free_tile_when_everything_is_taken() -> None:
    space = open_map(2, 2)
    assert free_tile_near(space, (0, 0), {(0, 0), (1, 0), (0, 1), (1, 1)}) is None


def test_a_free_tile_within_a_region() -> None:
    grid = space_map(
        """
        ..#..
        ..#..
        ..#..
        """
    )
    left = reachable(grid, (0, 0))
    assert left.size == 6
    assert free_tile_near(grid, (3, 1), within=left) in {(1, 0), (1, 1), (1, 2)}
    assert (3, 1) not in left
    assert "x" not in left


@pytest.mark.parametrize("tile", [(-3, 1), (40, 2), (5, -9)])
def test_the_free_tile_near_a_tile_off_the_map_is_on_the_map(tile: Tile) -> None:
    found = free_tile_near(ROOM, tile)
    assert found is not None
    assert ROOM.walkable(*found)


def breadth_first(space: SpaceMap, tile: Tile, taken: set[Tile], within: set[Tile] | None) -> Tile | None:
    """The oracle: the plain breadth-first search ``free_tile_near`` describes, searched afresh each time."""
    seen, queue = {tile}, deque([tile])
    while queue:
        here = queue.popleft()
        if space.walkable(*here) and here not in taken and (within is None or here in within):
            return here
        for dc, dr in ((0, -1), (-1, 0), (1, 0), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1)):
            there = (here[0] + dc, here[1] + dr)
            if there not in seen and 0 <= there[0] < space.width and 0 <= there[1] < space.height:
                seen.add(there)
                queue.append(there)
    return None


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10), st.integers(1, 10), st.data())
def test_the_free_tile_near_is_what_a_breadth_first_search_finds(width: int, height: int, data: st.DataObject) -> None:
    """``free_tile_near`` walks a kept order of the map's tiles: the same tile as a fresh search, whatever is taken."""
    walls = data.draw(st.lists(st.sampled_from([0, 0, 1]), min_size=width * height, max_size=width * height))
    grid = SpaceMap(width, height, bytes(walls), (), ((0, 0),))
    tile = st.tuples(st.integers(0, width - 1), st.integers(0, height - 1))
    start = data.draw(tile)
    for _ in range(5):  # the same kept order, ever more taken
        taken = data.draw(st.sets(tile))
        within = data.draw(st.none() | st.sets(tile))
        assert free_tile_near(grid, start, taken, within=within) == breadth_first(grid, start, taken, within)
