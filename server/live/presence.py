"""Presence across nodes: who is in which room, and who views which board, on every node (with ``redis``).

Each node keeps its own connections' presence in memory (``LiveState``: a member's tabs on this node)
and writes what changes to Redis, where every node reads the union. On one node there is none of
this: ``LiveState`` has no ``SharedPresence`` and keeps presence in memory as it always did.

In Redis (``werkstatt:p:…``; one Redis, not a Cluster: the scripts name the keys they build)::

    nodes                 set     the nodes that wrote presence
    live:{node}           string  the node's heartbeat: expires ``ttl`` after the node's last beat
    rooms:{node}          set     the rooms the node has members in
    boards:{node}         hash    board → room, for the boards the node has viewers of
    r:{room}:nodes        set     the nodes with members in the room
    r:{room}:n:{node}     hash    member → their entry as ``presence.changed`` lists it, one per member on the node
    r:{room}:here         hash    member → arrival number, for everyone in the room: the order of ``room.enter``
    b:{board}:nodes       set     the nodes with viewers of the board
    b:{board}:n:{node}    hash    member → their viewer entry (``board.presence``) as the node sees it
    b:{board}:v           counter changes of the board's viewers
    seq                   counter arrival numbers

Only a node's *own* transitions go to Redis: its first tab of a member in a room (``arrive``) and its
last (``leave``). A Lua script decides each at once, under Redis's lock, whether the member arrived in or
left the room *anywhere*: an arrival with the member present on another live node is no arrival, a
leave with the member still on another live node no leave. So a member with tabs on two nodes arrives
once and leaves once, whichever tab comes or goes first.

A node's writes and reads go out in the order the node made them, batched: whatever waits while one
batch is with Redis goes together in the next (one round trip, as a join storm of a thousand arrives
at once). So what a node reads (``room.enter``) already holds what it wrote before (its own arrival).

A node beats every third of ``ttl`` (``live:{node}``) and refreshes the expiry of what it wrote (its
entries expire a while after its heartbeat, ``retain``, so that a dead node's entries are still there to
be swept). With each beat it sweeps: a node whose heartbeat expired is dead; one script removes its
entries and tells who left (those not on another live node) and whose boards' viewers changed, and the
sweeping node announces them. The sweep is one script, so two nodes that sweep at once do not both
find the dead node. A node that finds its own heartbeat gone (taken for dead: stalled, or Redis lost
its data) writes its presence again (``resync``), and so does one whose writes failed while Redis was
away: who arrived or left meanwhile is announced then. Reads and writes of a node that cannot reach
Redis fail (``RedisError``); ``LiveState`` falls back on what this node knows.

A node that shuts down removes its entries itself (``remove``) and announces those who left with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

log = logging.getLogger("werkstatt.presence")

PREFIX = "werkstatt:p:"
RETAIN_MIN_S = 60.0  # a node's entries outlive its heartbeat at least this long (and ten heartbeats' ttl)

_COMMON = (
    """
