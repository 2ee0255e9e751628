"""A connection's limits per kind of event: the space's moves have a budget of their own."""

from __future__ import annotations

from server.live.limits import Limits, kind_of


def test_kinds_are_areas_except_the_events_with_a_bucket_of_their_own() -> None:
    assert kind_of("board.idea.create") == "board"
    assert kind_of("space.goto") == "space"
    assert kind_of("space.move") == "space.move"
    assert kind_of("bubble.chat") == "bubble" and kind_of("bubble.lock") == "bubble.lock"
    assert kind_of("rtc.signal") == "rtc"


def test_moves_have_their_own_budget_and_a_flood_of_them_leaves_the_rest_alone() -> None:
    limits = Limits(rate_per_second=10, burst=40, max_in_flight=32)  # the defaults
    taken = [limits.take("space.move") for _ in range(100)]
    assert taken.count(True) in (20, 21)  # a burst of 20 (plus what refilled while the loop ran)
    assert all(limits.take("board") for _ in range(40))  # boards keep their whole burst
    assert all(limits.take("space") for _ in range(40))  # and so do the space's other events
    assert limits.take("vote")


def test_bubble_chat_is_limited_like_the_rooms_chat() -> None:
    limits = Limits(rate_per_second=10, burst=40, max_in_flight=32)
    assert [limits.take("bubble") for _ in range(6)].count(True) == 5
