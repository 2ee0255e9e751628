"""What a node holds in memory: connections and the room each is in, presence per room, and a
cache of its live boards.

Presence is each node's own (its connections' members, ``present``, and who views which board,
``viewers``); with several nodes (``redis``) every node also writes its changes to Redis and reads
everyone's from there (``server.live.presence``): ``room_presence`` and ``board_viewers`` are
everyone's, on any node, and a member arrives with their first tab on any node and leaves with
their last. On one node they are this node's, as ever, and Redis is not used.

A connection is in one room at a time: the plenary, or a breakout room while a round is open.
``move_member`` moves every connection of a member (their tabs) to another room: the room's
channel is left and the other joined, the presence of both rooms is announced, and the member
gets ``room.moved`` with what ``room.enter`` would tell about the new room.

Boards are changed by their serializer (``server.live.serializer``), one batch at a time under
the board's lock: each command is decided and applied to the cached board on the effects of
those before it, the batch is committed, and only then fanned out and answered; if the commit
fails the cached board is forgotten and loaded again from the store. Whoever reads a board takes
its lock (``board``, ``load``), so no reader sees what is not committed. Each
change reaches each connection in the form that connection may see (``server.live.views``),
chosen by member and role (``server.transport.fanout.Forms``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from boards.actors import Actor, Role
from boards.commands import Command
from boards.domain_events import BoardEvent
from boards.errors import Conflict, DomainError, NotFound
from boards.model import Board
from boards.rules import apply, decide
from boards.voting import Ballots
from rooms.members import Member
from rooms.presence import Presence
from server.clock import Clock, SystemClock
from server.live.limits import Limits
from server.live.presence import Changed, SharedPresence, merge_viewers, viewer_json
from server.live.serializer import Pending, Serializer
from server.live.throttle import Throttle
from server.live.views import MODERATOR, PUBLIC, AckOf, Viewer, member_out, project, record, shown, special_members
from server.store.idea_store import Event, IdeaStore, Room
from server.transport.endpoint import event_frame
from server.transport.fanout import (
    LOST,
    RESUMED,
    Fanout,
    Forms,
    Recipient,
    event_channel,
    member_channel,
    moderators_channel,
    room_channel,
)

if TYPE_CHECKING:  # server.live.dots, .breakouts and .facilitation build on this module
    from server.live.breakouts import BreakoutDesk
    from server.live.dots import VoteDesk
    from server.live.facilitation import Facilitation
    from server.live.space import SpaceDesk

log = logging.getLogger("werkstatt.live")

# a member's arrival in (or leave of) a room on this node, and whether Redis found it one on every node
_Shared = tuple[str, str, "asyncio.Future[Any]"]

# a batch that finds the board committed meanwhile by another node is decided again on the stored board, after a
# random pause that doubles each time (``contention_pause``): nodes that keep meeting on one board take turns
COMMIT_RETRIES = 10
# what a node tells the others of the boards it committed (``Fanout.tell``): their copies are outdated
BOARD_TOLD = "board"  # {"id", "seq"}: the board's changes up to seq are committed (and were published)
NODES_STOPPED = "nodes.stopped"  # [node id, …]: nodes the presence sweep found stopped; copies are dropped
REACH_WAIT_S = 1.0  # at most this long a commit waits for the other nodes' changes before it
DOTS_TOLD = "board.dots"  # {"id", "session", "dots": [[member, idea, count before, count after], …]}
EVENT_TOLD = "event"  # {"id"}: the event's settings, fields or members changed
ROOM_BOARDS_TOLD = "room.boards"  # {"id"}: a board was added to the room
ANNOUNCE_INTERVAL = 0.25  # seconds: presence and board viewers are announced at most this often
PRESENTED, PRESENTED_KEPT = "werkstatt:presented:", 24 * 3600  # a room's presented board in Redis; seconds kept


def contention_pause(attempt: int) -> float:
    """Seconds to wait before deciding again after the ``attempt``-th lost race for a board with another node: at
    random up to 4 ms, 8, 16 … 128 ms (full jitter, so that the nodes that met do not meet again)."""
    return random.uniform(0, 0.002 * 2 ** min(attempt, 6))


@dataclass(slots=True)
class Connection:
    sid: str
    member: Member
    room_id: str
    # its member's rate limits per kind of event and events in flight, from its first event on (the gateway's)
    limits: Limits | None = None
    viewing: str | None = None  # the board this connection looks at
    editing: str | None = None  # the idea it edits
    projector: bool = False  # a projector view: reads the room's presented board as the public sees it

    @property
    def actor(self) -> Actor:
        return Actor(self.member.id, self.member.role)

    @property
    def role(self) -> Role:
        return self.member.role

    @property
    def event_id(self) -> str:
        return self.member.event_id

    @property
    def recipient(self) -> Recipient:
        """Who reads on this connection, for the fan-out's choice of forms."""
        return Recipient(None, False) if self.projector else Recipient(self.member.id, self.member.role.moderates)

    @property
    def viewer(self) -> Viewer:
        # a projector shows the room what everyone may see, whoever opened it
        return PUBLIC if self.projector else Viewer(self.member.id, self.member.role.moderates)


@dataclass(slots=True)
class BoardOutcome:
    seq: int  # the board's sequence number right after this command
    view: dict[str, Any] | None = None  # what the command's ``ack`` names, right after it (wire form)


