"""Moving in the space: accepted moves, each refusal with its code, arriving, going to a place."""

from __future__ import annotations

import random
import time

import pytest

from boards.errors import DomainError
from rooms.space.grid import tile_center, tile_of
from rooms.space.model import Rect, SpaceMap, Zone, ZoneKind
from rooms.space.movement import (
    CARRY_S,
    SLACK_PX,
    SPEED_PX_S,
    STAGE_MAX,
    Direction,
    InvalidMove,
    Position,
    Unreachable,
    ZoneFull,
    check_move,
    goto_position,
    paced,
    spawn_position,
    zones_at,
)
from tests.domain.space_maps import space_map

HALL = space_map(
    """
    ############
    #@.........#
    #....#.....#
    #....#.pp..#
    #....#.pp..#
    #..tt#.....#
    #..tt#..ss.#
    #....#.....#
    ############
    """,
    {"p": (ZoneKind.PRIVATE, 2), "t": (ZoneKind.TABLE, 3), "s": ZoneKind.STAGE},
)


def at(col: int, row: int, **kwargs: object) -> Position:
    x, y = tile_center((col, row))
    return Position(x, y, **kwargs)  # type: ignore[arg-type]


def refusal(old: Position, new: Position, elapsed: float = 1.0, occupancy: dict[str, int] | None = None) -> str:
    with pytest.raises(DomainError) as caught:
        check_move(HALL, old, new, elapsed, occupancy or {})
    return caught.value.code


def test_a_step_on_the_floor_is_accepted() -> None:
    check_move(HALL, at(1, 1), at(3, 1, dir=Direction.RIGHT, moving=True), 0.5, {})


def test_turning_on_the_spot_is_accepted_at_once() -> None:
    check_move(HALL, at(2, 2), at(2, 2, dir=Direction.LEFT), 0.0, {})


def test_walking_through_a_wall_is_refused() -> None:
    assert refusal(at(4, 3), at(6, 3)) == "invalid_move"  # a teleport across the wall in column 5


def test_standing_in_a_wall_is_refused() -> None:
    assert refusal(at(4, 3), at(5, 3)) == "invalid_move"


@pytest.mark.parametrize("x, y", [(-1, 40), (40, -1), (12 * 32, 40), (40, 9 * 32 + 5), (10_000, 10_000)])
def test_leaving_the_map_is_refused(x: int, y: int) -> None:
    assert refusal(at(1, 1), Position(x, y)) == "invalid_move"


def test_moving_too_fast_is_refused() -> None:
    old = at(1, 1)
    limit = SPEED_PX_S * 0.2 + SLACK_PX  # 64 px in 0.2 s
    check_move(HALL, old, Position(old.x + int(limit), old.y), 0.2, {})
    assert refusal(old, Position(old.x + int(limit) + 1, old.y), 0.2) == "invalid_move"
    assert refusal(old, Position(old.x + SLACK_PX + 1, old.y), -5.0) == "invalid_move"  # a clock going backwards


OPEN = space_map("\n".join(["#" * 40, *["#" + "." * 38 + "#"] * 6, "#" * 40]), {})


def walk_as_the_server_checks(steps: list[tuple[float, int]]) -> list[bool]:
    """Moves of ``dx`` px to the right at times ``t`` (seconds), checked as the server's tick does (the pace
    clock starting at 0, when the avatar was placed); whether each was accepted."""
    pos, clock, out = at(1, 3), 0.0, []
    for t, dx in steps:
        new = Position(pos.x + dx, pos.y, Direction.RIGHT, True)
        try:
            check_move(OPEN, pos, new, t - clock, {})
        except InvalidMove:
            out.append(False)
            continue
        clock = paced(clock, t, pos, new)
        pos = new
        out.append(True)
    return out


def test_the_slack_is_not_granted_anew_with_every_move() -> None:
    # 16 px of walking and 32 of slack every 100 ms: three times the speed, if each move had the slack anew
    accepted = walk_as_the_server_checks([(0.1 * n, 48) for n in range(1, 21)])
    assert not all(accepted)
    assert sum(accepted) * 48 <= SPEED_PX_S * 2.0 + SLACK_PX
    # 32 px every 100 ms (twice the speed): over 2 s no further than the speed allows, plus one slack
    accepted = walk_as_the_server_checks([(0.1 * n, 32) for n in range(1, 21)])
    assert sum(accepted) * 32 <= SPEED_PX_S * 2.0 + SLACK_PX


