"""``python -m bench chart FILE… --output chart.png``: latency against N from saved results.

Reads every line of the files that is a JSON object with a ``workload`` (so the whole
output of runs can be fed in, e.g. ``python -m bench fanout --clients 250 >> runs.txt``)
and draws one panel per workload found: the p50/p95/p99 latencies against the number of
clients on a logarithmic scale (for ``fanout`` also the p99 of its peers, ``--peer``; for
``voting`` the reveal and the acknowledgement of a dot, for ``idle`` the server's memory and
its peers', for ``workshop`` the p99 of each kind of interaction, one line per number of nodes,
and its target).
Repeated runs at one number of clients are drawn as their median, each run as a dot;
``--keys`` picks the figures to draw. Needs matplotlib (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

# workload → (y axis label, [(key, line label)], logarithmic)
SERIES: dict[str, tuple[str, list[tuple[str, str]], bool]] = {
    "fanout": (
        "delivery latency, ms",
        [
            ("p50_ms", "p50"),
            ("p95_ms", "p95"),
            ("p99_ms", "p99"),
            ("peer_p99_ms", "Node.js Socket.IO relay p99"),  # fanout --peer node
            ("floor_p99_ms", "bare aiohttp broadcast p99"),  # fanout --peer floor
        ],
        True,
    ),
    "join": ("join latency, ms", [("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")], True),
    "voting": (
        "latency, ms",
        [("reveal_p99_ms", "reveal p99"), ("cast_p50_ms", "dot ack p50"), ("cast_p99_ms", "dot ack p99")],
        True,
    ),
    "breakout": (
        "arrival latency, ms",
        [("open_p99_ms", "open p99"), ("broadcast_p99_ms", "broadcast p99"), ("close_p99_ms", "close p99")],
        True,
    ),
    "movement": (
        "delay from a move to its arrival, ms",
        [
            ("p50_ms", "p50"),
            ("p99_ms", "p99"),
            ("baseline_p99_ms", "naive relay to everyone p99"),  # the baseline in the same run
        ],
        True,
    ),
    "workshop": (
        "p99 latency, ms",
        [
            ("idea_p99_ms", "idea ack"),
            ("dot_ack_p99_ms", "dot ack"),
            ("move_p99_ms", "move"),
            ("breakout_open_p99_ms", "breakout open"),
            ("chat_p99_ms", "chat ack"),
        ],
        True,
    ),
    "idle": (
        "server RSS, MB",
        [
            ("server_rss_mb", "RSS"),
            ("peer_rss_mb", "Node.js Socket.IO relay RSS"),  # idle --peer node
            ("floor_rss_mb", "bare aiohttp server RSS"),  # idle --peer floor
        ],
        False,
    ),
}


LEGEND_INSIDE = 6  # lines a panel's legend may cover; with more it is drawn beside the panel
TARGETS: dict[str, tuple[float, str]] = {"workshop": (250.0, "target: every p99 < 250 ms on one node")}


def suffix(result: dict[str, Any]) -> str:
    """What tells runs of one workload apart within its panel: compression (idle), nodes (workshop)."""
    if result["workload"] == "idle":
        return " (compression offered)" if result.get("compress") else " (no compression)"
    if result["workload"] == "workshop":
        nodes = int(result.get("nodes") or 1)
        return f" ({nodes} node{'s' if nodes > 1 else ''})"
    return ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, help="files holding result lines of earlier runs")
    parser.add_argument("--output", "-o", type=Path, default=Path("bench.png"), help="the PNG (default bench.png)")
    parser.add_argument("--title", default="werkstatt on one node", help="the chart's title")
    parser.add_argument(
        "--keys",
        help="draw only these figures, comma-separated (e.g. p99_ms,peer_p99_ms,floor_p99_ms: p99 of werkstatt "
        "and the peers of fanout --peer)",
    )


def read_results(files: list[Path]) -> list[dict[str, Any]]:
    results = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(result, dict) and result.get("workload") in SERIES and "clients" in result:
                results.append(result)
    return results


def panels(
    results: list[dict[str, Any]], keys: set[str] | None = None, *, every_run: bool = False
) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """workload (with ``compress`` for idle) → line label → sorted (clients, value) points,
    the median of repeated runs (or every run's point, ``every_run``); only the figures
    named in ``keys`` when given."""
    found: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        workload = result["workload"]
        _label, series, _log = SERIES[workload]
        tail = suffix(result)
        for key, label in series:
            if keys is not None and key not in keys:
                continue
            value = result.get(key)
            if isinstance(value, int | float):
                found[workload][label + tail].append((int(result["clients"]), float(value)))
    pick = sorted if every_run else medians
    return {w: {label: pick(points) for label, points in lines.items()} for w, lines in found.items()}


def medians(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Sorted by clients; repeated runs at one number of clients become their median."""
    by_clients: dict[int, list[float]] = defaultdict(list)
    for clients, value in points:
        by_clients[clients].append(value)
    return [(clients, statistics.median(values)) for clients, values in sorted(by_clients.items())]


def draw(results: list[dict[str, Any]], output: Path, title: str, keys: set[str] | None = None) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        raise SystemExit("the chart needs matplotlib: pip install -e '.[bench]'") from None
    drawn = panels(results, keys)
    runs = panels(results, keys, every_run=True)
    if not drawn:
        raise SystemExit("no results of a known workload in those files")
    crowded = max(len(lines) for lines in drawn.values()) > LEGEND_INSIDE  # the legend goes beside the panels
    width = 5.5 * len(drawn) + (3.0 if crowded else 0.0)
    figure, axes = plt.subplots(1, len(drawn), figsize=(width, 4.6), squeeze=False)
    for ax, (workload, lines) in zip(axes[0], sorted(drawn.items()), strict=True):
        ylabel, series, log = SERIES[workload]
        kinds = [label for _key, label in series]
        for original, points in lines.items():
            label = original
            if (workload in ("fanout", "movement") and label in ("p50", "p95", "p99")) or label.startswith("RSS ("):
                label = f"werkstatt {label}"  # beside the peers' lines
            style: dict[str, Any] = {}
            kind = original.split(" (")[0]
            if workload == "workshop" and kind in kinds:  # a colour per interaction; two nodes dashed
                style = {"color": f"C{kinds.index(kind)}", "linestyle": "--" if "nodes)" in original else "-"}
            line = ax.plot([x for x, _y in points], [y for _x, y in points], marker="o", label=label, **style)[0]
            every = runs[workload][original]
            if len(every) > len(points):  # repeated runs: each as a small dot beside the median
                ax.scatter([x for x, _y in every], [y for _x, y in every], s=10, color=line.get_color(), alpha=0.5)
        if workload in TARGETS:
            value, label = TARGETS[workload]
            ax.axhline(value, color="grey", linestyle="--", linewidth=1, label=label)
        if log:
            ax.set_yscale("log")
            plain = matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)  # (matplotlib labels some minor ticks of a short axis: 4×10²)
        ax.set_title(workload)
        ax.set_xlabel("clients")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        if len(lines) > LEGEND_INSIDE:
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
        else:
            ax.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    plt.close(figure)
    return output


def main(args: argparse.Namespace) -> int:
    keys = {key.strip() for key in args.keys.split(",") if key.strip()} if args.keys else None
    output = draw(read_results(args.files), args.output, args.title, keys)
    print(f"wrote {output}")
    return 0
