"""Several werkstatt nodes as an operator runs them: ``werkstatt serve`` processes on one PostgreSQL and one Redis.

Each node is a process of its own (killed with SIGKILL where a test says so); the test sets the event up through
the store, as the organizer's pages do, and connects real clients to the nodes it chooses.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bench.process import ServerProcess, free_port, wait_until_healthy
from boards.actors import Role
from server.store.db import create_engine, migrate
from server.store.idea_store import Event, IdeaStore
from tests.support import FIELDS


@dataclass
class NodeProcess(ServerProcess):
    """``werkstatt serve --database <PostgreSQL> --redis <Redis>`` on a free port, its log in ``workdir``."""

    database_url: str = ""
    redis_url: str = ""
    name: str = "node"

    @property
    def database(self) -> str:
        return self.database_url

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    async def start(self, *, wait_s: float = 60) -> None:
        self.port = self.port or free_port()  # a node started again keeps its address
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                *["--database", self.database_url, "--redis", self.redis_url],
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=self._environment(),
            )
        await wait_until_healthy(self.proc, self.base, wait_s, self.name, self.log_tail)

    async def kill(self) -> None:
        """SIGKILL: the node dies at once, with whatever it had in memory and in flight."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()


@asynccontextmanager
async def nodes(
    count: int, database_url: str, redis_url: str, workdir: Path, settings: dict[str, str] | None = None
) -> AsyncIterator[list[NodeProcess]]:
    """``count`` nodes, started one after the other (the first migrates the database); stopped afterwards.
    ``settings``: more environment (``WERKSTATT_…``) for every node."""
    env = {"WERKSTATT_JOIN_BURST_PER_ADDRESS": "1000", **(settings or {})}  # the clients all join from 127.0.0.1
    started: list[NodeProcess] = []
    try:
        for n in range(count):
            node = NodeProcess(workdir, dict(env), database_url=database_url, redis_url=redis_url, name=f"node{n}")
            started.append(node)
            await node.start()
        yield started
    finally:
        for node in started:
            await node.stop()


@dataclass
class RedisProcess:
    """A Redis of the test's own (``redis-server`` on a free port, nothing persisted), to stop and start again."""

    port: int = 0
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.port = self.port or free_port()
        self.proc = await asyncio.create_subprocess_exec(
            *["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=asyncio.subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    await client.ping()
                    return
                except (RedisError, OSError):
                    await asyncio.sleep(0.05)
            raise RuntimeError(f"redis-server did not answer on port {self.port}")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()


@asynccontextmanager
async def own_redis() -> AsyncIterator[RedisProcess]:
    redis = RedisProcess()
    await redis.start()
    try:
        yield redis
    finally:
        await redis.stop()


@asynccontextmanager
async def store_of(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    try:
        yield store
    finally:
        await store.close()


async def make_event(database_url: str) -> tuple[Event, dict[Role, str]]:
    """An event with its invitation links, made in the database the nodes share."""
    async with store_of(database_url) as store:
        organizer = await store.create_organizer("orga", "not-a-real-hash")
        event = await store.create_event(
            organizer.id,
            title="Werkstatt auf drei Knoten",
            description="",
            date=None,
            language="de",
            field_names=FIELDS,
        )
        return event, await store.links(event.id)
