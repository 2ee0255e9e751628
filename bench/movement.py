"""Workload ``movement``: avatars walking in one room's space, beside a naive relay to everyone.

``--clients`` participants join the event's plenary and enter its space (the default map,
``plenary``). First they walk, by shortest paths, each to a random tile of the map (the
warm-up, not measured: they spawn in a crowd at the spawn points, and a space in use is
spread out). Then, measured, each one wanders (a random walk that keeps its heading for a
while, ``bench/walker.py``) for ``--duration`` seconds, sending ``space.move`` every 200 ms
(5 a second: the top speed, one tile a step, always legal), and ends with one last step
with ``moving: false``.

The delay of a move runs from its send to its arrival, in a ``space.moves`` batch, at each
client that gets it (a mover's own echo left out); an arrival is matched to its send by
(member, x, y), the latest send of that position by that member (one machine, one clock:
``time.perf_counter``). ``p50_ms`` … are taken over the arrivals at ``--sample`` clients
(50 by default, about a million timed arrivals at 1,000 avatars; parsing every batch at more
clients costs the generator more than the server, and a generator that falls behind its own
sends stamps arrivals late): ``latency_clients`` says how many. ``sent_share`` is the share of
the measured phase's steps that went out (each mover sends one every 200 ms: below 0.98 the
generator could not keep the workload's pace, and ``generator_busy`` says so). ``deliveries`` counts
the moves that arrived at any client (each client's batches counted without parsing them),
``deliveries_per_s`` over the time from the first send to the last arrival.

Nothing lost means: once everyone stood still, every client holds the last position of
each member whose cell is within the 3 × 3 cells around its own (docs/space.md, cells of
320 px, computed here from where the walkers ended, not by the server's code); each such
(client, member) pair that does not is ``lost``. Moves the server refused (``space.corrected``)
count as ``refused``; the walkers only make legal steps, so both are errors.

The baseline, in the same run (``--no-baseline`` leaves it out): the same number of clients
against ``bench/peers/space_relay.py``, werkstatt's own transport with a naive handler that
sends every move at once, as its own event, to everyone else in the room; the same walk
from random tiles (no warm-up: the relay does not look at positions). Its figures carry the
prefix ``baseline_``; there every other client must get every move (``baseline_expected_deliveries``),
and a delivery that has not arrived ``--drain`` seconds after the last send counts in
``baseline_p50_ms`` … with the time it had waited by then (so those figures are lower bounds
when ``baseline_delivered_share`` is below 1), and in ``baseline_undelivered`` (not an error:
the relay falling behind is what the baseline shows).

``--sweep`` runs 100, 250, 500 and 1,000 clients (or ``--sweep N,N,…``), printing each run's
line; ``--chart FILE.png`` draws p99 against the number of clients, werkstatt and baseline.

``--nodes 2`` runs werkstatt as two nodes on one SQLite file and the Redis of ``--redis``: the first
half of the clients joins and connects to the first node, whose first member enters the space first
(so that node runs the room's space, ``server.live.space_nodes``), the other half to the second node;
half of the timed clients are on each. ``node2_p50_ms`` … are the arrivals at the second node's timed
clients alone (every move of a member there goes to the first node and back, every move of the first
node's members comes through Redis), ``node2_cpu_s`` and ``node2_rss_mb`` its process' figures.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import functools
import gc
import heapq
import json
import os
import random
import shutil
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import SioClient, gather_limited, http_session, loads
from bench.crowd import Crowd, assemble, connect_only, disband, expect_ok, quiesce
from bench.peers import PeerProcess
from bench.process import ServerProcess, raise_file_limit
from bench.stats import Meter, latency_figures, ms
from bench.walker import Grounds, Walker, centre
from bench.workshop import workshop
from rooms.space.model import SpaceMap

ROOT = Path(__file__).resolve().parents[1]
STEP_S = 0.2  # a move every 200 ms: 5 a second
QUANTUM_S = 0.005  # the sender wakes every 5 ms and sends what is due by then (not a timer per step)
CELL_PX = 320  # docs/space.md: interest cells of 10 × 10 tiles
SWEEP = "100,250,500,1000"
MAP = "plenary"  # the map a new event's plenary has (server/store/maps.py: the built-in one)
WARMUP_CAP_S = 60.0
SENT_ON_PACE = 0.98  # below this share of its steps sent in the measured phase, the generator is the bottleneck

OFF, MEASURE, FINAL = 0, 1, 2  # what receivers do with a batch: ignore, count (parse at sampled ones), parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=500, duration=10.0, rate=1 / STEP_S)
    parser.add_argument(
        "--sample",
        type=int,
        default=50,
        help="clients whose arrivals are timed (default 50; the others' batches are only counted)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=WARMUP_CAP_S,
        help=f"at most this many seconds of the warm-up walk (default {WARMUP_CAP_S:g}: until all arrived)",
    )
    parser.add_argument(
        "--drain", type=float, default=5.0, help="seconds to wait after the last move for what is due (default 5)"
    )
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the naive relay to everyone, after werkstatt (default on)",
    )
    parser.add_argument(
        "--sweep",
        nargs="?",
        const=SWEEP,
        metavar="N,N,…",
        help=f"run once per number of clients (default {SWEEP}); each run prints its line",
    )
    parser.add_argument("--chart", type=Path, metavar="FILE.png", help="draw p99 against N into this PNG")
    parser.add_argument(
        "--nodes", type=int, choices=(1, 2), default=1, help="werkstatt nodes, the clients split between them"
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/0", help="the Redis of two nodes (default the local one)"
    )


# -- what the clients send and receive ------------------------------------------------------------


@dataclass
class Book:
    """What was sent when, shared by every receiver of one run."""

    mode: int = OFF
    cells: bool = True  # whether clients get only the moves near them (False: the baseline, everyone's)
    sends: dict[str, dict[tuple[int, int], float]] = field(default_factory=lambda: defaultdict(dict))
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # each member's sends, in order
    moves: int = 0  # sent while measuring (and the last steps)
    first_send: float = 0.0
    last_arrival: float = 0.0

    def sent(self, member: str, x: int, y: int, now: float) -> None:
        self.sends[member][(x, y)] = now
        self.times[member].append(now)
        self.moves += 1


class Receiver:
    """One client's ``space.moves``: counted always, parsed at sampled clients (timed) and at
    the end (the last position of each member, for the check that nothing was lost)."""

    __slots__ = (
        "book",
        "cell",
        "cell_before",
        "delivered",
        "got",
        "last",
        "latencies",
        "me",
        "me_tag",
        "moved_at",
        "repeats",
        "sampled",
        "unmatched",
        "views",
    )

    def __init__(self, book: Book, *, sampled: bool) -> None:
        self.book = book
        self.sampled = sampled
        self.me = ""
        self.me_tag = b""
        self.delivered = 0
        self.unmatched = 0  # a position this member was never sent to (a spawn, a correction)
        self.repeats = 0  # a member's position again, unchanged
        self.latencies = array("d")
        self.last: dict[str, tuple[int, int]] = {}
        self.got: dict[str, int] = defaultdict(int)  # arrivals per member while timed
        self.views = 0  # positions of members who came into view, sent before this client was near them
        # this client's own cell (as it last sent it) since when, and the one before
        self.cell: tuple[int, int] | None = None
        self.cell_before: tuple[int, int] | None = None
        self.moved_at = 0.0

    def set_member(self, member_id: str) -> None:
        self.me = member_id
        self.me_tag = b'["' + member_id.encode() + b'"'

    def stepped(self, x: int, y: int, at: float) -> None:
        """This client's own avatar was sent to (x, y) at ``at``."""
        self.cell_before = self.cell
        self.cell = (x // CELL_PX, y // CELL_PX)
        self.moved_at = at

    def __call__(self, packet: bytes, now: float) -> None:
        book = self.book
        mode = book.mode
        if mode == OFF:
            return
        book.last_arrival = now
        if mode == MEASURE and not self.sampled:
            n = packet.count(b'["') - 1  # one per item: ["space.moves",[["mb_…",x,y,…],…]]
            if self.me_tag in packet:
                n -= 1
            self.delivered += n
            return
        payload = loads(packet[2:])[1]
        items = payload if isinstance(payload, list) else payload.get("moves", [])
        sends = book.sends
        for item in items:
            member, x, y = item[0], item[1], item[2]
            if member == self.me:
                continue
            position = (x, y)
            if self.last.get(member) == position:
                self.repeats += 1
                continue
            self.last[member] = position
            self.delivered += 1
            if self.sampled:
                sent = sends[member].get(position) if member in sends else None
                if sent is None:
                    self.unmatched += 1
                    continue
                if book.cells:
                    # a member who came into view (this client walked up to them) shows where they stand: a
                    # position sent before this client was near it, not a move's delivery, so it is not timed
                    mine = self.cell if sent >= self.moved_at else self.cell_before
                    if mine is not None and (abs(x // CELL_PX - mine[0]) > 1 or abs(y // CELL_PX - mine[1]) > 1):
                        self.views += 1
                        continue
                self.latencies.append(now - sent)
                self.got[member] += 1


@dataclass
class Mover:
    client: SioClient
    member: str
    walker: Walker
    receiver: Receiver
    refused: int = 0
    next_due: float = 0.0  # loop time of its next step

    def corrected(self, payload: Any, _now: float) -> None:
        """The server refused a move: walk on from the position it accepted."""
        self.refused += 1
        found = position_in(payload)
        if found is not None:
            self.walker.x, self.walker.y = found
            self.walker.route = []


def position_in(value: Any) -> tuple[int, int] | None:
    """``x`` and ``y`` of a dict (or of its ``position``)."""
    if isinstance(value, dict):
        if isinstance(value.get("x"), int) and isinstance(value.get("y"), int):
            return value["x"], value["y"]
        for key in ("position", "me", "you"):
            found = position_in(value.get(key))
            if found is not None:
                return found
    return None


def own_position(ack: dict[str, Any], member_id: str) -> tuple[int, int] | None:
    """Where ``space.enter``'s acknowledgement puts its member: a top-level or ``me`` position,
    or the member's entry in a list of everyone's (by ``id`` or ``member_id``)."""
    found = position_in(ack)
    if found is not None:
        return found
    for value in ack.values():
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict) and member_id in (entry.get("id"), entry.get("member_id")):
                    found = position_in(entry)
                    if found is not None:
                        return found
                elif isinstance(entry, list) and len(entry) >= 3 and entry[0] == member_id:
                    if isinstance(entry[1], int) and isinstance(entry[2], int):
                        return entry[1], entry[2]
    return None


async def drive(
    movers: list[Mover],
    book: Book | None,
    rng: random.Random,
    seconds: float,
    *,
    until_arrived: bool = False,
    last_step: bool = False,
) -> float:
    """Send each mover's steps every STEP_S for ``seconds`` (``until_arrived``: stop a mover when
    its route is walked; ``last_step``: one step each, with ``moving: false``), each mover on its
    own schedule (a random offset within the first STEP_S, kept from one call to the next). Each
    step at its time whether or not the server keeps up; a step the generator sends late moves
    that mover's schedule on rather than bunching its next steps (a burst of steps would be
    faster than the rules allow, and a client walks no faster when it is behind).
    Returns how late a step was sent at worst."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + seconds
    due = [(m.next_due if m.next_due > start else start + rng.random() * STEP_S, i) for i, m in enumerate(movers)]
    heapq.heapify(due)
    lag = 0.0
    while due:
        now = loop.time()
        while due and due[0][0] <= now + QUANTUM_S:
            at, i = heapq.heappop(due)
            mover = movers[i]
            if at >= end or (until_arrived and not mover.walker.route):
                continue
            lag = max(lag, now - at)  # (a step up to QUANTUM_S early counts as on time)
            x, y, direction = mover.walker.step(rng)
            sent_at = time.perf_counter()
            mover.receiver.stepped(x, y, sent_at)
            if book is not None:
                book.sent(mover.member, x, y, sent_at)
            mover.next_due = max(at + STEP_S, now + STEP_S - 2 * QUANTUM_S)
            try:
                mover.client.send("space.move", {"x": x, "y": y, "dir": direction, "moving": not last_step})
            except Exception:  # a lost connection shows in the errors
                continue
            if not last_step:
                heapq.heappush(due, (mover.next_due, i))
        if due:
            await asyncio.sleep(max(QUANTUM_S, due[0][0] - loop.time()))
    return lag


def cells_near(positions: dict[str, tuple[int, int]]) -> dict[str, set[str]]:
    """Each member → the others in the 3 × 3 cells around its own (the docs' rule)."""
    by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
    for member, (x, y) in positions.items():
        by_cell[(x // CELL_PX, y // CELL_PX)].append(member)
    near: dict[str, set[str]] = {}
    for member, (x, y) in positions.items():
        cx, cy = x // CELL_PX, y // CELL_PX
        found = {m for dx in (-1, 0, 1) for dy in (-1, 0, 1) for m in by_cell.get((cx + dx, cy + dy), ())}
        found.discard(member)
        near[member] = found
    return near


def missing(receivers: list[Receiver], movers: list[Mover], expected: dict[str, set[str]] | None) -> int:
    """(client, member) pairs where the client does not hold the member's last position;
    ``expected``: whom each client must see (None: everyone)."""
    return sum(lost_pairs(receivers, movers, expected).values())


def missing_pairs(
    receivers: list[Receiver], movers: list[Mover], expected: dict[str, set[str]] | None
) -> Iterator[tuple[Receiver, str, bool]]:
    """The pairs ``missing`` counts: each client, the member whose last position it does not
    hold, and whether it holds an older one (True) or none since it began to look (False)."""
    final = {m.member: (m.walker.x, m.walker.y) for m in movers}
    everyone = set(final)
    for r in receivers:
        for member in expected[r.me] if expected is not None else everyone - {r.me}:
            held = r.last.get(member)
            if held != final[member]:
                yield r, member, held is not None


def lost_pairs(receivers: list[Receiver], movers: list[Mover], expected: dict[str, set[str]] | None) -> dict[str, int]:
    """The pairs ``missing`` counts, by what the client holds of the member: an older position
    (``stale``) or none since it began to look (``unseen``)."""
    found = {"stale": 0, "unseen": 0}
    for _r, _member, stale in missing_pairs(receivers, movers, expected):
        found["stale" if stale else "unseen"] += 1
    return found


async def finish(
    movers: list[Mover], book: Book, rng: random.Random, done: Callable[[], bool], wait_s: float
) -> tuple[float, float]:
    """Everyone's last step (``moving: false``), then wait until ``done()`` or ``wait_s``. A mover
    whose step the server refused meanwhile (``space.corrected`` reset its walker to where the
    server has it) steps again from there, so that every last position is one sent now.
    Returns how late a step was sent at worst, and the seconds waited."""
    lag = await drive(movers, book, rng, STEP_S, last_step=True)
    seen = [m.refused for m in movers]
    started = time.perf_counter()
    while time.perf_counter() - started < wait_s:
        await asyncio.sleep(0.25)
        again = [i for i, m in enumerate(movers) if m.refused > seen[i]]
        if again:
            for i in again:
                seen[i] = movers[i].refused
            lag = max(lag, await drive([movers[i] for i in again], book, rng, STEP_S, last_step=True))
        elif done():
            break
    return lag, time.perf_counter() - started


@contextmanager
def no_collector_pauses() -> Iterator[None]:
    """The measured phase without the cyclic garbage collector: a full pass over the timed clients'
    records (hundreds of thousands of positions) stalls the generator's loop, and a stalled
    generator stamps arrivals late and sends steps late. What it allocates meanwhile is freed by
    reference counting; the collector runs again afterwards."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


# -- werkstatt ------------------------------------------------------------------------------------


def load_space(name: str) -> SpaceMap:
    from rooms.space.maps import builtin

    space: SpaceMap = builtin(name).space
    return space


async def enter_space(crowd: Crowd) -> list[dict[str, Any]]:
    async def one(i: int) -> dict[str, Any]:
        client = crowd[i][0]
        await expect_ok(client, "room.enter")
        return await expect_ok(client, "space.enter")

    first = await one(0)  # (with two nodes: the first node runs the room's space)
    answers = [first, *await gather_limited([functools.partial(one, i) for i in range(1, len(crowd))], 50)]
    failed = [a for a in answers if isinstance(a, BaseException)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(crowd)} could not enter the space: {failed[0]!r}")
    return answers


@asynccontextmanager
async def second_node(ws: Any, nodes: int, keep: bool) -> AsyncIterator[ServerProcess | None]:
    """With two nodes: another server on the workshop's database and Redis; stopped afterwards."""
    if nodes < 2:
        yield None
        return
    workdir = Path(tempfile.mkdtemp(prefix="werkstatt-bench-node2-"))
    node = ServerProcess(workdir, env=dict(ws.server.env), db_file=ws.server.db_path)
    try:
        await node.start()
        yield node
    finally:
        await node.stop()
        if keep:
            print(f"kept {workdir} (the second node's server.log)", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


async def measure_werkstatt(args: argparse.Namespace, grounds: Grounds, rng: random.Random) -> dict[str, Any]:
    book = Book()
    on_first = args.clients if args.nodes < 2 else (args.clients + 1) // 2  # the first node's clients
    timed = (
        set(range(args.sample))
        if args.nodes < 2
        else {
            *range(min(on_first, (args.sample + 1) // 2)),
            *range(on_first, min(args.clients, on_first + args.sample // 2)),
        }
    )
    receivers = [Receiver(book, sampled=i in timed) for i in range(args.clients)]
    errors: dict[str, int] = {}
    env = {"WERKSTATT_REDIS": args.redis} if args.nodes > 1 else None
    async with (
        workshop(keep=args.keep, env=env) as ws,
        second_node(ws, args.nodes, args.keep) as node2,
        http_session() as http,
    ):

        def prepare(i: int, client: SioClient, member: dict[str, Any]) -> None:
            receivers[i].set_member(member["member_id"])
            client.on_packet("space.moves", receivers[i])

        print(f"setting up: {args.clients} participants on {args.nodes} node(s)", flush=True)
        crowd = await assemble(http, ws.base, ws.links["participant"], on_first, prepare=prepare)
        if node2 is not None:
            rest = await assemble(
                http,
                node2.base,
                ws.links["participant"],
                args.clients - on_first,
                prefix="Teilnehmerin",
                prepare=lambda i, client, member: prepare(on_first + i, client, member),
            )
            crowd = Crowd(crowd.members + rest.members, crowd.retries + rest.retries, crowd.seconds + rest.seconds)
        servers = [ws.server] if node2 is None else [ws.server, node2]
        answers = await enter_space(crowd)
        movers = []
        for (client, member), answer, receiver in zip(crowd, answers, receivers, strict=True):
            start = own_position(answer, member["member_id"])
            if start is None:
                raise RuntimeError(f"space.enter does not say where the member stands: {str(answer)[:300]}")
            receiver.stepped(*start, 0.0)
            mover = Mover(client, member["member_id"], Walker(grounds, *start), receiver)
            client.on("space.corrected", mover.corrected)
            movers.append(mover)
        print(f"  settled after {sum([await quiesce(s) for s in servers]):.1f} s", flush=True)

        warmup = time.perf_counter()
        for mover in movers:
            mover.walker.head_for(rng.choice(grounds.tiles))
        longest = max(len(m.walker.route) for m in movers) * STEP_S + 2 * STEP_S
        print(f"warm-up: everyone walks to a random tile (up to {longest:.1f} s)", flush=True)
        await drive(movers, None, rng, min(longest, args.warmup), until_arrived=True)
        print(f"  settled after {sum([await quiesce(s) for s in servers]):.1f} s", flush=True)
        warmup_s = time.perf_counter() - warmup
        refused_warmup = sum(m.refused for m in movers)

        print(f"measuring: {args.clients} avatars wander for {args.duration:g} s, 5 moves a second each", flush=True)
        meter = Meter(ws.server, profile=args.profile)
        meter2 = Meter(node2) if node2 is not None else None
        with no_collector_pauses():
            meter.start()
            if meter2 is not None:
                meter2.start()
            book.first_send = time.perf_counter()
            book.mode = MEASURE
            lag = await drive(movers, book, rng, args.duration)
            sent_share = book.moves / (args.clients * args.duration / STEP_S)
            book.mode = FINAL

            def near() -> dict[str, set[str]]:  # from where the walkers are now (a late correction moves one)
                return cells_near({m.member: (m.walker.x, m.walker.y) for m in movers})

            last_lag, waited = await finish(
                movers, book, rng, lambda: not missing(receivers, movers, near()), args.drain
            )
            lag = max(lag, last_lag)
            expected = near()
            figures = meter.stop()
            if meter2 is not None:
                second = meter2.stop()
                figures |= {"node2_cpu_s": second["server_cpu_s"], "node2_rss_mb": second["server_rss_mb"]}
        lost_kinds = lost_pairs(receivers, movers, expected)
        lost = sum(lost_kinds.values())
        final = {m.member: (m.walker.x, m.walker.y) for m in movers}
        lost_members = len({m for r in receivers for m in expected[r.me] if r.last.get(m) != final[m]})
        lost_viewers = sum(1 for r in receivers if any(r.last.get(m) != final[m] for m in expected[r.me]))
        closed = sum(1 for c in crowd.clients if c.closed)
        await disband(crowd.clients)
        server_errors = [line for server in servers for line in server.log_errors()]

    refused = sum(m.refused for m in movers) - refused_warmup
    for code, count in (
        ("refused", refused),
        ("refused_warmup", refused_warmup),
        ("lost", lost),
        ("disconnected", closed),
        ("server_log", len(server_errors)),
    ):
        if count:
            errors[code] = count
    latencies = [t for r in receivers if r.sampled for t in r.latencies]
    if args.nodes > 1:  # the arrivals at the second node's clients alone
        second_node_latencies = [t for r in receivers[on_first:] if r.sampled for t in r.latencies]
        on_node2 = {f"node2_{k}": v for k, v in latency_figures(second_node_latencies).items()}
    else:
        on_node2 = {}
    delivered = sum(r.delivered for r in receivers)
    span = book.last_arrival - book.first_send
    return {
        "setup_s": round(crowd.seconds, 1),
        "setup_retries": crowd.retries,
        "warmup_s": round(warmup_s, 1),
        "moves": book.moves,
        "deliveries": delivered,
        "recipients_per_move": round(delivered / book.moves, 1) if book.moves else None,
        "expected_near_mean": round(sum(len(v) for v in expected.values()) / max(1, len(expected)), 1),
        **latency_figures(latencies),
        **on_node2,
        "nodes": args.nodes,
        "latency_clients": sum(1 for r in receivers if r.sampled),
        "timed_deliveries": len(latencies),
        "unmatched": sum(r.unmatched for r in receivers),
        "view_items": sum(r.views for r in receivers),
        "deliveries_per_s": round(delivered / span, 1) if span > 0 else None,
        "send_lag_max_ms": ms(lag),
        "sent_share": round(sent_share, 3),
        "drain_s": round(waited, 2),
        "lost": lost,
        "lost_stale": lost_kinds["stale"],  # the client holds an older position of the member
        "lost_unseen": lost_kinds["unseen"],  # … or none (since the last steps; from the start at timed clients)
        "lost_members": lost_members,  # members someone near misses
        "lost_viewers": lost_viewers,  # clients that miss someone near
        "refused": refused,
        "errors": sum(errors.values()),
        "error_codes": errors,
        **figures,
        "generator_busy": figures["generator_busy"] or sent_share < SENT_ON_PACE,
    }


# -- the baseline ---------------------------------------------------------------------------------


@asynccontextmanager
async def space_relay(*, keep: bool = False) -> AsyncIterator[PeerProcess]:
    raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="werkstatt-bench-relay-"))
    process = PeerProcess(workdir, command=[sys.executable, "-m", "bench.peers.space_relay"], cwd=Path.cwd())
    process.env["PYTHONPATH"] = str(ROOT)  # where the bench and server packages are
    try:
        await process.start()
        yield process
    finally:
        await process.stop(wait_s=3)  # a relay far behind is not worth waiting for
        if keep:
            print(f"kept {workdir} (peer.log)", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def censored_latencies(receivers: list[Receiver], book: Book, until: float) -> tuple[list[float], int]:
    """The timed clients' delays, a move that never arrived counted with what it had waited by
    ``until``: the relay sends each member's moves in order, so the missing ones are its last."""
    latencies: list[float] = []
    waiting = 0
    for r in receivers:
        if not r.sampled:
            continue
        latencies.extend(r.latencies)
        for member, times in book.times.items():
            if member == r.me:
                continue
            short = len(times) - r.got.get(member, 0)
            if short > 0:
                waiting += short
                latencies.extend(until - t for t in times[-short:])
    return latencies, waiting


async def measure_baseline(args: argparse.Namespace, grounds: Grounds, rng: random.Random) -> dict[str, Any]:
    book = Book(cells=False)
    receivers = [Receiver(book, sampled=i < args.sample) for i in range(args.clients)]
    async with space_relay(keep=args.keep) as relay, http_session() as http:

        def prepare(i: int, client: SioClient, _member: dict[str, Any]) -> None:
            client.on_packet("space.moves", receivers[i])

        print(f"baseline: the naive relay to everyone, {args.clients} clients", flush=True)
        crowd = await connect_only(http, relay.base, args.clients, prepare=prepare)
        movers = []
        for i, (client, _member) in enumerate(crowd):
            answer = await expect_ok(client, "space.enter")
            receivers[i].set_member(answer["me"]["id"])
            x, y = centre(rng.choice(grounds.tiles))
            movers.append(Mover(client, answer["me"]["id"], Walker(grounds, x, y), receivers[i]))
        await quiesce(relay)

        meter = Meter(relay)
        with no_collector_pauses():
            meter.start()
            book.first_send = time.perf_counter()
            book.mode = MEASURE
            lag = await drive(movers, book, rng, args.duration)
            book.mode = FINAL
            last_lag, waited = await finish(
                movers,
                book,
                rng,
                lambda: sum(r.delivered for r in receivers) >= book.moves * (args.clients - 1),
                args.drain,
            )
            lag = max(lag, last_lag)
            expected = book.moves * (args.clients - 1)
            until = time.perf_counter()
            figures = meter.stop()
        closed = sum(1 for c in crowd.clients if c.closed)
        await relay.stop(wait_s=2)  # first: a relay far behind would keep every client's goodbye waiting
        await disband(crowd.clients)

    latencies, waiting = censored_latencies(receivers, book, until)
    delivered = sum(r.delivered for r in receivers)
    span = book.last_arrival - book.first_send
    return {
        "baseline_moves": book.moves,
        "baseline_deliveries": delivered,
        "baseline_expected_deliveries": expected,
        "baseline_undelivered": max(0, expected - delivered),
        "baseline_delivered_share": round(delivered / expected, 4) if expected else None,
        **latency_figures(latencies, "baseline_"),
        "baseline_timed_waiting": waiting,  # timed deliveries that had not arrived (counted as lower bounds)
        "baseline_deliveries_per_s": round(delivered / span, 1) if span > 0 else None,
        "baseline_send_lag_max_ms": ms(lag),
        "baseline_drain_s": round(waited, 2),
        "baseline_disconnected": closed,  # dropped by the send budget: they fell behind
        "baseline_cpu_s": figures["server_cpu_s"],
        "baseline_rss_mb": figures["server_rss_mb"],
        "baseline_wall_s": figures["wall_s"],
        "baseline_generator_cpu_s": figures["generator_cpu_s"],
        "baseline_generator_busy": figures["generator_busy"],
    }


# -- one run, a sweep -----------------------------------------------------------------------------


async def _one(args: argparse.Namespace) -> dict[str, Any]:
    space = load_space(MAP)
    grounds = Grounds(space)
    result: dict[str, Any] = {
        "workload": "movement",
        "clients": args.clients,
        "duration_s": args.duration,
        "rate": 1 / STEP_S,
        "map": MAP,
        "map_tiles": [space.width, space.height],
    }
    result |= await measure_werkstatt(args, grounds, random.Random(args.seed))
    if args.baseline:
        result |= await measure_baseline(args, grounds, random.Random(args.seed + 1))
        p99, theirs = result.get("p99_ms"), result.get("baseline_p99_ms")
        if isinstance(p99, float) and theirs:
            result["p99_vs_baseline"] = round(p99 / theirs, 2)
    result["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _chart(results: list[dict[str, Any]], output: Path, args: argparse.Namespace) -> None:
    from bench.chart import draw

    title = f"movement: 5 moves/s per avatar for {args.duration:g} s, one room"
    draw(results, output, title, keys={"p50_ms", "p99_ms", "baseline_p99_ms"})
    print(f"wrote {output}", flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.rate != 1 / STEP_S:
        raise SystemExit("movement's rate is fixed: 5 moves a second per avatar, one tile each (the top speed)")
    if not args.sweep:
        result = await _one(args)
        if args.chart:
            _chart([result], args.chart, args)
        return result
    sizes = [int(n) for n in args.sweep.split(",") if n.strip()]
    runs = []
    for n in sizes:
        one = copy.copy(args)
        one.clients = n
        result = await _one(one)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        runs.append(result)
    if args.chart:
        _chart(runs, args.chart, args)
    return {
        "workload": "movement-sweep",
        "sweep": sizes,
        "chart": str(args.chart) if args.chart else None,
        "errors": sum(int(r.get("errors") or 0) for r in runs),
        "lost": sum(int(r.get("lost") or 0) for r in runs),
        "p99_ms": {r["clients"]: r.get("p99_ms") for r in runs},
        "baseline_p99_ms": {r["clients"]: r.get("baseline_p99_ms") for r in runs},
    }
