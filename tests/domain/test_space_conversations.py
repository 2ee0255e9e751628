"""Conversations in the space: zones, bubbles forming, joining, merging, splitting, full, locked, quiet.

The examples walk people around a small map; the properties walk them at random and check, after
every step, the rules of ``rooms.space.conversations`` and that the reported changes are exactly
the differences.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.space.cells import Cells
from rooms.space.conversations import (
    BUBBLE_MAX,
    JOIN_PX,
    LEAVE_PX,
    Conversation,
    ConversationChanged,
    ConversationKind,
    Conversations,
    NoBubble,
)
from rooms.space.grid import tile_center
from rooms.space.model import SpaceMap, Zone, ZoneKind
from tests.domain.space_maps import space_map

# 24 × 12 tiles: a table (t), a private zone (p, 3 people), a stage (s), a quiet zone (q)
HALL = space_map(
    """
    ........................
    ........................
    ........................
    ........................
    ........................
    ........................
    .tttt.......pppp........
    .tttt.......pppp........
    ............pppp........
    .ssss...........qqqq....
    .ssss...........qqqq....
    ................qqqq....
    """,
    {"t": (ZoneKind.TABLE, 6), "p": (ZoneKind.PRIVATE, 3), "s": ZoneKind.STAGE, "q": ZoneKind.QUIET},
)
OPEN = (16, 16)  # a pixel in the open, top-left


def tile(col: int, row: int) -> tuple[int, int]:
    return tile_center((col, row))


class Room:
    """A room's positions, interest cells and conversations, moved the way the server moves them."""

    def __init__(self, space: SpaceMap = HALL, *, bubble_max: int = BUBBLE_MAX, near: str = "grid") -> None:
        self.space = space
        # who finds the neighbours: "grid" the conversations' own (as the server does), "cells" the
        # interest cells' near, "wide" a near giving everyone in the room
        self.mode = near
        self.positions: dict[str, tuple[int, int]] = {}
        self.cells = Cells()
        self.conv = Conversations(space, bubble_max=bubble_max)
        self.asked: list[str] = []

    def near(self, member_id: str) -> set[str]:
        self.asked.append(member_id)
        return set(self.positions) if self.mode == "wide" else self.cells.near(member_id)

    def move(self, **moves: tuple[int, int]) -> list[ConversationChanged]:
        for m, (x, y) in moves.items():
            self.positions[m] = (x, y)
            self.cells.place(m, x, y)
        return self.conv.update(self.positions, list(moves), None if self.mode == "grid" else self.near)

    def remove(self, member_id: str) -> list[ConversationChanged]:
        self.positions.pop(member_id)
        self.cells.remove(member_id)
        return self.conv.remove(member_id)

    def of(self, member_id: str) -> Conversation:
        """The member's conversation; they must be in one."""
        conv = self.conv.of(member_id)
        assert conv is not None, f"{member_id} is in no conversation"
        return conv

    def zone(self, member_id: str) -> Zone:
        zone = self.conv.zone_of(member_id)
        assert zone is not None, f"{member_id} is in no zone"
        return zone

    def groups(self) -> set[frozenset[str]]:
        return {c.members for c in self.conv.conversations()}

    def bubbles(self) -> set[frozenset[str]]:
        return {c.members for c in self.conv.conversations() if c.kind is ConversationKind.BUBBLE}


def at(x: int, y: int = 16) -> tuple[int, int]:
    return (x, y)


# -- bubbles ---------------------------------------------------------------------------------


def test_two_people_within_join_distance_form_a_bubble() -> None:
    room = Room()
    assert room.move(anna=at(100)) == []
    changes = room.move(ben=at(100 + JOIN_PX))
    bubble = Conversation("c1", ConversationKind.BUBBLE, None, frozenset({"anna", "ben"}))
    assert changes == [ConversationChanged("anna", bubble), ConversationChanged("ben", bubble)]
    assert room.conv.of("anna") == bubble
    assert room.conv.together("anna", "ben")


