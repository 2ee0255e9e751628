"""Moving in the space: which moves the server accepts, where people arrive, where "go to" takes them.

Rules (``check_move`` raises on the first that fails; nothing is changed by a refusal):

- A position is valid when its tile is walkable (on the map, not a wall); otherwise InvalidMove
  "invalid_move".
- A move is accepted only along a straight line from the last accepted position that touches no wall
  tile (``grid.line_clear``): no walking through walls, no teleporting across them (InvalidMove).
- A move may cover at most ``SPEED_PX_S`` × the seconds of walking the mover has in hand, plus
  ``SLACK_PX`` (one tile: network jitter); further is too fast (InvalidMove). Turning on the spot is
  always allowed (distance 0). The seconds in hand (``elapsed_s``) are counted on the mover's *pace
  clock* (``paced``): each accepted move pays for its distance at ``SPEED_PX_S``, and standing still
  saves up at most ``CARRY_S`` (5 s: after a network stall one long move comes). So the slack is
  not granted anew with every move (a move of 16 + 32 px every 100 ms would be three times the
  speed): in debt, a mover has less than the slack, and over any stretch of time nobody walks
  faster than ``SPEED_PX_S`` plus one slack and what they saved; nor does a long wait allow a jump
  further than ``SPEED_PX_S`` × ``CARRY_S`` + ``SLACK_PX``.
- Entering a zone with room for a limited number of people — a private zone or a table (their
  ``capacity``), or a stage (``STAGE_MAX``) — is refused when it is full (ZoneFull "zone_full"):
  ``occupancy`` says how many people are in each zone now, the mover not counted. Moving inside a
  zone one is already in is never refused for being full.
- Arriving (``spawn_position``): on a random spawn tile of the map that no one stands on; when every
  spawn tile is taken, on the free walkable tile nearest to one (breadth first); when the map is
  full, on a spawn tile anyway. People arrive facing down, standing.
- Going to a place (``goto_position``): onto the free walkable tile nearest to the target (the
  target's own tile when it is free), among the tiles connected to where the mover stands (a path
  leads there; the mover's own tile counts as free); facing the target. Unreachable "unreachable"
  when the target's tile is walkable but not connected to the mover's (a closed room), or no free
  tile is left. A target on a wall (a board) is reached at the nearest connected free tile.
  Given the zones' occupancy, landing in a full zone (as above) is refused: ZoneFull.

Errors::

    InvalidInput ── InvalidMove   code "invalid_move"
    Conflict ─┬──── ZoneFull      code "zone_full"
              └──── Unreachable   code "unreachable"
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from boards.errors import Conflict, InvalidInput
from rooms.space import grid
from rooms.space.model import SpaceMap, Zone, ZoneKind
from rooms.space.zones import zones_at

__all__ = [
    "CARRY_S",
    "SLACK_PX",
    "SPEED_PX_S",
    "STAGE_MAX",
    "Direction",
    "InvalidMove",
    "Position",
    "Unreachable",
    "ZoneFull",
    "capacity",
    "check_move",
    "goto_position",
    "paced",
    "spawn_position",
    "zones_at",
]

SPEED_PX_S = 160  # 5 tiles a second
SLACK_PX = 32  # one tile
# seconds of walking saved up by standing still, at most: after a network stall the moves queued meanwhile arrive
# at once, and only the newest counts (one long move after a silence)
CARRY_S = 5.0
STAGE_MAX = 6  # people on one stage (everyone hears and sees them: at most the media limit)


class Direction(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Position:
    x: int
    y: int
    dir: Direction = Direction.DOWN
    moving: bool = False

    @property
    def point(self) -> tuple[int, int]:
        return (self.x, self.y)


class InvalidMove(InvalidInput):
    code = "invalid_move"


class ZoneFull(Conflict):
    code = "zone_full"


class Unreachable(Conflict):
    code = "unreachable"


def capacity(zone: Zone) -> int | None:
    """How many people the zone holds at most; None: no limit."""
    if zone.kind in (ZoneKind.PRIVATE, ZoneKind.TABLE):
        return zone.capacity
    if zone.kind is ZoneKind.STAGE:
        return STAGE_MAX
    return None


def check_move(space: SpaceMap, old: Position, new: Position, elapsed_s: float, occupancy: Mapping[str, int]) -> None:
    """Raise InvalidMove or ZoneFull when the move from ``old`` (the last accepted position) to ``new`` breaks a rule.

    ``elapsed_s``: now minus the mover's pace clock (``paced``); negative when they are in debt.
    """
    if not space.walkable_px(new.x, new.y):
        raise InvalidMove("That place is not walkable.")
    distance = math.hypot(new.x - old.x, new.y - old.y)
    if distance > 0 and distance > SPEED_PX_S * min(elapsed_s, CARRY_S) + SLACK_PX:
        raise InvalidMove("That move is too fast.")
    if not grid.line_clear(space, old.point, new.point):
        raise InvalidMove("A wall is in the way.")
    _check_room(space, old, new, occupancy)


def paced(clock: float, now: float, old: Position, new: Position) -> float:
    """The mover's pace clock after the move from ``old`` to ``new`` was accepted at ``now``: it pays for the
    distance at ``SPEED_PX_S``, from at most ``CARRY_S`` ago. (A mover placed by the server starts at ``now``.)"""
    return max(clock, now - CARRY_S) + math.hypot(new.x - old.x, new.y - old.y) / SPEED_PX_S


def _check_room(space: SpaceMap, old: Position, new: Position, occupancy: Mapping[str, int]) -> None:
    before = {zone.id for zone in zones_at(space, old.x, old.y)}
    for zone in zones_at(space, new.x, new.y):
        limit = capacity(zone)
        if limit is not None and zone.id not in before and occupancy.get(zone.id, 0) >= limit:
            raise ZoneFull(f"{zone.name or zone.kind.value.capitalize()} is full.")


def spawn_position(space: SpaceMap, rng: random.Random, taken: Collection[tuple[int, int]] = ()) -> Position:
    """Where someone arriving appears (``taken``: the tiles people stand on)."""
    spawns = [tile for tile in space.spawns if space.walkable(*tile)] or list(space.spawns)
    free = [tile for tile in spawns if tile not in taken]
    if free:
        tile = rng.choice(free)
    else:
        start = rng.choice(spawns)
        tile = grid.free_tile_near(space, start, taken) or start
    x, y = grid.tile_center(tile)
    return Position(x, y)


def _facing(dx: int, dy: int, default: Direction) -> Direction:
    if dx == 0 and dy == 0:
        return default
    if abs(dx) > abs(dy):
        return Direction.RIGHT if dx > 0 else Direction.LEFT
    return Direction.DOWN if dy > 0 else Direction.UP


def goto_position(
    space: SpaceMap,
    start: Position,
    target: tuple[int, int],
    taken: Collection[tuple[int, int]],
    *,
    occupancy: Mapping[str, int] | None = None,
) -> Position:
    """A free walkable tile next to the pixel ``target``, connected to ``start``; raises Unreachable.

    With ``occupancy`` (as for ``check_move``), landing in a zone that is full raises ZoneFull.
    """
    here = grid.tile_of(start.x, start.y)
    region = grid.reachable(space, here)
    tx, ty = target
    target_tile = grid.tile_of(max(tx, 0), max(ty, 0))
    tile = None
    if target_tile in region or not space.walkable(*target_tile):
        tile = grid.free_tile_near(space, target_tile, {t for t in taken if t != here}, within=region)
    if tile is None:
        raise Unreachable("There is no way there.")
    x, y = grid.tile_center(tile)
    position = Position(x, y, _facing(tx - x, ty - y, start.dir))
    if occupancy is not None:
        _check_room(space, start, position, occupancy)
    return position
