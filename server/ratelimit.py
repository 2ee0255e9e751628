"""Rate limits: token buckets (Socket.IO events per connection, joins per address and per link)
and the organizer login limit.

Per-address limits key IPv6 clients by their /64 network (``address_key``): one household or
host usually holds a whole /64 and could otherwise take a fresh address for every request.
A home line is usually given a /56, though (256 /64s), and a site a /48: so an IPv6 client is
counted in its /64, its /56 and its /48 at once (``address_keys``), each wider network with a
larger share (``NETWORK_SHARES``: 4 times the /64's limit for a /56, 16 times for a /48). One
customer who spreads over the /64s of its /56 gets 4 times one /64's share, not 256 times;
different customers of one provider who happen to share a /48 are held back only together
past 16 times. The joins, the login limit's counts per address and the connection caps
(server.transport.guard) count this way.
Every keyed limit forgets a key once it holds nothing any more, so memory follows the keys
active within a window, not every address ever seen.

The login limit
---------------
A block keyed on the user name alone lets anyone keep an organizer out: a stranger's wrong
passwords for ``anna`` blocked ``anna``'s own right password from everywhere. The limit
follows what OWASP's authentication cheat sheet, fail2ban and django-axes
(``["ip_address", "username"]``) do instead; failures are counted within ``login_window_s``:

- per address and user name (``login_attempts``, 5): guessing one account from one address.
  Only this pair is blocked, so the organizer at another address is not affected.
- per address (``login_attempts_per_address``, 20): one address trying many user names
  (password spraying). Higher than the first, as several organizers may share an address.
- per user name (``login_attempts_per_user``, 50): one account guessed from many addresses.
  Over it, an address that has failed for this user name within the window may not try it
  again, while an address without such a failure still may: the right password from a fresh
  address (the organizer at home or in the office) is accepted, and a distributed guesser is
  slowed from five guesses per address and window to one.

An attempt is counted before its password is checked, not after (``LoginLimit.attempt``):
parallel requests would otherwise all pass the check while none had failed yet. A successful
login gives its attempt back and clears the failures of its address and user name; the
address's and the user name's own counts stay, so logging in to an account of one's own does
not reset a guessing run against others.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

NETWORK_SHARES = ((64, 1), (56, 4), (48, 16))  # an IPv6 client's networks, and each one's share of a limit


def address_key(address: str) -> str:
    """The key a per-address limit counts under: IPv4 as is, IPv6 by its /64 network."""
    return address_keys(address)[0][0]


@functools.lru_cache(maxsize=4096)
def address_keys(address: str) -> tuple[tuple[str, int], ...]:
    """The keys a per-address limit counts ``address`` under, each with its share (the multiple
    of the limit it may hold): IPv4 once, IPv6 in its /64, /56 and /48 (``NETWORK_SHARES``).

    Cached: the connections of one address share one answer (server.transport.guard keeps it for
    each open connection), and a new connection from a known address parses nothing."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ((address, 1),)  # not an IP (a Unix socket, a test transport): the address itself
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ((str(ip.ipv4_mapped), 1),)
        return tuple((str(ipaddress.IPv6Network((ip, bits), strict=False)), share) for bits, share in NETWORK_SHARES)
    return ((str(ip), 1),)


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

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next token (0 if there is one)."""
        self._refill()
        return max(0.0, (1 - self.tokens) / self.rate)

    def full(self) -> bool:
        self._refill()
        return self.tokens >= self.burst


class Buckets:
    """A token bucket per key, made on first use and forgotten once it is full again."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}
        self._swept = clock()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 if there was one, else the seconds until there is."""
        return self.take_all(((key, 1),))

    def take_all(self, keys: tuple[tuple[str, int], ...]) -> float:
        """Take a token from the bucket of each key (``address_keys``: a key with share ``n`` has
        ``n`` times the rate and burst), or none: 0 if each had one, else the seconds until they do."""
        self._sweep()
        buckets = []
        for key, share in keys:
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = TokenBucket(self.rate * share, self.burst * share, self.clock)
            buckets.append(bucket)
        wait = max(bucket.wait() for bucket in buckets)
        if wait == 0:
            for bucket in buckets:
                bucket.take()
        return wait

    def _sweep(self) -> None:
        """Forget full buckets (a new one is the same), at most once per time to fill one."""
        now = self.clock()
        if now - self._swept < self.burst / self.rate:
            return
        self._swept = now
        for key in [k for k, b in self.buckets.items() if b.full()]:
            del self.buckets[key]


class FailureWindow:
    """Time stamps per key within a sliding window (failures, or attempts under way)."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self.stamps: dict[str, deque[float]] = {}
        self._swept = clock()

    def _live(self, key: str) -> deque[float]:
        stamps = self.stamps.get(key)
        if stamps is None:
            return deque()
        cutoff = self.clock() - self.window_s
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if not stamps:
            del self.stamps[key]
        return stamps

    def count(self, key: str) -> int:
        return len(self._live(key))

    def free_in(self, key: str, limit: int) -> float:
        """Seconds until ``key`` holds fewer than ``limit`` stamps."""
        stamps = self._live(key)
        if len(stamps) < limit:
            return 0.0
        return max(0.0, stamps[len(stamps) - limit] + self.window_s - self.clock())

    def add(self, *keys: str) -> float:
        self._sweep()
        now = self.clock()
        for key in keys:
            self.stamps.setdefault(key, deque()).append(now)
        return now

    def remove(self, stamp: float, *keys: str) -> None:
        """Take back one stamp that ``add`` returned."""
        for key in keys:
            stamps = self.stamps.get(key)
            if stamps is not None and stamp in stamps:
                stamps.remove(stamp)
                if not stamps:
                    del self.stamps[key]

    def clear(self, *keys: str) -> None:
        for key in keys:
            self.stamps.pop(key, None)

    def _sweep(self) -> None:
        """Forget keys whose stamps all left the window, once per window."""
        now = self.clock()
        if now - self._swept < self.window_s:
            return
        self._swept = now
        for key in list(self.stamps):
            self._live(key)


