"""Workload ``fanout``: one board, many watchers, a steady stream of new ideas.

``--clients`` participants are connected to the event's plenary (where the board is);
``--posters`` of them post ideas, ``--rate`` ideas per second in all, for ``--duration``
seconds, each at its own evenly spaced times. Every participant, posters included, must
receive every idea as ``board.changed``, once and in ``seq`` order. The latency of a
delivery runs from the moment the poster sent the idea to its arrival at a recipient;
``p50_ms``/``p95_ms``/``p99_ms`` are taken over all deliveries. A delivery that never
arrives (within ``--drain`` seconds after the last post) counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from array import array
from typing import Any

from bench.client import ClientError, SioClient, http_session
from bench.crowd import assemble, disband, expect_ok, quiesce
from bench.stats import Meter, latency_figures, ms, percentile
from bench.workshop import Workshop, workshop

MARK = "Idee #"  # the idea's text is MARK + its number, zero-padded to 7 digits
PER_POSTER_RATE = 5.0  # ideas per second and poster, well inside the default rate limit (10/s)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=1000, rate=50.0, duration=10.0)
    parser.add_argument(
        "--posters", type=int, help=f"participants who post (default: one per {PER_POSTER_RATE:g} ideas per second)"
    )
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for late deliveries (default 30)")


class Progress:
    """Deliveries so far, across all participants; ``complete`` is set when all are in."""

    def __init__(self) -> None:
        self.delivered = 0
        self.expected: int | None = None  # known once every post is answered
        self.complete = asyncio.Event()

    def add(self) -> None:
        self.delivered += 1
        if self.expected is not None and self.delivered >= self.expected:
            self.complete.set()

    def expect(self, expected: int) -> None:
        self.expected = expected
        if self.delivered >= expected:
            self.complete.set()


class Receiver:
    """One participant's arrivals: the time each idea arrived, and what came out of order."""

    __slots__ = ("arrived", "disorder", "last_seq", "progress")

    def __init__(self, changes: int, progress: Progress) -> None:
        self.arrived = array("d", bytes(8 * changes))  # 0.0: not (yet) arrived
        self.disorder = 0  # duplicates, gaps, and changes that are not ours
        self.last_seq: int | None = None
        self.progress = progress

    def __call__(self, change: dict[str, Any], now: float) -> None:
        seq = change.get("seq")
        if self.last_seq is not None and seq != self.last_seq + 1:
            self.disorder += 1
        self.last_seq = seq
        idea = change.get("idea") or {}
        text = idea.get("text", "")
        if change.get("type") != "idea.created" or not text.startswith(MARK):
            self.disorder += 1
            return
        k = int(text[len(MARK) :])
        if self.arrived[k]:
            self.disorder += 1
        else:
            self.arrived[k] = now
            self.progress.add()


async def _post(
    client: SioClient,
    numbers: range,
    board_id: str,
    field_ids: list[str],
    *,
    start: float,
    rate: float,
    sent: array,
    ok: list[bool],
    errors: dict[str, int],
    acks: list[float],
) -> float:
    """Post at the scheduled times whether or not earlier posts were answered (an open loop:
    a slow server does not slow the offered rate down); returns the latest send's lag."""
    loop = asyncio.get_running_loop()
    lag = 0.0

    async def one(k: int, payload: dict[str, Any]) -> None:
        try:
            ack = await client.call("board.idea.create", payload)
        except ClientError:
            errors["post_timeout"] = errors.get("post_timeout", 0) + 1
            return
        acks.append(time.perf_counter() - sent[k])
        if ack.get("ok"):
            ok[k] = True
        else:
            code = f"post_{ack.get('error', {}).get('code', '?')}"
            errors[code] = errors.get(code, 0) + 1

    posts = []
    for k in numbers:
        due = start + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        payload = {"board_id": board_id, "field_id": field_ids[k % len(field_ids)], "text": f"{MARK}{k:07d}"}
        sent[k] = time.perf_counter()
        posts.append(asyncio.create_task(one(k, payload)))
    await asyncio.gather(*posts)
    return lag


async def _run(ws: Workshop, args: argparse.Namespace) -> dict[str, Any]:
    changes = max(1, round(args.rate * args.duration))
    posters = args.posters or max(1, math.ceil(args.rate / PER_POSTER_RATE))
    posters = min(posters, args.clients)
    progress = Progress()
    receivers = [Receiver(changes, progress) for _ in range(args.clients)]

    def prepare(i: int, client: SioClient, _member: dict[str, Any]) -> None:
        client.on("board.changed", receivers[i])

    async with http_session() as http:
        print(f"setting up: {args.clients} participants", flush=True)
        crowd = await assemble(
            http, ws.base, ws.links["participant"], args.clients, prepare=prepare, compress=args.compress
        )
        enter = await expect_ok(crowd[0][0], "room.enter")
        board_id = enter["boards"][0]["id"]
        field_ids = [f["id"] for f in enter["event"]["fields"]]
        print(f"  settled after {await quiesce(ws.server):.1f} s", flush=True)

        print(f"fan-out: {changes} ideas at {args.rate:g}/s by {posters} posters to {args.clients}", flush=True)
        sent = array("d", bytes(8 * changes))
        ok = [False] * changes
        errors: dict[str, int] = {}
        acks: list[float] = []
        meter = Meter(ws.server, profile=args.profile)
        meter.start()
        start = asyncio.get_running_loop().time()
        lags = await asyncio.gather(
            *(
                _post(
                    crowd[j][0],
                    range(j, changes, posters),
                    board_id,
                    field_ids,
                    start=start,
                    rate=args.rate,
                    sent=sent,
                    ok=ok,
                    errors=errors,
                    acks=acks,
                )
                for j in range(posters)
            )
        )
        expected = sum(ok) * args.clients
        progress.expect(expected)
        try:
            await asyncio.wait_for(progress.complete.wait(), args.drain)
        except TimeoutError:
            pass  # what is missing is counted below
        figures = meter.stop()
        closed = sum(1 for c, _m in crowd if c.closed)
        await disband([c for c, _m in crowd])

    latencies: list[float] = []
    first = min((sent[k] for k in range(changes) if ok[k]), default=0.0)
    last_arrival = first
    for r in receivers:
        for k in range(changes):
            t = r.arrived[k]
            if t and ok[k]:
                latencies.append(t - sent[k])
                last_arrival = max(last_arrival, t)
    delivered = len(latencies)
    missing = expected - delivered
    disorder = sum(r.disorder for r in receivers)
    if missing:
        errors["missing_deliveries"] = missing
    if disorder:
        errors["out_of_order_or_duplicate"] = disorder
    if closed:
        errors["disconnected"] = closed
    server_errors = ws.server.log_errors()
    if server_errors:
        errors["server_log"] = len(server_errors)
    span = last_arrival - first
    return {
        "workload": "fanout",
        "clients": args.clients,
        "setup_s": round(crowd.seconds, 1),  # joining and connecting everyone, not measured
        "setup_retries": crowd.retries,
        "rate": args.rate,
        "duration_s": args.duration,
        "posters": posters,
        "changes": sum(ok),
        "deliveries": delivered,
        "expected_deliveries": expected,
        **latency_figures(latencies),
        "post_ack_p99_ms": ms(percentile(acks, 99)),
        "send_lag_max_ms": ms(max(lags)),  # how late the generator sent a post at worst
        "deliveries_per_s": round(delivered / span, 1) if span > 0 else None,
        "errors": sum(errors.values()),
        "error_codes": errors,
        **figures,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with workshop(keep=args.keep) as ws:
        return await _run(ws, args)
