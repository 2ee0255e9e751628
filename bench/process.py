"""The server under test, as a separate process whose CPU time and memory can be read.

It is started the way an operator starts it (``python -m server serve``) on a free port
with its own SQLite file (or the database and Redis it is given: several nodes of one
workshop), and read through ``/proc`` (Linux): CPU seconds from
``/proc/PID/stat`` (user + system), memory from ``/proc/PID/status`` (``VmRSS`` now,
``VmHWM`` the peak).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_file_limit() -> int:
    """Let this process (and the server it starts) hold thousands of sockets."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from ``/proc/PID/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def loop_seconds(pid: int) -> tuple[float, float]:
    """The main thread's (the event loop's) seconds on a CPU, and its seconds runnable but waiting
    for one, from ``/proc/PID/task/PID/schedstat`` (nanoseconds; the scheduler's statistics). On
    a CPU plus waiting for one close to the wall time: the loop never idled (the first in its own
    work, the second because the machine's cores were busy with other processes)."""
    fields = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()
    return int(fields[0]) / 1e9, int(fields[1]) / 1e9


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of a process in MiB, from ``/proc/PID/status``."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def reset_peak_memory(pid: int) -> bool:
    """Set ``VmHWM`` back to the current RSS (Linux ≥ 4.0), so that the peak of a measured
    phase is not the set-up's (the organizer's login hashes a password with 64 MiB)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def generator_cpu() -> float:
    """CPU seconds of this process (every thread), the load generator."""
    return time.process_time()


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_postgres(prefix: str = "werkstatt_bench") -> tuple[str, Callable[[], None]]:
    """A fresh, empty database on the PostgreSQL at 127.0.0.1:5432: its URL, and what drops it."""
    import sqlalchemy as sa

    name = f"{prefix}_{os.getpid()}"
    admin = sa.create_engine(
        POSTGRES_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}", drop


def postgres_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the database of ``url`` (the nodes'
    pooled connections), by process id, read from ``/proc`` (the database runs on this machine)."""
    import sqlalchemy as sa

    from server.settings import sqlalchemy_url

    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            found = {}
            for pid in pids:
                try:
                    found[int(pid)] = cpu_seconds(int(pid))
                except OSError:  # gone meanwhile, or not on this machine
                    continue
    finally:
        engine.dispose()
    return found


async def redis_cpu(url: str) -> float:
    """The Redis server's CPU seconds (``INFO cpu``: user + system), whoever used it."""
    import redis.asyncio as aioredis

    admin = aioredis.Redis.from_url(url)
    try:
        info = await admin.info("cpu")
    finally:
        await admin.aclose()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class ServerProcess:
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: asyncio.subprocess.Process | None = None
    db_file: Path | None = None  # another node's database (two nodes on one SQLite file); else its own
    database_url: str | None = None  # None: an SQLite file of its own in ``workdir``
    redis: str | None = None  # ``--redis``: the fan-out across nodes

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.db_path}"

    @property
    def db_path(self) -> Path:
        return self.db_file or self.workdir / "bench.db"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}
        env.update(self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    async def create_organizer(self, username: str, password: str) -> None:
        command = [sys.executable, "-m", "server", "organizer", "create", username, "--password-stdin"]
        proc = await asyncio.create_subprocess_exec(
            *command,
            "--database",
            self.database,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self._environment(),
        )
        output, _ = await proc.communicate(password.encode())
        if proc.returncode != 0:
            raise RuntimeError(f"creating the organizer failed: {output.decode(errors='replace')}")

    async def start(self, *, wait_s: float = 60) -> None:
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                "--database",
                self.database,
                *(["--redis", self.redis] if self.redis else []),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=self._environment(),
            )
        await wait_until_healthy(self.proc, self.base, wait_s, "the server", self.log_tail)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def memory_mb(self) -> dict[str, float]:
        return memory_mb(self.pid)

    def loop_seconds(self) -> tuple[float, float]:
        return loop_seconds(self.pid)

    def reset_peak_memory(self) -> bool:
        return reset_peak_memory(self.pid)

    async def stop(self, *, wait_s: float = 15) -> int | None:
        """SIGTERM (a clean shutdown that closes the store), SIGKILL after ``wait_s``."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), wait_s)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_errors(self) -> list[str]:
        """Lines of the server log that report an error (tracebacks, ERROR)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "ERROR" in line or line.startswith("Traceback")]


async def wait_until_healthy(
    proc: asyncio.subprocess.Process, base: str, wait_s: float, what: str, log_tail: Callable[[], str]
) -> None:
    """Poll ``base``/healthz until it answers 200; fail with the log's tail if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + wait_s
    async with aiohttp.ClientSession() as http:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log_tail()}")
            try:
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer /healthz within {wait_s} s:\n{log_tail()}")
            await asyncio.sleep(0.1)