def test_walking_at_the_speed_with_jitter_is_accepted() -> None:
    # 30 px every 200 ms (150 px/s, as the browser walks), arriving up to 150 ms late or early
    jitter = [0.0, 0.15, -0.1, 0.1, -0.15, 0.05, 0.15, -0.15, 0.0, 0.1] * 3
    times = [0.2 * n + 0.2 + j for n, j in enumerate(jitter)]
    assert all(walk_as_the_server_checks([(t, 30) for t in sorted(times)]))
    # a network stall of 3 s: the moves sent meanwhile arrive at once, and the newest counts (450 px at once)
    walked = [(0.2 * n, 30) for n in range(1, 11)]
    assert all(walk_as_the_server_checks([*walked, (5.0, 450), *((5.0 + 0.2 * n, 30) for n in range(1, 11))]))


def test_standing_still_saves_up_a_few_seconds_at_most() -> None:
    old, reach = at(1, 3), int(SPEED_PX_S * CARRY_S + SLACK_PX)
    check_move(OPEN, old, Position(old.x + reach, old.y), 60.0, {})
    with pytest.raises(InvalidMove, match="too fast"):
        check_move(OPEN, old, Position(old.x + reach + 1, old.y), 60.0, {})


def test_a_refusal_is_an_invalid_input_with_a_message() -> None:
    with pytest.raises(InvalidMove, match="wall"):
        check_move(HALL, at(4, 3), at(6, 3), 1.0, {})


def test_walking_into_a_full_private_zone_is_refused() -> None:
    assert refusal(at(6, 3), at(7, 3), occupancy={"zp": 2}) == "zone_full"
    check_move(HALL, at(6, 3), at(7, 3), 1.0, {"zp": 1})


def test_moving_inside_a_full_zone_one_is_in_is_accepted() -> None:
    check_move(HALL, at(7, 3), at(8, 4), 1.0, {"zp": 2})


def test_a_full_table_and_a_full_stage_refuse_too() -> None:
    assert refusal(at(2, 5), at(3, 5), occupancy={"zt": 3}) == "zone_full"
    assert refusal(at(7, 7), at(8, 6), occupancy={"zs": STAGE_MAX}) == "zone_full"
    with pytest.raises(ZoneFull):
        check_move(HALL, at(2, 5), at(3, 5), 1.0, {"zt": 3})


def test_zones_at_a_pixel() -> None:
    x, y = tile_center((7, 3))
    assert [z.id for z in zones_at(HALL, x, y)] == ["zp"]
    assert zones_at(HALL, *tile_center((1, 1))) == ()
    assert zones_at(HALL, -5, 3) == ()
    assert zones_at(HALL, 7 * 32, 3 * 32) != ()  # the rectangle's top-left pixel is inside
    assert zones_at(HALL, 9 * 32, 3 * 32) == ()  # one past its right edge is not


def test_overlapping_zones_come_in_the_maps_order() -> None:
    quiet = Zone("zq", ZoneKind.QUIET, "library", Rect(0, 0, 12 * 32, 9 * 32))
    space = space_map("....\n.tt.\n....", {"t": ZoneKind.TABLE}, extra=(quiet,))
    assert [z.id for z in zones_at(space, *tile_center((1, 1)))] == ["zt", "zq"]
    assert [z.id for z in zones_at(space, *tile_center((0, 0)))] == ["zq"]


def test_arriving_on_a_spawn_tile() -> None:
    space = space_map("@.@\n...\n@..")
    seen = {tile_of(p.x, p.y) for p in (spawn_position(space, random.Random(seed)) for seed in range(30))}
    assert seen == {(0, 0), (2, 0), (0, 2)}
    position = spawn_position(space, random.Random(1))
    assert (position.dir, position.moving) == (Direction.DOWN, False)


