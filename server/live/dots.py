"""Dots at speed: a node batches the dots queued for a board into one transaction.

Each dot is decided on the live board under its lock, in arrival order, so budget and
cap hold; the batch is committed with a check of every voter's stored count (see
``BoardStore.commit_dots``), so they hold across nodes too. Only then is each dot
acknowledged. Progress (and, when the vote is not blind, tallies) is sent to the room at
most twice a second instead of once per dot.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from boards.actors import Role
from boards.commands import CastDot, CloseVote, RemoveDot
from boards.domain_events import DotsChanged
from boards.errors import Conflict, DomainError, NotFound
from boards.model import Board
from boards.rules import SYSTEM, apply_vote, decide_vote
from boards.voting import Ballots, VoteSession, VoteStatus
from server.live.serializer import Pending, Serializer
from server.live.state import DOTS_TOLD, Connection, LiveState, contention_pause
from server.transport.fanout import member_channel, room_channel

log = logging.getLogger("werkstatt.votes")

PROGRESS_INTERVAL_S = 0.5
VOTE_TIMER_TOLD = "vote.timer"  # {"board", "event"}: a node armed a vote's timer; the others arm it too
BATCH_RETRIES = 10  # as for a board's other commands (``server.live.state.COMMIT_RETRIES``)


@dataclass(frozen=True, slots=True)
class DotCommand:
    """A dot for the dots' serializer, with the connection that placed or takes it back."""

    conn: Connection
    command: CastDot | RemoveDot


_Queued = Pending[DotCommand, dict[str, Any]]


def my_dots(session: VoteSession, ballots: Ballots, member_id: str) -> dict[str, Any]:
    mine = ballots.of(member_id)
    used = sum(mine.values())
    return {"session_id": session.id, "dots": dict(mine), "used": used, "remaining": session.budget - used}


def told_dots(board_id: str, session_id: str, accepted: list[tuple[_Queued, DotsChanged]]) -> dict[str, Any]:
    """What the other nodes are told of a committed batch of dots: each voter's count on each idea before and after."""
    changed: dict[tuple[str, str], list[int]] = {}
    for _item, event in accepted:
        key = (event.actor.member_id, event.idea_id)
        if key in changed:
            changed[key][1] = event.count
        else:
            changed[key] = [event.count - event.delta, event.count]
    return {"id": board_id, "session": session_id, "dots": [[m, i, *counts] for (m, i), counts in changed.items()]}


