"""Each workload, small, through ``python -m bench`` as people run it: correctness, never speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    result = json.loads(lines[-1])
    assert done.returncode == 0, (done.stdout, done.stderr)
    for key in ("server_cpu_s", "generator_cpu_s", "server_rss_mb"):
        assert isinstance(result[key], float | int) and result[key] >= 0, key
    return result


def test_help_lists_the_workloads() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0
    for name in ("voting", "join", "fanout", "idle", "breakout", "store", "movement", "redis-emit", "workshop"):
        assert name in done.stdout


def test_voting() -> None:
    result = bench("voting", "--clients", "20", "--dots", "5", "--duration", "1", "--ideas", "3", "--cap", "2")
    assert result["lost"] == 0 and result["violations"] == 0 and result["errors"] == 0
    # 20 voters place 5 dots at random on 3 ideas with a cap of 2: some are refused, the rest stored
    assert result["acknowledged"] + result["refused"] == 100 and result["refused"] > 0
    assert result["stored_dots"] == result["acknowledged"]
    assert result["reveal_p99_ms"] is not None and result["cast_p99_ms"] is not None


def test_fanout() -> None:
    result = bench("fanout", "--clients", "10", "--rate", "20", "--duration", "2")
    assert result["errors"] == 0
    assert result["changes"] == 40 and result["deliveries"] == result["expected_deliveries"] == 400
    assert result["p99_ms"] is not None and result["deliveries_per_s"] > 0


def test_fanout_across_two_nodes() -> None:
    """Posters on both nodes of one PostgreSQL database and the Redis at 6379: every idea reaches
    every participant of both nodes, once and in order, whichever node committed it."""
    result = bench("fanout", "--clients", "12", "--rate", "20", "--duration", "2", "--posters", "4", "--nodes", "2")
    assert result["errors"] == 0 and result["nodes"] == 2
    assert result["changes"] == 40 and result["deliveries"] == result["expected_deliveries"] == 480
    assert result["node2_p99_ms"] is not None and result["node2_p99_ms"] <= result["max_ms"]
    assert [sorted(node) for node in result["per_node"]] == [["cpu_s", "loop_cpu_s", "loop_wait_s", "rss_mb"]] * 2
    assert all(node["cpu_s"] > 0 for node in result["per_node"])  # both nodes served


@pytest.mark.parametrize("workload", ["join", "idle"])
def test_join_and_idle(workload: str) -> None:
    result = bench(workload, "--clients", "15", "--duration", "1")
    assert result["errors"] == 0
    if workload == "join":
        assert result["joined"] == 15 and result["p99_ms"] is not None
    else:
        assert result["server_rss_mb"] > 0 and result["compress"] is True


BREAKOUT_KEYS = {
    "clients",
    "rooms",
    "open_p50_ms",
    "open_p99_ms",
    "open_max_ms",
    "broadcast_p99_ms",
    "close_p99_ms",
    "lost",
    "lost_open",
    "lost_broadcast",
    "lost_close",
    "violations",
    "errors",
    "wall_s",
}


def test_breakout() -> None:
    result = bench("breakout", "--clients", "40", "--rooms", "8")
    assert BREAKOUT_KEYS <= result.keys()
    assert result["clients"] == 40 and result["rooms"] == 8
    assert result["lost"] == 0 and result["violations"] == 0 and result["errors"] == 0, result
    assert result["room_size_min"] == result["room_size_max"] == 5
    assert 0 < result["open_p50_ms"] <= result["open_p99_ms"] <= result["open_max_ms"]
    assert result["close_p99_ms"] is not None
    if result["broadcast_p99_ms"] is None:  # a server without broadcast.send says why
        assert "unknown_event" in result["broadcast_note"]
    else:
        assert result["broadcast_rooms"] == 8 and "broadcast_note" not in result


MOVEMENT_KEYS = {
    "clients",
    "moves",
    "deliveries",
    "deliveries_per_s",
    "p50_ms",
    "p99_ms",
    "lost",
    "refused",
    "errors",
    "server_cpu_s",
    "server_rss_mb",
    "baseline_p50_ms",
    "baseline_p99_ms",
    "baseline_deliveries",
    "baseline_expected_deliveries",
    "baseline_deliveries_per_s",
    "baseline_cpu_s",
    "baseline_rss_mb",
}


def test_movement() -> None:
    """20 avatars walk for 2 s (10 steps and a last one each): every step accepted, every client ends up
    seeing where everyone near it stands; the naive relay delivers every move to every other client."""
    result = bench("movement", "--clients", "20", "--duration", "2", "--warmup", "3")
    assert MOVEMENT_KEYS <= result.keys()
    assert result["errors"] == 0 and result["lost"] == 0 and result["refused"] == 0, result["error_codes"]
    assert 20 * 9 < result["moves"] <= 20 * 11  # 10 steps and a last one each (fewer when the generator fell behind)
    assert result["deliveries"] > 0 and result["deliveries_per_s"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] and result["timed_deliveries"] > 0
    assert 20 * 9 < result["baseline_moves"] <= 20 * 11
    assert result["baseline_deliveries"] == result["baseline_expected_deliveries"] == result["baseline_moves"] * 19
    assert result["baseline_undelivered"] == 0 and result["baseline_disconnected"] == 0
    assert 0 < result["baseline_p50_ms"] <= result["baseline_p99_ms"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_store(database: str) -> None:
    """The idea store's workload, small: its searches find what Snowball's stems say (errors), the
    export holds the event's ideas, and every figure the issue names is there."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "store", "--ideas", "2000", "--export-ideas", "500", "--queries", "20",
         "--database", database],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout, done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["database"] == database and result["ideas"] == 2000 and result["errors"] == 0
    for key in ("search_p95_ms", "list_p95_ms", "export_csv_s", "export_xlsx_s"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["search_hits_median"] > 0  # the searches find something: the vocabulary and the stems agree


def test_redis_emit(redis_url: str) -> None:
    """Both fan-outs across two nodes, small: every connection of both nodes got every emit (lost), and a
    node receives only the rooms it has connections in, where AsyncRedisManager's receives every message."""
    small = ("--clients", "5", "--emits", "100", "--rounds", "3", "--redis", redis_url)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "redis-emit", *small],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["lost"] == 0
    for key in ("werkstatt_inprocess_us", "werkstatt_crossnode_us", "asyncredismanager_inprocess_us", "ratio"):
        assert result[key] > 0, key
    assert result["burst_werkstatt_us"] > 0 and result["burst_ratio"] > 0
    for name in ("werkstatt", "asyncredismanager", "burst_werkstatt"):  # the median of the rounds' extra CPU
        rounds = result[f"{name}_us_rounds"]
        assert len(rounds) == 3 and min(rounds) <= result[f"{name}_us"] <= max(rounds)
    emits = result["spread_emits"]  # warm-up included; one in ``rooms`` goes to the room the second node has
    assert result["spread_werkstatt_second_node_messages"] == emits // result["rooms"]
    assert result["spread_asyncredismanager_second_node_messages"] == emits