local P = '"""
    + PREFIX
    + """'
local function alive(node) return redis.call('EXISTS', P .. 'live:' .. node) == 1 end
-- whether ``member`` is in ``scope`` (a room 'r:…' or a board 'b:…') on a live node other than ``node``
local function elsewhere(scope, node, member)
  for _, other in ipairs(redis.call('SMEMBERS', P .. scope .. ':nodes')) do
    if other ~= node and alive(other) and redis.call('HEXISTS', P .. scope .. ':n:' .. other, member) == 1 then
      return true
    end
  end
  return false
end
local function keep(key, retain) redis.call('PEXPIRE', key, retain) end
-- the live nodes with entries in ``scope`` (a room 'r:…' or a board 'b:…')
local function live_nodes(scope)
  local live = {}
  for _, node in ipairs(redis.call('SMEMBERS', P .. scope .. ':nodes')) do
    if alive(node) then table.insert(live, node) end
  end
  return live
end
-- the member's first tab in the room on ``node``: 1 when they arrived in the room (on no other live node)
local function arrive(node, room, member, entry, retain)
  local scope = 'r:' .. room
  local own = P .. scope .. ':n:' .. node
  if redis.call('HSET', own, member, entry) == 0 then return 0 end
  redis.call('SADD', P .. scope .. ':nodes', node)
  redis.call('SADD', P .. 'rooms:' .. node, room)
  keep(own, retain) keep(P .. scope .. ':nodes', retain) keep(P .. 'rooms:' .. node, retain)
  if elsewhere(scope, node, member) then return 0 end
  redis.call('HSET', P .. scope .. ':here', member, redis.call('INCR', P .. 'seq'))
  keep(P .. scope .. ':here', retain)
  return 1
end
-- the member's last tab in the room on ``node`` went: 1 when they left the room (on no other live node)
local function leave(node, room, member)
  local scope = 'r:' .. room
  local own = P .. scope .. ':n:' .. node
  if redis.call('HDEL', own, member) == 0 then return 0 end
  if redis.call('HLEN', own) == 0 then
    redis.call('SREM', P .. scope .. ':nodes', node)
    redis.call('SREM', P .. 'rooms:' .. node, room)
  end
  if elsewhere(scope, node, member) then return 0 end
  redis.call('HDEL', P .. scope .. ':here', member)
  return 1
end
-- every entry of a node, gone: {room, member, room, member, …} who left, {board, room, …} whose viewers changed
local function remove_node(node)
  local left, boards = {}, {}
  for _, room in ipairs(redis.call('SMEMBERS', P .. 'rooms:' .. node)) do
    for _, member in ipairs(redis.call('HKEYS', P .. 'r:' .. room .. ':n:' .. node)) do
      if leave(node, room, member) == 1 then
        table.insert(left, room) table.insert(left, member)
      end
    end
    redis.call('DEL', P .. 'r:' .. room .. ':n:' .. node)
    redis.call('SREM', P .. 'r:' .. room .. ':nodes', node)
  end
  local viewed = redis.call('HGETALL', P .. 'boards:' .. node)
  for i = 1, #viewed, 2 do
    local scope = P .. 'b:' .. viewed[i]
    redis.call('DEL', scope .. ':n:' .. node)
    redis.call('SREM', scope .. ':nodes', node)
    redis.call('INCR', scope .. ':v')
    table.insert(boards, viewed[i]) table.insert(boards, viewed[i + 1])
  end
  redis.call('DEL', P .. 'rooms:' .. node, P .. 'boards:' .. node, P .. 'live:' .. node)
  redis.call('SREM', P .. 'nodes', node)
  return {left, boards}
end
"""
)

# ARGV: node, room, member, entry, retain (ms) → 1 when the member arrived in the room
_ARRIVE = "return arrive(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])"

# ARGV: node, room, member → 1 when the member left the room
_LEAVE = "return leave(ARGV[1], ARGV[2], ARGV[3])"

# ARGV: node, room, retain, then member, entry, … (everyone in the room on this node) → those who arrived or left
_RESYNC = """
local node, room, retain = ARGV[1], ARGV[2], ARGV[3]
local want, changed = {}, {}
for i = 4, #ARGV, 2 do want[ARGV[i]] = true end
for _, member in ipairs(redis.call('HKEYS', P .. 'r:' .. room .. ':n:' .. node)) do
  if not want[member] and leave(node, room, member) == 1 then table.insert(changed, member) end
end
for i = 4, #ARGV, 2 do
  if arrive(node, room, ARGV[i], ARGV[i + 1], retain) == 1 then table.insert(changed, ARGV[i]) end
end
return changed
"""

# ARGV: room → everyone in the room on a live node, in order of arrival: their entries as one JSON array
_ROOM = """
local room = ARGV[1]
local here = {}
local numbers = redis.call('HGETALL', P .. 'r:' .. room .. ':here')
for i = 1, #numbers, 2 do here[numbers[i]] = tonumber(numbers[i + 1]) end
local seen, rows = {}, {}
for _, node in ipairs(live_nodes('r:' .. room)) do
  local entries = redis.call('HGETALL', P .. 'r:' .. room .. ':n:' .. node)
  for i = 1, #entries, 2 do
    local member = entries[i]
    if not seen[member] then
      seen[member] = true
      table.insert(rows, {here[member] or 0, entries[i + 1]})
    end
  end
end
table.sort(rows, function(a, b) return a[1] < b[1] end)
local out = {}
for i, row in ipairs(rows) do out[i] = row[2] end
return '[' .. table.concat(out, ',') .. ']'
"""

