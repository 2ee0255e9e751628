"""The rooms' spaces across nodes (``--redis``): one node runs each room's space, the others forward to it.

A room's space is one state — positions, cells, conversations, who may signal whom — so one node runs it: the
one that holds the room's *lease* in Redis (``werkstatt:space:<room>:owner``: ``SET NX PX``, renewed every
``RENEW_S`` for ``LEASE_S``), taken by the first node whose member enters the room's space. It runs the space
as one node does (``server.live.space``: the tick, the frames); members on other nodes are avatars there like
its own. A node with members in a room that another node runs keeps a ``RoomProxy`` for it:

- it tells the owner, on the room's inbox (the channel ``space-in:<room>``, which only the owner listens to),
  who of its members is in the room and who of them shows the space (``hello``: when it begins, and every
  ``RENEW_S`` after, so that a lost message heals and the owner notices a node that died), who arrives and
  who leaves, the moves (those read in one turn of the event loop as one message), and every other event as a
  call that the owner answers (``space.enter``'s answer, ``space.goto``'s position, an error);
- it listens to the room's outbox (``space-out:<room>``), where the owner publishes, once per turn of its event
  loop (so once per tick for the moves), what its members on other nodes get, in order: the frames written to
  them outside the tick's moves (``conversation.changed``, ``rtc.signal``, ``space.corrected`` …; each distinct
  frame once, then which member gets which), and of a tick, its moves by cell and, for each of them, their cell,
  the moves of whoever else they see (their conversation far off, whom they follow, who came into view) and who
  left their view. Each node makes and writes those members' ``space.moves`` frames as the owner makes its own
  (``server.live.space.view_frame``: one frame per cell, encoded once for everyone there).

So the owner works out every view as on one node; the nodes where the members are encode their frames and
write them. What a tick costs the owner for a member elsewhere is an entry in a list instead of a frame and a
write (1,000 avatars shown on another node: about 1 ms a tick to encode the message of about 230 KB, against
the 1,100 socket writes it saves); a room whose members are all on one node costs what it costs on one node
plus two Redis commands a second (the lease, the positions). The owner routes by the watchers' lists
(``RoomSpace.watchers``): a member who shows the space on another node has ``ELSEWHERE + member id`` first in
theirs; the tick hands their views to ``Remote.views``, and ``Remote.write`` puts any other frame for them into
the outbox.

Positions are kept in Redis (``werkstatt:space:<room>:positions``: each member's ``[x, y, dir, status,
follows]``; what changed, every ``RENEW_S``; it expires ``POSITIONS_S`` after the last write). When the owner
stops it writes them, releases the lease and says so (``space.released``); when it dies its lease expires. A
node with members in the room then takes the lease (a proxy checks it every ``RENEW_S``), loads the map and the
positions, and puts everyone where they stood (whoever is added within ``RESTORE_S``; the others at spawn
points); each member who shows the space is sent what is near them and their conversation, as after
``space.enter``. Calls in flight to an owner that went away, or while this node's subscription to Redis
is lost, are answered ``space_moving``.

Messages on a room's inbox are JSON lists: ``["h", fresh, [[member, watching], …]]``, ``["a", member]``,
``["l", member]``, ``["w", member, false]``, ``["m", [[member, x, y, dir, moving], …]]``,
``["c", call id, op, member, args]``. On its outbox: ``b"A"`` + JSON ``[node, call id, ok, answer or
[code, message]]``; and ``b"S"`` + segments (``segment``: a kind, ``I`` length, the body), ``F`` frames
(``frames_body``) or ``T`` a tick (JSON ``[[[col, row, moves], …], [[member, col, row, extra, gone], …]]``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import struct
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from boards.errors import Conflict, DomainError
from rooms.space.movement import Direction, Position
from server.live.space import ELSEWHERE, STATUSES, RoomSpace, view_frame
from server.store.idea_store import Room
from server.transport.fanout import LOST, RESUMED
from server.transport.redisfanout import RedisFanout

if TYPE_CHECKING:
    from server.live.space import SpaceDesk
    from server.live.state import Connection

log = logging.getLogger("werkstatt.space")

LEASE_S = 5.0  # a room's lease lasts this long unless renewed: how long a dead owner's rooms wait
RENEW_S = 1.0  # the owner renews its leases and writes positions, proxies say hello and check the lease
SILENT_S = 10.0  # a node not heard from for this long has left the room with all its members
CALL_S = 5.0  # a call waits this long for the owner's answer
POSITIONS_S = 30.0  # positions are kept this long after the last write
RESTORE_S = 10.0  # members added this soon after a node took a space over stand where they stood
OWNER, RELEASED = "space.owner", "space.released"  # what nodes tell each other: {room, node}

_H = struct.Struct("!H")
_I = struct.Struct("!I")

# KEYS: leases; ARGV[1]: their length in ms, ARGV[2…]: each lease's token. Each lease held with its token is
# renewed, one that expired is taken again; the answer: each lease's token now
_RENEW = """
local out = {}
for i, key in ipairs(KEYS) do
  local token = ARGV[i + 1]
  local now = redis.call('GET', key)
  if now == token then
    redis.call('PEXPIRE', key, ARGV[1])
  elseif not now then
    redis.call('SET', key, token, 'PX', ARGV[1])
    now = token
  end
  out[i] = now
