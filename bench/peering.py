"""A workload against werkstatt and its peers (``bench/peers``) in one invocation, one result line.

``fanout`` and ``idle`` take ``--peer node``, ``--peer floor`` or ``--peer node,floor`` (and
``--no-werkstatt``): werkstatt's run comes first, then each peer's, one after the other,
each as its own process on a free port with a crowd of its own that connects without
``POST /api/join`` (``connect_only``), offering compression as werkstatt's crowd does. A
workload hands over one ``measure(target, args)`` that runs on any ``Target``; each peer's
figures go into the result with the peer's prefix (``peer_`` for the Node.js relay,
``floor_`` for the floor; ``server_`` dropped: ``server_rss_mb`` → ``peer_rss_mb``), with
``…_version`` (what ran) or ``…_skipped`` (why it could not), a ratio of werkstatt's figure
to each peer's (``p99_vs_node`` …) and the machine's ``load_avg`` at the end.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from bench.crowd import Crowd, Prepare, assemble_across, connect_only
from bench.peers import PEERS, PeerSkipped, peer
from bench.process import ServerProcess
from bench.workshop import workshop


@dataclass
class Target:
    """What a run measures: a server process, its address, and how a crowd connects to it."""

    process: ServerProcess
    base: str
    connect: Callable[[aiohttp.ClientSession, Prepare | None], Awaitable[Crowd]]
    more: tuple[ServerProcess, ...] = ()  # further nodes of werkstatt's deployment (``--nodes``)

    @property
    def nodes(self) -> tuple[ServerProcess, ...]:
        return (self.process, *self.more)


class Measure(Protocol):
    """A workload's measurement, the same against werkstatt and against a peer."""

    def __call__(
        self, target: Target, args: argparse.Namespace, *, profile: str | None = None
    ) -> Awaitable[dict[str, Any]]: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--peer`` and ``--werkstatt/--no-werkstatt``."""
    parser.add_argument(
        "--peer",
        default="",
        metavar="NAME[,NAME]",
        help="also run the workload against a peer, after werkstatt: "
        + "; ".join(f"{name}: {what} (figures {prefix}…)" for name, (prefix, what) in PEERS.items()),
    )
    parser.add_argument(
        "--werkstatt",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run werkstatt itself (--no-werkstatt: only the peers)",
    )


def peer_names(spec: str) -> list[str]:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in PEERS]
    if unknown:
        raise SystemExit(f"unknown peer {unknown[0]!r}; known: {', '.join(PEERS)}")
    return names


async def run_werkstatt(measure: Measure, args: argparse.Namespace) -> dict[str, Any]:
    """``measure`` against werkstatt: a fresh server and workshop, a crowd that joins with the
    participants' link (``assemble``); ``--profile`` samples the (first) server. With ``--nodes 2``
    (where the workload has it) two nodes on a fresh PostgreSQL database and the Redis of
    ``--redis``, participant i on node i mod 2."""
    nodes = getattr(args, "nodes", 1)
    several = {"database": "postgresql", "redis": args.redis} if nodes > 1 else {}
    async with workshop(keep=args.keep, nodes=nodes, **several) as ws:

        def connect(http: aiohttp.ClientSession, prepare: Prepare | None) -> Awaitable[Crowd]:
            bases = [node.base for node in ws.nodes]
            link = ws.links["participant"]
            return assemble_across(http, bases, link, args.clients, prepare=prepare, compress=args.compress)

        target = Target(ws.server, ws.base, connect, more=ws.nodes[1:])
        return await measure(target, args, profile=args.profile)


async def run_peer(name: str, measure: Measure, args: argparse.Namespace, keys: Sequence[str]) -> dict[str, Any]:
    """``measure`` against peer ``name``; its figures named in ``keys``, prefixed, or why it was skipped."""
    prefix = PEERS[name][0]
    try:
        async with peer(name, keep=args.keep) as (process, what):
            print(f"peer {name}: {what}", flush=True)

            def connect(http: aiohttp.ClientSession, prepare: Prepare | None) -> Awaitable[Crowd]:
                return connect_only(http, process.base, args.clients, prepare=prepare, compress=args.compress)

            figures = await measure(Target(process, process.base, connect), args)
    except PeerSkipped as exc:
        print(f"peer {name} skipped: {exc}", flush=True)
        return {f"{prefix}skipped": str(exc)}
    return {f"{prefix}version": what} | {
        prefix + key.removeprefix("server_"): figures[key] for key in keys if key in figures
    }


async def run_all(
    workload: str,
    measure: Measure,
    args: argparse.Namespace,
    peers: list[str],
    *,
    keys: Sequence[str],
    without_werkstatt: dict[str, Any],
    ratio: tuple[str, str],
) -> dict[str, Any]:
    """werkstatt (unless ``--no-werkstatt``: then ``without_werkstatt`` stands in for its
    figures), then each of ``peers``, in one result. ``ratio`` is (label, werkstatt's key):
    ``{label}_vs_{peer}`` is werkstatt's figure divided by the peer's."""
    result: dict[str, Any] = {"workload": workload, "clients": args.clients}
    if args.werkstatt:
        result |= await run_werkstatt(measure, args)
    else:
        result |= without_werkstatt | {"werkstatt_skipped": "--no-werkstatt"}
    for name in peers:
        print(f"the same against the peer {name}: {args.clients} clients", flush=True)
        result |= await run_peer(name, measure, args, keys)
    label, ours = ratio
    for name in peers:
        theirs = PEERS[name][0] + ours.removeprefix("server_")
        if isinstance(result.get(ours), float) and result.get(theirs):
            result[f"{label}_vs_{name}"] = round(result[ours] / result[theirs], 2)
    result["load_avg"] = [round(x, 2) for x in os.getloadavg()]  # others' work on the same cores shows here
    return result