class _Redo(Exception):
    """A command failed halfway into the board: the batch is decided again without it."""


@dataclass(frozen=True, slots=True)
class BoardCommand:
    """A command for a board's serializer, with who sends it and what its answer shows."""

    actor: Actor
    event_id: str
    command: Command
    fresh: bool
    ack: AckOf | None  # what its acknowledgement shows of the board right after it
    room_id: str | None = None  # a participant acts only on the boards of the room they are in


@dataclass
class LiveState:
    store: IdeaStore
    fanout: Fanout
    clock: Clock = field(default_factory=SystemClock)  # the time board commands carry (server.clock)
    # the Redis that nodes share their ephemeral state in (set by the app with ``redis``); None on one node
    redis: Redis | None = None
    # presence on every node, in ``redis`` (``share_presence``); None on one node
    shared_presence: SharedPresence | None = None
    connections: dict[str, Connection] = field(default_factory=dict)
    presence: dict[str, Presence] = field(default_factory=lambda: defaultdict(Presence))  # per room
    boards: dict[str, Board] = field(default_factory=dict)
    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    votes: VoteDesk = field(init=False)  # the node's dots and vote timers; set by the app
    breakouts: BreakoutDesk = field(init=False)  # the events' breakout rounds; set by the app
    # timers, hands, chat, questions, agenda, spotlight and removals; set by the app
    facilitation: Facilitation = field(init=False)
    # the rooms' spaces: positions, cells, conversations and the ticks that send moves; set by the app
    space: SpaceDesk = field(init=False)
    dropped: Counter[str] = field(default_factory=Counter)  # volatile events over their rate limit, by name
    # closes a connection from the server's side (the realtime endpoint's ``disconnect``); set by the app
    disconnect: Callable[[str], Awaitable[None]] | None = None
    _events: dict[str, Event] = field(default_factory=dict)
    _plenaries: dict[str, Room] = field(default_factory=dict)
    _rooms: dict[str, Room] = field(default_factory=dict)  # every room this node has seen, by id
    _board_ids: dict[str, list[str]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    _telling: set[asyncio.Future[None]] = field(default_factory=set)
    # per board, the seq up to which its changes went to this node's connections (its own commits, and the
    # others' once they told it: their frames come first on the same Redis connection); and who waits for more
    _reached: dict[str, int] = field(default_factory=dict)
    _reaching: dict[str, list[tuple[int, asyncio.Future[None]]]] = field(default_factory=dict)
    _serializer: Serializer[BoardCommand, BoardOutcome] = field(init=False)
    announce_interval: float = ANNOUNCE_INTERVAL
    # presence: each member as ``presence.changed`` shows them, in order of arrival, per room
    _present: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # members whose presence changed since the last announcement (a dict as an ordered set)
    _touched: dict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))  # per room
    _viewed: dict[str, str] = field(default_factory=dict)  # boards whose viewers changed → room
    _presented: dict[str, str] = field(default_factory=dict)  # room → the board its facilitators show
    _presence_throttle: Throttle = field(init=False)
    _viewers_throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self._serializer = Serializer(self._commit_batch, name="board")
        self._presence_throttle = Throttle(self.announce_interval, self._announce_presence)
        self._viewers_throttle = Throttle(self.announce_interval, self._announce_viewers)
        # what other nodes committed makes this node's copies outdated (several nodes, ``Fanout.tell``)
        self.fanout.on_told(BOARD_TOLD, self._board_told)
        self.fanout.on_told(DOTS_TOLD, self._dots_told)
        self.fanout.on_told(EVENT_TOLD, self._event_told)
        self.fanout.on_told(ROOM_BOARDS_TOLD, self._room_boards_told)
        self.fanout.on_told(RESUMED, self._resumed)
        self.fanout.on_told(NODES_STOPPED, self._stopped)
        self.fanout.on_told(LOST, self._lost)

    async def share_presence(self, ttl: float) -> None:
        """Share presence with the other nodes through ``redis`` (``server.live.presence``): a node's
        entries expire ``ttl`` seconds after its last heartbeat, and the others announce its members left."""
        assert self.redis is not None
        shared = SharedPresence(self.redis, ttl=ttl, on_changed=self._shared_changed, here=self._here)
        try:
            await shared.start()
        except BaseException:
            await shared.close()
            raise
        self.shared_presence = shared

    async def close(self) -> None:
        await self._serializer.close()
        shared = self.shared_presence
        if shared is not None:  # its members leave with it: announced now, not dropped with what is due
            self._shared_changed(await shared.remove())
            try:
                for room_id in list(self._touched):
                    await self._announce_presence(room_id)
                for board_id in list(self._viewed):
                    await self._announce_viewers(board_id)
            except Exception:
                log.exception("announcing the presence this node takes along failed")
        await self._presence_throttle.close()
        await self._viewers_throttle.close()
        if shared is not None:
            await shared.close()

    # -- connections ----------------------------------------------------------------------

    def recipient(self, sid: str) -> Recipient:
        """Who reads on a connection (the fan-out picks each message's form by it)."""
        conn = self.connections.get(sid)
        return Recipient(None, False) if conn is None else conn.recipient

    async def attach(self, conn: Connection) -> None:
        """Add a connection to its channels; the member's arrival in its room is announced (throttled).

        A projector view joins only the room's and the event's channels: it gets what everyone
        gets, nothing meant for its member or for moderators, and is nobody's arrival.
        """
        self.connections[conn.sid] = conn
        channels = [room_channel(conn.room_id), event_channel(conn.event_id)]
        if not conn.projector:
            channels.append(member_channel(conn.member.id))
            if conn.role.moderates:
                channels.append(moderators_channel(conn.event_id))
        # joined together after any wait (across nodes, for the channels' subscriptions), and nothing awaited
        # after: no message of these channels reaches the connection before the endpoint's connect answer
        await self.fanout.subscribe_many([(conn.sid, channel) for channel in channels])
        if not conn.projector:
            self._arrive(conn)

    def detach(self, sid: str) -> Connection | None:
        """Forget a closed connection; the member's leaving and the board's viewers are announced."""
        conn = self.connections.pop(sid, None)
        if conn is None:
            return None
        if conn.viewing is not None:
            self.viewers_changed(conn.room_id, conn.viewing)
        if not conn.projector:
            self._depart(conn)
        return conn

    def _arrive(self, conn: Connection, *, announce: bool = True, shared: list[_Shared] | None = None) -> bool:
        """The connection is in its room's presence; True when its member just arrived there (on this node).

        With several nodes, whether they arrived in the room at all (on no other node) is known once
        Redis answered: announced then, or, without ``announce``, added to ``shared`` for the caller."""
        if self.presence[conn.room_id].connect(conn.member, conn.sid):
            entry = self._present[conn.room_id][conn.member.id] = member_out(conn.member).model_dump(mode="json")
            if self.shared_presence is not None:
                arrived = self.shared_presence.arrive(conn.room_id, conn.member.id, orjson.dumps(entry).decode())
                self._shared_transition(conn.room_id, conn.member.id, arrived, announce, shared)
            elif announce:
                self._presence_changed(conn.room_id, conn.member.id)
            space = getattr(self, "space", None)  # set by the app
            if space is not None:
                space.arrive(conn.room_id, conn.member.id)  # at a spawn point of the room's space
            return True
        return False

    def _depart(self, conn: Connection, *, announce: bool = True, shared: list[_Shared] | None = None) -> bool:
        """The connection left its room's presence; True when it was its member's last there (on this
        node; whether they left the room on every node is known later, as with ``_arrive``)."""
        space = getattr(self, "space", None)  # set by the app
        if space is not None:
            space.unwatch(conn.room_id, conn.member.id, conn.sid)
        if self.presence[conn.room_id].disconnect(conn.member.id, conn.sid):
            if space is not None:
                space.leave(conn.room_id, conn.member.id)  # out of the room's space and its conversations
            self._present[conn.room_id].pop(conn.member.id, None)
            if self.shared_presence is not None:
                left = self.shared_presence.leave(conn.room_id, conn.member.id)
                self._shared_transition(conn.room_id, conn.member.id, left, announce, shared)
            elif announce:
                self._presence_changed(conn.room_id, conn.member.id)
            if not self._present[conn.room_id]:
                del self._present[conn.room_id]
                del self.presence[conn.room_id]
            return True
        return False

    def _shared_transition(
        self, room_id: str, member_id: str, done: asyncio.Future[Any], announce: bool, shared: list[_Shared] | None
    ) -> None:
        """Redis will tell whether the member arrived in (or left) the room on every node."""
        if shared is not None:
            shared.append((room_id, member_id, done))
        done.add_done_callback(lambda f: self._shared_done(room_id, member_id, f, announce and shared is None))

    def _shared_done(self, room_id: str, member_id: str, done: asyncio.Future[Any], announce: bool) -> None:
        # not written when Redis failed (it says so): this node writes its presence again once Redis answers
        if not done.cancelled() and done.exception() is None and done.result() and announce:
            self._presence_changed(room_id, member_id)

    def _shared_changed(self, changed: Changed) -> None:
        """Announce what Redis found changed: members who left with a node that stopped, or whose
        presence this node wrote again; boards whose viewers changed with them."""
        for room_id, members in changed.members.items():
            for member_id in members:
                self._presence_changed(room_id, member_id)
        for board_id, room_id in changed.boards.items():
            self.viewers_changed(room_id, board_id)
        if changed.stopped:  # what they committed last may not have been told: nothing cached of theirs is trusted
            self._stopped(None)
            self.tell_others(NODES_STOPPED, changed.stopped)

    def _stopped(self, _data: Any) -> None:
        """A node stopped without a word (the presence sweep found it): it may have committed a board's changes or
        dots and died before telling the others, so every node drops its copies of the boards (read again, as
        committed, when next used)."""
        self.boards.clear()
        self._reached.clear()

    def _here(self) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """Every room's members on this node with their entries (JSON), and the boards its connections
        view with their rooms: what this node writes to Redis again when its entries there were lost."""
        rooms = {
            room_id: {member_id: orjson.dumps(entry).decode() for member_id, entry in members.items()}
            for room_id, members in self._present.items()
        }
        return rooms, {c.viewing: c.room_id for c in self.connections.values() if c.viewing is not None}

    def present(self, room_id: str) -> list[dict[str, Any]]:
        """Everyone present in a room on this node, in order of arrival (``room_presence``: on every node)."""
        return list(self._present.get(room_id, {}).values())

    async def room_presence(self, room_id: str) -> list[dict[str, Any]]:
        """Everyone present in a room, in order of arrival, as ``room.enter`` lists them: on every node
        with several (read after what this node wrote before), this node's on one."""
        shared = self.shared_presence
        if shared is not None:
            try:
                return await shared.room(room_id)
            except RedisError as exc:
                log.warning("presence of room %s not read from Redis (this node's only): %s", room_id, exc)
        return self.present(room_id)

    def present_in_event(self, event_id: str) -> list[dict[str, Any]]:
        """Everyone present in any room of the event on this node (each once: a member is in one room)."""
        return [
            m
            for room_id, members in self._present.items()
            if self._event_of_room(room_id) == event_id
            for m in members.values()
        ]

    def _event_of_room(self, room_id: str) -> str | None:
        room = self._rooms.get(room_id)
        return None if room is None else room.event_id

    def connections_of(self, member_id: str) -> list[Connection]:
        """A member's connections on this node (not projector views): those in the member's channel,
        which the fan-out keeps anyway (no index of its own: a node holds thousands of members)."""
        connections = self.connections
        return [connections[sid] for sid in self.fanout.connections(member_channel(member_id)) if sid in connections]

    async def move_member(self, member_id: str, room: Room, reason: str) -> bool:
        """Move every connection of a member on this node to ``room``; True if any moved."""
        return await self.move_members([(member_id, room)], reason) > 0

    async def move_members(self, moves: Sequence[tuple[str, Room]], reason: str) -> int:
        """Move every connection of these members on this node to their rooms; how many members moved
        (another node moves its own: ``server.live.breakouts`` tells it to).

        A moved connection views no board any more. Those who stay in a room hear at once who
        left it and who arrived (``presence.changed``, before the arrivals join its channel); each
        moved member gets ``room.moved`` with the new room, everyone there and its boards — one
        frame per room, encoded once however many arrive.
        """
        arrivals: dict[str, list[str]] = {}
        left: dict[str, list[str]] = {}
        moving: list[Connection] = []
        rooms: dict[str, Room] = {}
        # with several nodes: what Redis answers on whether they left (arrived in) a room on every node
        departed: list[_Shared] | None = None if self.shared_presence is None else []
        arrived: list[_Shared] | None = None if self.shared_presence is None else []
        space = getattr(self, "space", None)  # set by the app
        # whoever saw them in the space they leave hears it once, with all of them
        with space.departures() if space is not None else contextlib.nullcontext():
            for member_id, room in moves:
                self._rooms[room.id] = rooms[room.id] = room
                # never into another event's room, whatever asks for it
                conns = [
                    c for c in self.connections_of(member_id) if c.room_id != room.id and c.event_id == room.event_id
                ]
                if not conns:
                    continue
                for conn in conns:
                    await self.fanout.unsubscribe(conn.sid, room_channel(conn.room_id))
                    if conn.viewing is not None:
                        self.viewers_changed(conn.room_id, conn.viewing)
                        conn.viewing = conn.editing = None
                    old = conn.room_id
                    if self._depart(conn, announce=False, shared=departed):
                        left.setdefault(old, []).append(member_id)
                    conn.room_id = room.id
                    moving.append(conn)
                arrivals.setdefault(room.id, []).append(member_id)
        if departed is not None:
            left = await self._anywhere(departed)
        for room_id, members in left.items():
            await self.fanout.publish(room_channel(room_id), "presence.changed", {"joined": [], "left": members})
        joined: dict[str, list[dict[str, Any]]] = {}
        for conn in moving:
            if self.connections.get(conn.sid) is not conn:  # closed while Redis answered
                continue
            if self._arrive(conn, announce=False, shared=arrived):
                joined.setdefault(conn.room_id, []).append(self._present[conn.room_id][conn.member.id])
        if arrived is not None:
            joined = {
                room_id: [present[m] for m in members if m in (present := self._present.get(room_id, {}))]
                for room_id, members in (await self._anywhere(arrived)).items()
            }
        for room_id, entries in joined.items():  # to those there before: the arrivals are not in yet
            await self.fanout.publish(room_channel(room_id), "presence.changed", {"joined": entries, "left": []})
        # what each arrival is told, read before they join the rooms' channels: nothing of the new
        # room reaches them before its room.moved (no await between the joins and the sends)
        views = {room_id: await self.room_view(rooms[room_id], reason) for room_id in arrivals}
        await self.fanout.subscribe_many([(conn.sid, room_channel(conn.room_id)) for conn in moving])
        for room_id, members in arrivals.items():  # to this node's connections of them: each node moves its own
            self.fanout.write(
                [conn.sid for m in members for conn in self.connections_of(m)],
                event_frame("room.moved", views[room_id]),
            )
        return sum(len(members) for members in arrivals.values())

    @staticmethod
    async def _anywhere(changes: list[_Shared]) -> dict[str, list[str]]:
        """Per room, the members whose arrival (or leave) on this node Redis found was one on every node."""
        rooms: dict[str, list[str]] = {}
        for room_id, member_id, done in changes:
            try:
                happened = await done
            except RedisError:
                happened = True  # Redis did not answer: as on one node
            if happened:
                rooms.setdefault(room_id, []).append(member_id)
        return rooms

    async def room_view(self, room: Room, reason: str | None = None) -> dict[str, Any]:
        """What a member sees of a room on entering it: the room, who is there, its boards, the
        presented board (``room.enter`` and ``room.moved`` carry it)."""
        summaries = []
        for board_id in await self.board_ids(room.id):
            board = await self.load(board_id)
            summaries.append({"id": board.id, "title": board.title, "seq": board.seq})
        view: dict[str, Any] = {
            "room": {"id": room.id, "name": room.name, "kind": room.kind},
            "presence": await self.room_presence(room.id),
            "boards": summaries,
            "presented": await self.presented_board(room.id),
        }
        if reason is not None:
            view["reason"] = reason
        return view

    def _presence_changed(self, room_id: str, member_id: str) -> None:
        self._touched[room_id][member_id] = None
        self._presence_throttle.mark(room_id)

    async def _announce_presence(self, room_id: str) -> None:
        """``presence.changed`` to a room: everyone whose presence in it changed since the last
        announcement, as they are now: present (``joined``) or not (``left``). Not the net change:
        someone who read the list in between (``room.enter``) may have seen a state between the two."""
        changed = self._touched.pop(room_id, {})
        if self.shared_presence is not None and changed:
            await self._announce_shared_presence(room_id, list(changed))
            return
        present = self._present.get(room_id, {})
        joined = [present[m] for m in changed if m in present]
        left = [m for m in changed if m not in present]
        if joined or left:
            await self.fanout.publish(room_channel(room_id), "presence.changed", {"joined": joined, "left": left})

    async def _announce_shared_presence(self, room_id: str, changed: list[str]) -> None:
        """With several nodes, the members' presence is read from Redis: on any node (``joined``) or on
        none (``left``). Another node may announce the same members meanwhile, from what it read before
        or after: when their presence changed again between this read and this announcement, it is
        announced once more, so that the last announcement a client gets is not an outdated one."""
        shared = self.shared_presence
        assert shared is not None
        try:
            state = await shared.state(room_id, changed)
        except RedisError as exc:
            log.warning("presence of room %s not read from Redis: %s", room_id, exc)
            present = self._present.get(room_id, {})  # this node's: it writes its presence again later
            state = [(orjson.dumps(present[m]) if m in present else None, None) for m in changed]
        joined = [orjson.loads(entry) for entry, _number in state if entry is not None]
        left = [m for m, (entry, _number) in zip(changed, state, strict=True) if entry is None]
        if joined or left:
            await self.fanout.publish(room_channel(room_id), "presence.changed", {"joined": joined, "left": left})
        try:
            now = await shared.numbers(room_id, changed)
        except RedisError:
            return
        for member_id, (_entry, number), number_now in zip(changed, state, now, strict=True):
            if number != number_now:
                self._presence_changed(room_id, member_id)

    def viewers_changed(self, room_id: str, board_id: str) -> None:
        """Someone began or stopped viewing a board, or changed the idea they edit."""
        self._viewed[board_id] = room_id
        self._viewers_throttle.mark(board_id)

    async def _announce_viewers(self, board_id: str) -> None:
        room_id = self._viewed.pop(board_id, None)
        if room_id is None:  # announced already by a flush that ran meanwhile
            return
        shared = self.shared_presence
        if shared is None:
            await self.fanout.publish(
                room_channel(room_id), "board.presence", {"board_id": board_id, "viewers": self.viewers(board_id)}
            )
            return
        # with several nodes: this node's viewers are written to Redis and everyone's read back at once;
        # announced once more when they changed again before this announcement went out (as presence)
        here = self.viewers(board_id)
        try:
            version, others = await shared.viewers(board_id, room_id, [(v["member_id"], viewer_json(v)) for v in here])
        except RedisError as exc:
            log.warning("viewers of board %s not shared through Redis: %s", board_id, exc)
            version, others = None, []
        viewers = self._merge_viewers(board_id, here, others)
        await self.fanout.publish(room_channel(room_id), "board.presence", {"board_id": board_id, "viewers": viewers})
        if version is not None:
            with contextlib.suppress(RedisError):
                if await shared.version(board_id) != version:
                    self.viewers_changed(room_id, board_id)

    # -- the presented board: what the room's projector shows (not stored) -------------------
    # (several nodes: in Redis, ``werkstatt:presented:<room>``, kept a day after it was last presented)

    async def presented_board(self, room_id: str) -> str | None:
        """The board a facilitator or organizer of the room last viewed or presented, if any (with several
        nodes as Redis holds it; while Redis cannot be read, as this node last knew it)."""
        if self.redis is not None:
            try:
                held = await self.redis.get(PRESENTED + room_id)
            except RedisError as exc:
                log.warning("the presented board of room %s not read from Redis (this node's): %s", room_id, exc)
            else:
                return held.decode() if isinstance(held, bytes) else held
        return self._presented.get(room_id)

    async def present_board(self, room_id: str, board_id: str) -> None:
        """Make ``board_id`` the room's presented board; the room hears of a change (``board.presented``)."""
        before = self._presented.get(room_id)
        self._presented[room_id] = board_id  # (with several nodes: what this node falls back on without Redis)
        if self.redis is not None:
            try:
                held = await self.redis.set(PRESENTED + room_id, board_id, ex=PRESENTED_KEPT, get=True)
            except RedisError as exc:
                log.warning("the presented board of room %s not written to Redis: %s", room_id, exc)
            else:
                before = held.decode() if isinstance(held, bytes) else held if isinstance(held, str) else None
        if before == board_id:
            return
        await self.fanout.publish(room_channel(room_id), "board.presented", {"board_id": board_id})

    async def board_viewers(self, board_id: str) -> list[dict[str, Any]]:
        """Who views a board, as ``viewers``, on every node (with several: those on this node as they
        are now, the others' as they last wrote them)."""
        here = self.viewers(board_id)
        shared = self.shared_presence
        if shared is None:
            return here
        try:
            _version, others = await shared.viewers(board_id, "", None)
        except RedisError as exc:
            log.warning("viewers of board %s not read from Redis (this node's only): %s", board_id, exc)
            return here
        return self._merge_viewers(board_id, here, others)

    def _merge_viewers(
        self, board_id: str, here: list[dict[str, Any]], others: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        board = self.boards.get(board_id)
        return merge_viewers(here, others, anonymous=board is not None and board.settings.anonymous)

    def viewers(self, board_id: str) -> list[dict[str, Any]]:
        """Who views a board on this node (``board_viewers``: on every node), one entry per member, with
        the idea they edit — except on an anonymous board, where who edits an idea would tell who wrote it."""
        board = self.boards.get(board_id)
        anonymous = board is None or board.settings.anonymous
        seen: dict[str, dict[str, Any]] = {}
        for conn in self.connections.values():
            if conn.viewing == board_id:
                member = conn.member
                entry = seen.setdefault(
                    member.id, {"member_id": member.id, "pseudonym": member.pseudonym, "editing": None}
                )
                entry["editing"] = None if anonymous else entry["editing"] or conn.editing
        return sorted(seen.values(), key=lambda v: (v["pseudonym"].casefold(), v["member_id"]))

    # -- members -------------------------------------------------------------------------

    async def member(self, event_id: str, member_id: str) -> Member:
        cache = self.members.get(event_id)
        if cache is None or member_id not in cache:
            cache = self.members[event_id] = await self.store.members_of(event_id)
        if member_id not in cache:
            raise NotFound("No such member in this event.")
        return cache[member_id]

    async def authors(self, board: Board, *also: str) -> dict[str, Member]:
        """Every member of the board's event, by id (to name authors)."""
        wanted = {i.author_id for i in board.ideas.values()} | {c.author_id for c in board.comments.values()}
        wanted.update(also)
        cache = self.members.get(board.event_id)
        if cache is None or not wanted <= cache.keys():
            cache = self.members[board.event_id] = await self.store.members_of(board.event_id)
        return cache

    def remember(self, member: Member) -> None:
        if member.event_id in self.members:
            self.members[member.event_id][member.id] = member

    # -- boards --------------------------------------------------------------------------

    @asynccontextmanager
    async def board(self, board_id: str, event_id: str | None, *, fresh: bool = False) -> AsyncIterator[Board]:
        """The live board under its lock; NotFound unless it belongs to ``event_id`` (None: any).

        ``fresh`` loads it from the store first (e.g. to count dots other nodes placed).
        """
        async with self._locks[board_id]:
            if fresh:
                self.forget(board_id)
            board = await self._cached(board_id)
            if event_id is not None and board.event_id != event_id:
                raise NotFound("No such board in this event.")
            yield board

    async def load(self, board_id: str) -> Board:
        """The board as committed, for reading only: waits while a batch is decided and committed
        under the board's lock, since the batch applies its commands to the cached board before the
        commit (and forgets the board if the commit fails)."""
        async with self._locks[board_id]:
            return await self._cached(board_id)

    async def _cached(self, board_id: str) -> Board:
        board = self.boards.get(board_id)
        if board is None:
            try:
                board = await self.store.load_board(board_id)
            except NotFound:
                raise NotFound("No such board in this event.") from None
            self.boards[board_id] = board
            self._reached.setdefault(board_id, board.seq)
        return board

    def forget_event(self, event_id: str) -> None:
        """Drop what is cached of an event whose settings or fields changed (boards' columns too), or whose
        members' personal data were erased (their pseudonyms, chat and questions too); the other nodes drop theirs."""
        self._forget_event(event_id)
        self.tell_others(EVENT_TOLD, {"id": event_id})

    def _forget_event(self, event_id: str) -> None:
        for board_id in [b.id for b in self.boards.values() if b.event_id == event_id]:
            self.forget(board_id)
        self._events.pop(event_id, None)
        self.members.pop(event_id, None)
        facilitation = getattr(self, "facilitation", None)  # set by the app
        if facilitation is not None:
            facilitation.forget(event_id)

    # -- event, plenary and board list: read on every join, changed rarely -------------------

    async def event(self, event_id: str) -> Event:
        if event_id not in self._events:
            self._events[event_id] = await self.store.event(event_id)
        return self._events[event_id]

    async def plenary(self, event_id: str) -> Room:
        if event_id not in self._plenaries:  # a plenary never changes
            room = self._plenaries[event_id] = await self.store.plenary(event_id)
            self._rooms[room.id] = room
        return self._plenaries[event_id]

    def room(self, room_id: str) -> Room | None:
        """A room this node has seen (its plenaries, and the breakout rooms of its rounds)."""
        return self._rooms.get(room_id)

    def know_room(self, room: Room) -> None:
        self._rooms[room.id] = room

    async def board_ids(self, room_id: str) -> list[str]:
        if room_id not in self._board_ids:
            self._board_ids[room_id] = await self.store.board_ids(room_id)
        return self._board_ids[room_id]

    def board_added(self, room_id: str) -> None:
        self._board_ids.pop(room_id, None)
        self.tell_others(ROOM_BOARDS_TOLD, {"id": room_id})

    # -- what other nodes committed ---------------------------------------------------------------

    def tell_others(self, topic: str, data: Any) -> None:
        """Tell the other nodes without waiting (for callers that are not coroutines): the fan-out queues it
        in order with what this node publishes next."""
        told = asyncio.ensure_future(self.fanout.tell(topic, data))
        if not told.done():
            self._telling.add(told)
            told.add_done_callback(self._telling.discard)

    def _board_told(self, data: Any) -> None:
        board = self.boards.get(data["id"])
        if board is not None and board.seq < data["seq"]:
            self.forget(board.id)  # loaded again, as committed, when next used
        self._reach(data["id"], data["seq"])  # (its changes came before this, on the same connection)

    def _reach(self, board_id: str, seq: int) -> None:
        """The board's changes up to ``seq`` went to this node's connections: a commit that waits for them may go."""
        if seq > self._reached.get(board_id, 0):
            self._reached[board_id] = seq
        for wanted, reached in self._reaching.get(board_id, ()):  # (each waiter takes itself off the list)
            if wanted <= seq and not reached.done():
                reached.set_result(None)

    async def _after(self, board_id: str, seq: int) -> None:
        """Until the board's changes up to ``seq`` went to this node's connections, at most ``REACH_WAIT_S``.

        With several nodes, a commit that found the board changed by another node (``stale_board``), read it
        again and went on may be ahead of that node's changes, which come through Redis: this node's connections
        would get seq 8 before 7 (a gap, which a client mends with ``board.sync``). Waiting here keeps each
        connection's changes in order. Not while Redis is away (the other nodes' changes do not come; clients
        sync once it is back)."""
        if self._reached.get(board_id, seq) >= seq or not getattr(self.fanout, "linked", True):
            return
        reached = asyncio.get_running_loop().create_future()
        waiting = self._reaching.setdefault(board_id, [])
        waiting.append((seq, reached))
        try:
            await asyncio.wait_for(reached, REACH_WAIT_S)
        except TimeoutError:
            log.warning(
                "board %s: changes up to %d did not come from the other nodes; sending later ones", board_id, seq
            )
        finally:  # (answered, timed out or cancelled: no longer waiting)
            waiting.remove((seq, reached))
            if not waiting and self._reaching.get(board_id) is waiting:
                del self._reaching[board_id]

    def _dots_told(self, data: Any) -> None:
        """Dots another node committed: applied to this node's copy when it holds each voter's count they were
        decided on, else the copy is dropped (loaded again, as committed, when next used)."""
        board = self.boards.get(data["id"])
        if board is None:
            return
        ballots = board.ballots.get(data["session"])
        for member_id, idea_id, before, after in data["dots"]:
            held = ballots.of(member_id).get(idea_id, 0) if ballots is not None else 0
            if held != before or data["session"] not in board.sessions:
                self.forget(board.id)
                return
            if ballots is None:
                ballots = board.ballots.setdefault(data["session"], Ballots())
            ballots.set(member_id, idea_id, after)

    def _event_told(self, data: Any) -> None:
        self._forget_event(data["id"])

    def _room_boards_told(self, data: Any) -> None:
        self._board_ids.pop(data["id"], None)

    def _resumed(self, _data: Any) -> None:
        """Redis came back: what the other nodes told meanwhile is lost, so nothing cached of theirs is trusted;
        this node's connections are told to sync (``node.link``)."""
        self.boards.clear()
        self._board_ids.clear()
        self._events.clear()
        self.members.clear()
        self._reached.clear()  # (what came meanwhile is unknown: clients sync; counted afresh from the next load)
        self.fanout.write(list(self.connections), event_frame("node.link", {"linked": True}))

    def _lost(self, _data: Any) -> None:
        """Redis is gone: this node's connections are told that what other nodes' people do does not reach them."""
        self.fanout.write(list(self.connections), event_frame("node.link", {"linked": False}))

    def forget(self, board_id: str) -> None:
        """Drop a cached board: it is loaded again from the store when next used."""
        self.boards.pop(board_id, None)

    async def run(
        self,
        board_id: str,
        actor: Actor,
        event_id: str,
        command: Command,
        *,
        fresh: bool = False,
        ack: AckOf | None = None,
        room_id: str | None = None,
    ) -> BoardOutcome:
        """Decide, commit, apply and fan out one command on a board; the outcome once committed.

        ``room_id``: the room the sender is in, for a participant, who may change only the boards
        of that room (NotFound otherwise); None for facilitators, organizers and the server.

        Commands that arrive while the board's previous ones are being committed wait and
        then go together (``_commit_batch``): decided one after another, each on the
        effects of those before it, committed in one transaction, and sent to each
        connection in one write. A busy board so costs one commit and one write per
        connection per batch instead of per command, and the batches grow with the load.

        ``ack`` names what the acknowledgement shows (an idea, cluster, comment or vote
        round, as its sender sees it); it is read right after the command is applied, before
        the next one is decided, since the board may have moved on (by commands not yet
        committed, even) by the time the outcome is answered. The outcome carries it as data.
        """
        return await self._serializer.submit(board_id, BoardCommand(actor, event_id, command, fresh, ack, room_id))

    async def _commit_batch(self, board_id: str, batch: list[Pending[BoardCommand, BoardOutcome]]) -> None:
        """Decide each command on the board as the ones before it left it, commit all that
        changed something in one transaction, then apply, fan out and answer them.

        When the store's sequence moved on (another node wrote), the board is reloaded and
        the commands decided again on the fresh state. A command the rules refuse gets its
        error and does not hold up the others.
        """
        fresh = any(pending.command.fresh for pending in batch)
        stale = 0
        while stale < COMMIT_RETRIES:  # a redo without a faulty command does not count
            if stale:
                await asyncio.sleep(contention_pause(stale))
            async with self.board(board_id, None, fresh=fresh) as board:
                start_seq = board.seq
                decided: list[
                    tuple[Pending[BoardCommand, BoardOutcome], list[BoardEvent], list[dict[str, Any]], int, Any]
                ] = []
                refused: list[tuple[Pending[BoardCommand, BoardOutcome], Exception]] = []
                try:
                    for pending in batch:
                        if pending.answered:  # the caller went away
                            continue
                        item = pending.command
                        if board.event_id != item.event_id:
                            refused.append((pending, NotFound("No such board in this event.")))
                            continue
                        if item.room_id is not None and board.room_id != item.room_id:
                            refused.append((pending, NotFound("No such board in your room.", code="not_in_room")))
                            continue
                        try:
                            item_events = decide(board, item.actor, item.command)
                            wanted = bool(item_events) or item.ack is not None
                            authors = await self.authors(board, item.actor.member_id) if wanted else {}
                            item_records = [record(board, event, authors) for event in item_events]
                        except DomainError as exc:
                            refused.append((pending, exc))
                            continue
                        except Exception as exc:  # a fault in this command alone: the others go on
                            log.exception("deciding %s failed", type(item.command).__name__)
                            refused.append((pending, exc))
                            continue
                        try:
                            for event in item_events:  # the next command is decided on this one's effects
                                apply(board, event)
                            item_view = shown(board, authors, item.ack) if item.ack is not None else None
                        except Exception as exc:
                            # the board holds part of this command: decide the batch again without it
                            log.exception("applying %s failed", type(item.command).__name__)
                            pending.refuse(exc)
                            raise _Redo() from exc
                        decided.append((pending, item_events, item_records, board.seq, item_view))
                    events = [event for _item, item_events, *_rest in decided for event in item_events]
                    records = [rec for _item, _e, item_records, *_rest in decided for rec in item_records]
                    await self.store.commit_board_events(board, events, records)
                except _Redo:
                    self.forget(board_id)
                    fresh = False  # forgotten: loaded again next time
                    continue
                except Conflict as exc:
                    self.forget(board_id)  # applied, but not committed: the store has the truth
                    if exc.code != "stale_board":
                        raise
                    fresh = False  # forgotten: loaded again next time
                    stale += 1
                    continue
                except BaseException:
                    self.forget(board_id)
                    raise
                if events and stale:  # another node committed just before: its changes go to this node's first
                    await self._after(board.id, start_seq)
                await self.send_changes(board.event_id, board.room_id, records)
                if events:  # the other nodes hear of it right after its changes (on the same Redis connection)
                    self._reach(board.id, board.seq)
                    await self.fanout.tell(BOARD_TOLD, {"id": board.id, "seq": board.seq})
                for pending, _events, _records, seq, item_view in decided:
                    pending.answer(BoardOutcome(seq, item_view))  # unless its caller went away meanwhile
                for pending, refusal in refused:
                    pending.refuse(refusal)
                return
        for pending in batch:
            pending.refuse(Conflict("The board is changing too fast; try again.", code="stale_board"))

    async def send_changes(self, event_id: str, room_id: str, records: list[dict[str, Any]]) -> None:
        """Send changes in order; runs of changes that everyone sees alike go out as one write
        per connection."""
        alike: list[dict[str, Any]] = []
        for rec in records:
            public = self._alike(rec)
            if public is not None:
                alike.append(public)
                continue
            if alike:
                await self.fanout.publish_all(room_channel(room_id), "board.changed", alike)
                alike = []
            await self._send_forms(event_id, room_id, rec)
        if alike:
            await self.fanout.publish_all(room_channel(room_id), "board.changed", alike)

    @staticmethod
    def _alike(rec: dict[str, Any]) -> dict[str, Any] | None:
        """The change's one form when every viewer sees it alike, else None."""
        public = project(rec, PUBLIC)
        if project(rec, MODERATOR) != public:
            return None
        if any(project(rec, Viewer(m, False)) != public for m in special_members(rec)):
            return None
        return public

    async def _send_forms(self, event_id: str, room_id: str, rec: dict[str, Any]) -> None:
        """Send a change that viewers see differently: each connection gets the form its member
        and role may see (the authors and reporters it names get their own)."""
        event_members = self.members.get(event_id, {})  # filled when the change named its authors
        members: dict[str, Any] = {}
        for member_id in special_members(rec):
            member = event_members.get(member_id)
            moderates = member.role.moderates if member is not None else False
            members[member_id] = project(rec, Viewer(member_id, moderates))
        forms = Forms(public=project(rec, PUBLIC), moderated=project(rec, MODERATOR), members=members)
        await self.fanout.publish_forms(room_channel(room_id), "board.changed", forms)