end
return out
"""
# KEYS: the lease, the positions; ARGV: the lease's token, "1" to forget the positions too
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
  return 1
end
return 0
"""


def lease_key(room_id: str) -> str:
    return f"werkstatt:space:{room_id}:owner"


def positions_key(room_id: str) -> str:
    return f"werkstatt:space:{room_id}:positions"


def inbox_channel(room_id: str) -> str:
    return f"space-in:{room_id}"


def outbox_channel(room_id: str) -> str:
    return f"space-out:{room_id}"


def moving() -> Conflict:
    return Conflict("The room's space is moving to another server; try again in a moment.", code="space_moving")


def node_of(token: bytes | str | None) -> str | None:
    """The node a lease's token names (``node:number``)."""
    if token is None:
        return None
    text = token.decode() if isinstance(token, bytes) else token
    return text.split(":", 1)[0]


def segment(kind: bytes, body: bytes) -> bytes:
    return kind + _I.pack(len(body)) + body


def read_segments(data: bytes, at: int) -> Iterator[tuple[bytes, bytes]]:
    """The segments of an outbox message from ``at`` on: (kind, body); ValueError when it is cut short."""
    while at < len(data):
        if at + 5 > len(data):
            raise ValueError("a segment's header is cut short")
        (length,) = _I.unpack_from(data, at + 1)
        if at + 5 + length > len(data):
            raise ValueError("a segment runs past the message")
        yield data[at : at + 1], data[at + 5 : at + 5 + length]
        at += 5 + length


def frames_body(outbox: Sequence[tuple[str, bytes]]) -> bytes:
    """The distinct frames (``I`` count, each ``I`` length and bytes), then whom each goes to, in order
    (``I`` count, each ``H`` length and member id, ``I`` frame)."""
    index: dict[int, int] = {}  # by the frame's identity: a frame written to many is sent once
    frames: list[bytes] = []
    entries: list[bytes] = []
    for token, frame in outbox:
        at = index.get(id(frame))
        if at is None:
            at = index[id(frame)] = len(frames)
            frames.append(frame)
        member = token[1:].encode()
        entries += (_H.pack(len(member)), member, _I.pack(at))
    parts = [_I.pack(len(frames))]
    for frame in frames:
        parts += (_I.pack(len(frame)), frame)
    parts.append(_I.pack(len(outbox)))
    return b"".join(parts + entries)


