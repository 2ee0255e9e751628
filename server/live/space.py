"""The rooms' spaces live: who stands where, who is near whom, who talks with whom, and the tick that sends moves.

Each room a node serves has a ``RoomSpace`` once someone entered it (``space.enter``): every member present
in the room has one avatar there (a member's tabs share it), placed at a spawn point when they arrive in the
room (connecting, or ``room.moved``) and removed when they leave it (``LiveState._arrive`` / ``_depart``).
The rules are ``rooms.space``'s; this module holds the state and the traffic.

Moves are the bulk of it, and they must never delay a board or a vote, so a move costs no task and no
``await``: ``space.move`` only notes the mover's newest position; while a room has moves, one timer
callback (``RoomSpace.run_tick``) runs every 50 ms (``TICK_S``; at once for the first move after a pause):

1. checks each mover's last move of the tick against their last accepted position (``check_move``); a refused
   move goes back to the mover as ``space.corrected`` and nobody else sees it;
2. places those who follow someone who moved (``goto_position``);
3. updates the cells and the conversations (``Conversations.update``: per mover × neighbours) and tells each
   member whose conversation changed (``conversation.changed``);
4. sends each connection that shows the space one ``space.moves`` frame with the moves near it: the moves of
   its cell and the 8 around it (one list per cell, encoded once for everyone in that cell), plus the moves
   of its conversation and of whom it follows when those are further away, plus the positions of whoever
   came into its view; and ``space.gone`` to whoever lost someone from view.

Frames are written with the fan-out's ``write`` (no await). Nothing here reads the store but the map, once
per room when its space is first entered (``SpaceDesk.map_for``). ``space.zones`` (who is in which table, private zone and
stage) is sent at most every 0.25 s (``Throttle``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boards.errors import Conflict, InvalidInput, NotFound
from boards.text import clean_text
from rooms.members import Member
from rooms.space.cells import Cells
from rooms.space.cells import cell_of as cell_at
from rooms.space.conversations import Conversation, ConversationChanged, Conversations
from rooms.space.grid import tile_of
from rooms.space.model import TILE, SpaceMap, Zone, ZoneKind
from rooms.space.movement import (
    Direction,
    InvalidMove,
    Position,
    ZoneFull,
    capacity,
    check_move,
    goto_position,
    paced,
    spawn_position,
)
from server.live.throttle import Throttle
from server.store.idea_store import Room
from server.transport.endpoint import event_frame

if TYPE_CHECKING:
    from server.live.space_nodes import Remote, SpaceNodes
    from server.live.state import Connection, LiveState

log = logging.getLogger("werkstatt.space")

TICK_S = 0.05  # seconds: a move waits at most this long for its room's next send
ZONES_INTERVAL = 0.25  # space.zones at most this often per room
FOLLOW_PX = 2 * TILE  # someone who follows is placed again when further than this from whom they follow
STATUSES = ("available", "away", "hand")
BUBBLE_TEXT_MAX = 500
# the zones the list view lists with the people in them: each holds one conversation
LISTED_ZONES = (ZoneKind.TABLE, ZoneKind.PRIVATE, ZoneKind.STAGE)
# first in a member's watchers (``RoomSpace.watchers``) when they show the space on another node (then the
# rest, if any, are this node's connections): ``server.live.space_nodes.Remote`` routes what is written to them
ELSEWHERE = "\x00"


@dataclass(frozen=True, slots=True)
class RoomMap:
    """A room's map: the rules' view, and the URL of what the browser draws."""

    space: SpaceMap
    url: str


MapSource = Callable[[Room], Awaitable[RoomMap]]


@dataclass(slots=True)
class Avatar:
    member_id: str
    pos: Position
    at: float  # the pace clock (``movement.paced``): loop time up to which the avatar's walking is paid for
    status: str = "available"
    follows: str | None = None


@dataclass(slots=True)
class SpaceStats:
    """What a node's spaces did (for the benchmarks and the tests)."""

    moves: int = 0  # accepted moves (after coalescing)
    coalesced: int = 0  # moves replaced by a later one of the same tick
    refused: int = 0
    ticks: int = 0
    frames: int = 0  # space.moves frames encoded
    writes: int = 0  # space.moves frames written to connections


def move_item(member_id: str, pos: Position) -> list[Any]:
    """One entry of ``space.moves``: ``[member_id, x, y, dir, moving]``."""
    return [member_id, pos.x, pos.y, pos.dir.value, pos.moving]


def position_out(pos: Position) -> dict[str, Any]:
    return {"x": pos.x, "y": pos.y, "dir": pos.dir.value, "moving": pos.moving}


def conversation_out(conv: Conversation | None) -> dict[str, Any] | None:
    if conv is None:
        return None
    return {
        "id": conv.id,
        "kind": conv.kind.value,
        "zone_id": conv.zone_id,
        "members": sorted(conv.members),
        "locked": conv.locked,
    }


def block_of(by_cell: Mapping[tuple[int, int], list[list[Any]]], cell: tuple[int, int]) -> list[list[Any]]:
    """The moves of a cell and the 8 around it."""
    col, row = cell
    block: list[list[Any]] = []
    for c in (col - 1, col, col + 1):
        for r in (row - 1, row, row + 1):
            there = by_cell.get((c, r))
            if there:
                block.extend(there)
    return block


