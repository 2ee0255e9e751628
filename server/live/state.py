"""What a node holds in memory: connections, presence, and a cache of its live boards.

Boards are changed only under their lock, one command at a time (a client's events run
concurrently, see ``server.transport.endpoint``), and only after the store committed the change. Each
change reaches each connection in the form that connection may see (``server.live.views``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boards.actors import Actor, Role
from boards.commands import Command
from boards.domain_events import BoardEvent
from boards.errors import Conflict, DomainError, NotFound
from boards.model import Board
from boards.rules import apply, decide
from rooms.members import Member
from rooms.presence import Presence
from server.live.throttle import Throttle
from server.live.views import MODERATOR, PUBLIC, Viewer, member_out, project, record, special_members
from server.ratelimit import TokenBucket
from server.store.idea_store import Event, IdeaStore, Room
from server.transport.fanout import Fanout, event_channel, member_channel, moderators_channel, room_channel

if TYPE_CHECKING:  # server.live.dots builds on this module
    from server.live.dots import VoteDesk

log = logging.getLogger("werkstatt.live")

COMMIT_RETRIES = 3
View = Callable[[Board, dict[str, Member]], Any]
MAX_BATCH = 200  # commands committed together at most
ANNOUNCE_INTERVAL = 0.25  # seconds: presence and board viewers are announced at most this often


@dataclass(slots=True)
class Connection:
    sid: str
    member: Member
    room_id: str
    bucket: TokenBucket
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
    def viewer(self) -> Viewer:
        # a projector shows the room what everyone may see, whoever opened it
        return PUBLIC if self.projector else Viewer(self.member.id, self.member.role.moderates)


@dataclass(slots=True)
class BoardOutcome:
    seq: int  # the board's sequence number right after this command
    view: Any = None  # what the command's ``view`` made of the board right after it


class _Redo(Exception):
    """A command failed halfway into the board: the batch is decided again without it."""


@dataclass(slots=True)
class _Pending:
    """A command waiting for its board's next commit."""

    actor: Actor
    event_id: str
    command: Command
    fresh: bool
    view: View | None
    outcome: asyncio.Future[BoardOutcome]