# ARGV: room, member, … → entry (false: not present), arrival number (false: none), … for each member
_STATE = """
local room = ARGV[1]
local out = {}
local live = live_nodes('r:' .. room)
for i = 2, #ARGV do
  local entry = false
  for _, node in ipairs(live) do
    entry = redis.call('HGET', P .. 'r:' .. room .. ':n:' .. node, ARGV[i])
    if entry then break end
  end
  table.insert(out, entry)
  table.insert(out, redis.call('HGET', P .. 'r:' .. room .. ':here', ARGV[i]))
end
return out
"""

# ARGV: room, member, … → each member's arrival number (false: not in the room)
_NUMBERS = """
local out = {}
for i = 2, #ARGV do table.insert(out, redis.call('HGET', P .. 'r:' .. ARGV[1] .. ':here', ARGV[i])) end
return out
"""

# ARGV: node, board, room, retain, write (1/0), then member, entry, … (its viewers on this node, when write)
# → {version, entries}: the board's change count and the viewers on the other live nodes (one JSON array)
_VIEWERS = """
local node, board, room, retain = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local scope = P .. 'b:' .. board
local own = scope .. ':n:' .. node
if ARGV[5] == '1' then
  local want, changed = {}, false
  for i = 6, #ARGV, 2 do want[ARGV[i]] = ARGV[i + 1] end
  local had = redis.call('HGETALL', own)
  for i = 1, #had, 2 do
    if want[had[i]] == nil then redis.call('HDEL', own, had[i]) changed = true
    elseif want[had[i]] == had[i + 1] then want[had[i]] = nil end
  end
  for member, entry in pairs(want) do redis.call('HSET', own, member, entry) changed = true end
  if redis.call('EXISTS', own) == 1 then
    redis.call('SADD', scope .. ':nodes', node)
    redis.call('HSET', P .. 'boards:' .. node, board, room)
    keep(own, retain) keep(scope .. ':nodes', retain) keep(P .. 'boards:' .. node, retain)
  else
    redis.call('SREM', scope .. ':nodes', node)
    redis.call('HDEL', P .. 'boards:' .. node, board)
  end
  if changed then redis.call('INCR', scope .. ':v') keep(scope .. ':v', retain) end
end
local out = {}
for _, other in ipairs(live_nodes('b:' .. board)) do
  if other ~= node then
    for _, entry in ipairs(redis.call('HVALS', scope .. ':n:' .. other)) do table.insert(out, entry) end
  end
end
return {redis.call('GET', scope .. ':v') or '0', '[' .. table.concat(out, ',') .. ']'}
"""

# ARGV: board → the board's change count
_VERSION = "return redis.call('GET', P .. 'b:' .. ARGV[1] .. ':v') or '0'"

# ARGV: node, ttl (ms), retain (ms) → 1 when the node's heartbeat was still there
_BEAT = """
local node, ttl, retain = ARGV[1], ARGV[2], ARGV[3]
local had = redis.call('EXISTS', P .. 'live:' .. node)
redis.call('SET', P .. 'live:' .. node, '1', 'PX', ttl)
redis.call('SADD', P .. 'nodes', node)
for _, room in ipairs(redis.call('SMEMBERS', P .. 'rooms:' .. node)) do
  local scope = P .. 'r:' .. room
  keep(scope .. ':n:' .. node, retain) keep(scope .. ':nodes', retain) keep(scope .. ':here', retain)
end
for _, board in ipairs(redis.call('HKEYS', P .. 'boards:' .. node)) do
  local scope = P .. 'b:' .. board
  keep(scope .. ':n:' .. node, retain) keep(scope .. ':nodes', retain) keep(scope .. ':v', retain)
end
keep(P .. 'rooms:' .. node, retain) keep(P .. 'boards:' .. node, retain)
return had
"""

# no ARGV → {{room, member, …}, {board, room, …}}: who left with the dead nodes, whose boards' viewers changed
_SWEEP = """
local left, boards, stopped = {}, {}, {}
for _, node in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  if not alive(node) then
    local gone = remove_node(node)
    for _, v in ipairs(gone[1]) do table.insert(left, v) end
    for _, v in ipairs(gone[2]) do table.insert(boards, v) end
    table.insert(stopped, node)
  end
end
return {left, boards, stopped}
"""