WORKSHOP_P99 = ("idea_p99_ms", "dot_ack_p99_ms", "move_p99_ms", "breakout_open_p99_ms", "chat_p99_ms")
SMALL_WORKSHOP = ("--clients", "30", "--duration", "2", "--rooms", "5", "--warmup", "5")


def test_workshop_on_one_node(pg_server: str) -> None:
    """A small whole workshop on one node (PostgreSQL, the default): every kind of interaction measured,
    nothing lost, every dot in the database, everyone in their breakout room and back."""
    result = bench("workshop", *SMALL_WORKSHOP)
    assert result["lost"] == 0 and result["violations"] == 0 and result["errors"] == 0, result["error_codes"]
    for key in WORKSHOP_P99:
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["database"] == "postgresql" and result["nodes"] == 1
    assert result["walkers"] == 15 and result["moves"] > 15 * 9  # 2 s at 5 Hz, and a last step each
    assert result["ideas"] == 40 and result["chat_messages"] == 25  # 20/s and 5/s for 2 s; 5/s for 1 s in the rooms
    assert result["dots_acknowledged"] + result["dots_refused"] == 30 * 10
    assert result["timed_moves"] > 0 and result["move_clients"] == 30
    assert result["breakout_close_p99_ms"] is not None and result["reveal_p99_ms"] is not None
    assert [node["clients"] for node in result["per_node"]] == [30]
    assert result["node_cpu_s"][0] > 0 and result["node_rss_mb"][0] > 0 and result["postgres_cpu_s"] > 0


def test_workshop_on_two_nodes(pg_server: str, redis_url: str) -> None:
    """The same on two nodes over one PostgreSQL and one Redis, clients spread over both: each node is
    measured, every kind of interaction is timed, and nothing is lost, within a node or across the two."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "workshop", *SMALL_WORKSHOP, "--drain", "5", "--nodes", "2",
         "--redis", redis_url, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    result = json.loads(done.stdout)  # --json: the result alone on standard output
    assert (result["lost"], result["violations"], result["errors"]) == (0, 0, 0), result
    assert done.returncode == 0
    assert result["nodes"] == 2 and result["redis"] is True
    assert [node["clients"] for node in result["per_node"]] == [15, 15]
    assert all(node["cpu_s"] > 0 and node["rss_mb"] > 0 for node in result["per_node"])
    assert result["redis_cpu_s"] is not None
    for key in WORKSHOP_P99:
        assert isinstance(result[key], float) and result[key] > 0, key