def read_frames(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(member, frame) in the order ``frames_body`` wrote them; ValueError when it is not such a body."""
    try:
        view = memoryview(data)
        (count,) = _I.unpack_from(data, 0)
        at = 4
        frames = []
        for _ in range(count):
            (length,) = _I.unpack_from(data, at)
            frames.append(bytes(view[at + 4 : at + 4 + length]))
            at += 4 + length
        (entries,) = _I.unpack_from(data, at)
        at += 4
        out = []
        for _ in range(entries):
            (length,) = _H.unpack_from(data, at)
            member = bytes(view[at + 2 : at + 2 + length]).decode()
            (frame,) = _I.unpack_from(data, at + 2 + length)
            out.append((member, frames[frame]))
            at += 6 + length
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a frames message: {exc}") from None
    if at != len(data):
        raise ValueError("bytes after the frames")
    return iter(out)


class Remote:
    """On the node that runs a room's space: the room's members on other nodes, and what goes to them."""

    def __init__(self, nodes: SpaceNodes, space: RoomSpace, token: str, stood: dict[str, list[Any]]) -> None:
        self.nodes = nodes
        self.space = space
        self.token = token  # the lease's value while this node holds it
        self.outbox_channel = outbox_channel(space.room.id)
        self.nodes_of: dict[str, set[str]] = {}  # member → the other nodes they are present through
        self.watching: dict[str, set[str]] = {}  # member → the other nodes where they show the space
        self.heard: dict[str, float] = {}  # node → loop time it was last heard from
        self.outbox: list[tuple[str, bytes]] = []  # (a member's token, a frame) since the last segment
        self.segments: list[bytes] = []  # what goes out with the next flush, in order
        self.flushing = False
        self.closed = False
        # positions as last written to Redis; where people stood when the space was taken over
        self.written: dict[str, tuple[Any, ...]] = {member: tuple(entry) for member, entry in stood.items()}
        self.stood = stood
        self.stood_until = asyncio.get_running_loop().time() + RESTORE_S
        self.followed: dict[str, list[str]] = {}  # whom someone stood following → those who did
        for member, entry in stood.items():
            if len(entry) == 5 and isinstance(entry[4], str):
                self.followed.setdefault(entry[4], []).append(member)
        space.remote = self
        space.write = self.write

    # -- what the space writes -------------------------------------------------------------------

    def write(self, sids: Sequence[str], frame: bytes) -> None:
        """``RoomSpace.write``: to this node's connections, and into the outbox for a member on other nodes."""
        if sids and sids[0][0] == ELSEWHERE:
            self.outbox.append((sids[0], frame))
            self._soon()
            if len(sids) == 1:
                return
        self.nodes.fanout.write(sids, frame)

    def views(self, by_cell: dict[tuple[int, int], list[list[Any]]], views: list[list[Any]]) -> None:
        """A tick's moves for those who show the space on other nodes: the moves by cell, and each one's cell,
        the moves of whoever else they see (``extra``) and who is gone from their view; their nodes make the
        frames (``view_frame``), as this node makes its own."""
        self._close_frames()
        cells = [[col, row, items] for (col, row), items in by_cell.items()]
        self.segments.append(segment(b"T", orjson.dumps([cells, views])))
        self._soon()

    def _soon(self) -> None:
        if not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().call_soon(self.flush)

    def _close_frames(self) -> None:
        if self.outbox:
            self.segments.append(segment(b"F", frames_body(self.outbox)))
            self.outbox = []

    def flush(self) -> None:
        self.flushing = False
        self._close_frames()
        segments, self.segments = self.segments, []
        if segments and not self.closed:
            self.nodes.fanout.post(self.outbox_channel, b"S" + b"".join(segments))

    # -- members -------------------------------------------------------------------------------

    def add(self, member_id: str) -> None:
        """A member arrives: where they stood when the space was taken over, else at a spawn point."""
        space = self.space
        if member_id in space.avatars:
            return
        now = asyncio.get_running_loop().time()
        entry = self._stood(member_id, now)
        pos, status, follows = None, "available", None
        if entry is not None:
            try:
                x, y, direction, status, follows = entry
                if space.space.walkable_px(int(x), int(y)):
                    pos = Position(int(x), int(y), Direction(direction), False)
            except (TypeError, ValueError):
                pos = None
            if status not in STATUSES:
                status = "available"
        space.add(member_id, now, pos, status)
        if pos is None:
            return
        if isinstance(follows, str) and follows in space.avatars:
            space.follow(member_id, follows)
        for follower in self.followed.pop(member_id, ()):  # who followed them and came back first
            avatar = space.avatars.get(follower)
            if avatar is not None and avatar.follows is None:
                space.follow(follower, member_id)

    def _stood(self, member_id: str, now: float) -> list[Any] | None:
        if not self.stood:
            return None
        if now > self.stood_until:
            self.stood, self.followed = {}, {}
            return None
        return self.stood.pop(member_id, None)

    def arrived(self, node: str, member_id: str) -> None:
        self.nodes_of.setdefault(member_id, set()).add(node)
        if member_id not in self.space.avatars:
            self.add(member_id)

    def left(self, node: str, member_id: str) -> None:
        self.unwatch(node, member_id)
        nodes = self.nodes_of.get(member_id)
        if nodes is None or node not in nodes:
            return
        nodes.discard(node)
        if nodes:
            return
        del self.nodes_of[member_id]
        if member_id not in self.nodes.desk.here(self.space.room.id) and member_id in self.space.avatars:
            self.nodes.desk.remove(self.space, member_id)

    def forget(self, member_id: str) -> None:
        """The member is out of the space."""
        self.nodes_of.pop(member_id, None)
        self.watching.pop(member_id, None)

    def watch(self, node: str, member_id: str) -> bool:
        """The member shows the space on ``node``; True when they did not before."""
        space = self.space
        if member_id not in space.avatars:
            return False
        nodes = self.watching.setdefault(member_id, set())
        new = node not in nodes
        nodes.add(node)
        sids = space.watchers.setdefault(member_id, [])
        if not sids or sids[0][0] != ELSEWHERE:
            sids.insert(0, ELSEWHERE + member_id)
        return new

    def unwatch(self, node: str, member_id: str) -> None:
        nodes = self.watching.get(member_id)
        if not nodes or node not in nodes:
            return
        nodes.discard(node)
        if nodes:
            return
        del self.watching[member_id]
        sids = self.space.watchers.get(member_id)
        if sids and sids[0][0] == ELSEWHERE:
            del sids[0]
            if not sids:
                del self.space.watchers[member_id]
                self.space.known.pop(member_id, None)

    def refresh(self, member_id: str) -> None:
        """The member's view starts anew (they were shown another node's space, or lost frames): everyone near
        them and their conversation go out with the next tick."""
        space = self.space
        if member_id not in space.watchers:
            return
        space.known[member_id] = set()
        space.review.add(member_id)
        space.retell.add(member_id)
        self.nodes.desk.schedule(space)

    def hello(self, node: str, fresh: bool, entries: list[list[Any]]) -> None:
        """Who of the room's members is present through ``node``, and who of them shows the space there."""
        listed = {str(member): bool(watching) for member, watching in entries}
        for member_id in [m for m, nodes in self.nodes_of.items() if node in nodes and m not in listed]:
            self.left(node, member_id)
        for member_id, watching in listed.items():
            if self.closed:
                return
            self.arrived(node, member_id)
            if watching:
                if self.watch(node, member_id) or fresh:
                    self.refresh(member_id)
            else:
                self.unwatch(node, member_id)

    def forget_silent(self, now: float) -> None:
        """The members of nodes not heard from for ``SILENT_S`` have left (the node died or lost Redis)."""
        for node, at in list(self.heard.items()):
            if now - at > self.nodes.silent_s:
                del self.heard[node]
                log.warning(
                    "node %s has not been heard from in room %s's space; its members leave", node, self.space.room.id
                )
                for member_id in [m for m, nodes in self.nodes_of.items() if node in nodes]:
                    avatar = self.space.avatars.get(member_id)
                    if avatar is not None:  # were the node only slow, they come back where they stood
                        pos = avatar.pos
                        self.stood[member_id] = [pos.x, pos.y, pos.dir.value, avatar.status, avatar.follows]
                        self.stood_until = now + RESTORE_S
                    if not self.closed:
                        self.left(node, member_id)

    # -- what other nodes say ---------------------------------------------------------------------

    def heard_from(self, node: str, message: list[Any]) -> None:
        self.heard[node] = asyncio.get_running_loop().time()
        kind = message[0]
        desk = self.nodes.desk
        if kind == "m":
            space = self.space
            for member_id, x, y, direction, walking in message[1]:
                desk.note_move(space, member_id, int(x), int(y), direction, bool(walking))
        elif kind == "c":
            _kind, call, op, member_id, args = message
            self.answer(node, call, op, member_id, args)
        elif kind == "a":
            self.arrived(node, message[1])
        elif kind == "l":
            self.left(node, message[1])
        elif kind == "w":
            if not message[2]:
                self.unwatch(node, message[1])
        elif kind == "h":
            self.hello(node, bool(message[1]), message[2])
        else:
            raise ValueError(f"unknown kind {str(kind)[:20]!r}")

    def answer(self, node: str, call: int, op: str, member_id: str, args: list[Any]) -> None:
        try:
            if op == "enter":
                result: Any = self.enter(node, member_id)
            else:
                result = self.nodes.desk.do(self.space, member_id, op, args)
            answer = [node, call, True, result]
        except DomainError as exc:
            answer = [node, call, False, [exc.code, exc.message]]
        except Exception:
            log.exception("space %s for a member on node %s failed", str(op)[:40], node)
            answer = [node, call, False, ["internal", "The server failed to handle this event; the cause is logged."]]
        self.flush()  # what the call wrote goes before its answer, as on one node
        self.nodes.fanout.post(self.outbox_channel, b"A" + orjson.dumps(answer))

    def enter(self, node: str, member_id: str) -> dict[str, Any]:
        space = self.space
        if member_id not in space.avatars:
            raise Conflict("You are not in this room's space.", code="not_in_space")
        self.watch(node, member_id)
        space.known[member_id] = space.interest(member_id)  # the answer shows everyone: from now on, changes
        return self.nodes.desk.view(space, member_id)

    # -- positions -------------------------------------------------------------------------------

    def changes(self) -> tuple[dict[str, bytes], list[str]]:
        """What changed since the positions were last written: the entries to write, the members to delete."""
        written = self.written
        changed: dict[str, bytes] = {}
        avatars = self.space.avatars
        for member_id, avatar in avatars.items():
            pos = avatar.pos
            entry = (pos.x, pos.y, pos.dir.value, avatar.status, avatar.follows)
            if written.get(member_id) != entry:
                written[member_id] = entry
                changed[member_id] = orjson.dumps(entry)
        removed = [m for m in written if m not in avatars]
        for member_id in removed:
            del written[member_id]
        return changed, removed

    def dropped(self) -> None:
        """Nobody is in the room's space any more (``SpaceDesk.drop``)."""
        self.flush()
        self.closed = True
        self.nodes.release(self.space.room.id, self.token, forget=True)


class RoomProxy:
    """On a node with members in a room whose space another node runs: what goes there and what comes back."""

    def __init__(self, nodes: SpaceNodes, room_id: str, owner: str) -> None:
        self.nodes = nodes
        self.room_id = room_id
        self.owner = owner
        self.inbox = inbox_channel(room_id)
        self.watchers: dict[str, list[str]] = {}  # member → this node's connections that show the space
        self.opening: dict[str, int] = {}  # members with a space.enter in flight (they show it, for hello)
        self.entering: dict[str, list[bytes]] = {}  # connections whose space.enter answer is not sent yet
        self.calls: dict[int, tuple[asyncio.Future[tuple[bool, Any]], Callable[[bool, Any], None] | None]] = {}
        self.moves: dict[str, list[Any]] = {}
        self.sending = False
        self.closed = False

    def post(self, message: list[Any]) -> None:
        if self.closed:
            return
        if self.moves:  # in order: the moves read before go first
            self.send_moves()
        self.nodes.fanout.post(self.inbox, orjson.dumps(message))

    def move(self, member_id: str, x: int, y: int, direction: str, walking: bool) -> None:
        self.moves[member_id] = [member_id, x, y, direction, walking]  # (the newest counts there too)
        if not self.sending:
            self.sending = True
            asyncio.get_running_loop().call_soon(self.send_moves)

    def send_moves(self) -> None:
        self.sending = False
        if self.moves and not self.closed:
            moves, self.moves = list(self.moves.values()), {}
            self.nodes.fanout.post(self.inbox, orjson.dumps(["m", moves]))

    def hello(self, fresh: bool) -> None:
        """Who of this node's members is in the room and who of them shows the space (``fresh``: the owner
        sends them their view anew)."""
        showing = self.watchers.keys() | self.opening.keys()
        here = self.nodes.desk.here(self.room_id)
        if here:
            self.post(["h", fresh, [[member_id, member_id in showing] for member_id in here]])

    async def call(
        self, op: str, member_id: str, args: list[Any], answered: Callable[[bool, Any], None] | None = None
    ) -> Any:
        """Do ``op`` on the owner; its answer, or its error raised here."""
        if self.closed:
            raise moving()
        call = next(self.nodes.numbers)
        answer: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self.calls[call] = (answer, answered)
        self.post(["c", call, op, member_id, args])
        try:
            ok, result = await asyncio.wait_for(answer, self.nodes.call_s)
        except TimeoutError:
            raise moving() from None
        finally:
            self.calls.pop(call, None)
        if ok:
            return result
        code, message = result
        raise DomainError(str(message), code=str(code))

    async def enter(self, conn: Connection) -> dict[str, Any] | None:
        member_id, sid = conn.member.id, conn.sid
        live = self.nodes.desk.live
        shown: list[str] = []

        def answered(ok: bool, _result: Any) -> None:  # where the answer is read: before the frames after it
            if not ok:
                return
            if conn.sid in live.connections and conn.room_id == self.room_id and not self.closed:
                sids = self.watchers.setdefault(member_id, [])
                if sid not in sids:
                    sids.append(sid)
                self.entering[sid] = []  # written once the answer is
                shown.append(sid)
            elif member_id not in self.watchers:
                self.post(["w", member_id, False])

        self.opening[member_id] = self.opening.get(member_id, 0) + 1
        try:
            view: dict[str, Any] = await self.call("enter", member_id, [], answered)
        finally:
            left = self.opening.pop(member_id) - 1
            if left:
                self.opening[member_id] = left
        if not shown:
            raise Conflict("You moved to another room meanwhile; enter its space.", code="not_in_space")
        asyncio.get_running_loop().call_soon(self.entered, sid)
        return view

    def entered(self, sid: str) -> None:
        held = self.entering.pop(sid, None)
        if held:
            self.nodes.fanout.write([sid], b"".join(held))

    def unwatch(self, member_id: str, sid: str) -> None:
        self.entering.pop(sid, None)
        sids = self.watchers.get(member_id)
        if sids is None or sid not in sids:
            return
        sids.remove(sid)
        if not sids:
            del self.watchers[member_id]
            self.post(["w", member_id, False])

    def heard(self, node: bytes, data: bytes) -> None:
        """What the owner published on the room's outbox."""
        if node.hex() != self.owner or self.closed:
            return  # a node that ran the space before (its last words), or one this node does not know yet
        kind = data[:1]
        if kind == b"S":
            for part, body in read_segments(data, 1):
                if part == b"F":
                    for member_id, frame in read_frames(body):
                        self.deliver(member_id, frame)
                elif part == b"T":
                    cells, views = orjson.loads(body)
                    self.tick(cells, views)
                else:
                    raise ValueError(f"unknown segment {part!r}")
        elif kind == b"A":
            to, call, ok, result = orjson.loads(data[1:])
            waiting = self.calls.get(call) if to == self.nodes.node else None
            if waiting is not None and not waiting[0].done():
                if waiting[1] is not None:
                    waiting[1](bool(ok), result)
                waiting[0].set_result((bool(ok), result))
        else:
            raise ValueError(f"unknown kind {kind!r}")

    def tick(self, cells: list[list[Any]], views: list[list[Any]]) -> None:
        """A tick of the owner's: each member's frame made here, from the moves by cell (``Remote.views``)."""
        desk = self.nodes.desk
        by_cell = {(col, row): items for col, row, items in cells}
        shared: dict[tuple[int, int], bytes | None] = {}
        for member_id, col, row, extra, gone in views:
            sids = self.watchers.get(member_id)
            if sids:
                frame = view_frame(desk, by_cell, (col, row), extra, gone, shared)
                if frame is not None:
                    self.write(sids, frame)

    def deliver(self, member_id: str, frame: bytes) -> None:
        sids = self.watchers.get(member_id)
        if sids:
            self.write(sids, frame)

    def write(self, sids: list[str], frame: bytes) -> None:
        if self.entering:
            for sid in sids:
                held = self.entering.get(sid)
                if held is not None:
                    held.append(frame)
                else:
                    self.nodes.fanout.write([sid], frame)
        else:
            self.nodes.fanout.write(sids, frame)

    def fail_calls(self) -> None:
        """The owner went away: calls in flight are answered ``space_moving``."""
        error = moving()
        for answer, _answered in list(self.calls.values()):
            if not answer.done():
                answer.set_result((False, [error.code, error.message]))

    def close(self) -> None:
        self.closed = True
        self.fail_calls()
        self.entering.clear()


class SpaceNodes:
    """This node's part in the rooms' spaces across nodes (``SpaceDesk.nodes``)."""

    def __init__(self, desk: SpaceDesk, redis: Redis, fanout: RedisFanout) -> None:
        self.desk = desk
        self.live = desk.live
        self.redis = redis
        self.fanout = fanout
        self.node = fanout.node.hex()
        self.proxies: dict[str, RoomProxy] = {}
        self.numbers = itertools.count(1)  # calls' and leases' numbers
        self.lease_s, self.renew_s, self.silent_s, self.call_s = LEASE_S, RENEW_S, SILENT_S, CALL_S
        self._placing: dict[str, asyncio.Future[RoomSpace | RoomProxy | None]] = {}
        self._making: dict[str, list[tuple[bytes, bytes]]] = {}  # a space being made: its inbox's messages
        self._tasks: set[asyncio.Task[Any]] = set()
        self._releasing: dict[str, asyncio.Task[None]] = {}  # leases being given up, by room
        self._beat: asyncio.Task[None] | None = None
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        fanout.on_told(OWNER, self._told_owner)
        fanout.on_told(RELEASED, self._told_released)
        fanout.on_told(LOST, self._lost)
        fanout.on_told(RESUMED, self._resumed)

    async def close(self) -> None:
        """This node stops: the spaces it runs are written and released (a node with members there takes them
        over at once), and it follows none any more."""
        if self._beat is not None:
            self._beat.cancel()
        for placing in list(self._placing.values()):
            placing.cancel()
        releasing = list(self._releasing.values())
        for task in list(self._tasks):
            if task not in releasing:
                task.cancel()
        for stopping in [self._beat, *self._tasks]:
            if stopping is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await stopping
        for proxy in list(self.proxies.values()):
            self._close_proxy(proxy)
        for space in list(self.desk.rooms.values()):
            remote = space.remote
            if remote is None or remote.closed:
                continue
            remote.flush()
            remote.closed = True
            room_id = space.room.id
            self.fanout.unlisten(inbox_channel(room_id))
            try:
                changed, removed = remote.changes()
                await self._write_positions(room_id, changed, removed)
                await self._release(keys=[lease_key(room_id), positions_key(room_id)], args=[remote.token, "0"])
                await self.fanout.tell(RELEASED, {"room": room_id, "node": self.node})
            except (RedisError, OSError) as exc:
                log.warning("room %s's space could not be handed on (%s); its lease expires", room_id, exc)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if isinstance(exc, (RedisError, OSError)):
                log.warning("the spaces across nodes: %s", exc)
            else:
                log.error("the spaces across nodes failed", exc_info=exc)

    def _start(self) -> None:
        if self._beat is None or self._beat.done():
            self._beat = asyncio.ensure_future(self._run())

    # -- where a room's space runs ---------------------------------------------------------------

    def proxy(self, room_id: str) -> RoomProxy | None:
        return self.proxies.get(room_id)

    async def place(self, room: Room, *, claim: bool = True) -> RoomSpace | RoomProxy | None:
        """The room's space for this node: its own, or a proxy to the node that runs it, made when neither is
        there yet (the lease taken when nobody holds it, if ``claim``). None when nobody is in the room here."""
        for _ in range(5):
            space = self.desk.rooms.get(room.id)
            if space is not None:
                return space
            proxy = self.proxies.get(room.id)
            if proxy is not None:
                return proxy
            placing = self._placing.get(room.id)
            if placing is None:
                placing = self._placing[room.id] = asyncio.ensure_future(self._placed(room, claim, None))
                return await asyncio.shield(placing)
            found = await asyncio.shield(placing)
            if found is not None or not claim:
                return found
        return None

    async def _placed(self, room: Room, claim: bool, proxy: RoomProxy | None) -> RoomSpace | RoomProxy | None:
        try:
            releasing = self._releasing.get(room.id)
            if releasing is not None:  # this node's last lease of the room first
                await asyncio.wait([releasing])
            for _ in range(3):
                if not self.desk.here(room.id):
                    return None  # nobody here: this node neither runs the space nor follows it
                owner = node_of(await self.redis.get(lease_key(room.id)))
                if owner is not None and owner != self.node:
                    return await self._follow(room.id, owner)
                if not claim:
                    return None
                made = await self._make(room, proxy)
                if made is not None:
                    return made
            return None
        finally:
            self._placing.pop(room.id, None)

    async def _make(self, room: Room, proxy: RoomProxy | None) -> RoomSpace | None:
        """Take the room's lease and make its space with this node's members (and those of the nodes that say
        hello, once told); None when another node took the lease first."""
        self._start()
        room_id = room.id
        token = f"{self.node}:{next(self.numbers)}"
        self._making[room_id] = []
        inbox = inbox_channel(room_id)
        try:
            await self.fanout.listen(inbox, lambda node, data: self._heard_in(room_id, node, data))
            if not await self.redis.set(lease_key(room_id), token, nx=True, px=round(self.lease_s * 1000)):
                self.fanout.unlisten(inbox)
                return None
            try:
                room_map = await self.desk.map_for(room)
                stored = await self.redis.hgetall(positions_key(room_id))
            except BaseException:
                self.fanout.unlisten(inbox)
                self.release(room_id, token, forget=False)
                raise
            members = self.desk.here(room_id)
            if not members or room_id in self.desk.rooms:  # everyone left meanwhile
                self.fanout.unlisten(inbox)
                self.release(room_id, token, forget=False)
                return self.desk.rooms.get(room_id)
            space = RoomSpace(self.desk, room, room_map)
            remote = Remote(self, space, token, _positions(stored))
            self.desk.rooms[room_id] = space
            for member_id in members:
                remote.add(member_id)
            if proxy is not None:  # this node's members who showed the space another node ran: their view anew
                for member_id, sids in proxy.watchers.items():
                    if member_id in space.avatars:
                        space.watchers[member_id] = list(sids)
                        remote.refresh(member_id)
                self._close_proxy(proxy)
            for node, data in self._making.pop(room_id):  # what other nodes said while the space was made
                self._heard_in(room_id, node, data)
            self.desk.zones_changed(room_id)
            await self.fanout.tell(OWNER, {"room": room_id, "node": self.node})
            return space
        finally:
            self._making.pop(room_id, None)

    async def _follow(self, room_id: str, owner: str) -> RoomProxy | None:
        """This node's members are in a room another node runs: a proxy to it."""
        proxy = self.proxies.get(room_id)
        if proxy is not None:
            if proxy.owner != owner:
                self._switch(proxy, owner)
            return proxy
        self._start()
        proxy = self.proxies[room_id] = RoomProxy(self, room_id, owner)
        await self.fanout.listen(outbox_channel(room_id), proxy.heard)
        if self.proxies.get(room_id) is not proxy:
            return self.proxies.get(room_id)
        if not self.desk.here(room_id):
            self._close_proxy(proxy)
            return None
        proxy.hello(fresh=False)
        return proxy

    def _switch(self, proxy: RoomProxy, owner: str) -> None:
        """Another node runs the room's space now: calls in flight fail, and it hears who is here."""
        proxy.fail_calls()
        proxy.owner = owner
        proxy.entering.clear()
        proxy.hello(fresh=True)

    def _close_proxy(self, proxy: RoomProxy) -> None:
        proxy.close()
        if self.proxies.get(proxy.room_id) is proxy:
            del self.proxies[proxy.room_id]
            self.fanout.unlisten(outbox_channel(proxy.room_id))

    def release(self, room_id: str, token: str, *, forget: bool) -> None:
        """Give the room's lease up (and its positions, when ``forget``: nobody is in the room)."""
        self.fanout.unlisten(inbox_channel(room_id))
        task = self._releasing[room_id] = self._spawn(self._released(room_id, token, forget))
        task.add_done_callback(
            lambda _t: self._releasing.pop(room_id, None) if self._releasing.get(room_id) is task else None
        )

    async def _released(self, room_id: str, token: str, forget: bool) -> None:
        await self._release(keys=[lease_key(room_id), positions_key(room_id)], args=[token, "1" if forget else "0"])
        await self.fanout.tell(RELEASED, {"room": room_id, "node": self.node})

    def _step_down(self, space: RoomSpace, owner: str | None) -> None:
        """Another node holds the room's lease (this one did not renew it in time): it runs the space now."""
        remote = space.remote
        assert remote is not None
        log.warning("room %s's space is run by node %s now", space.room.id, owner)
        remote.flush()
        remote.closed = True
        self.fanout.unlisten(inbox_channel(space.room.id))
        if space.handle is not None:
            space.handle.cancel()
            space.handle = None
        if self.desk.rooms.get(space.room.id) is space:
            del self.desk.rooms[space.room.id]
        if owner is None or not self.desk.here(space.room.id):
            return
        proxy = self.proxies[space.room.id] = RoomProxy(self, space.room.id, owner)
        for member_id, sids in space.watchers.items():
            own = [sid for sid in sids if sid[0] != ELSEWHERE]
            if own:
                proxy.watchers[member_id] = own
        self._spawn(self._listen_then_hello(proxy))

    async def _listen_then_hello(self, proxy: RoomProxy) -> None:
        await self.fanout.listen(outbox_channel(proxy.room_id), proxy.heard)
        if self.proxies.get(proxy.room_id) is proxy:
            proxy.hello(fresh=True)

    async def _take_over(self, proxy: RoomProxy) -> None:
        """The node that ran the room's space went away: this one runs it, if no other node took it first."""
        room = self.live.room(proxy.room_id)
        if room is None or proxy.room_id in self._placing or self.proxies.get(proxy.room_id) is not proxy:
            return
        placing = self._placing[room.id] = asyncio.ensure_future(self._placed(room, True, proxy))
        await asyncio.shield(placing)

    # -- this node's members ------------------------------------------------------------------------

    def arrive(self, room_id: str, member_id: str) -> None:
        """A member of this node arrived in a room whose space does not run here."""
        proxy = self.proxies.get(room_id)
        if proxy is not None:
            proxy.post(["a", member_id])
            return
        room = self.live.room(room_id)
        if room is not None and room_id not in self._placing:  # is its space run elsewhere?
            self._spawn(self.place(room, claim=False))

    def leave(self, room_id: str, member_id: str) -> None:
        proxy = self.proxies.get(room_id)
        if proxy is None:
            return
        proxy.post(["l", member_id])
        if not self.desk.here(room_id):
            self._close_proxy(proxy)

    def unwatch(self, room_id: str, member_id: str, sid: str) -> None:
        proxy = self.proxies.get(room_id)
        if proxy is not None:
            proxy.unwatch(member_id, sid)

    def move(self, room_id: str, member_id: str, x: int, y: int, direction: str, walking: bool) -> None:
        proxy = self.proxies.get(room_id)
        if proxy is not None:
            proxy.move(member_id, x, y, direction, walking)

    # -- what other nodes say and tell ------------------------------------------------------------

    def _heard_in(self, room_id: str, node: bytes, data: bytes) -> None:
        """A message on the inbox of a room whose space this node runs (or is making)."""
        making = self._making.get(room_id)
        if making is not None:
            making.append((node, data))
            return
        try:
            message = orjson.loads(data)
            space = self.desk.rooms.get(room_id)
            remote = space.remote if space is not None else None
            if remote is None or remote.closed:
                if isinstance(message, list) and message and message[0] == "c":  # answered: try again
                    error = moving()
                    answer = [node.hex(), message[1], False, [error.code, error.message]]
                    self.fanout.post(outbox_channel(room_id), b"A" + orjson.dumps(answer))
                return
            remote.heard_from(node.hex(), message)
        except (orjson.JSONDecodeError, ValueError, TypeError, IndexError, KeyError) as exc:
            log.warning("a malformed message in room %s's space from node %s was dropped: %s", room_id, node.hex(), exc)

    def _told_owner(self, data: Any) -> None:
        room_id, owner = str(data["room"]), str(data["node"])
        proxy = self.proxies.get(room_id)
        if proxy is not None:
            if proxy.owner != owner:
                self._switch(proxy, owner)
        elif room_id not in self.desk.rooms and room_id not in self._placing and self.desk.here(room_id):
            self._spawn(self._follow(room_id, owner))

    def _told_released(self, data: Any) -> None:
        room_id, owner = str(data["room"]), str(data["node"])
        proxy = self.proxies.get(room_id)
        if proxy is None or proxy.owner != owner:
            return
        if self.desk.here(room_id):
            self._spawn(self._take_over(proxy))
        else:
            self._close_proxy(proxy)

    def _lost(self, _data: Any) -> None:
        """This node hears nothing from Redis a while: calls waiting for an owner's answer fail now."""
        for proxy in self.proxies.values():
            proxy.fail_calls()

    def _resumed(self, _data: Any) -> None:
        """Redis was lost a while: what was said meanwhile is lost. The owners hear who is here anew, and the
        members here get their view anew."""
        for proxy in self.proxies.values():
            proxy.hello(fresh=True)
        for space in self.desk.rooms.values():
            remote = space.remote
            if remote is not None and not remote.closed:
                for member_id in remote.watching:
                    remote.refresh(member_id)

    # -- every RENEW_S -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.renew_s)
            try:
                await self.beat()
            except (RedisError, OSError) as exc:
                log.warning("the spaces' leases could not be renewed (%s)", exc)
            except Exception:
                log.exception("the spaces' round failed")

    async def beat(self) -> None:
        """Renew this node's leases and write its positions; say hello to the owners of the rooms this node
        follows and see that they still hold their leases (else take the space over)."""
        owned = [s for s in self.desk.rooms.values() if s.remote is not None and not s.remote.closed]
        proxies = list(self.proxies.values())
        if not owned and not proxies:
            return
        now = asyncio.get_running_loop().time()
        for space in owned:
            assert space.remote is not None
            space.remote.forget_silent(now)
        for proxy in proxies:
            proxy.hello(fresh=False)
        pipe = self.redis.pipeline(transaction=False)
        lease_ms = round(self.lease_s * 1000)
        if owned:
            tokens = [s.remote.token for s in owned if s.remote is not None]
            await self._renew(keys=[lease_key(s.room.id) for s in owned], args=[lease_ms, *tokens], client=pipe)
            for space in owned:
                assert space.remote is not None
                self._queue_positions(pipe, space.room.id, *space.remote.changes())
        if proxies:
            pipe.mget([lease_key(p.room_id) for p in proxies])
        results = await pipe.execute()
        if owned:
            for space, token in zip(owned, results[0], strict=True):
                remote = space.remote
                if remote is not None and not remote.closed and token is not None and token.decode() != remote.token:
                    self._step_down(space, node_of(token))
        if proxies:
            for proxy, token in zip(proxies, results[-1], strict=True):
                if self.proxies.get(proxy.room_id) is not proxy:
                    continue
                owner = node_of(token)
                if owner is None:  # its owner went away: this node takes the space over (if first)
                    self._spawn(self._take_over(proxy))
                elif owner != proxy.owner and owner != self.node:
                    self._switch(proxy, owner)

    def _queue_positions(self, pipe: Any, room_id: str, changed: dict[str, bytes], removed: list[str]) -> None:
        key = positions_key(room_id)
        if changed:
            pipe.hset(key, mapping=changed)
        if removed:
            pipe.hdel(key, *removed)
        pipe.pexpire(key, round(POSITIONS_S * 1000))

    async def _write_positions(self, room_id: str, changed: dict[str, bytes], removed: list[str]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        self._queue_positions(pipe, room_id, changed, removed)
        await pipe.execute()


def _positions(stored: dict[Any, Any]) -> dict[str, list[Any]]:
    """The positions read from Redis (entries that are not ``[x, y, dir, status, follows]`` are left out)."""
    out: dict[str, list[Any]] = {}
    for member, entry in stored.items():
        with contextlib.suppress(orjson.JSONDecodeError, UnicodeDecodeError):
            value = orjson.loads(entry)
            if isinstance(value, list) and len(value) == 5:
                out[member.decode() if isinstance(member, bytes) else str(member)] = value
    return out