def test_two_people_just_beyond_join_distance_do_not() -> None:
    room = Room()
    room.move(anna=at(100), ben=at(100 + JOIN_PX + 1))
    assert room.conv.of("anna") is None
    assert not room.conv.together("anna", "ben")
    assert not room.conv.together("anna", "nobody")


def test_a_bubble_holds_until_leave_distance() -> None:
    room = Room()
    room.move(anna=at(100), ben=at(140))
    assert room.move(ben=at(100 + LEAVE_PX)) == []  # between join and leave: still together
    assert room.conv.together("anna", "ben")
    changes = room.move(ben=at(100 + LEAVE_PX + 1))
    assert changes == [ConversationChanged("anna", None), ConversationChanged("ben", None)]
    assert room.bubbles() == set()


def test_a_third_person_joins_and_everyone_hears_of_it() -> None:
    room = Room()
    room.move(anna=at(100), ben=at(140))
    changes = room.move(carl=at(200))  # 60 px from ben, 100 from anna
    assert [c.member_id for c in changes] == ["anna", "ben", "carl"]
    assert room.conv.of("carl") == Conversation("c1", ConversationKind.BUBBLE, None, frozenset({"anna", "ben", "carl"}))


def test_a_chain_stays_one_bubble_while_connected() -> None:
    room = Room()
    room.move(anna=at(100), ben=at(160), carl=at(220), dora=at(280))
    assert room.bubbles() == {frozenset({"anna", "ben", "carl", "dora"})}
    # anna and dora are 180 px apart, but each is within leave distance of the next
    room.move(ben=at(190))
    assert room.bubbles() == {frozenset({"anna", "ben", "carl", "dora"})}


def test_a_full_bubble_takes_no_one_and_the_rest_form_their_own() -> None:
    room = Room()
    room.move(a=at(100), b=at(120), c=at(140), d=at(160))
    assert room.bubbles() == {frozenset("abcd")}
    room.move(e=at(200))
    assert room.conv.of("e") is None
    room.move(f=at(250))
    assert room.bubbles() == {frozenset("abcd"), frozenset("ef")}


def test_a_bubble_with_room_again_takes_who_waits() -> None:
    room = Room()
    room.move(a=at(100), b=at(120), c=at(140), d=at(160))
    room.move(e=at(200))
    assert room.conv.of("e") is None
    room.move(a=at(600, 300))  # a walks away: the bubble has room; e is next to d
    assert room.bubbles() == {frozenset("bcde")}


def test_a_bubble_of_the_bubble_max_given() -> None:
    room = Room(bubble_max=2)
    room.move(a=at(100), b=at(120), c=at(140))
    assert room.bubbles() == {frozenset("ab")}
    with pytest.raises(ValueError, match="bubble_max"):
        Conversations(HALL, bubble_max=1)
    with pytest.raises(ValueError, match="bubble_max"):
        Conversations(HALL, bubble_max=7)


def test_a_split_bubble_is_kept_by_its_larger_part() -> None:
    room = Room()
    room.move(a=at(100), b=at(150), c=at(200), d=at(250))
    assert room.conv.of("a") is not None
    bubble_id = room.of("a").id
    room.move(d=at(700, 300))
    assert room.of("a").id == bubble_id
    room.move(a=at(100, 300))
    assert room.bubbles() == {frozenset("bc")}
    assert room.of("b").id == bubble_id


def test_a_bubble_falling_in_two_halves_becomes_two_bubbles() -> None:
    room = Room()
    room.move(a=at(100), b=at(150), c=at(200), d=at(250))
    room.move(c=at(500), d=at(550))  # c and d walk off together
    assert room.bubbles() == {frozenset("ab"), frozenset("cd")}
    assert room.of("a").id == "c1"  # (the half with the lowest id keeps it)
    assert room.of("c").id == "c2"


def test_two_small_bubbles_meeting_merge_and_two_large_ones_do_not() -> None:
    room = Room()
    room.move(a=at(100), b=at(150))
    room.move(c=at(400), d=at(450))
    room.move(c=at(200), d=at(230))
    assert room.bubbles() == {frozenset("abcd")}
    assert room.of("c").id == "c1"  # (the older takes the other in)
    big = Room(bubble_max=6)
    big.move(a=at(100), b=at(150), c=at(190), d=at(600), e=at(650), f=at(700), g=at(750))
    big.move(d=at(240))
    assert big.bubbles() == {frozenset("abcd"), frozenset("efg")}  # d changed bubble: 4 + 3 > 6