def test_arriving_avoids_taken_spawn_tiles() -> None:
    space = space_map("@.@\n...\n@..")
    for seed in range(10):
        p = spawn_position(space, random.Random(seed), {(0, 0), (2, 0)})
        assert tile_of(p.x, p.y) == (0, 2)
    crowded = spawn_position(space, random.Random(2), {(0, 0), (2, 0), (0, 2)})
    assert tile_of(crowded.x, crowded.y) not in {(0, 0), (2, 0), (0, 2)}


def test_arriving_on_a_full_map_lands_on_a_spawn_tile() -> None:
    space = space_map("@.\n..")
    p = spawn_position(space, random.Random(0), {(0, 0), (1, 0), (0, 1), (1, 1)})
    assert tile_of(p.x, p.y) == (0, 0)


def test_going_to_a_person_lands_next_to_them_facing_them() -> None:
    target = tile_center((8, 1))
    p = goto_position(HALL, at(1, 1), target, {(8, 1), (1, 1)})
    tile = tile_of(p.x, p.y)
    assert tile != (8, 1)
    assert max(abs(tile[0] - 8), abs(tile[1] - 1)) == 1
    assert HALL.walkable(*tile)
    assert p.dir in {Direction.RIGHT, Direction.LEFT, Direction.UP, Direction.DOWN}
    if tile == (7, 1):
        assert p.dir is Direction.RIGHT


def test_going_to_a_free_place_lands_on_it() -> None:
    p = goto_position(HALL, at(1, 1), tile_center((8, 6)), set())
    assert tile_of(p.x, p.y) == (8, 6)


def test_going_somewhere_one_is_stays_there() -> None:
    p = goto_position(HALL, at(1, 1), tile_center((1, 1)), {(1, 1)})
    assert tile_of(p.x, p.y) == (1, 1)


def test_going_to_a_closed_room_is_unreachable() -> None:
    space = space_map(
        """
        @....
        .###.
        .#.#.
        .###.
        .....
        """
    )
    with pytest.raises(Unreachable) as caught:
        goto_position(space, at(0, 0), tile_center((2, 2)), {(2, 2)})
    assert caught.value.code == "unreachable"
    shut_in = space_map(
        """
        @#...
        ##...
        .....
        """
    )
    with pytest.raises(Unreachable):
        goto_position(shut_in, at(0, 0), tile_center((3, 1)), {(3, 1)})
    assert goto_position(shut_in, at(0, 0), tile_center((0, 0)), {(0, 0)}) == at(0, 0)


def test_going_somewhere_on_the_largest_map_does_not_flood_it_each_time() -> None:
    """A participant may send 40 gotos at once (the rate limit's burst); flooding a 200 × 200 map for each took
    some 20 ms, a second of the event loop for one burst. The map's connected parts are worked out once."""
    big = SpaceMap(200, 200, bytes(200 * 200), (), ((0, 0),))
    goto_position(big, at(0, 0), tile_center((199, 199)), {})  # the first works them out
    started = time.perf_counter()
    for n in range(100):
        goto_position(big, at(n, 0), tile_center((199, 199 - n)), {})
    assert time.perf_counter() - started < 0.5  # flooding each time: some 2 s


def test_going_somewhere_with_every_other_tile_taken_stays_put() -> None:
    space = space_map("@..\n...")
    taken = {(c, r) for c in range(3) for r in range(2)}
    assert tile_of(*goto_position(space, at(0, 0), tile_center((2, 1)), taken).point) == (0, 0)


def test_going_next_to_a_board_wall_lands_beside_it() -> None:
    p = goto_position(HALL, at(1, 1), tile_center((5, 4)), set())
    assert tile_of(p.x, p.y) in {(4, 3), (4, 4), (4, 5)}  # the side of the wall one can walk to


def test_going_into_a_full_zone_is_refused_when_the_occupancy_is_given() -> None:
    target = tile_center((7, 3))
    with pytest.raises(ZoneFull):
        goto_position(HALL, at(1, 1), target, set(), occupancy={"zp": 2})
    inside = goto_position(HALL, at(1, 1), target, set(), occupancy={"zp": 1})
    assert zones_at(HALL, inside.x, inside.y)[0].id == "zp"
    assert goto_position(HALL, at(8, 4), target, set(), occupancy={"zp": 2}) == at(7, 3, dir=Direction.DOWN)
