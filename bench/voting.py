"""Workload ``voting``: a burst of dot-voting on one board, checked against the database.

A facilitator posts ideas in the collect phase, switches the board to the vote phase and
opens a blind vote. Every voter places its dots one after another (each awaits its
acknowledgement), spread evenly over the window on random ideas, so some dots pass the
cap and are refused. Then the facilitator closes the vote with the reveal, and each voter
waits for the ``board.changed`` of type ``vote.revealed``.

Afterwards the server is stopped and its database read directly: every acknowledged dot
must be stored and nothing else (``lost``), and no member may be over budget nor any
idea over the cap (``violations``), ballots and tallies must agree with the dots.

A dot refused with ``stale_board`` (the board changed meanwhile on another node: only where
several nodes serve the event) is sent again, as the protocol asks; its latency runs from
the first send to the last answer, and ``Tally.retries`` counts the repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from typing import Any

import sqlalchemy as sa

from bench.client import ClientError, SioClient, http_session
from bench.crowd import assemble, disband, expect_ok, post_ideas, quiesce
from bench.stats import Meter, latency_figures, ms, percentile
from bench.workshop import Workshop, workshop
from server.settings import sqlalchemy_url

REFUSALS = {"cap_reached", "budget_exhausted"}  # what random voting is expected to run into
RETRIED = "stale_board"  # "the board changed meanwhile on another node; retry"
RETRIES = 10
REVEAL_WAIT_S = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=1000, duration=10.0)
    parser.add_argument("--dots", type=int, default=10, help="dots each voter casts (default 10)")
    parser.add_argument("--budget", type=int, default=10, help="dots per participant of the vote (default 10)")
    parser.add_argument("--cap", type=int, default=3, help="most dots per idea and participant (default 3)")
    parser.add_argument("--ideas", type=int, default=30, help="ideas on the board (default 30)")


class Tally:
    """What the voters were told: per (member, idea) the acknowledged and the refused dots."""

    def __init__(self) -> None:
        self.acked: Counter[tuple[str, str]] = Counter()
        self.refused: Counter[tuple[str, str]] = Counter()
        self.unknown_members: set[str] = set()  # a dot without an answer: it may or may not be stored
        self.latencies: list[float] = []
        self.error_codes: Counter[str] = Counter()
        self.retries = 0  # dots sent again after stale_board

    @property
    def errors(self) -> int:
        return sum(self.error_codes.values())


async def cast_dots(
    client: SioClient,
    member_id: str,
    cast: dict[str, Any],
    ideas: list[str],
    *,
    start: float,
    spacing: float,
    dots: int,
    rng: random.Random,
    tally: Tally,
) -> None:
    loop = asyncio.get_running_loop()
    offset = rng.random() * spacing
    for k in range(dots):
        delay = start + offset + k * spacing - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        idea = rng.choice(ideas)
        sent = time.perf_counter()
        try:
            ack = await client.call("vote.cast", {**cast, "idea_id": idea})
            for _retry in range(RETRIES):
                if ack.get("ok") or ack.get("error", {}).get("code") != RETRIED:
                    break
                tally.retries += 1
                ack = await client.call("vote.cast", {**cast, "idea_id": idea})
        except ClientError as exc:
            tally.unknown_members.add(member_id)
            tally.error_codes["timeout" if "acknowledgement" in str(exc) else "disconnected"] += 1
            continue
        tally.latencies.append(time.perf_counter() - sent)
        if ack.get("ok"):
            tally.acked[(member_id, idea)] += 1
        else:
            tally.refused[(member_id, idea)] += 1
            code = ack.get("error", {}).get("code", "?")
            if code not in REFUSALS:
                tally.error_codes[code] += 1


def verify(database: str, session_id: str, tally: Tally, results: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Compare what the voters were told with what the database (its URL, as the server's) holds."""
    engine = sa.create_engine(sqlalchemy_url(database), poolclass=sa.NullPool)
    session = {"s": session_id}
    try:
        with engine.connect() as con:
            stored = {
                (m, i): d
                for m, i, d in con.execute(
                    sa.text("SELECT member_id, idea_id, dots FROM votes WHERE session_id = :s"), session
                )
            }
            ballots = {
                m: used
                for m, used in con.execute(
                    sa.text("SELECT member_id, used FROM ballots WHERE session_id = :s"), session
                )
            }
            budget, cap, cast = con.execute(
                sa.text('SELECT budget, cap, "cast" FROM vote_sessions WHERE id = :s'), session
            ).one()
    finally:
        engine.dispose()
    lost = sum(max(0, n - stored.get(key, 0)) for key, n in tally.acked.items())
    unacknowledged = sum(
        max(0, d - tally.acked.get(key, 0)) for key, d in stored.items() if key[0] not in tally.unknown_members
    )
    per_member: Counter[str] = Counter()
    per_idea: Counter[str] = Counter()
    for (member, idea), d in stored.items():
        per_member[member] += d
        per_idea[idea] += d
    over_budget = sum(1 for used in per_member.values() if used > budget)
    over_cap = sum(1 for d in stored.values() if d > cap)
    ballot_mismatch = sum(1 for m in per_member.keys() | ballots.keys() if per_member[m] != ballots.get(m, 0))
    cast_mismatch = int(cast != sum(per_member.values()))
    tally_mismatch = 0
    if results is not None:
        revealed = {row["idea_id"]: row["dots"] for row in results}
        tally_mismatch = sum(1 for i in revealed.keys() | per_idea.keys() if revealed.get(i, 0) != per_idea[i])
    return {
        "stored_dots": sum(stored.values()),
        "lost": lost,
        "stored_not_acknowledged": unacknowledged,
        "over_budget": over_budget,
        "over_cap": over_cap,
        "ballot_mismatch": ballot_mismatch,
        "tally_mismatch": tally_mismatch + cast_mismatch,
        "violations": unacknowledged + over_budget + over_cap + ballot_mismatch + tally_mismatch + cast_mismatch,
    }


