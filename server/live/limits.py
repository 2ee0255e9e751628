"""How much one connection may send: a rate limit per kind of event, and a cap on events in flight.

Each kind of event (the area its name starts with: ``board``, ``vote``, ``chat``, ``question``,
``breakout`` …) has its own token bucket per connection, so a burst of chat does not use up what
posting an idea needs, and the map's moves can get a budget of their own. Chat and questions
are limited more tightly than the settings' general rate: people type them, and a flood of them
reaches everyone in the room. Events in flight (received, not yet answered) are capped per
connection, so one client cannot pile up work that others wait behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.ratelimit import TokenBucket

# kinds limited more tightly than the general rate, as shares of the settings' rate and burst: with the defaults
# (10 events a second, 40 at once) a chat message a second and five at once, a question every five seconds and
# three at once, a hand a second and four at once. Shares, so that the settings scale every limit alike.
KIND_SHARES: dict[str, tuple[float, float]] = {
    "chat": (0.1, 0.125),
    "question": (0.02, 0.075),
    "hand": (0.1, 0.1),
    # the space: a client sends its position at most 5 times a second while walking, plus when it stops or turns;
    # 10 a second and 20 at once leave room for that, and a flood beyond is dropped (``space.move`` is volatile)
    "space.move": (1.0, 0.5),
    "bubble": (0.1, 0.125),  # bubble.chat: typed by people, like the room's chat
    # WebRTC signalling: an offer or answer and a burst of ICE candidates per peer, up to 5 peers at once
    "rtc": (3.0, 2.0),
}

# events of those areas that are not what the area is limited for (reading, upvoting, moderating): each has a
# bucket of its own at the general rate, so a participant who upvotes five questions in a row is not refused
OWN_KIND = frozenset(
    {
        "chat.history",
        "chat.hide",
        "chat.silence",
        "hand.next",
        "hand.clear",
        "question.list",
        "question.upvote",
        "question.answer",
        "question.hide",
        "question.pin",
        "space.move",
        "bubble.lock",
    }
)


def kind_of(event: str) -> str:
    """The kind of an event: the area its name starts with (``board.idea.create`` → ``board``), or the event
    itself for those of ``OWN_KIND``."""
    return event if event in OWN_KIND else event.split(".", 1)[0]


@dataclass(slots=True, weakref_slot=True)  # the gateway keeps each member's by a weak reference
class Limits:
    rate_per_second: float
    burst: int
    max_in_flight: int
    in_flight: int = 0
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def take(self, kind: str) -> bool:
        """Take one event of this kind from its bucket; False when over the limit."""
        bucket = self.buckets.get(kind)
        if bucket is None:
            rate_share, burst_share = KIND_SHARES.get(kind, (1.0, 1.0))
            rate, burst = self.rate_per_second * rate_share, max(1, round(self.burst * burst_share))
            bucket = self.buckets[kind] = TokenBucket(rate, burst)
        return bucket.take()

    def enter(self) -> bool:
        """One more event in flight; False (and nothing counted) when the cap is reached."""
        if self.in_flight >= self.max_in_flight:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
