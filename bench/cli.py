"""``python -m bench WORKLOAD [options]``: run one workload, print its figures.

``python -m bench chart FILE…`` draws the figures of earlier runs (``bench/chart.py``).

Progress goes to standard output as it happens; the result is one JSON object on the
last line. The exit status is 1 when the run found lost data, violations or errors.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

# name → (module, what it measures); each module has add_arguments(parser) and async run(args)
WORKLOADS: dict[str, tuple[str, str]] = {
    "voting": ("bench.voting", "a burst of dot-voting on one board, then the reveal; checked against the database"),
    "join": ("bench.join", "a join storm: N participants join, connect and enter the room within T seconds"),
    "fanout": ("bench.fanout", "N participants on one board, R idea changes per second, every change to everyone"),
    "idle": ("bench.idle", "N participants connected and idle: the server's memory (and its peers', --peer)"),
    "breakout": (
        "bench.breakout",
        "N participants into R breakout rooms at once, a broadcast to the rooms, everyone back to the plenary",
    ),
    "movement": (
        "bench.movement",
        "N avatars walking in one room's space, 5 moves a second each, beside a naive relay to everyone",
    ),
    "redis-emit": (
        "bench.redisemit",
        "the extra CPU per emit across two nodes through Redis: werkstatt's fan-out and python-socketio's "
        "AsyncRedisManager, each against its in-process path (no server process; needs Redis)",
    ),
    "workshop": (
        "bench.whole",
        "a whole workshop on one node or two: half walking in the space, ideas, a voting burst, chat, a breakout "
        "round of 50 rooms; the p99 of each kind of interaction, what was lost, CPU and memory per node",
    ),
    "store": (
        "bench.store",
        "the idea store with 100,000 ideas: the console's search and list, exporting 10,000 ideas (no server)",
    ),
}

FAILURES = ("lost", "violations", "errors", "peer_errors", "floor_errors")  # the peers' too (fanout and idle --peer)
CHART = "not a workload: draw latency against N from the result lines of earlier runs, as a PNG"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load tests for werkstatt. Each starts its own server (python -m server serve) on a free "
        "port of 127.0.0.1 with a fresh SQLite file, measures it, and prints one JSON object on the last line.",
    )
    sub = top.add_subparsers(dest="workload", metavar="WORKLOAD", required=True)
    for name, (module, summary) in WORKLOADS.items():
        p = sub.add_parser(name, help=summary, description=summary)
        p.add_argument("--clients", type=int, help="simulated participants (default: the target of the workload)")
        p.add_argument("--rate", type=float, help="actions per second (where the workload has a rate)")
        p.add_argument("--duration", type=float, help="seconds of the measured window")
        p.add_argument("--seed", type=int, default=1, help="seed of the random choices (default 1)")
        p.add_argument(
            "--compress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="offer per-message compression as browsers do (default: only for idle)",
        )
        p.add_argument("--keep", action="store_true", help="keep the server's log and database afterwards")
        p.add_argument(
            "--profile",
            metavar="FILE",
            help="sample the server with py-spy during the measured phase: FILE.svg (flame graph), "
            "FILE.json (speedscope) or else raw collapsed stacks",
        )
        importlib.import_module(module).add_arguments(p)
    chart = sub.add_parser("chart", help=CHART, description=CHART)
    importlib.import_module("bench.chart").add_arguments(chart)
    return top


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (the `bench` extra): the generator's sockets
    then cost less CPU per message, so more of the machine is left to the server under test."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the environment (and not on Windows)
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.workload == "chart":
        return int(importlib.import_module("bench.chart").main(args))
    module = importlib.import_module(WORKLOADS[args.workload][0])
    if args.compress is None:
        args.compress = args.workload == "idle"
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        result: dict[str, Any] = runner.run(module.run(args))
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if any(result.get(key) for key in FAILURES) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
