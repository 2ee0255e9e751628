"""Workload ``join``: a join storm.

``--clients`` participants arrive evenly spread over ``--duration`` seconds (or at
``--rate`` per second). Each one's join time runs from its ``POST /api/join`` through the
Socket.IO connect to the acknowledgement of ``room.enter`` — until the person sees the
room. Everyone stays connected, so each arrival is announced to all who came before.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp

from bench.client import ClientError, SioClient, http_session, join
from bench.crowd import disband
from bench.stats import Meter, latency_figures
from bench.workshop import Workshop, workshop

JOIN_TIMEOUT_S = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=1000, duration=10.0)


async def _run(ws: Workshop, args: argparse.Namespace) -> dict[str, Any]:
    spacing = 1 / args.rate if args.rate else args.duration / max(args.clients, 1)
    totals: list[float] = []
    phases: dict[str, list[float]] = {"http": [], "connect": [], "enter": []}
    errors: dict[str, int] = {}
    clients: list[SioClient] = []
    loop = asyncio.get_running_loop()

    async with http_session() as http:

        async def arrive(i: int, at: float) -> None:
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            started = time.perf_counter()
            stage = "http"
            try:
                async with asyncio.timeout(JOIN_TIMEOUT_S):
                    member = await join(http, ws.base, ws.links["participant"], f"Gast {i:05d}")
                    joined = time.perf_counter()
                    stage = "connect"
                    client = SioClient(ws.base, compress=args.compress)
                    clients.append(client)
                    await client.connect({"token": member["token"]})
                    connected = time.perf_counter()
                    stage = "enter"
                    ack = await client.call("room.enter")
                    if not ack.get("ok"):
                        raise ClientError(f"room.enter: {ack}")
            except (ClientError, TimeoutError, OSError, aiohttp.ClientError) as exc:
                key = f"{stage}_{'timeout' if isinstance(exc, TimeoutError) else 'failed'}"
                errors[key] = errors.get(key, 0) + 1
                return
            done = time.perf_counter()
            totals.append(done - started)
            phases["http"].append(joined - started)
            phases["connect"].append(connected - joined)
            phases["enter"].append(done - connected)

        print(f"join storm: {args.clients} participants, one every {spacing * 1000:.1f} ms", flush=True)
        meter = Meter(ws.server, profile=args.profile)
        meter.start()
        start = loop.time()
        await asyncio.gather(*(arrive(i, start + i * spacing) for i in range(args.clients)))
        figures = meter.stop()
        await disband(clients)

    server_errors = ws.server.log_errors()
    result: dict[str, Any] = {
        "workload": "join",
        "clients": args.clients,
        "duration_s": round(spacing * args.clients, 2),
        "joined": len(totals),
        **latency_figures(totals),
    }
    for name, values in phases.items():
        result.update(latency_figures(values, prefix=f"{name}_"))
    result.update(
        {
            "joins_per_s": round(len(totals) / figures["wall_s"], 1) if figures["wall_s"] else None,
            "errors": sum(errors.values()) + len(server_errors),
            "error_codes": errors | ({"server_log": len(server_errors)} if server_errors else {}),
            **figures,
        }
    )
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with workshop(keep=args.keep) as ws:
        return await _run(ws, args)