def test_a_lonely_person_leaves_and_joins_another_bubble_at_once() -> None:
    room = Room()
    room.move(a=at(100), b=at(150))
    room.move(c=at(400), d=at(450))
    room.move(b=at(350))  # b walks from a to c and d
    assert room.bubbles() == {frozenset("bcd")}
    assert room.conv.of("a") is None


def test_ids_are_made_in_order_and_repeat_with_the_same_moves() -> None:
    def walk() -> list[str]:
        room = Room()
        room.move(a=at(100), b=at(150))
        room.move(c=at(400), d=at(450))
        room.move(b=at(700, 300))
        room.move(a=at(420))
        return [c.id for c in room.conv.conversations()]

    assert walk() == walk() == ["c2"]


# -- locks -----------------------------------------------------------------------------------


def test_nobody_joins_a_locked_bubble() -> None:
    room = Room()
    room.move(a=at(100), b=at(150))
    changes = room.conv.lock("a", True)
    assert [c.member_id for c in changes] == ["a", "b"]
    assert room.of("b").locked
    room.move(c=at(200))
    assert room.conv.of("c") is None
    assert room.conv.lock("b", True) == []  # locked already: nothing changes
    unlocked = room.conv.lock("b", False)
    assert [c.member_id for c in unlocked] == ["a", "b"]
    assert room.move() == [
        ConversationChanged(m, Conversation("c1", ConversationKind.BUBBLE, None, frozenset("abc"))) for m in "abc"
    ]


def test_a_locked_bubble_merges_with_no_other() -> None:
    room = Room()
    room.move(a=at(100), b=at(150))
    room.move(c=at(400), d=at(450))
    room.conv.lock("d", True)
    room.move(c=at(200), d=at(230))
    assert room.bubbles() == {frozenset("ab"), frozenset("cd")}


def test_a_member_walks_out_of_a_locked_bubble() -> None:
    room = Room()
    room.move(a=at(100), b=at(150), c=at(200))
    room.conv.lock("a", True)
    room.move(c=at(600))
    assert room.bubbles() == {frozenset("ab")}
    assert room.of("a").locked


def test_locking_outside_a_bubble_is_refused() -> None:
    room = Room()
    room.move(a=at(100), t1=tile(2, 6), t2=tile(3, 7))
    with pytest.raises(NoBubble) as caught:
        room.conv.lock("a", True)
    assert caught.value.code == "no_bubble"
    with pytest.raises(NoBubble):
        room.conv.lock("t1", True)  # a table is not a bubble
    with pytest.raises(NoBubble):
        room.conv.lock("nobody", False)


# -- zones -----------------------------------------------------------------------------------


def test_everyone_at_a_table_is_in_its_conversation_whatever_the_distance() -> None:
    room = Room()
    changes = room.move(a=tile(1, 6))
    table = Conversation("c1", ConversationKind.TABLE, "zt", frozenset("a"))
    assert changes == [ConversationChanged("a", table)]
    room.move(b=tile(4, 7))
    assert room.conv.of("a") == Conversation("c1", ConversationKind.TABLE, "zt", frozenset("ab"))
    assert room.conv.occupancy() == {"zt": 2}


def test_someone_beside_a_table_is_not_at_it() -> None:
    room = Room()
    room.move(a=tile(4, 6), b=tile(5, 6))  # b stands next to the table, 32 px from a
    assert room.of("a").members == {"a"}
    assert room.conv.of("b") is None
    room.move(c=tile(6, 6))
    assert room.bubbles() == {frozenset("bc")}


def test_sitting_down_at_a_table_leaves_the_bubble() -> None:
    room = Room()
    room.move(a=tile(6, 6), b=tile(7, 6))
    changes = room.move(a=tile(4, 6))
    assert {c.member_id for c in changes} == {"a", "b"}
    assert room.of("a").kind is ConversationKind.TABLE
    assert room.conv.of("b") is None  # a bubble of one is gone