class LimitReached(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f} s")
        self.retry_after = retry_after


def retry_after_header(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


@dataclass(slots=True)
class LoginAttempt:
    limit: LoginLimit
    stamp: float
    keys: tuple[str, ...]  # the pair of address and user name first

    def succeeded(self) -> None:
        """The password was right: the attempt is given back, the pair's failures cleared."""
        self.limit.window.remove(self.stamp, *self.keys)
        self.limit.window.clear(self.keys[0])


class LoginLimit:
    """Organizer logins: per address and user name, per address, per user name (see the module)."""

    def __init__(
        self,
        *,
        per_address_user: int,
        per_address: int,
        per_user: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_address_user = per_address_user
        self.per_address = per_address
        self.per_user = per_user
        self.window = FailureWindow(window_s, clock)

    def attempt(self, address: str, username: str) -> LoginAttempt:
        """Count an attempt before its password is checked; raises ``LimitReached`` over a limit.

        The attempt stays counted as a failure unless ``succeeded()`` is called on it. The count
        per address is kept for an IPv6 client's /64, /56 and /48 (``address_keys``).
        """
        networks = address_keys(address)
        addr = "a:" + networks[0][0]
        user = "u:" + username.casefold()
        pair = f"{addr}|{user}"
        window = self.window
        waits = [window.free_in(pair, self.per_address_user)]
        waits += [window.free_in("a:" + key, self.per_address * share) for key, share in networks]
        if window.count(pair) and window.count(user) >= self.per_user:
            # this address failed for this user name while it is guessed from many: it waits until
            # its own failure left the window or the guessing calmed down
            waits.append(min(window.free_in(pair, 1), window.free_in(user, self.per_user)))
        wait = max(waits)
        if wait > 0:
            raise LimitReached(wait)
        keys = (pair, user, *("a:" + key for key, _share in networks))
        return LoginAttempt(self, window.add(*keys), keys)
