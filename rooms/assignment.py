"""Who goes to which breakout room: pure assignment algorithms.

Every function takes the members to place (ids; a repeated id counts once), the rooms as
``RoomSpec`` and a ``random.Random``: the same inputs and the same generator state give the same
``Assignment``. Rules that hold for all of them:

- A room's ``capacity`` (None: no limit) is never exceeded.
- Everyone is placed when the rooms hold enough people; otherwise the rest are ``unplaced``
  (they stay in the plenary).
- ``fixed`` members (a room's host, say) are placed where the mapping says and count towards the
  room's size; the others are placed around them.
- "Balanced" means: a person goes to the least-filled room that has space, so the sizes of the
  rooms that are not full differ by at most one (from an empty start).

``check_manual`` validates an assignment made by hand.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from boards.errors import Conflict, InvalidInput, NotFound

ROOM_REVISIT_COST = 2  # rotate: a return to a room one sat in before
PAIR_REPEAT_COST = 1  # rotate: per earlier meeting of two people who would sit together again
ROTATION_EFFORT = 40_000  # rotate: how many candidate moves the local search may weigh at most
PREFERENCE_SLACK = 1.5  # by_preference: a room fills by choice up to 1.5 times an even share

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RoomSpec:
    id: str
    capacity: int | None = None  # None: no limit
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """The outcome: the members of each room (every room appears, in the rooms' order), and who found no place."""

    rooms: dict[str, tuple[str, ...]]
    unplaced: tuple[str, ...] = ()
    _room_of: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_room_of", {m: room for room, ms in self.rooms.items() for m in ms})

    def room_of(self, member_id: str) -> str | None:
        """The member's room; None for someone unplaced or not assigned at all."""
        return self._room_of.get(member_id)

    @property
    def placement(self) -> dict[str, str]:
        """Member → room, for everyone placed."""
        return dict(self._room_of)

    def sizes(self) -> dict[str, int]:
        return {room: len(ms) for room, ms in self.rooms.items()}


class _Rooms:
    """The rooms as indexes with capacities (``math.inf`` for none), and the placement being built."""

    def __init__(self, rooms: Sequence[RoomSpec]) -> None:
        self.ids = [r.id for r in rooms]
        self.index = {rid: i for i, rid in enumerate(self.ids)}
        if len(self.index) != len(self.ids):
            raise InvalidInput("Each room may appear only once.", code="duplicate_room")
        self.caps: list[float] = []
        for r in rooms:
            if r.capacity is not None and r.capacity < 0:
                raise InvalidInput(f"The capacity of room {r.id!r} is negative.", code="invalid_capacity")
            self.caps.append(math.inf if r.capacity is None else r.capacity)
        self.counts = [0] * len(self.ids)
        self.placed: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def space(self, i: int) -> float:
        return self.caps[i] - self.counts[i]

    def put(self, member: str, i: int) -> None:
        self.placed[member] = i
        self.counts[i] += 1

    def fix(self, fixed: Mapping[str, str] | None, members: Sequence[str]) -> None:
        """Place the fixed members (only those among ``members``), checked like a manual assignment."""
        if not fixed:
            return
        wanted = set(members)
        for member, room in fixed.items():
            if member not in wanted:
                continue
            i = self._room(room)
            if self.space(i) < 1:
                raise Conflict(f"Room {room!r} is full.", code="room_full")
            self.put(member, i)

    def _room(self, room: str) -> int:
        i = self.index.get(room)
        if i is None:
            raise NotFound(f"There is no breakout room {room!r}.", code="no_such_room")
        return i

    def spread(self, members: Iterable[str], tiebreak: Sequence[int] | None = None) -> None:
        """Each member in turn to the least-filled room with space (ties: ``tiebreak`` rank, else room order)."""
        rank = tiebreak or range(len(self.ids))
        heap = [(self.counts[i], rank[i], i) for i in range(len(self.ids)) if self.space(i) >= 1]
        heapq.heapify(heap)
        for member in members:
            if not heap:
                return
            _count, r, i = heap[0]
            self.put(member, i)
            if self.space(i) >= 1:
                heapq.heapreplace(heap, (self.counts[i], r, i))
            else:
                heapq.heappop(heap)

    def result(self, members: Sequence[str]) -> Assignment:
        """The assignment, each room's members in the order of ``members``."""
        lists: list[list[str]] = [[] for _ in self.ids]
        unplaced: list[str] = []
        for m in members:
            i = self.placed.get(m)
            if i is None:
                unplaced.append(m)
            else:
                lists[i].append(m)
        return Assignment({rid: tuple(ms) for rid, ms in zip(self.ids, lists, strict=True)}, tuple(unplaced))


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def _rest(members: Sequence[str], rooms: _Rooms) -> list[str]:
    return [m for m in members if m not in rooms.placed]


def balanced(
    members: Sequence[str], rooms: Sequence[RoomSpec], rng: random.Random, *, fixed: Mapping[str, str] | None = None
) -> Assignment:
    """Random, balanced: members in random order, each to the least-filled room with space.

    Ties between equally filled rooms are broken by a random order of the rooms, so no room is
    always the one that gets the extra person.
    """
    ms = _unique(members)
    state = _Rooms(rooms)
    state.fix(fixed, ms)
    rest = _rest(ms, state)
    rng.shuffle(rest)
    state.spread(rest, rng.sample(range(len(state)), len(state)))
    return state.result(ms)


def preference_limit(members: int, rooms: int) -> int:
    """How many a room takes by choice when no ``max_per_room`` is given: ceil(1.5 × members / rooms)."""
    if rooms == 0:
        return 0
    return math.ceil(PREFERENCE_SLACK * members / rooms)


def by_preference(
    members: Sequence[str],
    rooms: Sequence[RoomSpec],
    preferences: Mapping[str, Sequence[str]],
    rng: random.Random,
    *,
    fixed: Mapping[str, str] | None = None,
    max_per_room: int | None = None,
) -> Assignment:
    """Topic choice (World Café, open space): ranked choices honoured by rank, the rest spread to balance.

    The rule: a room fills *by choice* up to its limit, the smaller of its capacity and
    ``max_per_room`` (by default ``preference_limit``: 1.5 times an even share, rounded up), so a
    popular topic does not swallow everyone while a favourite may still draw a larger group.

    1. First choices: each room takes everyone who chose it first, up to its limit; when more chose
       it than fit, a random draw decides who. This honours as many first choices as any
       assignment under the same limits can.
    2. Those left over try their second choice with the space left, then the third, and so on.
    3. Everyone still without a room (no usable choice, or all their choices full) goes to the
       least-filled room with space, by capacity only: a room passes ``max_per_room`` this way
       only when every other room is full or at least as full.

    Unknown room ids and repeats in a member's choices are ignored; so are the choices of people
    who are not among ``members``.
    """
    ms = _unique(members)
    state = _Rooms(rooms)
    state.fix(fixed, ms)
    per_room = preference_limit(len(ms), len(state)) if max_per_room is None else max_per_room
    limits = [min(cap, per_room) for cap in state.caps]
    choices: dict[str, list[int]] = {}
    for m in _rest(ms, state):
        ranked = _unique(state.index[r] for r in preferences.get(m, ()) if r in state.index)
        if ranked:
            choices[m] = ranked
    waiting = list(choices)
    rank = 0
    while waiting:
        demand: dict[int, list[str]] = {}
        for m in waiting:
            if rank < len(choices[m]):
                demand.setdefault(choices[m][rank], []).append(m)
        after: set[str] = set()
        for i in sorted(demand):
            wanting = demand[i]
            room = max(0, int(min(limits[i] - state.counts[i], len(wanting))))
            if room < len(wanting):
                rng.shuffle(wanting)
            for m in wanting[:room]:
                state.put(m, i)
            after.update(wanting[room:])
        rank += 1
        waiting = [m for m in waiting if m in after and rank < len(choices[m])]
    rest = _rest(ms, state)
    rng.shuffle(rest)
    state.spread(rest, rng.sample(range(len(state)), len(state)))
    return state.result(ms)


def reuse(
    members: Sequence[str],
    rooms: Sequence[RoomSpec],
    previous: Mapping[str, str],
    rng: random.Random,
    *,
    fixed: Mapping[str, str] | None = None,
) -> Assignment:
    """Earlier groups again: who had a room that still exists goes back to it; newcomers fill balanced.

    When a room's capacity has become smaller than its earlier group, a random draw decides who
    stays; the others are placed like newcomers.
    """
    ms = _unique(members)
    state = _Rooms(rooms)
    state.fix(fixed, ms)
    groups: dict[int, list[str]] = {}
    newcomers: list[str] = []
    for m in _rest(ms, state):
        i = state.index.get(previous[m], -1) if m in previous else -1
        if i < 0:
            newcomers.append(m)
        else:
            groups.setdefault(i, []).append(m)
    for i, group in groups.items():
        room = int(min(state.space(i), len(group)))
        if room < len(group):
            rng.shuffle(group)
        for m in group[:room]:
            state.put(m, i)
        newcomers += group[room:]
    rng.shuffle(newcomers)
    state.spread(newcomers, rng.sample(range(len(state)), len(state)))
    return state.result(ms)


def fill(members: Sequence[str], rooms: Sequence[RoomSpec], placed: Mapping[str, str]) -> Assignment:
    """Those already ``placed`` stay; each of ``members`` not placed yet goes to the least-filled room with space.

    No randomness: ties go to the room listed first. For late joiners into rooms that are running.
    """
    state = _Rooms(rooms)
    for member, room in placed.items():
        state.put(member, state._room(room))
    everyone = _unique([*placed, *members])
    state.spread(_rest(everyone, state))
    return state.result(everyone)


def check_manual(mapping: Mapping[str, str], rooms: Sequence[RoomSpec]) -> Assignment:
    """A facilitator's own assignment (member → room), if every room exists and none is over capacity."""
    state = _Rooms(rooms)
    for member, room in mapping.items():
        i = state._room(room)
        if state.space(i) < 1:
            cap = int(state.caps[i])
            raise Conflict(f"Room {room!r} holds at most {cap} {'person' if cap == 1 else 'people'}.", code="room_full")
        state.put(member, i)
    return state.result(list(mapping))


# -- rotation -------------------------------------------------------------------------------


def rotate(
    members: Sequence[str],
    rooms: Sequence[RoomSpec],
    history: Sequence[Mapping[str, str]],
    hosts: Mapping[str, str],
    rng: random.Random,
    *,
    effort: int = ROTATION_EFFORT,
) -> Assignment:
    """World Café: hosts stay at their table, everyone else moves on and meets new people.

    ``history`` holds the earlier rounds (member → room), ``hosts`` room → member. A host among
    ``members`` stays in their room (someone named host of several rooms hosts the first of them).
    The sizes are balanced exactly as ``balanced`` would make them (hosts count), and within those
    sizes the assignment keeps the cost low:

    - ``ROOM_REVISIT_COST`` for each time a participant was in their new room before, and
    - ``PAIR_REPEAT_COST`` for each earlier meeting of two people who sit together again (a host
      included: hosts stay, so a return to a room also repeats the pair with its host).

    A greedy placement (those with the most history first, each to the free seat that costs least)
    is improved by swapping people between rooms, or moving one into a room one smaller, while
    that lowers the cost; if some cost remains, a tabu search keeps swapping a person who still
    repeats someone, for at most ``effort`` weighed moves, and the best assignment seen is the
    result. When an assignment without any repeat exists, this finds one in the cases the tests
    construct (4 × 4 and 5 × 5 with two or three earlier rounds); in general it minimises, without
    a guarantee.
    """
    ms = _unique(members)
    state = _Rooms(rooms)
    n_rooms = len(state)
    present = set(ms)
    fixed: dict[str, str] = {}
    for rid in state.ids:
        host = hosts.get(rid)
        if host is not None and host in present and host not in fixed and state.caps[state.index[rid]] >= 1:
            fixed[host] = rid
    state.fix(fixed, ms)
    movers = _rest(ms, state)
    rng.shuffle(movers)
    # the sizes: as balanced would make them
    sizes = _Rooms(rooms)
    sizes.counts = list(state.counts)
    sizes.spread(movers, rng.sample(range(n_rooms), n_rooms))
    target = sizes.counts
    seats = sum(target) - sum(state.counts)
    movers = movers[:seats]  # the rest stay unplaced
    if not movers:
        return state.result(ms)

    # who met whom, who sat where: indexes into ms
    index = {m: k for k, m in enumerate(ms)}
    met: list[dict[int, int]] = [{} for _ in ms]
    cost = [[0] * n_rooms for _ in ms]  # cost[x][i]: what x would cost in room i as it is now
    for past in history:
        tables: dict[str, list[int]] = {}
        for m, rid in past.items():
            k = index.get(m)
            if k is None:
                continue
            tables.setdefault(rid, []).append(k)
            i = state.index.get(rid)
            if i is not None:
                cost[k][i] += ROOM_REVISIT_COST
        for table in tables.values():
            for a in table:
                seen = met[a]
                for b in table:
                    if a != b:
                        seen[b] = seen.get(b, 0) + PAIR_REPEAT_COST
    room_of = [-1] * len(ms)

    def enter(k: int, i: int) -> None:
        room_of[k] = i
        for y, w in met[k].items():
            cost[y][i] += w

    def leave(k: int, i: int) -> None:
        for y, w in met[k].items():
            cost[y][i] -= w

    for member, i in state.placed.items():
        enter(index[member], i)
    counts = list(state.counts)
    fixed_count = list(state.counts)

    # greedy: the most constrained first, each to the free seat that costs least (ties at random)
    order = sorted((index[m] for m in movers), key=lambda k: -len(met[k]))
    total = 0
    for k in order:
        row = cost[k]
        best = math.inf
        options: list[int] = []
        for i in range(n_rooms):
            if counts[i] < target[i]:
                c = row[i]
                if c < best:
                    best, options = c, [i]
                elif c == best:
                    options.append(i)
        i = options[0] if len(options) == 1 else rng.choice(options)
        total += row[i]  # the pairs with those seated before, once each
        enter(k, i)
        counts[i] += 1

    caps = state.caps
    mine = list(order)

    def best_move(a: int, tabu: list[int] | None, step: int, ceiling: float) -> tuple[float, int, int]:
        """The best swap partner (or -1 and a room to move into) for ``a``: (delta, partner, room)."""
        here = room_of[a]
        row = cost[a]
        pairs = met[a]
        mine_here = row[here]
        best: tuple[float, int, int] = (math.inf, -1, -1)
        ties = 0
        for b in mine:
            there = room_of[b]
            if there == here:
                continue
            if tabu is not None and tabu[b] > step:
                continue
            rb = cost[b]
            delta = row[there] - mine_here + rb[here] - rb[there] - 2 * pairs.get(b, 0)
            if delta < best[0]:
                best, ties = (delta, b, there), 1
            elif delta == best[0]:
                ties += 1
                if rng.randrange(ties) == 0:
                    best = (delta, b, there)
        for i in range(n_rooms):
            if i != here and counts[i] + 1 == counts[here] and counts[i] < caps[i] and counts[here] > fixed_count[here]:
                delta = row[i] - mine_here
                if delta < best[0]:
                    best = (delta, -1, i)
        return best if best[0] < ceiling else (math.inf, -1, -1)

    def do(a: int, b: int, i: int) -> None:
        here = room_of[a]
        leave(a, here)
        if b >= 0:
            leave(b, i)
            enter(b, here)
        else:
            counts[here] -= 1
            counts[i] += 1
        enter(a, i)

    budget = effort
    # descent
    improved = True
    while improved and total > 0 and budget > 0:
        improved = False
        troubled = [a for a in mine if cost[a][room_of[a]] > 0]
        rng.shuffle(troubled)
        for a in troubled:
            if cost[a][room_of[a]] <= 0:
                continue
            budget -= len(mine)
            delta, b, i = best_move(a, None, 0, 0)
            if b >= 0 or i >= 0:
                do(a, b, i)
                total += int(delta)
                improved = True
            if budget <= 0:
                break
    # tabu search, keeping the best
    best_total, best_rooms = total, list(room_of)
    tabu = [0] * len(ms)
    step = 0
    while total > 0 and budget > 0:
        step += 1
        troubled = [a for a in mine if cost[a][room_of[a]] > 0]
        free = [a for a in troubled if tabu[a] <= step] or troubled
        a = rng.choice(free)
        budget -= len(mine)
        delta, b, i = best_move(a, tabu, step, math.inf)
        if b < 0 and i < 0:
            tabu[a] = step + 1
            continue
        do(a, b, i)
        total += int(delta)
        tenure = 2 + rng.randrange(3 + len(mine) // 8)
        tabu[a] = step + tenure
        if b >= 0:
            tabu[b] = step + tenure
        if total < best_total:
            best_total, best_rooms = total, list(room_of)
    for k in mine:
        state.put(ms[k], best_rooms[k])
    return state.result(ms)
