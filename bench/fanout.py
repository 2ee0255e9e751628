"""Workload ``fanout``: one board, many watchers, a steady stream of new ideas.

``--clients`` participants are connected to the event's plenary (where the board is);
``--posters`` of them post ideas, ``--rate`` ideas per second in all, for ``--duration``
seconds, each at its own evenly spaced times. Every participant, posters included, must
receive every idea as ``board.changed``, once and in ``seq`` order. The latency of a
delivery runs from the moment the poster sent the idea to its arrival at a recipient;
``p50_ms``/``p95_ms``/``p99_ms`` are taken over all deliveries. A delivery that never
arrives (within ``--drain`` seconds after the last post) counts as an error.

``--peer node``, ``--peer floor`` or ``--peer node,floor`` runs the same workload, after
werkstatt's run and with a crowd of its own, against a peer (``bench/peers``): the Node.js
Socket.IO relay (figures prefixed ``peer_``: ``peer_p99_ms`` …) and the bare aiohttp
broadcast (``floor_p99_ms`` …), all in the same result line; a peer that cannot run here
is reported as ``peer_skipped``/``floor_skipped`` with the reason. ``--sweep 250,500,1000``
repeats the whole run for each number of clients, printing each run's line, and
``--chart FILE.png`` draws p99 against N for werkstatt and each peer.

``--nodes 2`` runs werkstatt as two nodes on a fresh PostgreSQL database and the Redis of
``--redis``; participant i joins and connects through node i mod 2, so posters and watchers are on
both. Each idea is committed by its poster's node and reaches the other node's participants through
Redis; ``node2_p99_ms`` … are the arrivals at the second node's participants alone, ``per_node``
each node's CPU and memory, ``post_retries`` the posts a node answered with ``stale_board`` (the
other node had committed to the board meanwhile) that were sent again.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import peering
from bench.client import ClientError, SioClient, http_session, loads
from bench.crowd import disband, expect_ok, quiesce
from bench.peering import Target
from bench.peers import PEERS
from bench.stats import Meter, latency_figures, ms, percentile

MARK = "Idee #"  # the idea's text is MARK + its number, zero-padded to 7 digits
PER_POSTER_RATE = 5.0  # ideas per second and poster, well inside the default rate limit (10/s)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=1000, rate=50.0, duration=10.0)
    parser.add_argument(
        "--posters", type=int, help=f"participants who post (default: one per {PER_POSTER_RATE:g} ideas per second)"
    )
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for late deliveries (default 30)")
    parser.add_argument(
        "--nodes",
        type=int,
        choices=(1, 2),
        default=1,
        help="werkstatt nodes, participant i on node i mod 2 (default 1)",
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/0", help="the Redis of two nodes (default the local one)"
    )
    peering.add_arguments(parser)
    parser.add_argument(
        "--sweep",
        metavar="N,N,…",
        help="run everything once per number of clients (overrides --clients); each run prints its line",
    )
    parser.add_argument("--chart", type=Path, metavar="FILE.png", help="draw p99 latency against N into this PNG")


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


def parse_change(packet: bytes) -> tuple[Any, int | None]:
    """A ``board.changed`` packet's ``seq`` and the number of the idea it created (None when
    it is not the creation of one of the workload's ideas), by parsing the whole packet."""
    change = loads(packet[2:])[1]
    idea = change.get("idea") or {}
    text = idea.get("text", "") if isinstance(idea, dict) else ""
    if change.get("type") != "idea.created" or not isinstance(text, str) or not text.startswith(MARK):
        return change.get("seq"), None
    try:
        return change.get("seq"), int(text[len(MARK) :])
    except ValueError:
        return change.get("seq"), None


_SEQ = b'"seq":'
_CREATED = b'"type":"idea.created"'
_TEXT = b'"text":"' + MARK.encode()


def scan_change(packet: bytes) -> tuple[int, int | None] | None:
    """What ``parse_change`` finds, found with ``bytes.find`` instead: a third of the CPU of a
    full parse, at 50,000 deliveries per second the larger part of the generator's work.

    It relies on the shape werkstatt and the peers send: the change's own ``seq`` is the
    first ``"seq":`` key in the packet (no object before it has one; inside JSON strings a
    quote is always escaped, so no text can fake a key) and is followed by a comma, and the
    idea's ``text`` is the first ``text`` key. ``Receiver`` checks that against a full parse
    on each participant's first change. None when the packet is not shaped like that."""
    at = packet.find(_SEQ)
    if at < 0:
        return None
    start = at + len(_SEQ)
    try:
        seq = int(packet[start : packet.find(b",", start)])
    except ValueError:
        return None
    at = packet.find(_TEXT, start)
    if at < 0 or packet.find(_CREATED, start) < 0:
        return seq, None
    start = at + len(_TEXT)
    try:
        return seq, int(packet[start : packet.find(b'"', start)])
    except ValueError:
        return seq, None


