"""The breakout assignment algorithms: tables of cases, then properties over random inputs."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards.errors import Conflict, DomainError, InvalidInput, NotFound
from rooms.assignment import (
    Assignment,
    RoomSpec,
    balanced,
    by_preference,
    check_manual,
    fill,
    preference_limit,
    reuse,
    rotate,
)

PROPERTIES = settings(max_examples=60, deadline=None)


def people(n: int, prefix: str = "m") -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(n)]


def specs(*capacities: int | None) -> list[RoomSpec]:
    return [RoomSpec(f"r{i}", cap) for i, cap in enumerate(capacities)]


def pairs_of(placement: Mapping[str, str]) -> set[frozenset[str]]:
    tables: dict[str, list[str]] = {}
    for member, room in placement.items():
        tables.setdefault(room, []).append(member)
    return {frozenset(p) for table in tables.values() for p in combinations(table, 2)}


def repeated_pairs(result: Assignment, history: Sequence[Mapping[str, str]]) -> set[frozenset[str]]:
    before = set().union(*(pairs_of(h) for h in history)) if history else set()
    return pairs_of(result.placement) & before


def assert_well_formed(result: Assignment, members: Sequence[str], rooms: Sequence[RoomSpec]) -> None:
    """Every member once (in a room or unplaced), no room over capacity, as many placed as fit."""
    placed = [m for ms in result.rooms.values() for m in ms]
    assert list(result.rooms) == [r.id for r in rooms]
    assert sorted([*placed, *result.unplaced]) == sorted(set(members))
    assert len(placed) == len(set(placed))
    for room in rooms:
        if room.capacity is not None:
            assert len(result.rooms[room.id]) <= room.capacity
    total = sum(math.inf if r.capacity is None else r.capacity for r in rooms)
    assert len(placed) == min(len(set(members)), total)  # nobody is left out while a seat is free
    for member in placed:
        assert result.room_of(member) is not None and member in result.rooms[result.room_of(member) or ""]


def assert_balanced(result: Assignment, rooms: Sequence[RoomSpec]) -> None:
    """A room that is not full holds at most one fewer than the largest room."""
    sizes = result.sizes()
    largest = max(sizes.values(), default=0)
    for room in rooms:
        if room.capacity is None or sizes[room.id] < room.capacity:
            assert sizes[room.id] >= largest - 1, sizes


# -- balanced -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "capacities", "sizes", "unplaced"),
    [
        (10, (None, None, None), [3, 3, 4], 0),
        (9, (None, None, None), [3, 3, 3], 0),
        (10, (2, None, None), [2, 4, 4], 0),
        (10, (1, 1, None), [1, 1, 8], 0),
        (7, (2, 3), [2, 3], 2),
        (0, (None, None), [0, 0], 0),
        (3, (None,) * 5, [0, 0, 1, 1, 1], 0),
        (5, (), [], 5),
    ],
)
def test_balanced_fills_evenly_within_capacities(
    n: int, capacities: tuple[int | None, ...], sizes: list[int], unplaced: int
) -> None:
    rooms = specs(*capacities)
    result = balanced(people(n), rooms, random.Random(7))
    assert sorted(result.sizes().values()) == sizes
    assert len(result.unplaced) == unplaced
    assert_well_formed(result, people(n), rooms)
    if capacities[:1] == (2,):
        assert result.sizes()["r0"] == 2


def test_balanced_is_random_but_repeatable() -> None:
    members, rooms = people(20), specs(None, None, None, None)
    first = balanced(members, rooms, random.Random(1))
    assert balanced(members, rooms, random.Random(1)) == first
    assert any(balanced(members, rooms, random.Random(seed)) != first for seed in range(2, 6))
    # each room lists its members in the order they were given
    for ms in first.rooms.values():
        assert list(ms) == sorted(ms)


def test_a_member_named_twice_is_placed_once() -> None:
    result = balanced(["a", "b", "a", "c"], specs(None, None), random.Random(0))
    assert sorted(m for ms in result.rooms.values() for m in ms) == ["a", "b", "c"]


def test_room_of_and_placement() -> None:
    result = check_manual({"a": "r1", "b": "r0"}, specs(None, None))
    assert result.room_of("a") == "r1" and result.room_of("b") == "r0" and result.room_of("z") is None
    assert result.placement == {"a": "r1", "b": "r0"}
    assert result.rooms == {"r0": ("b",), "r1": ("a",)}


def test_fixed_members_stay_and_count() -> None:
    rooms = specs(3, None)
    result = balanced(people(7), rooms, random.Random(3), fixed={"m00": "r0", "m01": "r0"})
    assert result.room_of("m00") == "r0" and result.room_of("m01") == "r0"
    assert result.sizes() == {"r0": 3, "r1": 4}
    assert balanced(["x"], rooms, random.Random(3), fixed={"m00": "r0"}).room_of("m00") is None  # not a member


@pytest.mark.parametrize(
    ("rooms", "fixed", "error", "code"),
    [
        ([RoomSpec("a"), RoomSpec("a")], None, InvalidInput, "duplicate_room"),
        ([RoomSpec("a", -1)], None, InvalidInput, "invalid_capacity"),
        ([RoomSpec("a")], {"m00": "nope"}, NotFound, "no_such_room"),
        ([RoomSpec("a", 1)], {"m00": "a", "m01": "a"}, Conflict, "room_full"),
    ],
)
def test_bad_rooms_or_fixed_members_are_refused(
    rooms: list[RoomSpec], fixed: dict[str, str] | None, error: type[DomainError], code: str
) -> None:
    with pytest.raises(error) as info:
        balanced(people(3), rooms, random.Random(0), fixed=fixed)
    assert info.value.code == code


# -- by preference ----------------------------------------------------------------------------


def test_first_choices_are_honoured_when_they_fit() -> None:
    prefs = {"a": ["r0"], "b": ["r0", "r1"], "c": ["r1"], "d": ["r2"], "e": ["r2"], "f": ["r0"]}
    result = by_preference(list(prefs), specs(None, None, None), prefs, random.Random(0))
    assert all(result.room_of(m) == choices[0] for m, choices in prefs.items())


def test_an_oversubscribed_room_goes_by_draw_then_second_choices() -> None:
    prefs = {m: ["r0", "r1"] for m in people(6)}
    result = by_preference(people(6), specs(2, 2, None), prefs, random.Random(4))
    assert result.sizes() == {"r0": 2, "r1": 2, "r2": 2}  # two drawn into each choice, the rest spread
    firsts = set(result.rooms["r0"])
    again = by_preference(people(6), specs(2, 2, None), prefs, random.Random(5))
    assert again.sizes() == result.sizes()
    assert any(
        set(by_preference(people(6), specs(2, 2, None), prefs, random.Random(s)).rooms["r0"]) != firsts
        for s in range(6, 12)
    )


def test_a_popular_topic_takes_one_and_a_half_even_shares_by_default() -> None:
    prefs = {m: ["r0"] for m in people(8)}
    assert preference_limit(8, 2) == 6
    result = by_preference(people(8), specs(None, None), prefs, random.Random(0))
    assert result.sizes() == {"r0": 6, "r1": 2}
    result = by_preference(people(8), specs(None, None), prefs, random.Random(0), max_per_room=4)
    assert result.sizes() == {"r0": 4, "r1": 4}
    result = by_preference(people(8), specs(None, None), prefs, random.Random(0), max_per_room=100)
    assert result.sizes() == {"r0": 8, "r1": 0}


def test_the_choice_limit_is_passed_only_when_the_other_rooms_are_full() -> None:
    prefs = {m: ["r1"] for m in people(10)}
    result = by_preference(people(10), specs(1, None), prefs, random.Random(0))
    assert result.sizes() == {"r0": 1, "r1": 9}  # limit 8, but r0 holds one: nobody is left out


def test_unknown_and_repeated_choices_are_ignored_and_the_rest_spread() -> None:
    prefs = {"a": ["nope", "r1", "r1"], "b": [], "c": ["nope"], "z": ["r0"]}
    result = by_preference(["a", "b", "c", "d"], specs(None, None), prefs, random.Random(0))
    assert result.room_of("a") == "r1"
    assert result.sizes() == {"r0": 2, "r1": 2}
    assert result.room_of("z") is None


# -- reuse --------------------------------------------------------------------------------------


def test_earlier_groups_stay_together_and_newcomers_fill_up() -> None:
    previous = {"a": "r0", "b": "r0", "c": "r1", "d": "gone", "e": "r0"}
    result = reuse(["a", "b", "c", "d", "e", "f", "g"], specs(None, None), previous, random.Random(0))
    assert set(result.rooms["r0"]) >= {"a", "b", "e"} and "c" in result.rooms["r1"]
    assert result.sizes()["r1"] >= 3 and sum(result.sizes().values()) == 7  # d (room gone), f and g fill up r1 first


def test_a_smaller_room_keeps_part_of_its_group() -> None:
    previous = {m: "r0" for m in people(5)}
    result = reuse(people(5), specs(3, None), previous, random.Random(0))
    assert result.sizes() == {"r0": 3, "r1": 2}


# -- manual ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "error", "code"),
    [
        ({"a": "r0", "b": "nope"}, NotFound, "no_such_room"),
        ({"a": "r0", "b": "r0", "c": "r0"}, Conflict, "room_full"),
    ],
)
def test_a_manual_assignment_is_checked(mapping: dict[str, str], error: type[DomainError], code: str) -> None:
    with pytest.raises(error) as info:
        check_manual(mapping, specs(2, None))
    assert info.value.code == code


def test_fill_places_late_joiners_in_the_least_filled_room() -> None:
    result = fill(["x", "y", "a"], specs(2, None, None), {"a": "r1", "b": "r1", "c": "r0"})
    assert result.room_of("a") == "r1"  # already placed: stays
    assert result.room_of("x") == "r2" and result.room_of("y") == "r0"


# -- rotation -------------------------------------------------------------------------------------

HOSTS_4 = {f"r{i}": f"h{i}" for i in range(4)}


def test_hosts_stay_and_the_others_move_on() -> None:
    round1 = {f"h{i}": f"r{i}" for i in range(4)} | {f"p{i}{k}": f"r{i}" for i in range(4) for k in range(3)}
    members = list(round1)
    result = rotate(members, specs(None, None, None, None), [round1], HOSTS_4, random.Random(0))
    assert all(result.room_of(h) == r for r, h in HOSTS_4.items())
    assert all(result.room_of(m) != round1[m] for m in members if m.startswith("p"))
    assert repeated_pairs(result, [round1]) == set()
    assert sorted(result.sizes().values()) == [4, 4, 4, 4]


def test_absent_hosts_and_unknown_rooms_are_ignored() -> None:
    result = rotate(people(6), specs(None, None), [], {"r0": "nobody", "zz": "m00"}, random.Random(0))
    assert sorted(result.sizes().values()) == [3, 3]


def test_rotation_keeps_capacity_and_leaves_out_only_whom_nothing_holds() -> None:
    rooms = specs(2, 2)
    result = rotate(people(6), rooms, [], {"r0": "m05"}, random.Random(0))
    assert result.room_of("m05") == "r0" and len(result.unplaced) == 2
    assert_well_formed(result, people(6), rooms)


def gf4_line(slope: int, x: int, b: int) -> int:
    """y = slope·x + b over GF(4) (elements 0, 1, a=2, a+1=3; addition is xor)."""
    mul = [[0, 0, 0, 0], [0, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2]]
    return mul[slope][x] ^ b


def affine_round(q: int, slope: int) -> dict[str, str]:
    """The lines of one slope of the affine plane of order q: room b holds the points on y = slope·x + b.

    Its host, the point (0, b), lies on the vertical line x = 0: every slope puts each host in a
    room of its own, and two points share a line of one slope at most, so the rounds of
    different slopes never repeat a pair.
    """
    line = (lambda x, b: gf4_line(slope, x, b)) if q == 4 else (lambda x, b: (slope * x + b) % q)
    return {f"p{x}_{line(x, b)}": f"r{b}" for x in range(q) for b in range(q)}


@given(st.data())
@PROPERTIES
def test_rotation_after_any_first_round_repeats_nobody(data: st.DataObject) -> None:
    """4 tables × 4 with hosts: a second round without a repeat always exists (one mover of each earlier table)."""
    others = data.draw(st.permutations([f"p{i}" for i in range(12)]))
    round1 = {f"h{i}": f"r{i}" for i in range(4)} | {m: f"r{k // 3}" for k, m in enumerate(others)}
    members = data.draw(st.permutations(list(round1)))
    result = rotate(members, specs(None, None, None, None), [round1], HOSTS_4, random.Random(data.draw(st.integers())))
    assert repeated_pairs(result, [round1]) == set()
    assert all(result.room_of(m) != round1[m] for m in others)


@pytest.mark.parametrize("q", [4, 5])
@given(data=st.data())
@PROPERTIES
def test_rotation_finds_a_repeat_free_round_when_one_exists(q: int, data: st.DataObject) -> None:
    """Earlier rounds from two or three slopes of an affine plane leave another slope: the next round must repeat no pair."""
    slopes = data.draw(st.permutations(range(q)))
    earlier = [affine_round(q, s) for s in slopes[: data.draw(st.integers(2, 3))]]
    members = data.draw(st.permutations([f"p{x}_{y}" for x in range(q) for y in range(q)]))
    hosts = {f"r{b}": f"p0_{b}" for b in range(q)}
    result = rotate(members, specs(*[None] * q), earlier, hosts, random.Random(data.draw(st.integers())))
    assert repeated_pairs(result, earlier) == set()
    assert all(result.room_of(h) == r for r, h in hosts.items())
    assert set(result.sizes().values()) == {q}


def test_rotation_chains_rounds_without_repeats_while_possible() -> None:
    """30 tables of 10 for 300 people: six rounds in a row, each of them new company."""
    members = people(300)
    hosts = {f"r{i}": members[i] for i in range(30)}
    rooms = specs(*[None] * 30)
    history: list[dict[str, str]] = []
    for seed in range(6):
        result = rotate(members, rooms, history, hosts, random.Random(seed))
        assert repeated_pairs(result, history) == set()
        history.append(result.placement)


# -- properties over all algorithms -------------------------------------------------------------

capacities = st.lists(st.one_of(st.none(), st.integers(1, 6)), min_size=0, max_size=6)


@st.composite
def situations(draw: st.DrawFn) -> tuple[list[str], list[RoomSpec], random.Random]:
    rooms = specs(*draw(capacities))
    members = draw(st.lists(st.sampled_from(people(30)), max_size=30))
    return members, rooms, random.Random(draw(st.integers()))


@given(situations())
@PROPERTIES
def test_balanced_always_balances_within_capacities(case: tuple[list[str], list[RoomSpec], random.Random]) -> None:
    members, rooms, rng = case
    result = balanced(members, rooms, rng)
    assert_well_formed(result, members, rooms)
    assert_balanced(result, rooms)


@given(situations(), st.data())
@PROPERTIES
def test_preferences_keep_capacities_and_honour_the_most_first_choices(
    case: tuple[list[str], list[RoomSpec], random.Random], data: st.DataObject
) -> None:
    members, rooms, rng = case
    ids = [r.id for r in rooms] + ["nope"]
    prefs = {m: data.draw(st.lists(st.sampled_from(ids), max_size=3)) for m in set(members)}
    max_per_room = data.draw(st.one_of(st.none(), st.integers(1, 8)))
    result = by_preference(members, rooms, prefs, rng, max_per_room=max_per_room)
    assert_well_formed(result, members, rooms)
    members = list(dict.fromkeys(members))
    per_room = preference_limit(len(members), len(rooms)) if max_per_room is None else max_per_room
    limit = {r.id: min(per_room, math.inf if r.capacity is None else r.capacity) for r in rooms}
    first = {m: next((r for r in prefs[m] if r in limit), None) for m in members}
    honoured = sum(1 for m in members if first[m] is not None and result.room_of(m) == first[m])
    greedy: Counter[str] = Counter()  # in the members' order, each their first choice while it has room
    for m in members:
        choice = first[m]
        if choice is not None and greedy[choice] < limit[choice]:
            greedy[choice] += 1
    assert honoured >= sum(greedy.values())
    demand = Counter(r for r in first.values() if r is not None)
    if all(demand[r] <= limit[r] for r in demand):
        assert all(result.room_of(m) == first[m] for m in members if first[m] is not None)


@given(situations(), st.data())
@PROPERTIES
def test_reuse_keeps_capacities_and_groups(
    case: tuple[list[str], list[RoomSpec], random.Random], data: st.DataObject
) -> None:
    members, rooms, rng = case
    ids = [r.id for r in rooms] + ["gone"]
    previous = {m: data.draw(st.sampled_from(ids)) for m in set(members) if data.draw(st.booleans())}
    result = reuse(members, rooms, previous, rng)
    assert_well_formed(result, members, rooms)
    caps = {r.id: r.capacity for r in rooms}
    for room_id in set(previous.values()) & set(caps):
        group = {m for m, r in previous.items() if r == room_id}
        kept = group & set(result.rooms[room_id])
        assert len(kept) == min(len(group), caps[room_id] or len(group))  # as many as the room holds


@given(situations(), st.data())
@PROPERTIES
def test_rotation_keeps_capacities_hosts_and_balance(
    case: tuple[list[str], list[RoomSpec], random.Random], data: st.DataObject
) -> None:
    members, rooms, rng = case
    ids = [r.id for r in rooms]
    everyone = sorted(set(members))
    history = [
        {m: data.draw(st.sampled_from(ids)) for m in everyone} if ids else {}
        for _ in range(data.draw(st.integers(0, 3)))
    ]
    hosted = [r for r in ids if data.draw(st.booleans())] if everyone else []
    hosts = {r: data.draw(st.sampled_from(everyone)) for r in hosted}
    result = rotate(members, rooms, history, hosts, rng)
    assert_well_formed(result, members, rooms)
    assert_balanced(result, rooms)
    seen: set[str] = set()
    for room_id, host in hosts.items():
        if host not in seen:
            assert result.room_of(host) == room_id
        seen.add(host)
