"""What facilitators run on a node besides boards and votes, gathered as ``live.facilitation``: timers, raised
hands, chat, questions and the agenda (each in its module, each with its own serializer), the spotlight, and
removing a member from the event.

The spotlight is the board every client's view should follow (one per event, as the presented board is one per
room): it is held in memory, like the presented board, and told to the event as ``board.spotlight``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from boards.actors import Actor
from boards.errors import NotFound
from boards.rules import SYSTEM
from rooms import breakouts, hands
from rooms.members import Member
from rooms.removals import Removal, decide_removal
from server import protocol as p
from server.live.agenda import AgendaDesk
from server.live.chat import ChatDesk
from server.live.hands import HandDesk
from server.live.lookup import author, member_of
from server.live.questions import QuestionDesk
from server.live.state import Connection, LiveState
from server.live.timers import TimerDesk
from server.transport.fanout import event_channel, member_channel

log = logging.getLogger("werkstatt.facilitation")


@dataclass(frozen=True, slots=True)
class Spotlight:
    board_id: str
    room_id: str
    by: Member


@dataclass
class Facilitation:
    live: LiveState
    timers: TimerDesk = field(init=False)
    hands: HandDesk = field(init=False)
    chat: ChatDesk = field(init=False)
    questions: QuestionDesk = field(init=False)
    agenda: AgendaDesk = field(init=False)
    spotlights: dict[str, Spotlight] = field(default_factory=dict)  # by event

    def __post_init__(self) -> None:
        self.timers = TimerDesk(self.live)
        self.hands = HandDesk(self.live)
        self.chat = ChatDesk(self.live)
        self.questions = QuestionDesk(self.live)
        self.agenda = AgendaDesk(self.live)

    async def close(self) -> None:
        for desk in (self.timers, self.hands, self.chat, self.questions, self.agenda):
            await desk.close()

    # -- the spotlight ----------------------------------------------------------------------------

    def spotlight_out(self, event_id: str) -> p.SpotlightOut:
        spotlight = self.spotlights.get(event_id)
        if spotlight is None:
            return p.SpotlightOut(board_id=None, room_id=None, by=None)
        return p.SpotlightOut(board_id=spotlight.board_id, room_id=spotlight.room_id, by=author(spotlight.by))

    async def spotlight(self, conn: Connection, board_id: str | None) -> bool:
        """Put a board of the event in the spotlight (None: end it); whether that changed anything."""
        current = self.spotlights.get(conn.event_id)
        if board_id is None:
            if current is None:
                return False
            del self.spotlights[conn.event_id]
        else:
            board = await self.live.load(board_id)  # NotFound for an unknown board
            if board.event_id != conn.event_id:
                raise NotFound("No such board in this event.")
            if current is not None and current.board_id == board_id:
                return False
            self.spotlights[conn.event_id] = Spotlight(board_id, board.room_id, conn.member)
        out = self.spotlight_out(conn.event_id).model_dump(mode="json")
        await self.live.fanout.publish(event_channel(conn.event_id), "board.spotlight", out)
        return True

    # -- removing a member ------------------------------------------------------------------------

    async def remove(self, conn: Connection, member_id: str, reason: str, now: datetime) -> tuple[Removal, int]:
        """Remove a member from the event (``rooms.removals``): their token stops working, their hand goes down,
        each of their connections gets ``member.removed`` and is closed. What they wrote stays. Returns the
        removal and how many connections were closed."""
        target = await member_of(self.live, conn.event_id, member_id)
        removal = decide_removal(conn.actor, Actor(target.id, target.role), now, reason)
        return removal, await self.shut_out(conn.event_id, target.id, conn.actor, now)

    async def shut_out(self, event_id: str, member_id: str, by: Actor, now: datetime) -> int:
        """Carry out a removal's ``actions`` (also when a member's personal data are erased, ``rooms.erasure``):
        the token refused from now on, out of their breakout room and the help queue, their hand lowered (by
        ``by``), each of their connections told ``member.removed`` and closed. How many connections were closed."""
        await self.live.store.remove_member(event_id, member_id, now)  # from now on the token is refused
        rnd = await self.live.breakouts.current(event_id)
        if rnd is not None and (member_id in rnd.placement or member_id in rnd.help_queue):
            try:  # out of their breakout room and the help queue
                await self.live.breakouts.run(event_id, SYSTEM, rnd.id, breakouts.Leave(member_id))
            except Exception:  # the removal stands; the round closes without them
                log.exception("taking removed member %s out of round %s failed", member_id, rnd.id)
        for room_id in self.hands.rooms_raised(event_id, member_id):
            try:
                await self.hands.change_as(by, event_id, room_id, hands.LowerHand(now, member_id))
            except Exception:  # the removal stands; a hand left up is lowered by a facilitator
                log.exception("lowering the hand of removed member %s failed", member_id)
        closing = [c.sid for c in self.live.connections.values() if c.member.id == member_id]  # projector views too
        await self.live.fanout.publish(
            member_channel(member_id), "member.removed", p.MemberRemoved(reason="removed").model_dump(mode="json")
        )
        for sid in closing:
            if self.live.disconnect is not None:
                await self.live.disconnect(sid)
            self.live.detach(sid)  # its events still on the way are refused from now on
        return len(closing)

    def forget(self, event_id: str) -> None:
        """Drop the node's copies of the event's chat and questions: they are loaded again from the store."""
        self.chat.chats.pop(event_id, None)
        self.questions.states.pop(event_id, None)
