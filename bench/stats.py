"""Percentiles, and the meter that brackets a measured phase (wall time, both processes' CPU)."""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.process import ServerProcess, generator_cpu, loop_seconds

# The generator shares the machine with the server: past this share of one core it may
# itself be the bottleneck, and latencies it reports include its own queueing.
GENERATOR_BUSY_SHARE = 0.85


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by the nearest-rank method; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def latency_figures(seconds: Sequence[float], prefix: str = "") -> dict[str, float | None]:
    """``p50_ms``, ``p95_ms``, ``p99_ms`` and ``max_ms`` of latencies given in seconds."""
    ordered = sorted(seconds)
    return {
        f"{prefix}p50_ms": ms(percentile(ordered, 50)),
        f"{prefix}p95_ms": ms(percentile(ordered, 95)),
        f"{prefix}p99_ms": ms(percentile(ordered, 99)),
        f"{prefix}max_ms": ms(ordered[-1] if ordered else None),
    }


@dataclass
class Meter:
    """Wall time and the CPU seconds of server and generator between ``start`` and ``stop``.

    ``more``: further nodes of the same deployment, measured alike: then ``server_cpu_s`` is the
    nodes' sum, ``server_rss_mb`` the largest node's peak, and ``per_node`` has each node's own
    (with its event loop's seconds on a CPU and waiting for one, ``loop_cpu_s`` and ``loop_wait_s``)."""

    server: ServerProcess
    started: float = 0.0
    reset_peak: bool = True  # measure the peak RSS of this phase only
    profile: str | None = None  # record the server with py-spy into this file (.svg, .json or raw stacks)
    more: Sequence[ServerProcess] = ()
    _profiler: subprocess.Popen[bytes] | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    per_node: list[dict[str, float]] = field(default_factory=list)  # each node's cpu_s and rss_mb
    _server_cpu: list[float] = field(default_factory=list)
    _loops: list[tuple[float, float]] = field(default_factory=list)
    _generator_cpu: float = 0.0
    _generator_wait: float = 0.0

    @property
    def nodes(self) -> list[ServerProcess]:
        return [self.server, *self.more]

    def start(self) -> None:
        if self.reset_peak:
            for node in self.nodes:
                node.reset_peak_memory()
        if self.profile:
            self._profiler = start_profiler(self.server.pid, self.profile)
        self.started = time.perf_counter()
        self._server_cpu = [node.cpu_seconds() for node in self.nodes]
        self._loops = [node.loop_seconds() for node in self.nodes]
        self._generator_cpu = generator_cpu()
        self._generator_wait = loop_seconds(os.getpid())[1]

    def stop(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.started
        cpu = [node.cpu_seconds() - before for node, before in zip(self.nodes, self._server_cpu, strict=True)]
        loops = [
            (on - on_before, waiting - waiting_before)
            for (on, waiting), (on_before, waiting_before) in zip(
                (node.loop_seconds() for node in self.nodes), self._loops, strict=True
            )
        ]
        gen_cpu = generator_cpu() - self._generator_cpu
        gen_wait = loop_seconds(os.getpid())[1] - self._generator_wait
        # the peak of the measured phase (of the whole run where the kernel cannot reset it)
        rss = [node.memory_mb().get("VmHWM", 0.0) for node in self.nodes]
        if self._profiler is not None:
            self._profiler.send_signal(signal.SIGINT)  # py-spy writes its output and exits
            self._profiler.wait(60)
            print(f"profile of the server written to {self.profile}", flush=True)
        self.per_node = [
            {"cpu_s": round(c, 2), "rss_mb": round(r, 1), "loop_cpu_s": round(on, 2), "loop_wait_s": round(waiting, 2)}
            for c, r, (on, waiting) in zip(cpu, rss, loops, strict=True)
        ]
        self.figures = {
            "wall_s": round(wall, 2),
            "server_cpu_s": round(sum(cpu), 2),
            "server_rss_mb": round(max(rss), 1),
            "generator_cpu_s": round(gen_cpu, 2),
            "generator_wait_s": round(gen_wait, 2),  # its loop runnable, waiting for a CPU
            "generator_busy": gen_cpu / wall > GENERATOR_BUSY_SHARE if wall > 0 else False,
        }
        return self.figures


def start_profiler(pid: int, output: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the server (``pip install py-spy``; it must be on PATH)."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("--profile needs py-spy on PATH (pip install py-spy)")
    kind = {".svg": "flamegraph", ".json": "speedscope"}.get(output[output.rfind(".") :], "raw")
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--output", output, "--format", kind, "--rate", "200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
