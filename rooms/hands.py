"""The raise-hand queue of a room: who wants to speak, in the order they raised their hand.

Rules (``decide`` checks them; ``apply`` takes the events it returned):

- Participants, facilitators and organizers raise and lower their own hand; observers do not take part
  (Forbidden "forbidden").
- Raising a raised hand is accepted and changes nothing: the hand keeps its place (a double click or a
  retry after a lost acknowledgement must not send anyone to the back). Lowering a hand that is down is
  likewise a no-op.
- Only facilitators and organizers lower someone else's hand (Forbidden "forbidden"), call the next
  speaker and clear the queue.
- The queue is ordered by the time each hand went up (ties: the order the server took them in).
- Calling the next lowers the first hand and names that member in the ``HandCalled`` event. An empty queue
  is refused (Conflict "no_hands"). The call may carry ``expected``, the member the facilitator's screen
  showed first: when another facilitator has called meanwhile, it is refused (Conflict "queue_moved"), so
  a double press calls one person, not two.
- Clearing an empty queue is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from boards.actors import Actor
from boards.errors import Conflict, Forbidden


@dataclass(frozen=True, slots=True)
class Hand:
    member_id: str
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class Hands:
    room_id: str
    queue: tuple[Hand, ...] = ()  # by time raised

    def raised(self, member_id: str) -> bool:
        return any(h.member_id == member_id for h in self.queue)

    def place(self, member_id: str) -> int | None:
        """1 for the first in line; None when the member's hand is down."""
        for n, hand in enumerate(self.queue, 1):
            if hand.member_id == member_id:
                return n
        return None


# -- commands and events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaiseHand:
    now: datetime


@dataclass(frozen=True, slots=True)
class LowerHand:
    """Lower a hand: one's own (``member_id`` None or one's own id) or, for moderators, anyone's."""

    now: datetime
    member_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallNext:
    now: datetime
    expected: str | None = None  # the member the caller's screen showed first; None: no check


@dataclass(frozen=True, slots=True)
class ClearHands:
    now: datetime


Command = RaiseHand | LowerHand | CallNext | ClearHands


@dataclass(frozen=True, slots=True)
class HandRaised:
    actor: Actor
    hand: Hand


@dataclass(frozen=True, slots=True)
class HandLowered:
    actor: Actor  # the member themselves, or the moderator who lowered it
    member_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HandCalled:
    """A moderator gave the floor to ``member_id``; their hand goes down."""

    actor: Actor
    member_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HandsCleared:
    actor: Actor
    member_ids: tuple[str, ...]  # whose hands went down
    at: datetime


HandEvent = HandRaised | HandLowered | HandCalled | HandsCleared


def _moderator(actor: Actor) -> None:
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can do that.")


def decide(hands: Hands, actor: Actor, command: Command) -> list[HandEvent]:
    """Check ``command``; return its events (none when its outcome holds already) or raise a DomainError."""
    if isinstance(command, RaiseHand):
        if not actor.role.contributes:
            raise Forbidden("Observers do not raise their hand.")
        if hands.raised(actor.member_id):
            return []
        return [HandRaised(actor, Hand(actor.member_id, command.now))]
    if isinstance(command, LowerHand):
        member_id = command.member_id or actor.member_id
        if member_id != actor.member_id:
            _moderator(actor)
        elif not actor.role.contributes:
            raise Forbidden("Observers do not raise their hand.")
        return [HandLowered(actor, member_id, command.now)] if hands.raised(member_id) else []
    _moderator(actor)
    if isinstance(command, CallNext):
        if not hands.queue:
            raise Conflict("No hand is raised.", code="no_hands")
        first = hands.queue[0].member_id
        if command.expected is not None and command.expected != first:
            raise Conflict("Someone has been called meanwhile; look again.", code="queue_moved")
        return [HandCalled(actor, first, command.now)]
    if isinstance(command, ClearHands):
        if not hands.queue:
            return []
        return [HandsCleared(actor, tuple(h.member_id for h in hands.queue), command.now)]
    raise TypeError(f"unknown command {command!r}")  # pragma: no cover - a programming error


def apply(hands: Hands, event: HandEvent) -> Hands:
    """The queue after ``event``."""
    if isinstance(event, HandRaised):
        at = event.hand.raised_at
        n = sum(1 for h in hands.queue if h.raised_at <= at)  # after everyone raised at or before it
        return replace(hands, queue=(*hands.queue[:n], event.hand, *hands.queue[n:]))
    if isinstance(event, HandsCleared):
        gone = set(event.member_ids)
        return replace(hands, queue=tuple(h for h in hands.queue if h.member_id not in gone))
    return replace(hands, queue=tuple(h for h in hands.queue if h.member_id != event.member_id))
