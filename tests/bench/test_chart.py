"""The chart reads result lines out of whatever a run printed and groups them by workload."""

from __future__ import annotations

import json
from pathlib import Path

from bench.chart import draw, panels, read_results


def test_result_lines_become_series(tmp_path: Path) -> None:
    runs = tmp_path / "runs.txt"
    lines = [
        "setting up: 250 participants",
        json.dumps({"workload": "fanout", "clients": 500, "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 90.0}),
        json.dumps({"workload": "fanout", "clients": 250, "p50_ms": 8.0, "p95_ms": 12.0, "p99_ms": None}),
        json.dumps({"workload": "idle", "clients": 2000, "compress": True, "server_rss_mb": 628.0}),
        json.dumps({"workload": "breakout", "clients": 1000, "open_p99_ms": 300.0, "broadcast_p99_ms": None}),
        json.dumps({"workload": "movement", "clients": 500, "p99_ms": 95.0, "baseline_p99_ms": 4000.0}),
        json.dumps({"workload": "movement-sweep", "sweep": [100, 250]}),  # a sweep's summary: not charted
        "{not json",
    ]
    runs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = read_results([runs])
    assert [r["workload"] for r in results] == ["fanout", "fanout", "idle", "breakout", "movement"]
    drawn = panels(results)
    assert drawn["fanout"]["p50"] == [(250, 8.0), (500, 20.0)]
    assert drawn["fanout"]["p99"] == [(500, 90.0)]  # a missing figure leaves out its point
    assert drawn["idle"] == {"RSS (compression offered)": [(2000, 628.0)]}
    assert drawn["breakout"] == {"open p99": [(1000, 300.0)]}
    assert drawn["movement"] == {"p99": [(500, 95.0)], "naive relay to everyone p99": [(500, 4000.0)]}


def test_repeated_runs_are_drawn_as_their_median_and_keys_select_lines() -> None:
    results = [
        {"workload": "fanout", "clients": 1000, "p99_ms": p99, "peer_p99_ms": peer, "floor_p99_ms": 9.0}
        for p99, peer in ((30.0, 21.0), (500.0, 56.0), (40.0, 663.0))
    ]
    drawn = panels(results, {"p99_ms", "peer_p99_ms"})
    assert drawn == {"fanout": {"p99": [(1000, 40.0)], "Node.js Socket.IO relay p99": [(1000, 56.0)]}}


def test_workshop_runs_are_drawn_per_number_of_nodes(tmp_path: Path) -> None:
    figures = {"idea_p99_ms": 80.0, "dot_ack_p99_ms": 120.0, "move_p99_ms": 90.0, "chat_p99_ms": 40.0}
    results = [
        {"workload": "workshop", "clients": 1000, "nodes": 1, **figures, "breakout_open_p99_ms": 300.0},
        {"workload": "workshop", "clients": 250, "nodes": 2, **figures, "breakout_open_p99_ms": None},
    ]
    drawn = panels(results)["workshop"]
    assert drawn["breakout open (1 node)"] == [(1000, 300.0)] and "breakout open (2 nodes)" not in drawn
    assert drawn["dot ack (1 node)"] == [(1000, 120.0)] and drawn["dot ack (2 nodes)"] == [(250, 120.0)]
    output = draw(results, tmp_path / "workshop.png", "a whole workshop")
    assert output.read_bytes().startswith(b"\x89PNG")
