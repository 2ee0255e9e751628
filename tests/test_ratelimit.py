"""The rate limits on a clock the tests move: token buckets by key, and the login limit."""

from __future__ import annotations

import pytest

from server.ratelimit import Buckets, LimitReached, LoginLimit, address_key, address_keys, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("", ""),
    ],
)
def test_addresses_are_counted_by_host_and_ipv6_by_its_64(address: str, key: str) -> None:
    assert address_key(address) == key


def test_an_ipv6_client_is_counted_in_its_64_56_and_48_with_growing_shares() -> None:
    assert address_keys("2001:db8:1:2ff:1:2:3:4") == (
        ("2001:db8:1:2ff::/64", 1),
        ("2001:db8:1:200::/56", 4),
        ("2001:db8:1::/48", 16),
    )
    assert address_keys("198.51.100.7") == (("198.51.100.7", 1),)
    assert address_keys("::ffff:198.51.100.7") == (("198.51.100.7", 1),)


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert [retry_after_header(s) for s in (0.0, 0.2, 1.0, 1.01, 99.5)] == ["1", "1", "1", "2", "100"]


def test_buckets_give_the_burst_then_the_rate_and_say_how_long_to_wait() -> None:
    clock = Clock()
    buckets = Buckets(rate=0.5, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(2.0)  # one token per 2 s
    assert buckets.take("b") == 0.0  # each key its own bucket
    clock.now += 2
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(2.0)


def test_buckets_forget_keys_once_full_again() -> None:
    clock = Clock()
    buckets = Buckets(rate=1.0, burst=10, clock=clock)
    for i in range(1000):
        buckets.take(f"address {i}")
    assert len(buckets.buckets) == 1000
    clock.now += 10  # every bucket has filled up again
    buckets.take("another")
    assert list(buckets.buckets) == ["another"]


def test_the_64s_of_one_56_share_four_times_one_64s_bucket() -> None:
    """A home line holds a /56, 256 /64s: taking a fresh /64 for each join gains 4 times one
    /64's share, not 256 times; the /56s of a /48 together 16 times."""
    clock = Clock()
    buckets = Buckets(rate=0.01, burst=1, clock=clock)
    line = [address_keys(f"2001:db8:0:{n:x}::1") for n in range(256)]  # the /64s of 2001:db8::/56
    assert [buckets.take_all(keys) for keys in line[:4]] == [0.0] * 4
    assert buckets.take_all(line[4]) == pytest.approx(25.0)  # the /56 refills at 4 × 0.01 a second
    assert buckets.take_all(line[0]) == pytest.approx(100.0)  # its own /64 waits longer
    clock.now += 25
    assert buckets.take_all(line[4]) == 0.0  # refused, it took nothing from its own /64's bucket

    wide = Buckets(rate=0.01, burst=1, clock=clock)
    for site in range(4):  # four /56s of 2001:db8::/48, 4 joins each
        for n in range(4):
            assert wide.take_all(address_keys(f"2001:db8:0:{site * 256 + n:x}::1")) == 0.0
    assert wide.take_all(address_keys("2001:db8:0:ff00::1")) > 0  # a fifth /56: the /48's 16 are used up
    assert wide.take_all(address_keys("2001:db8:1::1")) == 0.0  # another /48
    assert wide.take_all(address_keys("198.51.100.7")) == 0.0


def limit(clock: Clock, **overrides: int) -> LoginLimit:
    values = {"per_address_user": 3, "per_address": 10, "per_user": 6, **overrides}
    return LoginLimit(**values, window_s=300, clock=clock)


def test_an_attempt_counts_before_its_password_is_checked() -> None:
    login = limit(Clock())
    under_way = [login.attempt("198.51.100.7", "anna") for _ in range(3)]  # none has an answer yet
    with pytest.raises(LimitReached):
        login.attempt("198.51.100.7", "anna")
    under_way[0].succeeded()  # a right password gives its attempt back and clears the pair
    login.attempt("198.51.100.7", "anna")


def test_failures_block_the_pair_then_leave_the_window() -> None:
    clock = Clock()
    login = limit(clock)
    for _ in range(3):
        login.attempt("198.51.100.7", "anna")
        clock.now += 10
    with pytest.raises(LimitReached) as refused:
        login.attempt("198.51.100.7", "ANNA")  # user names count case-insensitively
    assert refused.value.retry_after == pytest.approx(300 - 30)  # until the first failure leaves
    login.attempt("203.0.113.9", "anna")  # another address is not blocked
    login.attempt("198.51.100.7", "bernd")  # nor another user name
    clock.now += 271
    login.attempt("198.51.100.7", "anna")


def test_one_address_is_limited_over_all_user_names() -> None:
    login = limit(Clock(), per_address=4)
    for i in range(4):
        login.attempt("198.51.100.7", f"user{i}")
    with pytest.raises(LimitReached):
        login.attempt("198.51.100.7", "anna")
    with pytest.raises(LimitReached):
        login.attempt("198.51.100.7", "bernd")
    login.attempt("198.51.100.8", "anna")


def test_the_64s_of_one_56_share_the_address_limit() -> None:
    """Failures per address count an IPv6 client in its /56 too (4 times the limit): a guesser
    on a home line cannot get 256 times the guesses by taking a fresh /64 for each."""
    login = limit(Clock(), per_address=2)
    for n in range(8):  # one failure from each of 8 /64s of 2001:db8::/56
        login.attempt(f"2001:db8:0:{n:x}::1", f"user{n}")
    with pytest.raises(LimitReached):
        login.attempt("2001:db8:0:ff::1", "anna")  # a fresh /64 of the same /56
    login.attempt("2001:db8:0:100::1", "anna")  # another /56


def test_a_name_guessed_from_many_addresses_is_open_to_fresh_addresses_only() -> None:
    clock = Clock()
    login = limit(clock, per_user=4)
    for address in ("198.51.100.1", "198.51.100.2"):
        login.attempt(address, "anna")
        login.attempt(address, "anna")
    with pytest.raises(LimitReached):
        login.attempt("198.51.100.1", "anna")  # failed for anna before, while anna is guessed
    login.attempt("198.51.100.1", "bernd")  # other names are not affected
    fresh = login.attempt("203.0.113.9", "anna")  # one attempt for a fresh address ...
    with pytest.raises(LimitReached):
        login.attempt("203.0.113.9", "anna")  # ... and no second while the first is under way
    fresh.succeeded()
    login.attempt("203.0.113.9", "anna")  # the right password does not count against it
    clock.now += 301
    login.attempt("198.51.100.1", "anna")


def test_the_login_limit_forgets_old_keys() -> None:
    clock = Clock()
    login = limit(clock)
    for i in range(500):
        login.attempt(f"198.51.{i // 250}.{i % 250}", f"user{i}")
    assert len(login.window.stamps) == 1500  # pair, address and user name each
    clock.now += 301
    login.attempt("203.0.113.9", "anna")
    assert len(login.window.stamps) == 3
