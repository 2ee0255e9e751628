"""The movement workload's parts: walkers step legally, arrivals are timed and counted, the oracle of who sees whom."""

from __future__ import annotations

import random

import orjson
import pytest

from bench.movement import FINAL, MEASURE, Book, Receiver, cells_near, censored_latencies
from bench.walker import Grounds, Walker, centre, tile_of
from rooms.space.model import TILE, Rect, SpaceMap, Zone, ZoneKind

WIDTH, HEIGHT = 24, 16


def space() -> SpaceMap:
    """A walled room with an inner wall (a gap at the bottom), a table and a private zone."""
    blocked = bytearray(WIDTH * HEIGHT)
    for col in range(WIDTH):
        blocked[col] = blocked[(HEIGHT - 1) * WIDTH + col] = 1
    for row in range(HEIGHT):
        blocked[row * WIDTH] = blocked[row * WIDTH + WIDTH - 1] = 1
        if row < HEIGHT - 3:
            blocked[row * WIDTH + 12] = 1
    zones = (
        Zone("z1", ZoneKind.TABLE, "", Rect(3 * TILE, 3 * TILE, 2 * TILE, 2 * TILE), capacity=6),
        Zone("z2", ZoneKind.PRIVATE, "", Rect(16 * TILE, 3 * TILE, 3 * TILE, 3 * TILE), capacity=2),
        Zone("z3", ZoneKind.QUIET, "", Rect(16 * TILE, 9 * TILE, 3 * TILE, 3 * TILE)),
    )
    return SpaceMap(WIDTH, HEIGHT, bytes(blocked), zones, ((2, 2),))


def test_walkers_step_one_tile_at_a_time_on_free_tiles_only() -> None:
    grounds = Grounds(space())
    assert (3, 3) not in grounds.free and (17, 4) not in grounds.free  # the table's and the private zone's tiles
    assert (17, 10) in grounds.free  # a quiet zone is walked through
    assert (12, 5) not in grounds.free and (12, 13) in grounds.free  # the wall, and its gap
    rng = random.Random(3)
    walkers = [Walker(grounds, *centre(rng.choice(grounds.tiles))) for _ in range(20)]
    visited = set()
    for _ in range(300):
        for walker in walkers:
            before = (walker.x, walker.y)
            x, y, direction = walker.step(rng)
            assert abs(x - before[0]) + abs(y - before[1]) == TILE  # one tile: within the rules' slack however timed
            assert tile_of(x, y) in grounds.free and (x, y) == centre(tile_of(x, y))
            assert direction in ("up", "down", "left", "right")
            visited.add(tile_of(x, y))
    assert len(visited) > len(grounds.free) // 2  # they spread rather than shuffle on the spot
    assert any(col > 12 for col, _row in visited) and any(col < 12 for col, _row in visited)


def test_a_walker_heads_for_a_tile_by_a_shortest_path_through_the_gap() -> None:
    grounds = Grounds(space())
    walker = Walker(grounds, *centre((2, 2)))
    walker.head_for((20, 2))
    steps = len(walker.route)
    assert steps == (13 - 2) + (12 - 2) + (20 - 12) + (13 - 2)  # down to the gap's row, across, up
    rng = random.Random(1)
    for _ in range(steps):
        walker.step(rng)
    assert walker.tile == (20, 2) and not walker.route


def test_a_walker_off_a_tile_centre_first_steps_onto_one() -> None:
    grounds = Grounds(space())
    walker = Walker(grounds, 2 * TILE + 3, 2 * TILE + 30)  # a spawn position off the centre
    walker.head_for((4, 2))
    x, y, _direction = walker.step(random.Random(1))
    assert (x, y) == centre((2, 2))
    assert walker.route == [(3, 2), (4, 2)]


def batch(*items: list[object]) -> bytes:
    return b"42" + orjson.dumps(["space.moves", list(items)])