def view_frame(
    desk: SpaceDesk,
    by_cell: Mapping[tuple[int, int], list[list[Any]]],
    cell: tuple[int, int],
    extra: list[list[Any]],
    gone: list[str] | None,
    shared: dict[tuple[int, int], bytes | None],
) -> bytes | None:
    """What a viewer in ``cell`` gets of a tick: the moves of the 3 × 3 cells around it (one frame per cell,
    kept in ``shared`` for everyone there), or with ``extra`` items its own frame; ``space.gone`` for ``gone``
    in the same write (one system call per connection and tick)."""
    if extra:
        frame: bytes | None = desk.moves_frame([*block_of(by_cell, cell), *extra])
    else:
        if cell not in shared:
            block = block_of(by_cell, cell)
            shared[cell] = desk.moves_frame(block) if block else None
        frame = shared[cell]
    if gone:
        gone_frame = desk.frame("space.gone", {"members": gone})
        frame = gone_frame if frame is None else frame + gone_frame
    return frame


class _Without(Mapping[str, int]):
    """Zone occupancy with the mover not counted in the zone they stand in."""

    __slots__ = ("_counts", "_zone")

    def __init__(self, counts: Mapping[str, int], zone: str | None) -> None:
        self._counts, self._zone = counts, zone

    def __getitem__(self, key: str) -> int:
        count = self._counts[key]
        return count - 1 if key == self._zone else count

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)


