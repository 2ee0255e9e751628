"""The peers of the fan-out and idle workloads (``bench/peers``), small: correctness, never speed.

Every client of a peer receives every change, an idle crowd stays connected and the peer's
memory is in the result, the result is one JSON line, the peers send the shapes werkstatt
documents and ping as werkstatt does, and a missing ``node`` is reported as a skipped peer. The
Node.js relay's tests install it with ``npm ci`` on first use, as the harness does; without
``node`` (or when the install fails) they are skipped with the reason, and with ``CI=true``
they fail instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest

from bench.client import SioClient
from bench.peers import PeerSkipped, ensure_node_relay, peer
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("--clients", "8", "--rate", "20", "--duration", "1", "--drain", "10")
IDLE = ("--clients", "20", "--duration", "2")


def missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node_relay() -> str:
    try:
        return ensure_node_relay(quiet=True)  # npm ci when socket.io is not installed yet
    except PeerSkipped as exc:
        missing(f"the Node.js relay cannot run: {exc}")
        raise AssertionError("unreachable") from exc


def bench(*args: str, workload: str = "fanout", env: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], int]:
    done = subprocess.run(
        [sys.executable, "-m", "bench", workload, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, (done.stdout, done.stderr)
    json.loads(done.stdout.strip().splitlines()[-1])  # the last line is the result
    return lines, done.returncode


def assert_complete(result: dict[str, Any], prefix: str, clients: int = 8) -> None:
    assert result[f"{prefix}errors"] == 0, result[f"{prefix}error_codes"]
    assert result[f"{prefix}changes"] == 20
    assert result[f"{prefix}deliveries"] == result[f"{prefix}expected_deliveries"] == 20 * clients
    assert result[f"{prefix}p99_ms"] is not None and result[f"{prefix}p50_ms"] <= result[f"{prefix}p99_ms"]
    for key in ("cpu_s", "rss_mb", "generator_cpu_s"):
        assert isinstance(result[f"{prefix}{key}"], float | int) and result[f"{prefix}{key}"] >= 0, key


def assert_idle(result: dict[str, Any], prefix: str, clients: int = 20) -> None:
    """An idle run of werkstatt (``prefix`` "server_") or a peer: everyone stayed, memory measured."""
    short = "" if prefix == "server_" else prefix  # werkstatt's figures without "server_" have no prefix
    assert result[f"{short}errors"] == 0, result[f"{short}error_codes"]
    for key in ("rss_mb", "peak_rss_mb", "rss_before_mb"):
        assert isinstance(result[f"{prefix}{key}"], float) and result[f"{prefix}{key}"] > 0, key
    assert result[f"{prefix}peak_rss_mb"] >= result[f"{prefix}rss_mb"]
    assert isinstance(result[f"{short}rss_per_client_kb"], float | int)
    assert isinstance(result[f"{short}pings_answered"], int) and result[f"{short}pings_answered"] >= 0
    assert 0 <= result[f"{short}compression_accepted"] <= clients


def test_werkstatt_and_both_peers_in_one_line(node_relay: str) -> None:
    (result,), status = bench(*SMALL, "--peer", "node,floor")
    assert status == 0
    assert result["workload"] == "fanout" and result["errors"] == 0
    assert result["deliveries"] == result["expected_deliveries"] == 160
    assert_complete(result, "peer_")
    assert_complete(result, "floor_")
    assert result["peer_version"].startswith("socket.io 4.")
    assert result["p99_vs_node"] > 0 and result["p99_vs_floor"] > 0
    assert len(result["load_avg"]) == 3


def test_idle_beside_both_peers_in_one_line(node_relay: str) -> None:
    (result,), status = bench(*IDLE, "--peer", "node,floor", workload="idle")
    assert status == 0
    assert result["workload"] == "idle" and result["clients"] == 20 and result["compress"] is True
    assert_idle(result, "server_")
    assert_idle(result, "peer_")
    assert_idle(result, "floor_")
    # both peers run as deployed by default: the compression the crowd offers is declined
    assert result["peer_compression_accepted"] == result["floor_compression_accepted"] == 0
    assert result["peer_version"].startswith("socket.io 4.")
    assert result["rss_vs_node"] > 0 and result["rss_vs_floor"] > 0
    assert len(result["load_avg"]) == 3


@pytest.mark.parametrize("workload", ["fanout", "idle"])
def test_node_missing_is_reported_as_skipped(workload: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(Path(sys.executable).parent)  # no node there
    small = SMALL if workload == "fanout" else IDLE
    (result,), status = bench(*small, "--no-werkstatt", "--peer", "node,floor", workload=workload, env=env)
    assert status == 0
    assert "node is not on PATH" in result["peer_skipped"]
    assert "peer_version" not in result and "peer_rss_mb" not in result
    assert result["werkstatt_skipped"] and "server_rss_mb" not in result
    if workload == "fanout":
        assert "peer_p99_ms" not in result and "p99_ms" not in result
        assert_complete(result, "floor_")
    else:
        assert "rss_vs_node" not in result and "rss_vs_floor" not in result
        assert_idle(result, "floor_")


def test_sweep_prints_each_run_and_draws_the_chart(tmp_path: Path) -> None:
    try:  # the chart needs matplotlib (the bench extra, which scripts/install installs)
        import matplotlib  # noqa: F401
    except ImportError:
        missing("matplotlib is not installed: the chart cannot be drawn (pip install -e '.[bench]')")
    chart = tmp_path / "sweep.png"
    lines, status = bench(*SMALL, "--no-werkstatt", "--peer", "floor", "--sweep", "4,8", "--chart", str(chart))
    assert status == 0
    *runs, summary = lines
    assert [r["clients"] for r in runs] == [4, 8]
    assert_complete(runs[0], "floor_", clients=4)
    assert_complete(runs[1], "floor_", clients=8)
    assert summary["workload"] == "fanout-sweep" and summary["errors"] == 0
    assert summary["floor_p99_ms"].keys() == {"4", "8"}
    assert chart.read_bytes().startswith(b"\x89PNG")


def schemas() -> tuple[jsonschema.Draft202012Validator, jsonschema.Draft202012Validator]:
    doc = json.loads((ROOT / "docs/protocol.json").read_text(encoding="utf-8"))
    (create,) = [e for e in doc["client_events"] if e["name"] == "board.idea.create"]
    (changed,) = [e for e in doc["server_events"] if e["name"] == "board.changed"]
    return jsonschema.Draft202012Validator(create["ack"]), jsonschema.Draft202012Validator(changed["schema"])


@pytest.mark.parametrize("name", ["floor", "node"])
async def test_peer_sends_what_werkstatt_documents(name: str, request: pytest.FixtureRequest) -> None:
    if name == "node":
        request.getfixturevalue("node_relay")
    ack_schema, change_schema = schemas()
    async with peer(name) as (process, _what):
        clients = [SioClient(process.base) for _ in range(3)]
        arrivals: list[list[dict[str, Any]]] = [[] for _ in clients]
        for client, got in zip(clients, arrivals, strict=True):
            client.on("board.changed", lambda change, _now, got=got: got.append(change))
            await client.connect({"token": "any"})
        enter = await clients[0].call("room.enter")
        assert enter["ok"] and enter["boards"][0]["seq"] == 0 and len(enter["presence"]) == 3
        board_id, field_id = enter["boards"][0]["id"], enter["event"]["fields"][0]["id"]
        acks = [
            await clients[k % 3].call("board.idea.create", {"board_id": board_id, "field_id": field_id, "text": f"{k}"})
            for k in range(5)
        ]
        sync = await clients[1].call("board.sync", {"board_id": board_id, "since": 2})
        refused = await clients[0].call("board.idea.create", {"board_id": "bd_nope", "field_id": field_id, "text": "x"})
        for client in clients:
            await client.close()
    for ack in acks:
        ack_schema.validate(ack)
    assert [a["seq"] for a in acks] == [1, 2, 3, 4, 5]
    for got in arrivals:  # everyone, the poster included, once and in order
        assert [c["seq"] for c in got] == [1, 2, 3, 4, 5]
        assert [c["idea"]["text"] for c in got] == ["0", "1", "2", "3", "4"]
        for change in got:
            change_schema.validate(change)
            assert change["type"] == "idea.created" and change["idea_id"] == change["idea"]["id"]
    assert [c["seq"] for c in sync["changes"]] == [3, 4, 5]
    assert refused["ok"] is False and refused["error"]["code"]


@pytest.mark.parametrize("name", ["floor", "node"])
async def test_peer_pings_as_werkstatt_does_and_declines_compression(name: str, request: pytest.FixtureRequest) -> None:
    """The idle crowd answers pings: a peer that pinged more or less often than werkstatt's
    default would weigh a different amount of work. And a browser's compression offer is
    declined, as werkstatt declines it."""
    if name == "node":
        request.getfixturevalue("node_relay")
    defaults = Settings.model_fields
    async with peer(name) as (process, _what), aiohttp.ClientSession() as http:
        url = f"{process.base}/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url, compress=15) as ws:  # offers permessage-deflate
            opened = json.loads((await ws.receive_str())[1:])
            compressed = ws.compress
    assert opened["pingInterval"] == defaults["ping_interval_s"].default * 1000 == 25000
    assert opened["pingTimeout"] == defaults["ping_timeout_s"].default * 1000
    assert compressed == 0
