"""Announcements at most once per interval: the first at once, the rest together."""

from __future__ import annotations

import asyncio

from server.live.throttle import Throttle


async def test_first_change_at_once_then_one_flush_per_interval() -> None:
    flushed: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()

    async def flush(key: str) -> None:
        flushed.append((key, loop.time()))

    throttle = Throttle(0.2, flush)
    start = loop.time()
    throttle.mark("a")
    await asyncio.sleep(0.01)
    assert [k for k, _ in flushed] == ["a"] and flushed[0][1] - start < 0.05  # quiet before: at once

    for _ in range(20):  # a storm within the interval: one flush at its end
        throttle.mark("a")
        throttle.mark("b")  # another key has its own interval: at once
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)
    assert sorted(k for k, _ in flushed) == ["a", "a", "b", "b"]  # each: at once, then once more
    a_times = [t for k, t in flushed if k == "a"]
    assert a_times[1] - a_times[0] >= 0.19
    await throttle.close()


async def test_a_failing_flush_does_not_stop_the_next() -> None:
    calls: list[str] = []

    async def flush(key: str) -> None:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("boom")

    throttle = Throttle(0.05, flush)
    throttle.mark("a")
    await asyncio.sleep(0.01)
    throttle.mark("a")
    await asyncio.sleep(0.1)
    assert calls == ["a", "a"]
    await throttle.close()


async def test_close_drops_what_is_due() -> None:
    calls: list[str] = []

    async def flush(key: str) -> None:
        calls.append(key)

    throttle = Throttle(10.0, flush)
    throttle.mark("a")
    await asyncio.sleep(0.01)
    throttle.mark("a")  # due in 10 s
    await throttle.close()
    await asyncio.sleep(0.02)
    assert calls == ["a"]
