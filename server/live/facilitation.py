"""What facilitators run on a node besides boards and votes, gathered as ``live.facilitation``: timers, raised
hands, chat, questions and the agenda (each in its module, each with its own serializer), the spotlight, and
removing a member from the event.

The spotlight is the board every client's view should follow (one per event, as the presented board is one per
room): it is held in memory, like the presented board, and told to the event as ``board.spotlight``.

Several nodes (``live.redis`` set): the spotlight is a record in Redis (``werkstatt:spotlight:<event>``, kept a day
after its last change, ``server.live.redis_records``), so a client who connects to any node reads it there. A
removal closes the member's connections on every node: the node that removes tells the others
(``members.removed``) right after the member's channel heard it, and each closes the member's connections it holds.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from boards.actors import Actor
from boards.errors import Conflict, NotFound
from boards.rules import SYSTEM
from rooms import breakouts, hands
from rooms.removals import Removal, decide_removal
from server import protocol as p
from server.live.agenda import AgendaDesk
from server.live.chat import ChatDesk
from server.live.hands import HandDesk
from server.live.lookup import author, member_of
from server.live.questions import QuestionDesk
from server.live.redis_records import ABSENT, Record, Records
from server.live.state import Connection, LiveState
from server.live.timers import TimerDesk
from server.transport.fanout import event_channel, member_channel

log = logging.getLogger("werkstatt.facilitation")

REMOVED = "members.removed"  # what a node tells the others when it removed a member: {"event_id", "member_id"}
KEPT = timedelta(days=1)  # how long Redis keeps an event's spotlight after its last change
SWAPS = 5  # how often the spotlight is decided again when another node changed it meanwhile


@dataclass(frozen=True, slots=True)
class Spotlight:
    board_id: str
    room_id: str
    by: p.AuthorOut


@dataclass(frozen=True, slots=True)
class SpotlightChange:
    changed: bool
    before: Spotlight | None
    after: Spotlight | None


@dataclass
class Facilitation:
    live: LiveState
    timers: TimerDesk = field(init=False)
    hands: HandDesk = field(init=False)
    chat: ChatDesk = field(init=False)
    questions: QuestionDesk = field(init=False)
    agenda: AgendaDesk = field(init=False)
    spotlights: dict[str, Spotlight] = field(default_factory=dict)  # by event (one node)
    shared: Records | None = field(init=False, default=None)  # the spotlights in Redis, with several nodes
    _closing: set[asyncio.Task[int]] = field(default_factory=set)  # closing what other nodes removed

    def __post_init__(self) -> None:
        self.timers = TimerDesk(self.live)
        self.hands = HandDesk(self.live)
        self.chat = ChatDesk(self.live)
        self.questions = QuestionDesk(self.live)
        self.agenda = AgendaDesk(self.live)
        if self.live.redis is not None:
            self.shared = Records(self.live.redis, "spotlight")
            self.live.fanout.on_told(REMOVED, self._told_removed)

    async def start(self) -> None:
        """Arm the timers other nodes started (with several nodes)."""
        await self.timers.start()

    async def close(self) -> None:
        for task in self._closing:
            task.cancel()
        for desk in (self.timers, self.hands, self.chat, self.questions, self.agenda):
            await desk.close()

    # -- the spotlight ----------------------------------------------------------------------------

    async def current_spotlight(self, event_id: str) -> Spotlight | None:
        return (await self._load_spotlight(event_id))[0]

    async def spotlight(self, conn: Connection, board_id: str | None) -> SpotlightChange:
        """Put a board of the event in the spotlight (None: end it); whether that changed anything."""
        wanted = None
        if board_id is not None:
            board = await self.live.load(board_id)  # NotFound for an unknown board
            if board.event_id != conn.event_id:
                raise NotFound("No such board in this event.")
            wanted = Spotlight(board_id, board.room_id, author(conn.member))
        for _attempt in range(SWAPS):
            current, record = await self._load_spotlight(conn.event_id)
            if (current.board_id if current is not None else None) == board_id:
                return SpotlightChange(False, current, current)
            if self.shared is None:
                if wanted is None:
                    del self.spotlights[conn.event_id]
                else:
                    self.spotlights[conn.event_id] = wanted
            else:
                data = None if wanted is None else spotlight_json(wanted)
                if await self.shared.swap(conn.event_id, record, data, KEPT) is None:
                    continue  # another node changed it meanwhile: decide again on what it holds now
            out = spotlight_out(wanted).model_dump(mode="json")
            await self.live.fanout.publish(event_channel(conn.event_id), "board.spotlight", out)
            return SpotlightChange(True, current, wanted)
        raise Conflict("The spotlight is changing too fast; try again.")

    async def _load_spotlight(self, event_id: str) -> tuple[Spotlight | None, Record]:
        if self.shared is None:
            return self.spotlights.get(event_id), ABSENT
        record = await self.shared.read(event_id)
        return (None if record.data is None else spotlight_from_json(record.data)), record

    # -- removing a member ------------------------------------------------------------------------

    async def remove(self, conn: Connection, member_id: str, reason: str, now: datetime) -> tuple[Removal, int]:
        """Remove a member from the event (``rooms.removals``): their token stops working, their hand goes down,
        each of their connections gets ``member.removed`` and is closed. What they wrote stays. Returns the
        removal and how many connections were closed (on this node)."""
        target = await member_of(self.live, conn.event_id, member_id)
        removal = decide_removal(conn.actor, Actor(target.id, target.role), now, reason)
        return removal, await self.shut_out(conn.event_id, target.id, conn.actor, now)

    async def shut_out(self, event_id: str, member_id: str, by: Actor, now: datetime) -> int:
        """Carry out a removal's ``actions`` (also when a member's personal data are erased, ``rooms.erasure``):
        the token refused from now on, out of their breakout room and the help queue, their hand lowered (by
        ``by``), each of their connections told ``member.removed`` and closed (those on other nodes too). How many
        connections were closed on this node."""
        await self.live.store.remove_member(event_id, member_id, now)  # from now on the token is refused
        rnd = await self.live.breakouts.current(event_id)
        if rnd is not None and (member_id in rnd.placement or member_id in rnd.help_queue):
            try:  # out of their breakout room and the help queue
                await self.live.breakouts.run(event_id, SYSTEM, rnd.id, breakouts.Leave(member_id))
            except Exception:  # the removal stands; the round closes without them
                log.exception("taking removed member %s out of round %s failed", member_id, rnd.id)
        try:
            raised = await self.hands.rooms_raised(event_id, member_id)
        except Exception:  # the removal stands; a hand left up is lowered by a facilitator
            log.exception("finding the raised hands of removed member %s failed", member_id)
            raised = []
        for room_id in raised:
            try:
                await self.hands.change_as(by, event_id, room_id, hands.LowerHand(now, member_id))
            except Exception:  # the removal stands; a hand left up is lowered by a facilitator
                log.exception("lowering the hand of removed member %s failed", member_id)
        closing = [c.sid for c in self.live.connections.values() if c.member.id == member_id]  # projector views too
        await self.live.fanout.publish(
            member_channel(member_id), "member.removed", p.MemberRemoved(reason="removed").model_dump(mode="json")
        )
        if self.shared is not None:  # after the member's channel: each node sends member.removed before closing
            await self.live.fanout.tell(REMOVED, {"event_id": event_id, "member_id": member_id})
        return await self._close(event_id, member_id, closing)

    async def _close(self, event_id: str, member_id: str, sids: list[str]) -> int:
        for sid in sids:
            if self.live.disconnect is not None:
                await self.live.disconnect(sid)
            self.live.detach(sid)  # its events still on the way are refused from now on
        return len(sids)

    def _told_removed(self, data: Any) -> None:
        """Another node removed a member: close their connections here (``member.removed`` reached them)."""
        if not isinstance(data, dict):
            raise ValueError("a removal names its event and member")
        event_id, member_id = data.get("event_id"), data.get("member_id")
        if not isinstance(event_id, str) or not isinstance(member_id, str):
            raise ValueError("a removal names its event and member")
        closing = [c.sid for c in self.live.connections.values() if c.member.id == member_id and c.event_id == event_id]
        if closing:
            task = asyncio.ensure_future(self._close(event_id, member_id, closing))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def forget(self, event_id: str) -> None:
        """Drop the node's copies of the event's chat and questions: they are loaded again from the store."""
        self.chat.chats.drop(event_id)
        self.questions.states.drop(event_id)


def spotlight_out(spotlight: Spotlight | None) -> p.SpotlightOut:
    if spotlight is None:
        return p.SpotlightOut(board_id=None, room_id=None, by=None)
    return p.SpotlightOut(board_id=spotlight.board_id, room_id=spotlight.room_id, by=spotlight.by)


def spotlight_json(spotlight: Spotlight) -> bytes:
    """The spotlight as Redis holds it."""
    by = spotlight.by.model_dump(mode="json")
    return orjson.dumps({"board_id": spotlight.board_id, "room_id": spotlight.room_id, "by": by})


def spotlight_from_json(data: bytes) -> Spotlight:
    held = orjson.loads(data)
    return Spotlight(held["board_id"], held["room_id"], p.AuthorOut.model_validate(held["by"]))