class Receiver:
    """One participant's arrivals: the time each idea arrived, and what came out of order.

    It takes the raw ``board.changed`` packet (``SioClient.on_packet``) and reads it with
    ``scan_change``, once that agreed with a full parse of the first change it got;
    otherwise (a server whose changes are shaped differently) it parses every packet."""

    __slots__ = ("arrived", "disorder", "last_seq", "progress", "scan")

    def __init__(self, changes: int, progress: Progress) -> None:
        self.arrived = array("d", bytes(8 * changes))  # 0.0: not (yet) arrived
        self.disorder = 0  # duplicates, gaps, and changes that are not ours
        self.last_seq: int | None = None
        self.progress = progress
        self.scan: bool | None = None  # None: not yet checked against a full parse

    def __call__(self, packet: bytes, now: float) -> None:
        if self.scan:
            found = scan_change(packet) or parse_change(packet)
        else:
            found = parse_change(packet)
            if self.scan is None:
                self.scan = scan_change(packet) == found
        seq, k = found
        if self.last_seq is not None and seq != self.last_seq + 1:
            self.disorder += 1
        self.last_seq = seq
        if k is None:
            self.disorder += 1
        elif self.arrived[k]:
            self.disorder += 1
        else:
            self.arrived[k] = now
            self.progress.add()


RETRIED = "stale_board"  # "the board changed meanwhile on another node; retry" (several nodes only)
RETRIES = 10


async def send_on_schedule(
    client: SioClient,
    event: str,
    numbers: range,
    payload: Callable[[int], dict[str, Any]],
    *,
    start: float,
    rate: float,
    sent: array,
    ok: list[bool],
    errors: dict[str, int],
    acks: list[float],
    prefix: str = "post",
    retried: dict[str, int] | None = None,
    answered: array | None = None,
) -> float:
    """Send ``event`` with ``payload(k)`` for each k of ``numbers`` at ``start + k / rate``, whether
    or not earlier ones were answered (an open loop: a slow server does not slow the offered rate
    down). ``sent[k]`` is when it went out, ``ok[k]`` whether it was acknowledged with ``ok``,
    ``acks`` the latencies to the acknowledgements (also by k in ``answered`` when given, 0 where
    none came). One answered ``stale_board`` is sent again as the protocol asks, timed from its
    first send, and counted in ``retried`` under ``prefix``; refusals and missing
    acknowledgements are counted in ``errors`` under ``prefix``. Returns how late a send was at
    worst."""
    loop = asyncio.get_running_loop()
    lag = 0.0

    async def one(k: int, body: dict[str, Any]) -> None:
        try:
            ack = await client.call(event, body)
            for _retry in range(RETRIES):
                if ack.get("ok") or ack.get("error", {}).get("code") != RETRIED:
                    break
                if retried is not None:
                    retried[prefix] = retried.get(prefix, 0) + 1
                ack = await client.call(event, body)
        except ClientError:
            errors[f"{prefix}_timeout"] = errors.get(f"{prefix}_timeout", 0) + 1
            return
        took = time.perf_counter() - sent[k]
        acks.append(took)
        if answered is not None:
            answered[k] = took
        if ack.get("ok"):
            ok[k] = True
        else:
            code = f"{prefix}_{ack.get('error', {}).get('code', '?')}"
            errors[code] = errors.get(code, 0) + 1

    sends = []
    for k in numbers:
        due = start + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        body = payload(k)
        sent[k] = time.perf_counter()
        sends.append(asyncio.create_task(one(k, body)))
    await asyncio.gather(*sends)
    return lag


def idea(board_id: str, field_ids: list[str]) -> Callable[[int], dict[str, Any]]:
    """The payload of the workload's idea number k: its text is MARK and k."""
    return lambda k: {"board_id": board_id, "field_id": field_ids[k % len(field_ids)], "text": f"{MARK}{k:07d}"}


