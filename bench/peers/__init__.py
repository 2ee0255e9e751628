"""The peers of the fan-out and idle workloads: what werkstatt's figures are compared with in the same run.

- ``node``: a minimal Node.js Socket.IO relay (``node-relay/relay.js``, the ``socket.io``
  package from npm, pinned in ``package.json`` and ``package-lock.json``) — what a team
  would otherwise deploy. ``npm ci`` installs it into ``node-relay/node_modules`` on first
  use (again only when the installed ``socket.io`` is not the pinned one).
- ``floor``: a bare aiohttp websocket broadcast (``floor.py``) — what the event loop can do
  at all.

Each runs as its own process on a free port of 127.0.0.1 and is measured like the server
(CPU seconds and peak RSS from ``/proc``). Both accept any ``token`` and put everyone in one
room, so the crowd connects without joining over HTTP. ``bench/peering.py`` runs a workload
against them.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.process import ServerProcess, free_port, raise_file_limit, wait_until_healthy

HERE = Path(__file__).resolve().parent
RELAY = HERE / "node-relay"
PEERS = {
    "node": ("peer_", "a minimal Node.js Socket.IO relay (bench/peers/node-relay)"),
    "floor": ("floor_", "a bare aiohttp websocket broadcast (bench/peers/floor.py)"),
}
"""name → (prefix of its figures in the result, what it is)."""


class PeerSkipped(Exception):
    """The peer cannot run here (e.g. no ``node``); the reason goes into the result."""


def pinned_socketio() -> str:
    return json.loads((RELAY / "package.json").read_text(encoding="utf-8"))["dependencies"]["socket.io"]


def installed_socketio() -> str | None:
    try:
        return json.loads((RELAY / "node_modules/socket.io/package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_node_relay(*, quiet: bool = False) -> str:
    """Check for ``node`` and install the relay with ``npm ci`` unless the pinned ``socket.io``
    is already there (idempotent); returns ``node``'s path. Raises PeerSkipped with the reason."""
    node = shutil.which("node")
    if node is None:
        raise PeerSkipped("node is not on PATH (the Node.js relay needs Node.js 18 or later and npm)")
    if installed_socketio() == pinned_socketio():
        return node
    npm = shutil.which("npm")
    if npm is None:
        raise PeerSkipped("npm is not on PATH, so the Node.js relay's socket.io cannot be installed (npm ci)")
    if not quiet:
        print(f"installing the Node.js relay: npm ci in {RELAY}", flush=True)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=RELAY,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or installed_socketio() != pinned_socketio():
        raise PeerSkipped(
            f"npm ci failed in {RELAY} ({done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}"
        )
    return node


def node_version(node: str) -> str:
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False, timeout=30)
    return done.stdout.strip()


@dataclass
class PeerProcess(ServerProcess):
    """A peer server: started with ``command`` + ``--port P``, ready when ``/healthz`` answers."""

    command: list[str] = field(default_factory=list)
    cwd: Path | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "peer.log"

    async def start(self, *, wait_s: float = 60) -> None:
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.cwd,
                env=self._environment(),
            )
        await wait_until_healthy(self.proc, self.base, wait_s, "the peer", self.log_tail)

    def log_errors(self) -> list[str]:
        """Lines of the peer's log that report an error (a Python traceback, a Node exception)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "Error" in line or line.startswith("Traceback")]


def command(name: str) -> tuple[list[str], Path | None, str]:
    """The peer's command line, working directory and a description with versions."""
    if name == "node":
        node = ensure_node_relay()
        return [node, "relay.js"], RELAY, f"socket.io {installed_socketio()} on Node.js {node_version(node)}"
    if name == "floor":
        return [sys.executable, "-m", "bench.peers.floor"], Path.cwd(), f"aiohttp {aiohttp.__version__}"
    raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")


@asynccontextmanager
async def peer(name: str, *, keep: bool = False) -> AsyncIterator[tuple[PeerProcess, str]]:
    """Start peer ``name`` on a free port; yields the process and its description. Raises
    PeerSkipped (before anything is started) when it cannot run here."""
    argv, cwd, what = command(name)
    raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix=f"werkstatt-bench-{name}-"))
    process = PeerProcess(workdir, command=argv, cwd=cwd)
    if name == "floor":  # run from the repository root, where the bench package is
        process.env["PYTHONPATH"] = str(HERE.parents[1])
    try:
        await process.start()
        yield process, what
    finally:
        await process.stop()
        if keep:
            print(f"kept {workdir} (peer.log)", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