# ARGV: node → what ``remove_node`` returns (a node that shuts down)
_REMOVE = "return remove_node(ARGV[1])"

# ARGV: node → the rooms and the boards (with their rooms) the node has entries for
_OWN = """
return {redis.call('SMEMBERS', P .. 'rooms:' .. ARGV[1]), redis.call('HGETALL', P .. 'boards:' .. ARGV[1])}
"""

SCRIPTS = {
    name: _COMMON + body
    for name, body in {
        "arrive": _ARRIVE,
        "leave": _LEAVE,
        "resync": _RESYNC,
        "room": _ROOM,
        "state": _STATE,
        "numbers": _NUMBERS,
        "viewers": _VIEWERS,
        "version": _VERSION,
        "beat": _BEAT,
        "sweep": _SWEEP,
        "remove": _REMOVE,
        "own": _OWN,
    }.items()
}


@dataclass
class Changed:
    """What changed in the presence of other nodes' or this node's members, for the node to announce."""

    members: dict[str, list[str]] = field(default_factory=dict)  # room → members who arrived or left
    boards: dict[str, str] = field(default_factory=dict)  # board → its room, whose viewers changed
    stopped: list[str] = field(default_factory=list)  # nodes that stopped without a word (found by a sweep)

    def __bool__(self) -> bool:
        return bool(self.members or self.boards or self.stopped)


@dataclass(slots=True)
class _Call:
    script: str
    args: tuple[Any, ...]
    future: asyncio.Future[Any]
    then: Callable[[Any], Any] | None = None  # what the future holds of the script's answer


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _pairs(flat: Sequence[Any]) -> list[tuple[str, str]]:
    return [(_text(flat[i]), _text(flat[i + 1])) for i in range(0, len(flat), 2)]