def test_a_table_left_empty_is_gone_and_comes_back_with_a_new_id() -> None:
    room = Room()
    room.move(a=tile(1, 6))
    assert room.move(a=tile(1, 3)) == [ConversationChanged("a", None)]
    assert room.conv.occupancy() == {}
    room.move(a=tile(1, 6))
    assert room.of("a").id == "c2"


def test_a_private_zone_and_a_stage() -> None:
    room = Room()
    room.move(a=tile(12, 6), b=tile(15, 8), s=tile(1, 9), t=tile(4, 10))
    assert room.of("a").kind is ConversationKind.PRIVATE
    assert room.conv.together("a", "b")
    assert room.of("s").kind is ConversationKind.STAGE
    assert room.conv.stage() == {"s", "t"}
    assert room.conv.occupancy() == {"zp": 2, "zs": 2}
    assert room.zone("a").id == "zp"


def test_nobody_talks_in_a_quiet_zone() -> None:
    room = Room()
    room.move(a=tile(16, 9), b=tile(17, 9), c=tile(16, 10))
    assert room.groups() == set()
    assert room.zone("a").kind is ZoneKind.QUIET
    room.move(d=tile(15, 9))  # just outside, 32 px from a
    assert room.conv.of("d") is None
    room.move(a=tile(15, 10))  # a steps out next to d
    assert room.bubbles() == {frozenset("ad")}
    room.move(d=tile(16, 11))  # d steps in: out of the bubble
    assert room.bubbles() == set()


def test_the_stricter_zone_decides_where_zones_overlap() -> None:
    space = space_map(
        """
        qqqqqq
        qttqpp
        qttqpp
        """,
        {"q": ZoneKind.QUIET, "t": ZoneKind.TABLE, "p": ZoneKind.PRIVATE},
    )
    # q's bounding box covers the whole map, so t and p lie inside the quiet zone
    room = Room(space)
    room.move(a=tile(1, 1), b=tile(2, 2), c=tile(4, 1), d=tile(0, 0))
    assert room.of("a").kind is ConversationKind.TABLE
    assert room.of("c").kind is ConversationKind.PRIVATE
    assert room.conv.of("d") is None


# -- leaving the room --------------------------------------------------------------------------


def test_leaving_the_room_leaves_the_conversation() -> None:
    room = Room()
    room.move(a=at(100), b=at(150), c=at(200))
    changes = room.remove("b")  # the link between a and c
    assert {c.member_id for c in changes} == {"a", "b", "c"}
    assert room.conv.of("b") is None
    assert room.bubbles() == set()  # a and c are 100 px apart: further than leave distance
    assert room.remove("a") == []
    room.move(t=tile(1, 6))
    assert room.remove("t") == [ConversationChanged("t", None)]
    assert room.conv.occupancy() == {}


def test_who_waits_joins_after_a_member_left_the_room() -> None:
    room = Room()
    room.move(a=at(100), b=at(120), c=at(140), d=at(160))
    room.move(e=at(200))
    room.remove("a")
    assert room.conv.of("e") is None  # settled by the next update
    room.move()
    assert room.bubbles() == {frozenset("bcde")}


# -- costs -----------------------------------------------------------------------------------


