"""Workload ``idle``: many participants connected, nothing happening; what memory costs.

``--clients`` participants join and connect (offering per-message compression as browsers
do, unless ``--no-compress``), the server is left to settle, and then all stay connected
for ``--duration`` seconds, answering the server's Engine.IO pings. ``server_rss_mb`` is
the server's resident memory at the end (``VmRSS``), ``server_peak_rss_mb`` its peak.
A participant whose connection closed meanwhile counts as an error.

``--peer node``, ``--peer floor`` or ``--peer node,floor`` runs the same, after werkstatt's
run and with a crowd of its own (the same number of clients, offering compression the same
way), against a peer (``bench/peers``): the Node.js Socket.IO relay (figures prefixed
``peer_``: ``peer_rss_mb`` …) and the bare aiohttp server (``floor_rss_mb`` …), all in the
same result line, with ``rss_vs_node``/``rss_vs_floor`` (werkstatt's ``server_rss_mb``
divided by the peer's); a peer that cannot run here is reported as
``peer_skipped``/``floor_skipped`` with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench import peering
from bench.client import http_session
from bench.crowd import disband, quiesce
from bench.peering import Target
from bench.stats import Meter

# a peer's figures in the result line: its prefix + these keys (server_… loses "server_")
PEER_KEYS = (
    "setup_s",
    "server_rss_mb",
    "server_peak_rss_mb",
    "server_rss_before_mb",
    "rss_per_client_kb",
    "compression_accepted",
    "pings_answered",
    "errors",
    "error_codes",
    "wall_s",
    "server_cpu_s",
    "generator_cpu_s",
    "generator_busy",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=2000, duration=30.0)
    peering.add_arguments(parser)


async def _measure(target: Target, args: argparse.Namespace, *, profile: str | None = None) -> dict[str, Any]:
    before = target.process.memory_mb()["VmRSS"]
    target.process.reset_peak_memory()  # the peak of the crowd's arrival and the idle time, not of the set-up
    async with http_session() as http:
        print(f"connecting {args.clients} participants (compression {'on' if args.compress else 'off'})", flush=True)
        crowd = await target.connect(http, None)
        print(f"  settled after {await quiesce(target.process):.1f} s; idle for {args.duration:g} s", flush=True)
        meter = Meter(target.process, reset_peak=False, profile=profile)
        meter.start()
        await asyncio.sleep(args.duration)
        figures = meter.stop()
        memory = target.process.memory_mb()
        closed = sum(1 for c, _m in crowd if c.closed)
        compressed = sum(1 for c, _m in crowd if c.compressed)
        pings = sum(c.pings for c, _m in crowd)
        await disband([c for c, _m in crowd])
    errors = {"disconnected": closed} if closed else {}
    server_errors = target.process.log_errors()
    if server_errors:
        errors["server_log"] = len(server_errors)
    return {
        "workload": "idle",
        "clients": args.clients,
        "setup_s": round(crowd.seconds, 1),  # joining and connecting everyone, not measured
        "setup_retries": crowd.retries,
        "duration_s": args.duration,
        "compress": args.compress,
        "server_rss_mb": round(memory["VmRSS"], 1),
        "server_peak_rss_mb": round(memory["VmHWM"], 1),
        "server_rss_before_mb": round(before, 1),
        "rss_per_client_kb": round((memory["VmRSS"] - before) * 1024 / max(args.clients, 1), 1),
        "compression_accepted": compressed,  # connections on which the server took up the offer
        "pings_answered": pings,
        "errors": sum(errors.values()),
        "error_codes": errors,
        **{k: v for k, v in figures.items() if k != "server_rss_mb"},
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    return await peering.run_all(
        "idle",
        _measure,
        args,
        peering.peer_names(args.peer),
        keys=PEER_KEYS,
        without_werkstatt={"duration_s": args.duration, "compress": args.compress},
        ratio=("rss", "server_rss_mb"),
    )