class RoomSpace:
    """One room's space on this node."""

    def __init__(self, desk: SpaceDesk, room: Room, room_map: RoomMap) -> None:
        self.desk = desk
        self.room = room
        self.map = room_map
        self.space = room_map.space
        self.avatars: dict[str, Avatar] = {}
        self.cells = Cells()
        self.conversations = Conversations(self.space)
        self.xy: dict[str, tuple[int, int]] = {}  # each avatar's pixel position (what the conversations read)
        self.taken: dict[tuple[int, int], int] = {}  # tile → avatars on it
        # who stands in which table, private zone or stage, and how many in each, as of now: the capacity checks
        # read these, not the conversations, which follow only at the tick (two people placed or walking into the
        # last seat within one tick must not both get it)
        self.inside: dict[str, str] = {}
        self.occupied: dict[str, int] = {}
        self.conversation_of: dict[str, Conversation] = {}  # as last told to each member
        self.followers: dict[str, set[str]] = {}  # member → who follows them
        # the connections that show the space (``space.enter``), by member, and whom each member's view holds
        self.watchers: dict[str, list[str]] = {}
        self.known: dict[str, set[str]] = {}
        # this tick: each mover's newest move and when it came; the members the server placed (arrivals, goto,
        # follow) with where they stood before (None: new); who is to be told their position
        self.pending: dict[str, tuple[Position, float]] = {}
        self.placed: dict[str, tuple[int, int] | None] = {}
        self.recell: dict[str, tuple[int, int] | None] = {}  # who changed cell: where they stood before
        self.corrected: set[str] = set()
        self.review: set[str] = set()  # members whose view to compute again (their follow changed)
        self.retell: set[str] = set()  # members to be told their conversation, changed or not (a new view)
        self.handle: asyncio.TimerHandle | None = None
        self.last_tick = -TICK_S  # loop time the last tick began
        # where frames for the members' connections go: this node's (the fan-out's ``write``); with several
        # nodes, also to the members on other nodes (``server.live.space_nodes``)
        self.write: Callable[[Sequence[str], bytes], None] = desk.write
        self.remote: Remote | None = None  # the room's members on other nodes, when this node runs its space
        self.listed = tuple(z for z in self.space.zones if z.kind in LISTED_ZONES)

    # -- placing ---------------------------------------------------------------------------

    def _set(self, member_id: str, pos: Position, at: float) -> None:
        """Put an avatar at ``pos`` (cells, tiles, what the conversations read); note a change of cell."""
        avatar = self.avatars[member_id]
        old = avatar.pos
        old_tile, new_tile = tile_of(old.x, old.y), tile_of(pos.x, pos.y)
        if old_tile != new_tile:
            self._untake(old_tile)
            self.taken[new_tile] = self.taken.get(new_tile, 0) + 1
        avatar.pos, avatar.at = pos, at
        self.xy[member_id] = (pos.x, pos.y)
        self._occupy(member_id, pos)
        if self.cells.place(member_id, pos.x, pos.y):
            self.recell.setdefault(member_id, (old.x, old.y))

    def _occupy(self, member_id: str, pos: Position | None) -> None:
        """Count the member in the listed zone at ``pos`` (None: in none, they left)."""
        zone_id = None
        if pos is not None and self.listed:
            zone = self.conversations.zone_at(pos.x, pos.y)
            zone_id = zone.id if zone is not None and zone.kind in LISTED_ZONES else None
        old = self.inside.get(member_id)
        if old == zone_id:
            return
        if old is not None:
            left = self.occupied[old] - 1
            if left > 0:
                self.occupied[old] = left
            else:
                del self.occupied[old]
            del self.inside[member_id]
        if zone_id is not None:
            self.inside[member_id] = zone_id
            self.occupied[zone_id] = self.occupied.get(zone_id, 0) + 1

    def _untake(self, tile: tuple[int, int]) -> None:
        left = self.taken.get(tile, 0) - 1
        if left > 0:
            self.taken[tile] = left
        else:
            self.taken.pop(tile, None)

    def add(self, member_id: str, now: float, pos: Position | None = None, status: str = "available") -> None:
        """A member arrives: at a spawn point (or where they stood when another node ran the space)."""
        if member_id in self.avatars:
            return
        if pos is None:
            pos = spawn_position(self.space, self.desk.rng, self.taken)
        self.avatars[member_id] = Avatar(member_id, pos, now, status)
        tile = tile_of(pos.x, pos.y)
        self.taken[tile] = self.taken.get(tile, 0) + 1
        self.xy[member_id] = (pos.x, pos.y)
        self._occupy(member_id, pos)
        self.cells.place(member_id, pos.x, pos.y)
        self.recell[member_id] = None
        self.placed[member_id] = None
        self.desk.schedule(self)

    def place(self, member_id: str, pos: Position, now: float) -> None:
        """The server moves an avatar (``space.goto``, following): at once, told to the member's tabs."""
        self.pending.pop(member_id, None)  # a move sent before this one is void
        self._set(member_id, pos, now)
        self.placed.setdefault(member_id, self.xy[member_id])
        self.corrected.add(member_id)
        self.desk.schedule(self)

    def remove(self, member_id: str) -> None:
        """A member leaves the room: out of the cells and conversations; whoever saw them is told."""
        avatar = self.avatars.pop(member_id, None)
        if avatar is None:
            return
        self._untake(tile_of(avatar.pos.x, avatar.pos.y))
        self._occupy(member_id, None)
        self.xy.pop(member_id, None)
        self.cells.remove(member_id)
        self.pending.pop(member_id, None)
        self.placed.pop(member_id, None)
        self.recell.pop(member_id, None)
        self.corrected.discard(member_id)
        self.review.discard(member_id)
        self.watchers.pop(member_id, None)
        self.known.pop(member_id, None)
        self._unfollow(member_id)
        for follower in sorted(self.followers.pop(member_id, set())):
            other = self.avatars.get(follower)
            if other is not None:
                other.follows = None
                self.review.add(follower)
                # their client still shows them following: un-press its follow button
                unfollowed = self.desk.frame("space.unfollowed", {"member_id": member_id, "reason": "left"})
                self.write(self.watchers.get(follower, ()), unfollowed)
        old = self.conversation_of.pop(member_id, None)
        self._tell_conversations(self.conversations.remove(member_id))
        if old is not None and old.zone_id is not None:
            self.desk.zones_changed(self.room.id)
        held = self.desk.held
        if held is not None:  # many leave at once: one ``space.gone`` per viewer at the end (``SpaceDesk.departures``)
            gone_of = held.setdefault(self, {})
            for viewer, known in self.known.items():
                if member_id in known:
                    known.discard(member_id)
                    gone_of.setdefault(viewer, []).append(member_id)
            return
        gone = self.desk.frame("space.gone", {"members": [member_id]})
        for viewer, known in self.known.items():
            if member_id in known:
                known.discard(member_id)
                self.write(self.watchers.get(viewer, ()), gone)

    # -- following ---------------------------------------------------------------------------

    def follow(self, member_id: str, target: str | None) -> None:
        self._unfollow(member_id)
        if target is not None:
            self.avatars[member_id].follows = target
            self.followers.setdefault(target, set()).add(member_id)
        self.review.add(member_id)

    def _unfollow(self, member_id: str) -> None:
        avatar = self.avatars.get(member_id)
        target = avatar.follows if avatar is not None else None
        if avatar is not None and target is not None:
            avatar.follows = None
            followers = self.followers.get(target)
            if followers is not None:
                followers.discard(member_id)
                if not followers:
                    del self.followers[target]
            self.review.add(member_id)

    def _catch_up(self, leaders: Iterable[str], now: float) -> None:
        """Place again whoever follows someone who moved away (and who follows them, in turn)."""
        queue = [m for m in leaders if m in self.followers]
        seen = set(queue)
        while queue:
            leader = queue.pop()
            lx, ly = self.xy[leader]
            for follower in sorted(self.followers.get(leader, ())):
                avatar = self.avatars[follower]
                if math.hypot(avatar.pos.x - lx, avatar.pos.y - ly) <= FOLLOW_PX:
                    continue
                try:
                    pos = goto_position(
                        self.space, avatar.pos, (lx, ly), self.taken, occupancy=self.occupancy_for(follower)
                    )
                except Conflict:  # unreachable from where they stand, or into a full zone: they stay
                    continue
                self.place(follower, pos, now)
                if follower not in seen and follower in self.followers:
                    seen.add(follower)
                    queue.append(follower)

    def occupancy_for(self, member_id: str) -> Mapping[str, int]:
        """Who is in each zone now, the member not counted (as ``check_move`` and ``goto_position`` want it)."""
        return _Without(self.occupied, self.inside.get(member_id))

    # -- the view of each member -------------------------------------------------------------

    def interest(self, member_id: str) -> set[str]:
        """Whose moves a member gets: their 3 × 3 cells, their conversation, whom they follow."""
        found = self.cells.near(member_id)
        conv = self.conversations.of(member_id)
        if conv is not None:
            found |= conv.members
        avatar = self.avatars.get(member_id)
        if avatar is not None and avatar.follows is not None:
            found.add(avatar.follows)
        return found

    def _sees_anyway(self, viewer: str, member_id: str) -> bool:
        avatar = self.avatars.get(viewer)
        return self.conversations.together(viewer, member_id) or (avatar is not None and avatar.follows == member_id)

    # -- the tick --------------------------------------------------------------------------

    def run_tick(self) -> None:
        self.handle = None
        self.last_tick = now = asyncio.get_running_loop().time()
        try:
            self._tick(now)
        except Exception:  # one faulty tick must not stop the room's next ones
            log.exception("the space tick of room %s failed", self.room.id)
            self.pending.clear()
            self.placed.clear()
            self.recell.clear()
            self.corrected.clear()
            self.review.clear()
            self.retell.clear()

    def _tick(self, now: float) -> None:
        desk = self.desk
        stats = desk.stats
        stats.ticks += 1
        moved: dict[str, None] = {}  # in order
        pending, self.pending = self.pending, {}
        if pending:
            for member_id, (new, at) in pending.items():
                avatar = self.avatars.get(member_id)
                if avatar is None:
                    continue
                try:
                    check_move(self.space, avatar.pos, new, at - avatar.at, self.occupancy_for(member_id))
                except (InvalidMove, ZoneFull):
                    stats.refused += 1
                    self.corrected.add(member_id)
                    continue
                stats.moves += 1
                if avatar.follows is not None:  # walking on one's own ends following; the member's other tabs hear it
                    leader = avatar.follows
                    self._unfollow(member_id)
                    unfollowed = desk.frame("space.unfollowed", {"member_id": leader, "reason": "walked"})
                    self.write(self.watchers.get(member_id, ()), unfollowed)
                # (who entered a zone counts for the next mover at once)
                self._set(member_id, new, paced(avatar.at, at, avatar.pos, new))
                moved[member_id] = None
        self._catch_up([*moved, *self.placed], now)
        placed, self.placed = self.placed, {}
        for member_id in placed:
            if member_id in self.avatars:
                moved[member_id] = None

        # conversations
        changes = self.conversations.update(self.xy, list(moved)) if moved else []  # its own finer grid
        self._tell_conversations(changes)
        if self.retell:
            self._retell({change.member_id for change in changes})
        review = self.review
        self.review = set()
        review.update(change.member_id for change in changes)

        # who came into or went out of whose view
        gone: dict[str, list[str]] = {}
        came: dict[str, set[str]] = {}
        recell, self.recell = self.recell, {}
        watchers = self.watchers
        known = self.known
        cells = self.cells
        for member_id, stood in recell.items():
            cell = cells.cell(member_id)
            if member_id not in self.avatars or cell is None:
                continue
            old_cell = cell_at(*stood) if stood is not None else None
            if old_cell is not None:
                for viewer in cells.around_only(old_cell, cell):  # near where it stood, not near where it stands
                    if viewer in watchers and viewer != member_id:
                        seen = known[viewer]
                        if member_id in seen and not self._sees_anyway(viewer, member_id):
                            seen.discard(member_id)
                            gone.setdefault(viewer, []).append(member_id)
            for viewer in cells.around_only(cell, old_cell):
                if viewer in watchers:
                    known[viewer].add(member_id)  # it moved: its entry is in the viewer's moves
            if member_id in watchers:
                review.add(member_id)
        for viewer in review:
            if viewer not in watchers:
                continue
            now_seen = self.interest(viewer)
            before_seen = known[viewer]
            lost = before_seen - now_seen
            if lost:
                gone.setdefault(viewer, []).extend(sorted(lost))
            newly = now_seen - before_seen - moved.keys()
            if newly:
                came[viewer] = newly
            # the set kept, changed in place: a new one each review is young garbage for the collector to scan
            before_seen -= lost
            before_seen |= now_seen

        # the moves: one list per cell, shared by everyone there
        items = {member_id: move_item(member_id, self.avatars[member_id].pos) for member_id in moved}
        by_cell: dict[tuple[int, int], list[list[Any]]] = {}
        cell_of = self.cells.cell
        for member_id, item in items.items():
            cell = cell_of(member_id)
            if cell is not None:
                by_cell.setdefault(cell, []).append(item)
        shared: dict[tuple[int, int], bytes | None] = {}
        write = desk.write
        elsewhere: list[list[Any]] = []  # the views of those who show the space on other nodes
        for viewer, sids in watchers.items():
            if not sids:
                continue
            cell = cell_of(viewer)
            if cell is None:
                continue
            extra: list[list[Any]] = []
            conv = self.conversations.of(viewer)
            far = set(conv.members) if conv is not None else set()
            follows = self.avatars[viewer].follows
            if follows is not None:
                far.add(follows)
            for other in far:
                if other in items:
                    other_cell = cell_of(other)
                    if other_cell is not None and (
                        abs(other_cell[0] - cell[0]) > 1 or abs(other_cell[1] - cell[1]) > 1
                    ):
                        extra.append(items[other])
            for other in sorted(came.get(viewer, ())):
                avatar = self.avatars.get(other)
                if avatar is not None:
                    extra.append(move_item(other, avatar.pos))
            lost_ones = gone.get(viewer)
            if sids[0][0] == ELSEWHERE:  # the nodes where they show the space make their frames
                elsewhere.append([viewer, cell[0], cell[1], extra, lost_ones])
                if len(sids) == 1:
                    continue
            frame = view_frame(desk, by_cell, cell, extra, lost_ones, shared)
            if frame is not None:
                stats.writes += len(sids)
                write(sids, frame)
        if elsewhere and self.remote is not None:
            self.remote.views(by_cell, elsewhere)

        # whoever the server placed or refused: their position
        corrected, self.corrected = self.corrected, set()
        for member_id in corrected:
            avatar = self.avatars.get(member_id)
            tabs = watchers.get(member_id)
            if avatar is not None and tabs:
                self.write(tabs, desk.frame("space.corrected", position_out(avatar.pos)))

    def _tell_conversations(self, changes: Iterable[ConversationChanged]) -> None:
        zones = False
        for change in changes:
            old = self.conversation_of.get(change.member_id)
            if change.conversation is None:
                self.conversation_of.pop(change.member_id, None)
            else:
                self.conversation_of[change.member_id] = change.conversation
            zones = zones or (old is not None and old.zone_id is not None)
            zones = zones or (change.conversation is not None and change.conversation.zone_id is not None)
            sids = self.watchers.get(change.member_id)
            if sids:
                frame = self.desk.frame("conversation.changed", {"conversation": conversation_out(change.conversation)})
                self.write(sids, frame)
        if zones:
            self.desk.zones_changed(self.room.id)

    def _retell(self, told: set[str]) -> None:
        """Tell whoever has a new view of the space (another node runs it now) their conversation, changed or not."""
        retell, self.retell = self.retell, set()
        for member_id in retell - told:
            sids = self.watchers.get(member_id)
            if sids:
                conv = self.conversations.of(member_id)
                self.write(sids, self.desk.frame("conversation.changed", {"conversation": conversation_out(conv)}))

    # -- what space.enter and space.zones tell -----------------------------------------------

    def zones_out(self, *, full: bool) -> list[dict[str, Any]]:
        inside: dict[str, list[str]] = {zone.id: [] for zone in self.listed}
        for member_id in self.avatars:
            conv = self.conversations.of(member_id)
            if conv is not None and conv.zone_id in inside:
                inside[conv.zone_id].append(member_id)
        out = []
        for zone in self.listed:
            entry: dict[str, Any] = {"id": zone.id, "members": sorted(inside[zone.id])}
            if full:
                entry.update(kind=zone.kind.value, name=zone.name, capacity=zone.capacity)
            out.append(entry)
        return out

    def avatar_out(self, avatar: Avatar) -> dict[str, Any]:
        return {"id": avatar.member_id, **position_out(avatar.pos), "status": avatar.status}

    def zone(self, zone_id: str) -> Zone:
        for zone in self.space.zones:
            if zone.id == zone_id and zone.kind not in (ZoneKind.WALL, ZoneKind.SPAWN):
                return zone
        raise NotFound("No such zone on this room's map.")