def test_an_update_asks_for_the_neighbours_of_the_movers_and_the_people_they_meet_only() -> None:
    room = Room(space_map("\n".join(["." * 200] * 100)), near="cells")
    crowd = {f"m{i:03}": (40 + (i % 40) * 150, 40 + (i // 40) * 150) for i in range(1000)}
    room.move(**crowd)
    assert room.bubbles() == set()  # 150 px apart: nobody near anybody
    room.asked.clear()
    room.move(m000=(40, 100), m001=(190, 100), m002=(340, 100))
    assert sorted(room.asked) == ["m000", "m001", "m002"]
    room.asked.clear()
    room.move(m000=(40, 140))  # 50 px from m040 (at 40, 190): they form a bubble
    assert room.bubbles() == {frozenset({"m000", "m040"})}
    assert sorted(room.asked) == ["m000", "m040"]


# -- properties ------------------------------------------------------------------------------

MEMBERS = [f"p{i}" for i in range(9)]
COORD_X = st.integers(0, HALL.pixel_width - 1)
COORD_Y = st.integers(0, HALL.pixel_height - 1)


@dataclass(frozen=True)
class Move:
    moves: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Remove:
    member_id: str


@dataclass(frozen=True)
class Lock:
    member_id: str
    locked: bool


Action = Move | Remove | Lock
locks = st.builds(Lock, st.sampled_from(MEMBERS), st.booleans())


def moves(x: st.SearchStrategy[int], y: st.SearchStrategy[int], most: int) -> st.SearchStrategy[Move]:
    return st.builds(Move, st.dictionaries(st.sampled_from(MEMBERS), st.tuples(x, y), min_size=1, max_size=most))


# anywhere on the map: in and out of the zones
walks = st.lists(
    st.one_of(
        moves(COORD_X, COORD_Y, 4), moves(COORD_X, COORD_Y, 4), st.builds(Remove, st.sampled_from(MEMBERS)), locks
    ),
    min_size=5,
    max_size=25,
)
# people milling about in a 320 × 160 px patch of open floor: many bubbles, full ones, splits, merges
crowds = st.lists(
    st.one_of(
        moves(st.integers(200, 520), st.integers(0, 160), 3),
        moves(st.integers(200, 520), st.integers(0, 160), 3),
        locks,
    ),
    min_size=10,
    max_size=30,
)


def distance2(a: tuple[int, int], b: tuple[int, int]) -> int:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def connected(members: Iterable[str], positions: dict[str, tuple[int, int]], limit: int) -> bool:
    members = list(members)
    reached = {members[0]}
    grew = True
    while grew:
        grew = False
        for m in members:
            if m not in reached and any(distance2(positions[m], positions[r]) <= limit**2 for r in reached):
                reached.add(m)
                grew = True
    return len(reached) == len(members)


def zone_groups(room: Room) -> set[tuple[str, frozenset[str]]]:
    return {(c.zone_id, c.members) for c in room.conv.conversations() if c.zone_id is not None}


def check_rules(room: Room) -> None:
    """The module's rules, checked from scratch over all pairs (the slow, obvious way)."""
    conv, positions, cap = room.conv, room.positions, room.conv.bubble_max
    everyone = sorted(positions)
    convs = conv.conversations()
    seen: set[str] = set()
    for c in convs:
        assert not seen & c.members, "someone is in two conversations"
        seen |= c.members
        for m in c.members:
            assert conv.of(m) == c
    for m in everyone:
        if m not in seen:
            assert conv.of(m) is None
    area = {m: conv.zone_of(m) for m in everyone}
    for m in everyone:
        zone = area[m]
        mine = conv.of(m)
        if zone is None:
            assert mine is None or mine.kind is ConversationKind.BUBBLE
        elif zone.kind is ZoneKind.QUIET:
            assert mine is None, "a conversation in a quiet zone"
        else:
            assert mine is not None and mine.zone_id == zone.id
            assert mine.members == {n for n in everyone if (z := area[n]) is not None and z.id == zone.id}
    assert conv.occupancy() == {c.zone_id: len(c.members) for c in convs if c.zone_id is not None}
    assert conv.stage() == {m for c in convs if c.kind is ConversationKind.STAGE for m in c.members}
    bubbles = [c for c in convs if c.kind is ConversationKind.BUBBLE]
    for bubble in bubbles:
        assert 2 <= len(bubble.members) <= cap
        assert connected(bubble.members, positions, LEAVE_PX), "a bubble not held together"
        assert all(area[m] is None for m in bubble.members)
    outside = [m for m in everyone if area[m] is None]
    for a, b in itertools.combinations(outside, 2):
        if distance2(positions[a], positions[b]) > JOIN_PX**2:
            continue
        ca, cb = conv.of(a), conv.of(b)
        assert not (ca is None and cb is None), f"{a} and {b} are close and alone"
        for lone, host in ((ca, cb), (cb, ca)):
            if lone is None and host is not None:
                assert host.locked or len(host.members) == cap, "someone waits beside a bubble with room"
        if ca is not None and cb is not None and ca != cb:
            fits = len(ca.members) + len(cb.members) <= cap
            assert ca.locked or cb.locked or not fits, "two bubbles that fit together stay apart"


def unique_result(room: Room) -> bool:
    """Whether the rules leave one possible set of bubbles (see the module docstring)."""
    positions = room.positions
    outside = [m for m in sorted(positions) if room.conv.zone_of(m) is None]
    if any(c.locked for c in room.conv.conversations()):
        return False
    for a, b in itertools.combinations(outside, 2):
        if JOIN_PX**2 < distance2(positions[a], positions[b]) <= LEAVE_PX**2:
            return False
    return all(len(g) <= room.conv.bubble_max for g in join_groups(room))


def join_groups(room: Room) -> list[frozenset[str]]:
    positions = room.positions
    outside = [m for m in sorted(positions) if room.conv.zone_of(m) is None]
    groups: list[set[str]] = []
    for m in outside:
        linked = [g for g in groups if any(distance2(positions[m], positions[n]) <= JOIN_PX**2 for n in g)]
        merged = {m}.union(*linked)
        groups = [g for g in groups if g not in linked] + [merged]
    return [frozenset(g) for g in groups]


def act(room: Room, action: Action) -> list[ConversationChanged] | None:
    """Do the action; None when it was refused (NoBubble) or named someone not in the room."""
    if isinstance(action, Move):
        return room.move(**action.moves)
    if action.member_id not in room.positions:
        return None
    if isinstance(action, Remove):
        return room.remove(action.member_id)
    try:
        return room.conv.lock(action.member_id, action.locked)
    except NoBubble:
        conv = room.conv.of(action.member_id)
        assert conv is None or conv.kind is not ConversationKind.BUBBLE
        return None


def run(actions: list[Action], bubble_max: int = BUBBLE_MAX) -> None:
    room = Room(bubble_max=bubble_max)
    for action in actions:
        before = {m: room.conv.of(m) for m in MEMBERS}
        changes = act(room, action)
        after = {m: room.conv.of(m) for m in MEMBERS}
        if changes is None:
            assert after == before
            continue
        # the changes reported are exactly the differences, once each, in member order
        assert changes == [ConversationChanged(m, after[m]) for m in sorted(MEMBERS) if after[m] != before[m]]
        if not isinstance(action, Move):
            continue
        check_rules(room)
        fresh = Room(bubble_max=bubble_max)
        fresh.move(**room.positions)
        check_rules(fresh)
        assert zone_groups(fresh) == zone_groups(room)
        if unique_result(room):
            expected = {g for g in join_groups(room) if len(g) >= 2}
            assert room.bubbles() == fresh.bubbles() == expected


@settings(max_examples=300, deadline=None)
@given(walks)
def test_the_rules_hold_after_any_walk(actions: list[Action]) -> None:
    run(actions)


@settings(max_examples=300, deadline=None)
@given(crowds)
def test_the_rules_hold_in_a_crowd(actions: list[Action]) -> None:
    run(actions)


@settings(max_examples=150, deadline=None)
@given(crowds, st.integers(2, 6))
def test_the_rules_hold_for_any_bubble_size(actions: list[Action], bubble_max: int) -> None:
    run(actions, bubble_max)


@settings(max_examples=100, deadline=None)
@given(crowds)
def test_the_result_does_not_depend_on_how_wide_near_looks(actions: list[Action]) -> None:
    """The neighbours' grid only narrows the search: the interest cells or everyone give the same conversations."""
    rooms = [Room(), Room(near="cells"), Room(near="wide")]
    for action in actions:
        results = [act(room, action) for room in rooms]
        assert results[0] == results[1] == results[2]
    assert rooms[0].conv.conversations() == rooms[1].conv.conversations() == rooms[2].conv.conversations()
