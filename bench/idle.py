"""Workload ``idle``: many participants connected, nothing happening; what memory costs.

``--clients`` participants join and connect (offering per-message compression as browsers
do, unless ``--no-compress``), the server is left to settle, and then all stay connected
for ``--duration`` seconds, answering the server's Engine.IO pings. ``server_rss_mb`` is
the server's resident memory at the end (``VmRSS``), ``server_peak_rss_mb`` its peak.
A participant whose connection closed meanwhile counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench.client import http_session
from bench.crowd import assemble, disband, quiesce
from bench.stats import Meter
from bench.workshop import Workshop, workshop


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=2000, duration=30.0)


async def _run(ws: Workshop, args: argparse.Namespace) -> dict[str, Any]:
    before = ws.server.memory_mb()["VmRSS"]
    ws.server.reset_peak_memory()  # the peak of the crowd's arrival and the idle time, not of the set-up
    async with http_session() as http:
        print(f"connecting {args.clients} participants (compression {'on' if args.compress else 'off'})", flush=True)
        crowd = await assemble(http, ws.base, ws.links["participant"], args.clients, compress=args.compress)
        print(f"  settled after {await quiesce(ws.server):.1f} s; idle for {args.duration:g} s", flush=True)
        meter = Meter(ws.server, reset_peak=False, profile=args.profile)
        meter.start()
        await asyncio.sleep(args.duration)
        figures = meter.stop()
        memory = ws.server.memory_mb()
        closed = sum(1 for c, _m in crowd if c.closed)
        pings = sum(c.pings for c, _m in crowd)
        await disband([c for c, _m in crowd])
    errors = {"disconnected": closed} if closed else {}
    server_errors = ws.server.log_errors()
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
        "pings_answered": pings,
        "errors": sum(errors.values()),
        "error_codes": errors,
        **{k: v for k, v in figures.items() if k != "server_rss_mb"},
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with workshop(keep=args.keep) as ws:
        return await _run(ws, args)