@dataclass
class VoteDesk:
    live: LiveState
    serializer: Serializer[DotCommand, dict[str, Any]] = field(init=False)
    dirty: set[str] = field(default_factory=set)  # boards whose progress changed
    timers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    flusher: asyncio.Task[None] | None = None
    _arming: set[asyncio.Future[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        # every dot that waits goes into the next batch: a voting burst is a few commits, not thousands
        self.serializer = Serializer(self._commit, name="dots of board", max_batch=100_000)
        self.live.fanout.on_told(VOTE_TIMER_TOLD, self._timer_told)

    async def dot(self, board_id: str, conn: Connection, command: CastDot | RemoveDot) -> dict[str, Any]:
        """Place or take back one dot; returns the voter's dots once committed."""
        return await self.serializer.submit(board_id, DotCommand(conn, command))

    async def _commit(self, board_id: str, batch: list[_Queued]) -> None:
        """Decide every dot of the batch, commit the accepted ones, then answer all.

        Nothing is answered before the commit: when it finds the board outdated (another node
        placed or took back dots, changed or closed the vote), the whole batch is decided again
        on the stored state, refusals included. A refusal for budget, cap or a missing dot is
        checked against the store before it is given, so an outdated node does not refuse a
        valid dot either.
        """
        fresh = False
        stale = 0
        while stale < BATCH_RETRIES:
            if stale:
                await asyncio.sleep(contention_pause(stale))
            async with self.live.board(board_id, None, fresh=fresh) as board:
                accepted: list[tuple[_Queued, DotsChanged]] = []
                refused: list[tuple[_Queued, Exception]] = []
                redo = False
                for item in batch:
                    if item.answered:
                        continue  # failed alone in an earlier attempt
                    conn = item.command.conn
                    if conn.event_id != board.event_id:
                        refused.append((item, NotFound("No such board in this event.")))
                        continue
                    if not conn.role.moderates and conn.room_id != board.room_id:
                        refused.append((item, NotFound("No such board in your room.", code="not_in_room")))
                        continue
                    try:
                        event = decide_vote(board, item.command.conn.actor, item.command.command)
                    except DomainError as exc:
                        refused.append((item, exc))
                        continue
                    except Exception as exc:  # a fault in this dot alone: the others go on
                        log.exception("deciding a dot failed")
                        refused.append((item, exc))
                        continue
                    try:
                        apply_vote(board, event)  # decided in order on the state the batch leaves
                    except Exception as exc:  # the board holds part of it: decide again without it
                        log.exception("applying a dot failed")
                        item.refuse(exc)
                        redo = True
                        break
                    accepted.append((item, event))
                if redo:
                    self.live.forget(board_id)
                    fresh = False
                    continue
                try:
                    if not fresh and await self._doubtful(board, accepted, refused):
                        raise Conflict("outdated", code="stale_board")
                    if accepted:
                        session = board.sessions[accepted[0][1].session_id]
                        events = [event for _item, event in accepted]
                        await self.live.store.commit_dots(events, budget=session.budget, cap=session.cap)
                except Conflict:
                    self.live.forget(board_id)  # decide again on the stored state
                    fresh = True
                    stale += 1
                    continue
                except BaseException:
                    self.live.forget(board_id)  # the applied dots were not committed
                    raise
                if accepted:  # the other nodes' copies take these dots before their progress is sent
                    await self.live.fanout.tell(DOTS_TOLD, told_dots(board_id, accepted[0][1].session_id, accepted))
                for item, refusal in refused:
                    if not item.answered:
                        item.refuse(refusal)
                for item, event in accepted:
                    session = board.sessions[event.session_id]
                    dots = my_dots(session, board.ballots[session.id], item.command.conn.member.id)
                    if not item.answered:  # its caller may have been cancelled (shutting down)
                        item.answer(dots)
                    try:
                        await self.live.fanout.publish(member_channel(item.command.conn.member.id), "vote.dots", dots)
                    except Exception:  # the dot is stored and answered; its echo to other tabs is not vital
                        log.exception("sending vote.dots failed")
                if accepted:
                    self.dirty.add(board_id)
                    self._ensure_flusher()
                return
        for item in batch:
            if not item.answered:
                item.refuse(Conflict("The vote is busy; try again.", code="stale_board"))

    async def _doubtful(
        self, board: Board, accepted: list[tuple[_Queued, DotsChanged]], refused: list[tuple[_Queued, Exception]]
    ) -> bool:
        """Whether a budget, cap or missing-dot refusal was decided on counts the store does not have."""
        codes = ("budget_exhausted", "cap_reached", "no_dot")
        checks = [(item, exc) for item, exc in refused if getattr(exc, "code", None) in codes]
        if not checks:
            return False
        pending: dict[tuple[str, str], int] = {}
        used_pending: dict[str, int] = {}
        for item, event in accepted:
            member = item.command.conn.member.id
            pending[(member, event.idea_id)] = pending.get((member, event.idea_id), 0) + event.delta
            used_pending[member] = used_pending.get(member, 0) + event.delta
        for item, _exc in checks:
            command, member = item.command.command, item.command.conn.member.id
            ballots = board.ballots.get(command.session_id) or Ballots()
            used = ballots.used(member) - used_pending.get(member, 0)
            count = ballots.of(member).get(command.idea_id, 0) - pending.get((member, command.idea_id), 0)
            if await self.live.store.dot_counts(command.session_id, member, command.idea_id) != (used, count):
                return True
        return False

    # -- progress --------------------------------------------------------------------------

    async def progress(self, board: Board, session: VoteSession) -> dict[str, Any]:
        """How far the vote is: ``left`` counts the dots still to place by the voters present in the
        board's room (on every node)."""
        ballots = board.ballots.get(session.id) or Ballots()
        voters = {m["id"] for m in await self.live.room_presence(board.room_id) if session.admits(Role(m["role"]))}
        left = sum(max(session.budget - ballots.used(m), 0) for m in voters)
        return {
            "board_id": board.id,
            "session_id": session.id,
            "voters": ballots.voters(),
            "cast": ballots.cast(),
            "left": left,
            "tallies": None if session.blind else dict(ballots.tallies()),
        }

    def _ensure_flusher(self) -> None:
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while self.dirty:
            await asyncio.sleep(PROGRESS_INTERVAL_S)
            boards, self.dirty = self.dirty, set()
            for board_id in boards:
                try:
                    board = await self.live.load(board_id)  # as committed
                except NotFound:
                    continue
                session = board.open_session()
                if session is not None:
                    await self.live.fanout.publish(
                        room_channel(board.room_id), "vote.progress", await self.progress(board, session)
                    )

    # -- timers ------------------------------------------------------------------------------

    def arm(self, board_id: str, event_id: str, session: VoteSession | None, *, tell: bool = True) -> None:
        """Close the vote when its timer runs out, if it is open and has one (idempotent); ``tell``: the other
        nodes arm it too, so that it closes when this node is gone (whichever node closes it first, the others'
        close finds it closed: the board's sequence lets one commit)."""
        if session is None or session.status is not VoteStatus.OPEN or session.ends_at is None:
            return
        old = self.timers.pop(session.id, None)
        if old is not None:
            old.cancel()
        self.timers[session.id] = asyncio.create_task(self._expire(board_id, event_id, session.id))
        if tell:
            self.live.tell_others(VOTE_TIMER_TOLD, {"board": board_id, "event": event_id})

    def _timer_told(self, data: Any) -> None:
        task = asyncio.ensure_future(self._arm_stored(data["board"], data["event"]))
        self._arming.add(task)
        task.add_done_callback(self._arming.discard)

    async def _arm_stored(self, board_id: str, event_id: str) -> None:
        """Another node armed a vote's timer: arm it here too, as the board is committed."""
        try:
            board = await self.live.load(board_id)
        except NotFound:
            return
        self.arm(board.id, event_id, board.open_session(), tell=False)

    async def _expire(self, board_id: str, event_id: str, session_id: str) -> None:
        while True:
            board = await self.live.load(board_id)
            session = board.sessions.get(session_id)
            if session is None or session.status is not VoteStatus.OPEN or session.ends_at is None:
                return
            delay = (session.ends_at - self.live.clock.now()).total_seconds()
            if delay <= 0:
                break
            await asyncio.sleep(min(delay, 60))
        try:
            await self.live.run(board_id, SYSTEM, event_id, CloseVote(session_id, self.live.clock.now()))
        except DomainError:
            pass  # closed meanwhile
        finally:
            if self.timers.get(session_id) is asyncio.current_task():  # not a timer armed since
                del self.timers[session_id]

    async def close(self) -> None:
        await self.serializer.close()
        for task in [*self.timers.values(), *self._arming, *([self.flusher] if self.flusher else [])]:
            task.cancel()
        self.timers.clear()