class SpaceDesk:
    """Every room's space on this node (``LiveState.space``).

    With several nodes (``nodes``, set by the app with ``--redis``: ``server.live.space_nodes``) one node runs
    each room's space, in ``rooms`` as here; a node whose members are in a room another node runs forwards their
    events there and writes what comes back to their connections. The events' work is the same either way:
    the ``do_…`` methods, called here or, for a member on another node, by ``SpaceNodes`` on the node that runs
    the space; what they answer is JSON.
    """

    def __init__(self, live: LiveState, *, maps: MapSource | None = None, seed: int | None = None) -> None:
        self.live = live
        self.maps: MapSource = maps or self.stored_map  # where a room's map comes from (tests give their own)
        self.rooms: dict[str, RoomSpace] = {}
        self.rng = random.Random(seed)
        self.stats = SpaceStats()
        self.nodes: SpaceNodes | None = None  # the spaces across nodes (set by the app with ``--redis``)
        self._loading: dict[str, asyncio.Future[RoomMap]] = {}
        self._zones = Throttle(ZONES_INTERVAL, self._announce_zones)
        self._ice: list[dict[str, Any]] = []
        # while ``departures`` holds them: whom each space's viewers lost from view, by space and viewer
        self.held: dict[RoomSpace, dict[str, list[str]]] | None = None

    def set_ice_servers(self, servers: Iterable[dict[str, Any]]) -> None:
        self._ice = list(servers)

    async def close(self) -> None:
        if self.nodes is not None:  # the rooms this node runs go on elsewhere, where they stood
            await self.nodes.close()
        for room in self.rooms.values():
            if room.handle is not None:
                room.handle.cancel()
        self.rooms.clear()
        await self._zones.close()

    @contextlib.contextmanager
    def departures(self) -> Iterator[None]:
        """Many members leave their spaces at once (a breakout round moves a room's people): whoever saw
        them is told in one ``space.gone`` with all of them when the block ends, not in one per member
        (1,000 leaving a space where each saw 500 others: 500,000 frames, seconds of a node's time,
        ``bench/whole.py``'s breakout phase). Whoever is back in the space by then is left out."""
        if self.held is not None:  # (within another block: that one tells)
            yield
            return
        self.held = {}
        try:
            yield
        finally:
            held, self.held = self.held, None
            for space, viewers in held.items():
                if self.rooms.get(space.room.id) is not space:
                    continue  # dropped meanwhile: nobody shows it any more
                for viewer, members in viewers.items():
                    sids = space.watchers.get(viewer)
                    left = [m for m in members if m not in space.avatars]
                    if sids and left:
                        space.write(sids, self.frame("space.gone", {"members": left}))

    # -- frames ----------------------------------------------------------------------------

    def frame(self, event: str, data: Any) -> bytes:
        return event_frame(event, data)

    def moves_frame(self, items: list[list[Any]]) -> bytes:
        self.stats.frames += 1
        return event_frame("space.moves", {"moves": items})

    def write(self, sids: Iterable[str], frame: bytes) -> None:
        self.live.fanout.write(sids, frame)

    def settings_frame(self) -> bytes:
        return self.frame("space.settings", {"ice_servers": self._ice})

    def schedule(self, room: RoomSpace) -> None:
        """The room's next tick: ``TICK_S`` after the last one began (a steady cadence however long a tick
        takes), or at once when the room was still for longer (the first move after a pause waits for nothing)."""
        if room.handle is None and self.rooms.get(room.room.id) is room:
            loop = asyncio.get_running_loop()
            room.handle = loop.call_at(max(loop.time(), room.last_tick + TICK_S), room.run_tick)

    # -- rooms -----------------------------------------------------------------------------

    async def stored_map(self, room: Room) -> RoomMap:
        """The map the room uses (``IdeaStore.room_map``: its own, its event's for its kind, or the built-in one)."""
        stored = await self.live.store.room_map(room)
        return RoomMap(stored.loaded.space, stored.url)

    async def map_for(self, room: Room) -> RoomMap:
        """The room's map (one load at a time per room)."""
        loading = self._loading.get(room.id)
        if loading is None:
            loading = self._loading[room.id] = asyncio.ensure_future(self.maps(room))
            loading.add_done_callback(lambda _f: self._loading.pop(room.id, None))
        return await asyncio.shield(loading)

    def here(self, room_id: str) -> list[str]:
        """The members present in a room through this node's connections, in order of arrival."""
        presence = self.live.presence.get(room_id)
        return list(presence.members) if presence is not None else []

    async def room_space(self, room: Room) -> RoomSpace:
        """The room's space, made on first use with everyone present in the room at spawn points (after the map
        loaded: whoever left meanwhile is not placed; when nobody is left, the space is not kept)."""
        space = self.rooms.get(room.id)
        if space is not None:
            return space
        room_map = await self.map_for(room)
        space = self.rooms.get(room.id)
        if space is None:
            space = RoomSpace(self, room, room_map)
            present = self.here(room.id)
            if not present:
                # everyone left while the map loaded (or a projector view asks): a space nobody is in is
                # not kept, as ``leave`` drops the last one's (the caller finds the asker not in it)
                return space
            self.rooms[room.id] = space
            now = asyncio.get_running_loop().time()
            for member_id in present:
                space.add(member_id, now)
        return space

    def arrive(self, room_id: str, member_id: str) -> None:
        """A member arrived in a room (``LiveState``): at a spawn point of its space, if it has one yet."""
        space = self.rooms.get(room_id)
        if space is not None:
            if space.remote is not None:
                space.remote.add(member_id)  # where they stood, if another node ran the space a moment ago
            else:
                space.add(member_id, asyncio.get_running_loop().time())
        elif self.nodes is not None:
            self.nodes.arrive(room_id, member_id)

    def leave(self, room_id: str, member_id: str) -> None:
        """A member left a room (their last connection there closed or moved)."""
        space = self.rooms.get(room_id)
        if space is None:
            if self.nodes is not None:
                self.nodes.leave(room_id, member_id)
            return
        if space.remote is not None and space.remote.nodes_of.get(member_id):
            return  # a tab of theirs on another node keeps the avatar
        self.remove(space, member_id)

    def remove(self, space: RoomSpace, member_id: str) -> None:
        """A member is out of the room's space; a space nobody is in is not kept."""
        space.remove(member_id)
        if space.remote is not None:
            space.remote.forget(member_id)
        if not space.avatars:
            self.drop(space)

    def drop(self, space: RoomSpace) -> None:
        if space.handle is not None:
            space.handle.cancel()
            space.handle = None
        if self.rooms.get(space.room.id) is space:
            del self.rooms[space.room.id]
            if space.remote is not None:
                space.remote.dropped()

    def unwatch(self, room_id: str, member_id: str, sid: str) -> None:
        """A connection closed or left the room: it no longer shows the room's space."""
        space = self.rooms.get(room_id)
        if space is None:
            if self.nodes is not None:
                self.nodes.unwatch(room_id, member_id, sid)
            return
        sids = space.watchers.get(member_id)
        if sids is None or sid not in sids:
            return
        sids.remove(sid)
        if not sids:
            del space.watchers[member_id]
            space.known.pop(member_id, None)

    # -- what the handlers call ------------------------------------------------------------

    async def enter(self, conn: Connection, room: Room) -> dict[str, Any]:
        """The connection shows the room's space from now on: what ``space.enter`` answers."""
        found = await self.room_space(room) if self.nodes is None else await self.nodes.place(room)
        if conn.room_id != room.id or conn.sid not in self.live.connections:
            raise Conflict("You moved to another room meanwhile; enter its space.", code="not_in_space")
        if not isinstance(found, RoomSpace):  # another node runs it (or nobody is in it)
            answer = await found.enter(conn) if found is not None else None
            if answer is None:
                raise Conflict("You are not in this room's space.", code="not_in_space")
            self.write([conn.sid], self.settings_frame())
            return answer
        space = found
        member_id = conn.member.id
        if member_id not in space.avatars:  # (arrived while the map loaded, or not present: a projector view)
            raise Conflict("You are not in this room's space.", code="not_in_space")
        sids = space.watchers.setdefault(member_id, [])
        if conn.sid not in sids:
            sids.append(conn.sid)
        space.known[member_id] = space.interest(member_id)
        self.write([conn.sid], self.settings_frame())
        return self.view(space, member_id)

    def view(self, space: RoomSpace, member_id: str) -> dict[str, Any]:
        """What ``space.enter`` answers a member of the room's space."""
        avatar = space.avatars[member_id]
        return {
            "ok": True,
            "room_id": space.room.id,
            "map_url": space.map.url,
            "me": space.avatar_out(avatar),
            "avatars": [space.avatar_out(a) for a in space.avatars.values()],
            "zones": space.zones_out(full=True),
            "conversation": conversation_out(space.conversations.of(member_id)),
            "following": avatar.follows,
        }

    def move(self, conn: Connection, x: int, y: int, direction: str, moving: bool) -> None:
        """Note a move for the room's next tick (the newest per member counts). No await, no store."""
        space = self.rooms.get(conn.room_id)
        if space is None:
            if self.nodes is not None:  # to the node that runs the room's space
                self.nodes.move(conn.room_id, conn.member.id, x, y, direction, moving)
            return
        self.note_move(space, conn.member.id, x, y, direction, moving)

    def note_move(self, space: RoomSpace, member_id: str, x: int, y: int, direction: str, moving: bool) -> None:
        if member_id not in space.avatars:
            return
        if member_id in space.pending:
            self.stats.coalesced += 1
        space.pending[member_id] = (Position(x, y, Direction(direction), moving), asyncio.get_running_loop().time())
        self.schedule(space)

    async def goto(self, conn: Connection, member_id: str | None, zone_id: str | None) -> dict[str, Any]:
        """Where the server placed the member (``position_out``)."""
        position: dict[str, Any] = await self._ask(conn, "goto", member_id, zone_id)
        return position

    async def follow(self, conn: Connection, member_id: str | None) -> dict[str, Any]:
        """``{following, position}``."""
        followed: dict[str, Any] = await self._ask(conn, "follow", member_id)
        return followed

    async def locate(self, conn: Connection, member_id: str) -> dict[str, Any]:
        position: dict[str, Any] = await self._ask(conn, "locate", member_id)
        return position

    async def set_status(self, conn: Connection, status: str) -> None:
        await self._ask(conn, "status", status)

    async def lock(self, conn: Connection, locked: bool) -> dict[str, Any] | None:
        """The member's conversation afterwards (``conversation_out``)."""
        conversation: dict[str, Any] | None = await self._ask(conn, "lock", locked)
        return conversation

    async def chat(self, conn: Connection, text: str) -> None:
        member: Member = conn.member
        await self._ask(conn, "chat", {"id": member.id, "pseudonym": member.pseudonym, "colour": member.colour}, text)

    async def signal(self, conn: Connection, to: str, data: dict[str, Any]) -> None:
        await self._ask(conn, "signal", to, data)

    async def _ask(self, conn: Connection, op: str, *args: Any) -> Any:
        """Do ``op`` for the connection's member where the room's space runs: here, at once; or on another node."""
        space = self.rooms.get(conn.room_id)
        if space is not None:
            return self.do(space, conn.member.id, op, args)
        proxy = self.nodes.proxy(conn.room_id) if self.nodes is not None else None
        if proxy is None:
            raise Conflict("Enter the room's space first (space.enter).", code="not_in_space")
        return await proxy.call(op, conn.member.id, list(args))

    def do(self, space: RoomSpace, member_id: str, op: str, args: Sequence[Any]) -> Any:
        """An event's work on the room's space, for one of its members (here or on another node)."""
        work = _OPS.get(op)
        if work is None:
            raise InvalidInput(f"No such space operation {op[:40]!r}.")
        return work(self, space, member_id, *args)

    @staticmethod
    def _mine(space: RoomSpace, member_id: str) -> Avatar:
        avatar = space.avatars.get(member_id)
        if avatar is None:
            raise Conflict("Enter the room's space first (space.enter).", code="not_in_space")
        return avatar

    def do_goto(self, space: RoomSpace, me: str, member_id: str | None, zone_id: str | None) -> dict[str, Any]:
        avatar = self._mine(space, me)
        if member_id is not None:
            target = space.avatars.get(member_id)
            if target is None or member_id == me:
                raise NotFound("No such member in this room's space.")
            point = (target.pos.x, target.pos.y)
        else:
            if zone_id is None:
                raise InvalidInput("Name a member or a zone to go to.")
            zone = space.zone(zone_id)
            limit = capacity(zone)
            if limit is not None and space.occupancy_for(me).get(zone.id, 0) >= limit:
                raise ZoneFull(f"{zone.name or zone.kind.value.capitalize()} is full.")
            rect = zone.rect
            point = (rect.x + rect.w // 2, rect.y + rect.h // 2)
        pos = goto_position(space.space, avatar.pos, point, space.taken, occupancy=space.occupancy_for(me))
        space.follow(me, None)
        space.place(me, pos, asyncio.get_running_loop().time())
        return position_out(pos)

    def do_follow(self, space: RoomSpace, me: str, member_id: str | None) -> dict[str, Any]:
        avatar = self._mine(space, me)
        if member_id is None:
            space.follow(me, None)
            return {"following": None, "position": position_out(avatar.pos)}
        if member_id == me:
            raise InvalidInput("You cannot follow yourself.")
        target = space.avatars.get(member_id)
        if target is None:
            raise NotFound("No such member in this room's space.")
        point = (target.pos.x, target.pos.y)
        pos = goto_position(space.space, avatar.pos, point, space.taken, occupancy=space.occupancy_for(me))
        space.follow(me, member_id)
        space.place(me, pos, asyncio.get_running_loop().time())
        return {"following": member_id, "position": position_out(pos)}

    def do_locate(self, space: RoomSpace, me: str, member_id: str) -> dict[str, Any]:
        """Where a member of the room's space stands (however far from the asker)."""
        self._mine(space, me)
        target = space.avatars.get(member_id)
        if target is None:
            raise NotFound("No such member in this room's space.")
        return position_out(target.pos)

    def do_status(self, space: RoomSpace, me: str, status: str) -> None:
        avatar = self._mine(space, me)
        if status not in STATUSES:
            raise InvalidInput("No such status.")
        if avatar.status == status:
            return
        avatar.status = status
        frame = self.frame("space.status", {"member_id": avatar.member_id, "status": status})
        for sids in space.watchers.values():
            space.write(sids, frame)

    def do_lock(self, space: RoomSpace, me: str, locked: bool) -> dict[str, Any] | None:
        self._mine(space, me)
        space._tell_conversations(space.conversations.lock(me, bool(locked)))
        return conversation_out(space.conversations.of(me))

    def do_chat(self, space: RoomSpace, me: str, author: dict[str, Any], text: str) -> None:
        self._mine(space, me)
        conv = space.conversations.of(me)
        if conv is None:
            raise Conflict("You are in no conversation.", code="not_in_conversation")
        text = clean_text(text, label="The message", min_len=1, max_len=BUBBLE_TEXT_MAX, multiline=True)
        frame = self.frame(
            "bubble.message",
            {
                "conversation_id": conv.id,
                "author": {"id": me, "pseudonym": author["pseudonym"], "colour": author["colour"]},
                "text": text,
            },
        )
        for member_id in sorted(conv.members):
            space.write(space.watchers.get(member_id, ()), frame)

    def do_signal(self, space: RoomSpace, me: str, to: str, data: dict[str, Any]) -> None:
        """Relay WebRTC signalling within a conversation, or between a stage and its room."""
        self._mine(space, me)
        allowed = to != me and to in space.avatars
        if allowed and not space.conversations.together(me, to):
            stage = space.conversations.stage()
            allowed = me in stage or to in stage
        if not allowed:
            raise Conflict("You can only call members of your conversation.", code="not_in_conversation")
        space.write(space.watchers.get(to, ()), self.frame("rtc.signal", {"from": me, "data": data}))

    # -- space.zones -----------------------------------------------------------------------

    def zones_changed(self, room_id: str) -> None:
        self._zones.mark(room_id)

    async def _announce_zones(self, room_id: str) -> None:
        space = self.rooms.get(room_id)
        if space is None or not space.watchers:
            return
        frame = self.frame("space.zones", {"zones": space.zones_out(full=False)})
        for sids in space.watchers.values():
            space.write(sids, frame)


_OPS: dict[str, Callable[..., Any]] = {
    "goto": SpaceDesk.do_goto,
    "follow": SpaceDesk.do_follow,
    "locate": SpaceDesk.do_locate,
    "status": SpaceDesk.do_status,
    "lock": SpaceDesk.do_lock,
    "chat": SpaceDesk.do_chat,
    "signal": SpaceDesk.do_signal,
}