async def _measure(target: Target, args: argparse.Namespace, *, profile: str | None = None) -> dict[str, Any]:
    changes = max(1, round(args.rate * args.duration))
    posters = args.posters or max(1, math.ceil(args.rate / PER_POSTER_RATE))
    posters = min(posters, args.clients)
    progress = Progress()
    receivers = [Receiver(changes, progress) for _ in range(args.clients)]

    def prepare(i: int, client: SioClient, _member: dict[str, Any]) -> None:
        client.on_packet("board.changed", receivers[i])

    async with http_session() as http:
        print(f"setting up: {args.clients} participants", flush=True)
        crowd = await target.connect(http, prepare)
        enter = await expect_ok(crowd[0][0], "room.enter")
        board_id = enter["boards"][0]["id"]
        field_ids = [f["id"] for f in enter["event"]["fields"]]
        print(f"  settled after {sum([await quiesce(node) for node in target.nodes]):.1f} s", flush=True)

        print(f"fan-out: {changes} ideas at {args.rate:g}/s by {posters} posters to {args.clients}", flush=True)
        sent = array("d", bytes(8 * changes))
        ok = [False] * changes
        errors: dict[str, int] = {}
        retried: dict[str, int] = {}
        acks: list[float] = []
        meter = Meter(target.process, profile=profile, more=target.more)
        meter.start()
        start = asyncio.get_running_loop().time()
        lags = await asyncio.gather(
            *(
                send_on_schedule(
                    crowd[j][0],
                    "board.idea.create",
                    range(j, changes, posters),
                    idea(board_id, field_ids),
                    start=start,
                    rate=args.rate,
                    sent=sent,
                    ok=ok,
                    errors=errors,
                    acks=acks,
                    retried=retried,
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
    by_node: list[list[float]] = [[] for _ in target.nodes]  # the arrivals at each node's participants
    first = min((sent[k] for k in range(changes) if ok[k]), default=0.0)
    last_arrival = first
    for i, r in enumerate(receivers):
        mine = by_node[i % len(by_node)]
        for k in range(changes):
            t = r.arrived[k]
            if t and ok[k]:
                latencies.append(t - sent[k])
                mine.append(t - sent[k])
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
    server_errors = [line for node in target.nodes for line in node.log_errors()]
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
        "post_retries": retried.get("post", 0),  # stale_board answers sent again (several nodes only)
        "send_lag_max_ms": ms(max(lags)),  # how late the generator sent a post at worst
        "deliveries_per_s": round(delivered / span, 1) if span > 0 else None,
        "errors": sum(errors.values()),
        "error_codes": errors,
        **figures,
        **across_nodes(by_node, meter, target),
    }


def across_nodes(by_node: list[list[float]], meter: Meter, target: Target) -> dict[str, Any]:
    """With several nodes: how many, the latency figures of the arrivals at the second node's
    participants (every idea a first-node participant posts reaches them through Redis, and theirs
    is committed on the second node), and each node's CPU and memory."""
    if len(by_node) < 2:
        return {}
    return {
        "nodes": len(target.nodes),
        **latency_figures(by_node[1], "node2_"),
        "per_node": meter.per_node,
    }


# a peer's figures in the result line: its prefix + these keys (server_… loses "server_")
PEER_KEYS = (
    "setup_s",
    "changes",
    "deliveries",
    "expected_deliveries",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "post_ack_p99_ms",
    "send_lag_max_ms",
    "deliveries_per_s",
    "errors",
    "error_codes",
    "wall_s",
    "server_cpu_s",
    "server_rss_mb",
    "generator_cpu_s",
    "generator_busy",
)


async def _one(args: argparse.Namespace, peers: list[str]) -> dict[str, Any]:
    return await peering.run_all(
        "fanout",
        _measure,
        args,
        peers,
        keys=PEER_KEYS,
        without_werkstatt={"rate": args.rate, "duration_s": args.duration},
        ratio=("p99", "p99_ms"),
    )


def _chart(results: list[dict[str, Any]], output: Path, args: argparse.Namespace) -> None:
    from bench.chart import draw

    title = f"fan-out: p99 latency, {args.rate:g} changes/s for {args.duration:g} s, one room"
    draw(results, output, title, keys={"p99_ms", "peer_p99_ms", "floor_p99_ms"})
    print(f"wrote {output}", flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    peers = peering.peer_names(args.peer)
    if not args.sweep:
        result = await _one(args, peers)
        if args.chart:
            _chart([result], args.chart, args)
        return result
    sizes = [int(n) for n in args.sweep.split(",") if n.strip()]
    runs = []
    for n in sizes:
        one = copy.copy(args)
        one.clients = n
        result = await _one(one, peers)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        runs.append(result)
    if args.chart:
        _chart(runs, args.chart, args)
    failed = ("errors", *(f"{PEERS[name][0]}errors" for name in peers))
    return {
        "workload": "fanout-sweep",
        "sweep": sizes,
        "peers": peers,
        "chart": str(args.chart) if args.chart else None,
        "errors": sum(int(r.get(key) or 0) for r in runs for key in failed),
        "p99_ms": {r["clients"]: r.get("p99_ms") for r in runs},
        **{f"{PEERS[name][0]}p99_ms": {r["clients"]: r.get(f"{PEERS[name][0]}p99_ms") for r in runs} for name in peers},
    }