def test_a_receiver_times_arrivals_by_member_and_position_and_leaves_out_its_own() -> None:
    book = Book(mode=MEASURE)
    book.sent("a", 16, 16, 10.0)
    book.sent("b", 48, 16, 10.05)
    book.sent("a", 48, 48, 10.2)
    timed = Receiver(book, sampled=True)
    timed.set_member("me")
    counted = Receiver(book, sampled=False)
    counted.set_member("a")
    for r in (timed, counted):
        r(batch(["a", 16, 16, "down", True], ["b", 48, 16, "right", True], ["me", 80, 80, "up", True]), 10.06)
        r(batch(["a", 48, 48, "down", True]), 10.25)
    assert timed.delivered == 3 and counted.delivered == 2  # each without its own move
    assert [round(t, 3) for t in timed.latencies] == [0.06, 0.01, 0.05]
    assert timed.got == {"a": 2, "b": 1} and timed.last == {"a": (48, 48), "b": (48, 16)}
    assert not counted.latencies and not counted.last  # counted, not parsed, while measuring
    book.mode = FINAL
    counted(batch(["b", 80, 16, "right", False]), 10.4)
    counted(batch(["b", 80, 16, "right", False]), 10.5)  # the same position again
    assert counted.last == {"b": (80, 16)} and counted.repeats == 1 and counted.delivered == 3
    timed(batch(["c", 16, 48, "down", False]), 10.5)  # a position nobody was sent to: a spawn
    assert timed.unmatched == 1 and len(timed.latencies) == 3


def test_a_member_who_came_into_view_is_not_timed() -> None:
    book = Book(mode=MEASURE)
    r = Receiver(book, sampled=True)
    r.set_member("me")
    r.stepped(1000, 16, 9.0)  # cell (3, 0)
    book.sent("far", 16, 16, 9.5)  # cell (0, 0): not near
    book.sent("near", 700, 16, 9.5)  # cell (2, 0)
    r.stepped(700, 16, 10.0)  # walked up to them: cell (2, 0)
    book.sent("near", 732, 16, 10.1)
    r(batch(["far", 16, 16, "down", False], ["near", 732, 16, "right", True]), 10.15)
    assert r.views == 1 and [round(t, 3) for t in r.latencies] == [0.05]  # the move, not the standing position
    assert r.delivered == 2 and r.last == {"far": (16, 16), "near": (732, 16)}
    book.cells = False  # the baseline: everyone is near
    book.sent("far", 48, 16, 10.2)
    r(batch(["far", 48, 16, "right", True]), 10.25)
    assert r.views == 1 and len(r.latencies) == 2


def test_who_sees_whom_is_the_three_by_three_cells_around() -> None:
    near = cells_near({"a": (10, 10), "b": (639, 639), "c": (640, 10), "d": (900, 700)})
    assert near == {"a": {"b"}, "b": {"a", "c", "d"}, "c": {"b"}, "d": {"b"}}  # cells (0,0) (1,1) (2,0) (2,2)


@pytest.mark.parametrize("got", [0, 1, 2])
def test_moves_that_never_reached_the_baseline_client_count_with_what_they_waited(got: int) -> None:
    book = Book()
    for t in (1.0, 2.0, 3.0):
        book.sent("a", int(t) * 32, 16, t)
    r = Receiver(book, sampled=True)
    r.set_member("me")
    r.latencies.extend([0.5] * got)
    r.got["a"] = got
    latencies, waiting = censored_latencies([r], book, until=10.0)
    assert waiting == 3 - got
    assert sorted(latencies) == sorted([0.5] * got + [10.0 - t for t in (1.0, 2.0, 3.0)[got:]])


def test_a_walker_spawned_in_a_table_walks_out_first() -> None:
    grounds = Grounds(space())
    walker = Walker(grounds, *centre((4, 4)))  # the table's far corner
    walker.head_for((8, 4))
    assert walker.route == [(5, 4), (6, 4), (7, 4), (8, 4)]  # out of the table by the nearest free tile
    rng = random.Random(1)
    while walker.route:
        before = walker.tile
        walker.step(rng)
        assert abs(walker.tile[0] - before[0]) + abs(walker.tile[1] - before[1]) == 1
    assert walker.tile == (8, 4)
