"""Rate limits: a token bucket per connection, a sliding window for logins."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    rate: float  # tokens per second
    burst: int
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.stamp = self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass(slots=True)
class FailureWindow:
    """Counts failures per key within a window; a key over the limit is blocked."""

    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _prune(self, key: str) -> deque[float]:
        stamps = self.failures[key]
        cutoff = self.clock() - self.window_s
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if not stamps:
            del self.failures[key]
            return deque()
        return stamps

    def blocked(self, *keys: str) -> bool:
        return any(len(self._prune(k)) >= self.limit for k in keys)

    def fail(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self.failures[key].append(now)

    def clear(self, *keys: str) -> None:
        for key in keys:
            self.failures.pop(key, None)