@dataclass
class LiveState:
    store: IdeaStore
    fanout: Fanout
    connections: dict[str, Connection] = field(default_factory=dict)
    presence: dict[str, Presence] = field(default_factory=lambda: defaultdict(Presence))
    boards: dict[str, Board] = field(default_factory=dict)
    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    votes: VoteDesk = field(init=False)  # the node's dots and vote timers; set by the app
    _events: dict[str, Event] = field(default_factory=dict)
    _plenaries: dict[str, Room] = field(default_factory=dict)
    _board_ids: dict[str, list[str]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    _queued: dict[str, list[_Pending]] = field(default_factory=dict)  # commands waiting, per board
    _committers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    announce_interval: float = ANNOUNCE_INTERVAL
    # presence: each member as ``presence.changed`` shows them, in order of arrival, per event
    _present: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # members whose presence changed since the last announcement (a dict as an ordered set)
    _touched: dict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    _viewed: dict[str, str] = field(default_factory=dict)  # boards whose viewers changed → room
    _presented: dict[str, str] = field(default_factory=dict)  # room → the board its facilitators show
    _presence_throttle: Throttle = field(init=False)
    _viewers_throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self._presence_throttle = Throttle(self.announce_interval, self._announce_presence)
        self._viewers_throttle = Throttle(self.announce_interval, self._announce_viewers)

    async def close(self) -> None:
        await self._presence_throttle.close()
        await self._viewers_throttle.close()

    # -- connections ----------------------------------------------------------------------

    async def attach(self, conn: Connection) -> None:
        """Add a connection to its channels; the member's arrival is announced (throttled).

        A projector view joins only the room's and the event's channels: it gets what everyone
        gets, nothing meant for its member or for moderators, and is nobody's arrival.
        """
        self.connections[conn.sid] = conn
        await self.fanout.subscribe(conn.sid, room_channel(conn.room_id))
        if conn.projector:
            await self.fanout.subscribe(conn.sid, event_channel(conn.event_id))
            return
        await self.fanout.subscribe(conn.sid, member_channel(conn.member.id))
        await self.fanout.subscribe(conn.sid, event_channel(conn.event_id))
        if conn.role.moderates:
            await self.fanout.subscribe(conn.sid, moderators_channel(conn.room_id))
        if self.presence[conn.event_id].connect(conn.member, conn.sid):
            self._present[conn.event_id][conn.member.id] = member_out(conn.member).model_dump(mode="json")
            self._presence_changed(conn.event_id, conn.member.id)

    def detach(self, sid: str) -> Connection | None:
        """Forget a closed connection; the member's leaving and the board's viewers are announced."""
        conn = self.connections.pop(sid, None)
        if conn is None:
            return None
        if conn.viewing is not None:
            self.viewers_changed(conn.room_id, conn.viewing)
        if conn.projector:
            return conn
        if self.presence[conn.event_id].disconnect(conn.member.id, sid):
            self._present[conn.event_id].pop(conn.member.id, None)
            self._presence_changed(conn.event_id, conn.member.id)
        return conn

    def present(self, event_id: str) -> list[dict[str, Any]]:
        """Everyone present in the event, in order of arrival, as ``room.enter`` lists them."""
        return list(self._present[event_id].values())

    def _presence_changed(self, event_id: str, member_id: str) -> None:
        self._touched[event_id][member_id] = None
        self._presence_throttle.mark(event_id)

    async def _announce_presence(self, event_id: str) -> None:
        """``presence.changed``: everyone whose presence changed since the last announcement,
        as they are now: present (``joined``) or not (``left``). Not the net change: someone
        who read the list in between (``room.enter``) may have seen a state between the two."""
        changed = self._touched.pop(event_id, {})
        present = self._present[event_id]
        joined = [present[m] for m in changed if m in present]
        left = [m for m in changed if m not in present]
        if joined or left:
            await self.fanout.publish(event_channel(event_id), "presence.changed", {"joined": joined, "left": left})

    def viewers_changed(self, room_id: str, board_id: str) -> None:
        """Someone began or stopped viewing a board, or changed the idea they edit."""
        self._viewed[board_id] = room_id
        self._viewers_throttle.mark(board_id)

    async def _announce_viewers(self, board_id: str) -> None:
        room_id = self._viewed.pop(board_id, None)
        if room_id is None:  # announced already by a flush that ran meanwhile
            return
        await self.fanout.publish(
            room_channel(room_id), "board.presence", {"board_id": board_id, "viewers": self.viewers(board_id)}
        )

    def sids_of(self, member_ids: set[str]) -> list[str]:
        """The connections of these members (not their projector views, which see the public form)."""
        return [sid for sid, c in self.connections.items() if c.member.id in member_ids and not c.projector]

    def moderator_sids(self, room_id: str) -> list[str]:
        return [
            sid for sid, c in self.connections.items() if c.room_id == room_id and c.role.moderates and not c.projector
        ]

    # -- the presented board: what the room's projector shows (not stored) -------------------

    def presented_board(self, room_id: str) -> str | None:
        """The board a facilitator or organizer of the room last viewed or presented, if any."""
        return self._presented.get(room_id)

    async def present_board(self, room_id: str, board_id: str) -> None:
        """Make ``board_id`` the room's presented board; the room hears of a change (``board.presented``)."""
        if self._presented.get(room_id) == board_id:
            return
        self._presented[room_id] = board_id
        await self.fanout.publish(room_channel(room_id), "board.presented", {"board_id": board_id})

    def viewers(self, board_id: str) -> list[dict[str, Any]]:
        """Who views a board, one entry per member, with the idea they edit — except on an
        anonymous board, where who edits an idea would tell who wrote it."""
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
        """The cached board (loaded if needed), without its lock: for reading only."""
        return await self._cached(board_id)

    async def _cached(self, board_id: str) -> Board:
        board = self.boards.get(board_id)
        if board is None:
            try:
                board = await self.store.load_board(board_id)
            except NotFound:
                raise NotFound("No such board in this event.") from None
            self.boards[board_id] = board
        return board

    def forget_event(self, event_id: str) -> None:
        """Drop what is cached of an event whose settings or fields changed (boards' columns too)."""
        for board_id in [b.id for b in self.boards.values() if b.event_id == event_id]:
            self.forget(board_id)
        self._events.pop(event_id, None)

    # -- event, plenary and board list: read on every join, changed rarely -------------------

    async def event(self, event_id: str) -> Event:
        if event_id not in self._events:
            self._events[event_id] = await self.store.event(event_id)
        return self._events[event_id]

    async def plenary(self, event_id: str) -> Room:
        if event_id not in self._plenaries:  # a plenary never changes
            self._plenaries[event_id] = await self.store.plenary(event_id)
        return self._plenaries[event_id]

    async def board_ids(self, room_id: str) -> list[str]:
        if room_id not in self._board_ids:
            self._board_ids[room_id] = await self.store.board_ids(room_id)
        return self._board_ids[room_id]

    def board_added(self, room_id: str) -> None:
        self._board_ids.pop(room_id, None)

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
        view: View | None = None,
    ) -> BoardOutcome:
        """Decide, commit, apply and fan out one command on a board; the outcome once committed.

        Commands that arrive while the board's previous ones are being committed wait and
        then go together (``_commit_batch``): decided one after another, each on the
        effects of those before it, committed in one transaction, and sent to each
        connection in one write. A busy board so costs one commit and one write per
        connection per batch instead of per command, and the batches grow with the load.

        ``view(board, authors)`` is called right after the command is applied, before the
        next one is decided: what an acknowledgement shows of the board must come from
        there, since the board may have moved on (by commands not yet committed, even) by
        the time the outcome is answered.
        """
        pending = _Pending(actor, event_id, command, fresh, view, asyncio.get_running_loop().create_future())
        self._queued.setdefault(board_id, []).append(pending)
        if board_id not in self._committers:
            self._committers[board_id] = asyncio.get_running_loop().create_task(self._commit_queued(board_id))
        return await pending.outcome

    async def _commit_queued(self, board_id: str) -> None:
        try:
            while queued := self._queued.pop(board_id, None):
                batch, rest = queued[:MAX_BATCH], queued[MAX_BATCH:]
                if rest:
                    self._queued[board_id] = rest
                try:
                    await self._commit_batch(board_id, batch)
                except Exception as exc:  # the store failed: the batch did not happen
                    for item in batch:
                        if not item.outcome.done():
                            item.outcome.set_exception(exc)
        finally:
            del self._committers[board_id]

    async def _commit_batch(self, board_id: str, batch: list[_Pending]) -> None:
        """Decide each command on the board as the ones before it left it, commit all that
        changed something in one transaction, then apply, fan out and answer them.

        When the store's sequence moved on (another node wrote), the board is reloaded and
        the commands decided again on the fresh state. A command the rules refuse gets its
        error and does not hold up the others.
        """
        fresh = any(item.fresh for item in batch)
        stale = 0
        while stale < COMMIT_RETRIES:  # a redo without a faulty command does not count
            async with self.board(board_id, None, fresh=fresh) as board:
                decided: list[tuple[_Pending, list[BoardEvent], list[dict[str, Any]], int, Any]] = []
                refused: list[tuple[_Pending, Exception]] = []
                try:
                    for item in batch:
                        if item.outcome.done():  # the caller went away
                            continue
                        if board.event_id != item.event_id:
                            refused.append((item, NotFound("No such board in this event.")))
                            continue
                        try:
                            item_events = decide(board, item.actor, item.command)
                            wanted = bool(item_events) or item.view is not None
                            authors = await self.authors(board, item.actor.member_id) if wanted else {}
                            item_records = [record(board, event, authors) for event in item_events]
                        except DomainError as exc:
                            refused.append((item, exc))
                            continue
                        except Exception as exc:  # a fault in this command alone: the others go on
                            log.exception("deciding %s failed", type(item.command).__name__)
                            refused.append((item, exc))
                            continue
                        try:
                            for event in item_events:  # the next command is decided on this one's effects
                                apply(board, event)
                            item_view = item.view(board, authors) if item.view is not None else None
                        except Exception as exc:
                            # the board holds part of this command: decide the batch again without it
                            log.exception("applying %s failed", type(item.command).__name__)
                            item.outcome.set_exception(exc)
                            raise _Redo() from exc
                        decided.append((item, item_events, item_records, board.seq, item_view))
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
                await self.send_changes(board.room_id, records)
                for item, _events, _records, seq, item_view in decided:
                    if not item.outcome.done():  # a caller cancelled meanwhile (a vote timer re-armed)
                        item.outcome.set_result(BoardOutcome(seq, item_view))
                for item, refusal in refused:
                    if not item.outcome.done():
                        item.outcome.set_exception(refusal)
                return
        for item in batch:
            if not item.outcome.done():
                item.outcome.set_exception(Conflict("The board is changing too fast; try again.", code="stale_board"))

    async def send_changes(self, room_id: str, records: list[dict[str, Any]]) -> None:
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
            await self._send_forms(room_id, rec)
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

    async def _send_forms(self, room_id: str, rec: dict[str, Any]) -> None:
        """Send a change that viewers see differently: each connection gets the form it may see."""
        public = project(rec, PUBLIC)
        moderated = project(rec, MODERATOR)
        special = special_members(rec)
        # members who see it differently get their own form; everyone else the public one
        special_sids = self.sids_of(special)
        moderator_sids = self.moderator_sids(room_id)
        await self.fanout.publish(room_channel(room_id), "board.changed", public, skip=[*special_sids, *moderator_sids])
        await self.fanout.publish(moderators_channel(room_id), "board.changed", moderated, skip=special_sids)
        for member_id in special:
            conns = [c for c in self.connections.values() if c.member.id == member_id]
            viewer = Viewer(member_id, any(c.role.moderates for c in conns))
            await self.fanout.publish(member_channel(member_id), "board.changed", project(rec, viewer))
