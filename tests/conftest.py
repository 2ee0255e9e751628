"""Shared fixtures: the idea store on SQLite and on PostgreSQL, and a real server; the event loops.

Outside CI a missing PostgreSQL or Redis skips its tests with the reason; with ``CI=true`` it fails.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path

import psycopg
import pytest
import redis

from tests.support import forget_served_apps

try:
    import uvloop
except ImportError:  # not on Windows, where werkstatt serve runs on asyncio's loop
    uvloop = None

IN_CI = os.environ.get("CI") == "true"
PG_ADMIN = os.environ.get("WERKSTATT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("WERKSTATT_TEST_REDIS", "redis://127.0.0.1:6379/0")


# The tests of the websocket under the Socket.IO endpoint run on both event loops: asyncio's
# and uvloop, which `werkstatt serve` runs on (their transports differ in what the endpoint
# relies on: taking a connection over, pausing reading, closing with bytes unsent); so do the tests of
# the Redis fan-out, which takes redis-py's connection over too.
BOTH_LOOPS = {"test_websocket.py", "test_realtime.py", "test_send_budget.py", "test_redis_fanout.py"}


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    if item.path.name in BOTH_LOOPS and uvloop is not None:
        return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.fixture(autouse=True)
def _served_apps_go_with_their_test() -> Iterator[None]:
    """No app outlives its test (``tests.support.forget_served_apps`` says why: held, they made
    garbage collections stall the event loop for seconds)."""
    yield
    forget_served_apps()


def missing(reason: str) -> None:
    """Skip for a missing service or browser, or fail in CI where nothing may be skipped."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> str:
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except (OSError, psycopg.Error) as exc:
        missing(f"PostgreSQL is not reachable at {PG_ADMIN}: {exc}")
    return PG_ADMIN


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the fan-out across nodes is tested with (nodes' channels are named by fresh ids)."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except (OSError, redis.RedisError) as exc:
        missing(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


async def _admin(pg_server: str, statement: str) -> None:
    async with await psycopg.AsyncConnection.connect(pg_server, autocommit=True) as admin:
        await admin.execute(statement)


@pytest.fixture
async def pg_url(pg_server: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"werkstatt_test_{secrets.token_hex(6)}"
    await _admin(pg_server, f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    await _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'werkstatt.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
    else:
        yield request.getfixturevalue("pg_url")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for as long as the session's browser lives, which async tests must not meet."""
    items.sort(key=lambda item: item.path.parent.name == "browser")
