"""Many simulated participants at once: join, connect, and later close them."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.client import ClientError, SioClient, gather_limited, join
from bench.process import ServerProcess

Prepare = Callable[[int, SioClient, dict[str, Any]], None]
"""Called for participant ``i`` with its client and join answer, before it connects (to add handlers)."""


@dataclass
class Crowd:
    members: list[tuple[SioClient, dict[str, Any]]]  # each client with its join answer
    retries: int = 0  # joins or connects the server failed (and that were tried again)
    seconds: float = 0.0

    @property
    def clients(self) -> list[SioClient]:
        return [client for client, _member in self.members]

    def __getitem__(self, i: int) -> tuple[SioClient, dict[str, Any]]:
        return self.members[i]

    def __iter__(self) -> Iterator[tuple[SioClient, dict[str, Any]]]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)


async def assemble(
    http: aiohttp.ClientSession,
    base: str,
    link: str,
    count: int,
    *,
    prefix: str = "Teilnehmer",
    prepare: Prepare | None = None,
    compress: bool = False,
    concurrency: int = 8,
    attempts: int = 3,
    progress: bool = True,
) -> Crowd:
    """Join ``count`` members with ``link`` and connect each.

    The crowd is set up before a measurement, so it is not timed; joins and connects run
    ``concurrency`` at a time (a few: the server's database pool is small). A join or
    connect the server fails is tried again as a new member, up to ``attempts`` times;
    the crowd counts these ``retries``. Raises when someone could not join at all.
    """
    started = time.perf_counter()
    done = 0
    crowd = Crowd([])

    async def one(i: int) -> tuple[SioClient, dict[str, Any]]:
        nonlocal done
        for attempt in range(attempts):
            client = SioClient(base, compress=compress)
            try:
                member = await join(http, base, link, f"{prefix} {i:05d}" + (f"-{attempt}" if attempt else ""))
                if prepare is not None:
                    prepare(i, client, member)
                await client.connect({"token": member["token"]})
            except (ClientError, TimeoutError):
                await client.close()
                if attempt + 1 == attempts:
                    raise
                crowd.retries += 1
                continue
            done += 1
            if progress and done % 250 == 0:
                print(f"  {done}/{count} connected ({time.perf_counter() - started:.1f} s)", flush=True)
            return client, member
        raise AssertionError("unreachable")

    results = await gather_limited([functools.partial(one, i) for i in range(count)], concurrency)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        await disband([r[0] for r in results if not isinstance(r, BaseException)])
        raise RuntimeError(f"{len(failures)} of {count} participants could not join: {failures[0]!r}")
    crowd.members = results
    crowd.seconds = time.perf_counter() - started
    if crowd.retries:
        print(f"  the server failed {crowd.retries} joins or connects; tried again", flush=True)
    return crowd


async def assemble_across(
    http: aiohttp.ClientSession,
    bases: Sequence[str],
    link: str,
    count: int,
    *,
    prepare: Prepare | None = None,
    compress: bool = False,
) -> Crowd:
    """``assemble`` over several nodes of one deployment: participant i joins and connects through
    node i mod len(bases); the crowd in the order of i (``prepare`` gets that i)."""
    nodes = len(bases)
    crowds = []
    for k, base in enumerate(bases):

        def placed(j: int, client: SioClient, member: dict[str, Any], k: int = k) -> None:
            if prepare is not None:
                prepare(j * nodes + k, client, member)

        crowds.append(
            await assemble(
                http,
                base,
                link,
                len(range(k, count, nodes)),
                prefix="Teilnehmer" if nodes == 1 else f"Teilnehmer {k + 1}",
                prepare=placed,
                compress=compress,
            )
        )
    members = [crowds[i % nodes][i // nodes] for i in range(count)]
    return Crowd(members, sum(c.retries for c in crowds), sum(c.seconds for c in crowds))


async def connect_only(
    http: aiohttp.ClientSession,
    base: str,
    count: int,
    *,
    prepare: Prepare | None = None,
    compress: bool = False,
    concurrency: int = 50,
    progress: bool = True,
) -> Crowd:
    """Connect ``count`` clients with made-up tokens, for the peers (``bench/peers``), which
    accept any token and have no ``POST /api/join``. Raises when someone could not connect."""
    started = time.perf_counter()
    done = 0

    async def one(i: int) -> tuple[SioClient, dict[str, Any]]:
        nonlocal done
        client = SioClient(base, compress=compress)
        member = {"token": f"bench-{i:05d}"}
        if prepare is not None:
            prepare(i, client, member)
        try:
            await client.connect({"token": member["token"]})
        except (ClientError, TimeoutError):
            await client.close()
            raise
        done += 1
        if progress and done % 250 == 0:
            print(f"  {done}/{count} connected ({time.perf_counter() - started:.1f} s)", flush=True)
        return client, member

    results = await gather_limited([functools.partial(one, i) for i in range(count)], concurrency)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        await disband([r[0] for r in results if not isinstance(r, BaseException)])
        raise RuntimeError(f"{len(failures)} of {count} clients could not connect: {failures[0]!r}")
    return Crowd(results, seconds=time.perf_counter() - started)


async def disband(clients: list[SioClient], concurrency: int = 200) -> None:
    await gather_limited([c.close for c in clients], concurrency)


async def quiesce(server: ServerProcess, *, idle_share: float = 0.1, wait_s: float = 120) -> float:
    """Wait until the server works off what the crowd's arrival queued (its CPU use drops
    below ``idle_share`` of a core over half a second); returns the seconds waited."""
    started = time.perf_counter()
    before = server.cpu_seconds()
    while time.perf_counter() - started < wait_s:
        await asyncio.sleep(0.5)
        now = server.cpu_seconds()
        if now - before < 0.5 * idle_share:
            break
        before = now
    return time.perf_counter() - started


async def expect_ok(client: SioClient, event: str, payload: Any = None, *, retries: int = 50) -> dict[str, Any]:
    """Call an event that must succeed (set-up steps); waits out the rate limit."""
    for _attempt in range(retries):
        ack = await client.call(event, payload)
        if ack.get("ok"):
            return ack
        if ack.get("error", {}).get("code") != "rate_limited":
            raise RuntimeError(f"{event} failed: {ack}")
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{event} stayed rate-limited")


async def post_ideas(client: SioClient, board_id: str, field_ids: list[str], count: int) -> list[str]:
    """``count`` ideas spread over the fields; returns their ids."""
    ids = []
    for k in range(count):
        ack = await expect_ok(
            client,
            "board.idea.create",
            {"board_id": board_id, "field_id": field_ids[k % len(field_ids)], "text": f"Idee Nummer {k + 1}"},
        )
        ids.append(ack["idea"]["id"])
    return ids
