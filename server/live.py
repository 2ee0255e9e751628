"""What a node holds in memory: connections, presence, and a cache of its live boards.

Boards are changed only under their lock, one command at a time (python-socketio runs a
client's events concurrently), and only after the store committed the change.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from boards.actors import Actor, Role
from boards.board import Board, BoardEvent, Command, IdeaDeleted, apply, decide
from boards.errors import Conflict, NotFound
from rooms.members import Member
from rooms.presence import Presence
from server.fanout import Fanout, room_channel
from server.ratelimit import TokenBucket
from server.store import IdeaStore
from server.wire import change_payload

COMMIT_RETRIES = 3


@dataclass(slots=True)
class Connection:
    sid: str
    member: Member
    room_id: str
    bucket: TokenBucket

    @property
    def actor(self) -> Actor:
        return Actor(self.member.id, self.member.role)

    @property
    def role(self) -> Role:
        return self.member.role

    @property
    def event_id(self) -> str:
        return self.member.event_id


@dataclass(slots=True)
class BoardOutcome:
    board: Board
    events: list[BoardEvent]
    payloads: list[dict[str, Any]]


@dataclass
class LiveState:
    store: IdeaStore
    fanout: Fanout
    connections: dict[str, Connection] = field(default_factory=dict)
    presence: dict[str, Presence] = field(default_factory=lambda: defaultdict(Presence))
    boards: dict[str, Board] = field(default_factory=dict)
    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))

    # -- members -------------------------------------------------------------------------

    async def member(self, event_id: str, member_id: str) -> Member:
        cache = self.members.get(event_id)
        if cache is None or member_id not in cache:
            cache = self.members[event_id] = await self.store.members_of(event_id)
        return cache[member_id]

    def remember(self, member: Member) -> None:
        if member.event_id in self.members:
            self.members[member.event_id][member.id] = member

    # -- boards --------------------------------------------------------------------------

    @asynccontextmanager
    async def board(self, board_id: str, event_id: str) -> AsyncIterator[Board]:
        """The live board under its lock; NotFound unless it belongs to ``event_id``."""
        async with self._locks[board_id]:
            board = self.boards.get(board_id)
            if board is None:
                try:
                    board = await self.store.load_board(board_id)
                except NotFound:
                    raise NotFound("No such board in this event.") from None
                self.boards[board_id] = board
            if board.event_id != event_id:
                raise NotFound("No such board in this event.")
            yield board

    async def run(self, board_id: str, conn: Connection, command: Command) -> BoardOutcome:
        """Decide, commit, apply and fan out one command on a board.

        When the store's sequence moved on (another node wrote), the board is reloaded and
        the command decided again on the fresh state.
        """
        for _attempt in range(COMMIT_RETRIES):
            async with self.board(board_id, conn.event_id) as board:
                events = decide(board, conn.actor, command)
                payloads = [await self._payload(board, event) for event in events]
                try:
                    await self.store.commit_board_events(board, events, payloads)
                except Conflict as exc:
                    if exc.code != "stale_board":
                        raise
                    self.boards.pop(board_id, None)
                    continue
                for event in events:
                    apply(board, event)
                for payload in payloads:
                    await self.fanout.publish(room_channel(board.room_id), "board.changed", payload)
                return BoardOutcome(board, events, payloads)
        raise Conflict("The board is changing too fast; try again.", code="stale_board")

    async def _payload(self, board: Board, event: BoardEvent) -> dict[str, Any]:
        author = await self.member(board.event_id, event.idea.author_id)
        return change_payload(board.id, event, author, deleted=isinstance(event, IdeaDeleted))
