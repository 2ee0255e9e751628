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

# kinds limited more tightly than the general rate: (events per second, burst)
KIND_RATES: dict[str, tuple[float, int]] = {
    "chat": (1.0, 5),  # a message a second, five at once
    "question": (0.2, 3),  # a question every five seconds, three at once
    "hand": (1.0, 4),
}


def kind_of(event: str) -> str:
    """The kind of an event: the area its name starts with (``board.idea.create`` → ``board``)."""
    return event.split(".", 1)[0]


@dataclass(slots=True)
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
            rate, burst = KIND_RATES.get(kind, (self.rate_per_second, self.burst))
            bucket = self.buckets[kind] = TokenBucket(min(rate, self.rate_per_second), min(burst, self.burst))
        return bucket.take()

    def enter(self) -> bool:
        """One more event in flight; False (and nothing counted) when the cap is reached."""
        if self.in_flight >= self.max_in_flight:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