async def _run(ws: Workshop, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    revealed_at: dict[int, float] = {}
    all_revealed = asyncio.Event()
    results: list[dict[str, Any]] = []

    def prepare(i: int, client: SioClient, _member: dict[str, Any]) -> None:
        def changed(change: dict[str, Any], now: float) -> None:
            if change.get("type") == "vote.revealed" and i not in revealed_at:
                revealed_at[i] = now
                if not results and change.get("session"):
                    results.extend(change["session"].get("results") or [])
                if len(revealed_at) == args.clients:
                    all_revealed.set()

        client.on("board.changed", changed)

    async with http_session() as http:
        print(f"setting up: {args.ideas} ideas, {args.clients} voters", flush=True)
        crowd = await assemble(
            http, ws.base, ws.links["facilitator"], 1, prefix="Moderation", compress=args.compress, progress=False
        )
        facilitator = crowd[0][0]
        enter = await expect_ok(facilitator, "room.enter")
        board_id = enter["boards"][0]["id"]
        ideas = await post_ideas(facilitator, board_id, [f["id"] for f in enter["event"]["fields"]], args.ideas)
        voters = await assemble(
            http, ws.base, ws.links["participant"], args.clients, prepare=prepare, compress=args.compress
        )
        print(f"  settled after {await quiesce(ws.server):.1f} s", flush=True)
        await expect_ok(facilitator, "board.phase", {"board_id": board_id, "phase": "vote"})
        opened = await expect_ok(
            facilitator, "vote.open", {"board_id": board_id, "budget": args.budget, "cap": args.cap, "blind": True}
        )
        session_id = opened["session"]["id"]
        cast = {"board_id": board_id, "session_id": session_id}

        print(f"voting: {args.clients} × {args.dots} dots over {args.duration:g} s", flush=True)
        meter = Meter(ws.server, profile=args.profile)
        meter.start()
        tally = Tally()
        start = asyncio.get_running_loop().time()
        spacing = args.duration / max(args.dots, 1)
        await asyncio.gather(
            *(
                cast_dots(
                    client,
                    member["member_id"],
                    cast,
                    ideas,
                    start=start,
                    spacing=spacing,
                    dots=args.dots,
                    rng=random.Random(rng.random()),
                    tally=tally,
                )
                for client, member in voters
            )
        )
        voting_s = asyncio.get_running_loop().time() - start

        print("closing and revealing", flush=True)
        closing = time.perf_counter()
        await expect_ok(facilitator, "vote.close", {**cast, "reveal": True})
        close_ack_s = time.perf_counter() - closing
        try:
            await asyncio.wait_for(all_revealed.wait(), REVEAL_WAIT_S)
        except TimeoutError:
            pass
        figures = meter.stop()
        reveal = [revealed_at[i] - closing for i in revealed_at]
        missing_reveals = args.clients - len(revealed_at)
        if missing_reveals:
            tally.error_codes["reveal_missing"] += missing_reveals
        await disband([facilitator] + [c for c, _m in voters])

    await ws.server.stop()
    server_errors = ws.server.log_errors()
    checked = verify(ws.server.database, session_id, tally, results or None)
    acknowledged = sum(tally.acked.values())
    return {
        "workload": "voting",
        "clients": args.clients,
        "setup_s": round(voters.seconds, 1),  # joining and connecting everyone, not measured
        "setup_retries": voters.retries,
        "dots": args.dots,
        "duration_s": args.duration,
        "acknowledged": acknowledged,
        "refused": sum(tally.refused.values()),
        **{k: checked[k] for k in ("lost", "violations")},
        "reveal_p99_ms": ms(percentile(reveal, 99)),
        "reveal_p50_ms": ms(percentile(reveal, 50)),
        "close_ack_ms": ms(close_ack_s),
        **latency_figures(tally.latencies, prefix="cast_"),
        "dots_per_s": round(acknowledged / voting_s, 1) if voting_s else None,
        "voting_s": round(voting_s, 2),
        "errors": tally.errors + len(server_errors),
        "error_codes": dict(tally.error_codes) | ({"server_log": len(server_errors)} if server_errors else {}),
        **checked,
        **figures,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with workshop(keep=args.keep) as ws:
        return await _run(ws, args)
