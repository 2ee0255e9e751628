"""Who talks with whom in a room's space: zone conversations and proximity bubbles.

Rules (the spec; ``tests/domain/test_space_conversations.py`` checks them, by example and by
property over random walks):

- Each person is in at most one conversation. Where they stand decides which:
  - in a **private** zone or at a **table**: that zone's conversation (kind ``private`` / ``table``),
    with everyone else in the zone, whatever the distance;
  - on a **stage**: the stage's conversation (kind ``stage``; ``stage()`` names everyone on a stage
    of the room: the rest of the room receives them);
  - in a **quiet** zone: none;
  - elsewhere: a bubble, or none.
  Where zones overlap, the first of private, table, stage, quiet decides (then the map's order).
  A zone's conversation exists while anyone is in it (one person at a table is "at the table"); it
  gets a new id when the zone fills again after it was empty. Capacity is not checked here but when
  moving (``movement.check_move``).
- **Bubbles** (kind ``bubble``), for people outside those zones:
  - two people without a conversation within ``JOIN_PX`` (64 px) of each other form a bubble;
  - a person without a conversation within ``JOIN_PX`` of a bubble's member joins that bubble unless
    it is full (``bubble_max``, 4 by default) or locked; with several such bubbles, the one of the
    nearest member (then the lowest member id); joining a bubble goes before forming a new one;
  - two unlocked bubbles whose members come within ``JOIN_PX`` of each other merge when together they
    are not larger than ``bubble_max``: the larger one takes the other in (on a tie, the older);
  - a bubble stays together as long as its members are connected by steps of at most ``LEAVE_PX``
    (96 px) from member to member: a member further than that from every other member leaves it; a
    bubble that falls apart into groups is kept by the largest group (on a tie, the group with the
    lowest member id), the other groups of two or more become new bubbles, unlocked, and whoever is
    alone is out of any bubble (and may join or form another at once); a bubble of one is gone.
    ``JOIN_PX`` < ``LEAVE_PX``: the gap keeps a bubble from flickering at its edge.
  - A member locks and unlocks their bubble (``lock``; NoBubble "no_bubble" outside a bubble): nobody
    joins a locked bubble and it merges with no other; its members still leave it by walking away.
- After each ``update`` the state is *settled*: no two people without a conversation are within
  ``JOIN_PX`` of each other outside zones; nobody without a conversation is within ``JOIN_PX`` of a
  member of a bubble that is neither full nor locked; no two unlocked bubbles that would fit into one
  have members within ``JOIN_PX`` of each other; every bubble has 2 to ``bubble_max`` members,
  connected by steps of at most ``LEAVE_PX``. Which settled state is reached can depend on the
  history (a pair 80 px apart stays a bubble but would not form one; who joined first), so the
  result is unique only where no distance lies between ``JOIN_PX`` and ``LEAVE_PX``, no bubble is
  locked and no group of people linked by steps of ``JOIN_PX`` is larger than ``bubble_max``: then the
  bubbles are exactly those groups of two or more.
- ``remove`` (someone left the room) and unlocking take effect at once for the conversation
  concerned; who may join the bubble that now has room is settled by the next ``update``.
- Ids are ``c1``, ``c2``, … in the order conversations are made, per ``Conversations`` (per room):
  the same moves give the same ids. A merge keeps the taking bubble's id; a split keeps the bubble's
  id for the group that keeps it.
- Changes: ``update``, ``remove`` and ``lock`` return one ``ConversationChanged`` for each member
  whose conversation is now different (another one, none, or the same one with other members or
  another lock state), by member id.

Costs: ``update`` looks at the people who moved (``moved``), those who lost or changed their
bubble because of it, and their neighbours within ``JOIN_PX`` (at most once per person per update);
checking a bubble's members against each other costs at most ``bubble_max``². Nothing is ever
compared across all pairs of a room. The neighbours come from a grid of ``JOIN_PX`` cells kept here
(the 3 × 3 cells around a person hold everyone within ``JOIN_PX``): the interest cells (320 px)
would hand over some 25 times as many people to measure. ``near`` may replace it (for tests).

Error::

    Conflict ── NoBubble   code "no_bubble"
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from boards.errors import Conflict
from rooms.space.model import SpaceMap, Zone, ZoneKind
from rooms.space.zones import zone_index

JOIN_PX = 64  # two tiles
LEAVE_PX = 96  # three tiles
BUBBLE_MAX = 4
MEDIA_MAX = 6  # people in one conversation's audio and video (peer to peer)

_JOIN2 = JOIN_PX * JOIN_PX
_LEAVE2 = LEAVE_PX * LEAVE_PX
# which zone decides a person's conversation where zones overlap
_PRECEDENCE = (ZoneKind.PRIVATE, ZoneKind.TABLE, ZoneKind.STAGE, ZoneKind.QUIET)


class ConversationKind(enum.StrEnum):
    BUBBLE = "bubble"
    TABLE = "table"
    PRIVATE = "private"
    STAGE = "stage"


_ZONE_CONVERSATION = {
    ZoneKind.TABLE: ConversationKind.TABLE,
    ZoneKind.PRIVATE: ConversationKind.PRIVATE,
    ZoneKind.STAGE: ConversationKind.STAGE,
}


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    kind: ConversationKind
    zone_id: str | None
    members: frozenset[str]
    locked: bool = False


@dataclass(frozen=True, slots=True)
class ConversationChanged:
    member_id: str
    conversation: Conversation | None  # that member's conversation now


class NoBubble(Conflict):
    code = "no_bubble"


class _Conv:
    """A conversation as kept here: mutable, with a frozen snapshot made when asked for."""

    __slots__ = ("_snapshot", "id", "kind", "locked", "members", "serial", "zone_id")

    def __init__(self, serial: int, kind: ConversationKind, zone_id: str | None) -> None:
        self.serial = serial
        self.id = f"c{serial}"
        self.kind = kind
        self.zone_id = zone_id
        self.members: set[str] = set()
        self.locked = False
        self._snapshot: Conversation | None = None

    def changed(self) -> None:
        self._snapshot = None

    def snapshot(self) -> Conversation:
        if self._snapshot is None:
            self._snapshot = Conversation(self.id, self.kind, self.zone_id, frozenset(self.members), self.locked)
        return self._snapshot


class Conversations:
    """The conversations of one room's space (see the module's rules)."""

    def __init__(self, space: SpaceMap, *, bubble_max: int = BUBBLE_MAX) -> None:
        if not 2 <= bubble_max <= MEDIA_MAX:
            raise ValueError(f"bubble_max must be 2–{MEDIA_MAX}")
        self._zones = zone_index(space)
        self._max = bubble_max
        self._serial = 0
        self._pos: dict[str, tuple[int, int]] = {}
        self._area: dict[str, Zone | None] = {}  # the zone deciding the member's conversation; None: outside
        self._conv: dict[str, _Conv] = {}  # member → their conversation
        self._zone_conv: dict[str, _Conv] = {}  # zone id → its conversation, while anyone is in it
        self._pending: set[str] = set()  # to settle at the next update (after a remove or an unlock)
        self._grid: dict[tuple[int, int], set[str]] = {}  # JOIN_PX cells → the people outside zones in them
        self._grid_cell: dict[str, tuple[int, int]] = {}
        # during one call
        self._before: dict[str, Conversation | None] = {}  # members touched → their conversation before
        self._near: Callable[[str], Iterable[str]] | None = None
        self._close: dict[str, list[tuple[int, str]]] = {}  # member → people outside zones within JOIN_PX

    # -- reading -----------------------------------------------------------------------------

    @property
    def bubble_max(self) -> int:
        return self._max

    def of(self, member_id: str) -> Conversation | None:
        conv = self._conv.get(member_id)
        return None if conv is None else conv.snapshot()

    def together(self, a: str, b: str) -> bool:
        conv = self._conv.get(a)
        return conv is not None and conv is self._conv.get(b)

    def stage(self) -> frozenset[str]:
        return frozenset(
            m for conv in self._zone_conv.values() if conv.kind is ConversationKind.STAGE for m in conv.members
        )

    def occupancy(self) -> dict[str, int]:
        """Zone id → how many people are in it (tables, private zones, stages with anyone in them)."""
        return {zone_id: len(conv.members) for zone_id, conv in self._zone_conv.items()}

    def conversations(self) -> list[Conversation]:
        """Every conversation, oldest first."""
        convs = {id(c): c for c in self._conv.values()}
        return [c.snapshot() for c in sorted(convs.values(), key=lambda c: c.serial)]

    def zone_at(self, x: int, y: int) -> Zone | None:
        """The zone that decides the conversation of whoever stands at pixel ``(x, y)`` (as ``update`` finds it)."""
        return self._area_at(x, y)

    def zone_of(self, member_id: str) -> Zone | None:
        """The zone that decides the member's conversation (table, private, stage or quiet), or None."""
        return self._area.get(member_id)

    # -- changing ----------------------------------------------------------------------------

    def update(
        self,
        positions: Mapping[str, tuple[int, int]],
        moved: Collection[str],
        near: Callable[[str], Iterable[str]] | None = None,
    ) -> list[ConversationChanged]:
        """The members ``moved`` moved to (or arrived at) ``positions[m]``: zones first, then bubbles.

        ``moved`` must name everyone whose position changed since the last update (``positions`` is
        read for them only). ``near(m)``, when given, must give at least everyone within ``JOIN_PX`` of
        ``m`` (the interest cells' ``near`` does); by default the grid kept here answers, faster.
        """
        self._near = near
        work = sorted(self._pending & self._pos.keys())
        self._pending.clear()
        movers = sorted(set(moved))
        for m in movers:
            self._pos[m] = positions[m]
        torn: dict[int, tuple[_Conv, bool]] = {}  # bubbles a mover is in or has left: (bubble, lost a member)
        for m in movers:
            x, y = self._pos[m]
            area = self._area_at(x, y)
            known = m in self._area
            old = self._area.get(m)
            conv = self._conv.get(m)
            if not known or (old.id if old else None) != (area.id if area else None):
                self._area[m] = area
                if conv is not None and not (conv.kind is ConversationKind.BUBBLE and area is None):
                    self._leave(m)
                    if conv.kind is ConversationKind.BUBBLE:
                        torn[conv.serial] = (conv, True)
                if area is not None and area.kind in _ZONE_CONVERSATION:
                    self._enter_zone(m, area)
            self._grid_place(m, x, y, area is None)
            if area is None:
                work.append(m)
                if conv is not None and conv.kind is ConversationKind.BUBBLE and conv.serial not in torn:
                    torn[conv.serial] = (conv, False)
        for serial in sorted(torn):
            work += self._hold_together(*torn[serial])
        self._settle(work)
        return self._finish()

    def remove(self, member_id: str) -> list[ConversationChanged]:
        """The member left the room."""
        conv = self._conv.get(member_id)
        if conv is not None:
            self._leave(member_id)
            if conv.kind is ConversationKind.BUBBLE:
                self._pending.update(self._hold_together(conv, True))
        self._grid_place(member_id, 0, 0, False)
        self._pos.pop(member_id, None)
        self._area.pop(member_id, None)
        self._pending.discard(member_id)
        return self._finish()

    def lock(self, member_id: str, locked: bool) -> list[ConversationChanged]:
        """Lock or unlock the member's bubble; NoBubble unless they are in one."""
        conv = self._conv.get(member_id)
        if conv is None or conv.kind is not ConversationKind.BUBBLE:
            raise NoBubble("You are not in a bubble.")
        if conv.locked != locked:
            self._touch(conv)
            conv.locked = locked
            conv.changed()
            if not locked:
                self._pending.update(conv.members)
        return self._finish()

    # -- the steps ---------------------------------------------------------------------------

    def _area_at(self, x: int, y: int) -> Zone | None:
        zones = self._zones.at(x, y)
        if not zones:
            return None
        for kind in _PRECEDENCE:
            for zone in zones:
                if zone.kind is kind:
                    return zone
        return None

    def _new(self, kind: ConversationKind, zone_id: str | None = None) -> _Conv:
        self._serial += 1
        return _Conv(self._serial, kind, zone_id)

    def _note(self, member_id: str) -> None:
        if member_id not in self._before:
            self._before[member_id] = self.of(member_id)

    def _touch(self, conv: _Conv) -> None:
        for m in conv.members:
            self._note(m)

    def _add(self, conv: _Conv, member_id: str) -> None:
        self._touch(conv)
        self._note(member_id)
        conv.members.add(member_id)
        conv.changed()
        self._conv[member_id] = conv

    def _leave(self, member_id: str) -> None:
        conv = self._conv[member_id]
        self._touch(conv)
        del self._conv[member_id]
        conv.members.discard(member_id)
        conv.changed()
        if not conv.members and conv.zone_id is not None:
            del self._zone_conv[conv.zone_id]

    def _enter_zone(self, member_id: str, zone: Zone) -> None:
        conv = self._zone_conv.get(zone.id)
        if conv is None:
            conv = self._zone_conv[zone.id] = self._new(_ZONE_CONVERSATION[zone.kind], zone.id)
        self._add(conv, member_id)

    def _hold_together(self, conv: _Conv, lost: bool) -> list[str]:
        """Split the bubble where its members are no longer connected by steps of ``LEAVE_PX``.

        Returns who is to be settled: everyone who lost their bubble, and the members of a bubble that
        lost members (it may have room now).
        """
        members = sorted(conv.members)
        if not members:
            return []
        pos = self._pos
        groups: list[list[str]] = []
        left = set(members)
        for first in members:
            if first not in left:
                continue
            left.discard(first)
            group, queue = [first], deque([first])
            while queue:
                ax, ay = pos[queue.popleft()]
                for other in sorted(left):
                    bx, by = pos[other]
                    if (ax - bx) ** 2 + (ay - by) ** 2 <= _LEAVE2:
                        left.discard(other)
                        group.append(other)
                        queue.append(other)
            groups.append(sorted(group))
        groups.sort(key=lambda g: (-len(g), g[0]))
        keep, rest = groups[0], groups[1:]
        if len(keep) < 2:
            rest, keep = groups, []
        for group in rest:
            for m in group:
                self._leave(m)
            if len(group) >= 2:
                split = self._new(ConversationKind.BUBBLE)
                for m in group:
                    self._add(split, m)
        return members if rest or lost else []

    def _grid_place(self, member_id: str, x: int, y: int, present: bool) -> None:
        """Put the member in their grid cell (``present``), or take them out of the grid."""
        cell = (x // JOIN_PX, y // JOIN_PX) if present else None
        old = self._grid_cell.get(member_id)
        if old == cell:
            return
        if old is not None:
            members = self._grid[old]
            members.discard(member_id)
            if not members:
                del self._grid[old]
            del self._grid_cell[member_id]
        if cell is not None:
            self._grid.setdefault(cell, set()).add(member_id)
            self._grid_cell[member_id] = cell

    def _grid_near(self, x: int, y: int) -> Iterable[str]:
        col, row = x // JOIN_PX, y // JOIN_PX
        grid = self._grid
        for c in (col - 1, col, col + 1):
            for r in (row - 1, row, row + 1):
                yield from grid.get((c, r), ())

    def _close_to(self, member_id: str) -> list[tuple[int, str]]:
        """(squared distance, id) of the people outside zones within ``JOIN_PX`` of the member, nearest first."""
        found = self._close.get(member_id)
        if found is None:
            x, y = self._pos[member_id]
            pos, area = self._pos, self._area
            found = []
            for other in self._near(member_id) if self._near is not None else self._grid_near(x, y):
                p = pos.get(other)
                if p is None or other == member_id or area.get(other) is not None:
                    continue
                d2 = (p[0] - x) ** 2 + (p[1] - y) ** 2
                if d2 <= _JOIN2:
                    found.append((d2, other))
            found.sort()
            self._close[member_id] = found
        return found

    def _open(self, conv: _Conv) -> bool:
        return not conv.locked and len(conv.members) < self._max

    def _settle(self, work: list[str]) -> None:
        queue = deque(dict.fromkeys(work))
        queued = set(queue)

        def push(members: Iterable[str]) -> None:
            for m in members:
                if m not in queued:
                    queued.add(m)
                    queue.append(m)

        while queue:
            m = queue.popleft()
            queued.discard(m)
            if m not in self._pos or self._area.get(m) is not None:
                continue
            conv = self._conv.get(m)
            if conv is not None and (conv.locked or len(conv.members) >= self._max):
                continue  # a locked or full bubble takes no one and merges with none: who is close does not matter
            close = self._close_to(m)
            if conv is None:
                target = next((c for _, n in close if (c := self._conv.get(n)) is not None and self._open(c)), None)
                if target is not None:
                    self._add(target, m)
                    push([m])  # as a member: merges, and who may follow into the bubble
                    continue
                partner = next((n for _, n in close if n not in self._conv), None)
                if partner is not None:
                    bubble = self._new(ConversationKind.BUBBLE)
                    self._add(bubble, m)
                    self._add(bubble, partner)
                    push([m, partner])
                continue
            for _, n in close:
                other = self._conv.get(n)
                if other is None:
                    if self._open(conv):
                        push([n])
                elif (
                    other is not conv
                    and not other.locked
                    and other.kind is ConversationKind.BUBBLE
                    and len(conv.members) + len(other.members) <= self._max
                ):
                    push(sorted(self._merge(conv, other).members))
                    break

    def _merge(self, a: _Conv, b: _Conv) -> _Conv:
        taker, taken = (a, b) if (len(a.members), -a.serial) >= (len(b.members), -b.serial) else (b, a)
        for m in sorted(taken.members):
            self._leave(m)
            self._add(taker, m)
        return taker

    def _finish(self) -> list[ConversationChanged]:
        changes = [
            ConversationChanged(m, now) for m, then in sorted(self._before.items()) if (now := self.of(m)) != then
        ]
        self._before.clear()
        self._close.clear()
        self._near = None
        return changes