class SharedPresence:
    """One node's presence in Redis (the module docstring says how).

    ``on_changed`` is called with what the sweeps and ``resync`` found (the node announces it);
    ``here`` gives what this node holds, for ``resync``: every room's members on this node with their
    entries (JSON), and the boards its connections view (with their rooms).
    """

    def __init__(
        self,
        redis: Redis,
        *,
        ttl: float,
        on_changed: Callable[[Changed], None],
        here: Callable[[], tuple[Mapping[str, Mapping[str, str]], Mapping[str, str]]],
        node: str | None = None,
    ) -> None:
        self.redis = redis
        self.node = node or secrets.token_hex(8)
        self.ttl = ttl
        self.retain = max(RETAIN_MIN_S, 10 * ttl)
        self.on_changed = on_changed
        self.here = here
        self.heartbeat: asyncio.Task[None] | None = None
        self.lost = False  # a write failed: this node's entries in Redis may be wrong until ``resync``
        self._sha: dict[str, str] = {}
        self._queue: list[_Call] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    @property
    def _retain_ms(self) -> int:
        return round(self.retain * 1000)

    # -- life ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the scripts and beat once (raises when Redis cannot be reached); then beat on."""
        await self._load()
        self._writer = asyncio.get_running_loop().create_task(self._write())
        await self._call("beat", self.node, self._ttl_ms, self._retain_ms)
        self.start_heartbeat()

    def start_heartbeat(self) -> None:
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def remove(self) -> Changed:
        """This node shuts down: its heartbeat stops, what it wrote goes (after what it still had to
        write), and the answer says who left with it and whose boards' viewers changed."""
        await self._stop_heartbeat()
        try:
            left, boards = await self._call("remove", self.node)
        except RedisError as exc:
            log.warning("could not remove this node's presence from Redis (it expires): %s", exc)
            return Changed()
        return _changed(left, boards)

    async def close(self) -> None:
        await self._stop_heartbeat()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        for call in self._queue:
            call.future.cancel()
        self._queue.clear()

    async def _stop_heartbeat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.heartbeat
            self.heartbeat = None

    async def _beat(self) -> None:
        """Every third of ``ttl``: the heartbeat, then the sweep; a node taken for dead, or whose
        writes failed, writes its presence again."""
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                had = await self._direct("beat", self.node, self._ttl_ms, self._retain_ms)
                if not had or self.lost:
                    log.warning("this node's presence in Redis was lost; writing it again")
                    self.lost = False
                    self.on_changed(await self.resync())
                left, boards, stopped = await self._direct("sweep")
                swept = _changed(left, boards)
                swept.stopped = [_text(node) for node in stopped]
                if swept:
                    log.info(
                        "%d nodes stopped; the presence of %d of their members removed",
                        len(swept.stopped),
                        sum(map(len, swept.members.values())),
                    )
                    self.on_changed(swept)
            except RedisError as exc:
                self.lost = True
                log.warning("presence heartbeat failed: %s", exc)
            except Exception:
                log.exception("presence heartbeat failed")

    async def resync(self) -> Changed:
        """Write this node's presence again as it is (after its entries were lost or went wrong):
        every room's members, in order with the writes queued before; the boards this node has or had
        viewers of are named, for the node to write their viewers again."""
        rooms, boards = await self._call("own", self.node)
        here, viewed = self.here()
        names = dict.fromkeys([*(_text(r) for r in rooms), *here])
        calls = []
        for room in names:
            entries = here.get(room, {})
            args = [a for member, entry in entries.items() for a in (member, entry)]
            calls.append(self._enqueue("resync", self.node, room, self._retain_ms, *args))
        changed = Changed(boards={**dict(_pairs(boards)), **viewed})
        for room, call in zip(names, calls, strict=True):
            members = [_text(m) for m in await call]
            if members:
                changed.members[room] = members
        return changed

    # -- presence in rooms ---------------------------------------------------------------------

    def arrive(self, room: str, member: str, entry: str) -> asyncio.Future[Any]:
        """This node's first tab of ``member`` in ``room``: True once it is known they arrived in the room."""
        return self._enqueue("arrive", self.node, room, member, entry, self._retain_ms, then=bool)

    def leave(self, room: str, member: str) -> asyncio.Future[Any]:
        """This node's last tab of ``member`` in ``room`` went: True once it is known they left the room."""
        return self._enqueue("leave", self.node, room, member, then=bool)

    async def room(self, room: str) -> list[dict[str, Any]]:
        """Everyone in the room on any live node, in order of arrival: their entries as ``room.enter`` lists them.

        The readers of a room in one batch share one read, made after the batch's writes: a join storm
        reads each room's list once per round trip, not once per arrival."""
        return list(await self._enqueue("room", room, then=orjson.loads))

    async def state(self, room: str, members: Sequence[str]) -> list[tuple[bytes | None, int | None]]:
        """For each member: their entry (None: not in the room on a live node) and arrival number."""
        flat = await self._call("state", room, *members)
        return [(flat[i], None if flat[i + 1] is None else int(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def numbers(self, room: str, members: Sequence[str]) -> list[int | None]:
        """Each member's arrival number in the room (None: not in it): it changes with every arrival and leave."""
        return [None if n is None else int(n) for n in await self._call("numbers", room, *members)]

    # -- board viewers ---------------------------------------------------------------------------

    async def viewers(
        self, board: str, room: str, here: Sequence[tuple[str, str]] | None
    ) -> tuple[int, list[dict[str, Any]]]:
        """The board's viewers on the other live nodes (their entries) and its change count; with ``here``
        (member, entry for its viewers on this node) this node's are written first. Readers alone (no
        ``here``) of a board in one batch share one read, as with ``room``."""
        if here is None:
            version, entries = await self._enqueue("viewers", self.node, board, "", self._retain_ms, "0", then=_viewers)
        else:
            args = [a for member, entry in here for a in (member, entry)]
            version, entries = await self._enqueue(
                "viewers", self.node, board, room, self._retain_ms, "1", *args, then=_viewers
            )
        return version, list(entries)

    async def version(self, board: str) -> int:
        """How often the board's viewers changed (on any node)."""
        return int(await self._call("version", board))

    # -- calls -----------------------------------------------------------------------------------

    async def _load(self) -> None:
        for name, body in SCRIPTS.items():
            self._sha[name] = _text(await self.redis.script_load(body))

    async def _direct(self, script: str, *args: Any) -> Any:
        """A call of its own, not behind the queued ones (the heartbeat is not held up by a long batch)."""
        try:
            return await self.redis.evalsha(self._sha[script], 0, *args)  # type: ignore[misc]
        except NoScriptError:
            await self._load()
            return await self.redis.evalsha(self._sha[script], 0, *args)  # type: ignore[misc]

    async def _call(self, script: str, *args: Any) -> Any:
        return await self._enqueue(script, *args)

    def _enqueue(self, script: str, *args: Any, then: Callable[[Any], Any] | None = None) -> asyncio.Future[Any]:
        """Queue a call behind those before it; its future has the script's answer (or its RedisError).
        The futures of a batch are done in the order of their calls (so are the callbacks they run)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append(_Call(script, args, future, then))
        self._wake.set()
        return future

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue, []
                await self._run(batch)

    async def _run(self, batch: list[_Call]) -> None:
        """One round trip for the batch (a pipeline, not a transaction: each script is atomic on its own).
        Reads of the same room (or board's viewers, read alone) go once, after the batch's writes: a read
        sees at least what was written before it, and a newer state is as good."""
        calls: list[_Call] = []
        readers: dict[tuple[Any, ...], list[_Call]] = {}
        for call in batch:
            if call.script == "room" or (call.script == "viewers" and call.args[4] == "0"):
                readers.setdefault((call.script, *call.args), []).append(call)
            else:
                calls.append(call)
        shared = [[call] for call in calls] + list(readers.values())
        calls += [same[0] for same in readers.values()]
        try:
            results = await self._pipeline(calls)
            if any(isinstance(r, NoScriptError) for r in results):  # Redis restarted: its scripts are gone
                await self._load()
                again = [c for c, r in zip(calls, results, strict=True) if isinstance(r, NoScriptError)]
                retried = iter(await self._pipeline(again))
                results = [next(retried) if isinstance(r, NoScriptError) else r for r in results]
        except (RedisError, OSError) as exc:
            results = [exc if isinstance(exc, RedisError) else RedisError(str(exc))] * len(calls)
        failed: list[BaseException] = []
        for call, same, result in zip(calls, shared, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(result)
                if call.script in ("arrive", "leave", "resync", "viewers", "remove"):
                    self.lost = True  # what this node wrote may be missing: written again on the next beat
            else:
                result = result if call.then is None else call.then(result)
            for each in same:
                if each.future.done():
                    continue
                if isinstance(result, BaseException):
                    each.future.set_exception(result)
                else:
                    each.future.set_result(result)
        if failed:
            log.warning("%d of %d presence calls to Redis failed: %s", len(failed), len(calls), failed[0])

    async def _pipeline(self, calls: list[_Call]) -> list[Any]:
        pipe = self.redis.pipeline(transaction=False)
        for call in calls:
            pipe.evalsha(self._sha[call.script], 0, *call.args)
        return list(await pipe.execute(raise_on_error=False))


def _viewers(answer: Sequence[Any]) -> tuple[int, list[dict[str, Any]]]:
    return int(answer[0]), orjson.loads(answer[1])


def _changed(left: Sequence[Any], boards: Sequence[Any]) -> Changed:
    changed = Changed(boards=dict(_pairs(boards)))
    for room, member in _pairs(left):
        changed.members.setdefault(room, []).append(member)
    return changed


def viewer_json(viewer: Mapping[str, Any]) -> str:
    """A viewer's entry as Redis keeps it: the same text for the same entry (a node rewrites only changes)."""
    return orjson.dumps(viewer, option=orjson.OPT_SORT_KEYS).decode()


def merge_viewers(
    here: list[dict[str, Any]], others: Sequence[dict[str, Any]], *, anonymous: bool
) -> list[dict[str, Any]]:
    """This node's viewers of a board and those of the others (entries as they wrote them), one per member
    in the order of ``board.presence``: the idea a member edits is the one they edit on any node, and none
    when this node knows the board to be anonymous (each node leaves it out on boards it knows to be)."""
    if not others:
        return here
    seen = {v["member_id"]: dict(v) for v in here}
    for viewer in others:
        entry = seen.setdefault(viewer["member_id"], dict(viewer))
        entry["editing"] = None if anonymous else entry["editing"] or viewer["editing"]
    return sorted(seen.values(), key=lambda v: (v["pseudonym"].casefold(), v["member_id"]))
