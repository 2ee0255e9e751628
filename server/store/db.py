"""The database engine and the schema migrations, over SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from server.settings import sqlalchemy_url
from server.store.search import stems

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_READERS = 4  # SQLite: reads at once, beside the one writer
DB_THREADS = 10  # PostgreSQL: transactions at once (the store's threads, the engine's connections)
MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql://…``); the store runs its
    transactions on threads of its own (``board_store.in_thread``).

    SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed change survives
    a crash of the process or the machine; writers wait up to 10 s for each other.
    """
    driver_url = sqlalchemy_url(url)
    if driver_url.startswith("sqlite"):
        # connections are used on the store's threads, made on others
        args: dict[str, Any] = {"timeout": 10, "check_same_thread": False}
        if in_memory(url):  # one connection, or each thread would see a database of its own
            engine = sa.create_engine(
                driver_url, connect_args=args, poolclass=sa.StaticPool, json_deserializer=orjson.loads
            )
        else:
            engine = sa.create_engine(driver_url, connect_args=args, json_deserializer=orjson.loads)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
            # the idea store's search index calls it from its triggers (migration 0009)
            dbapi_conn.create_function("werkstatt_stems", 1, stems, deterministic=True)

        return engine
    return sa.create_engine(
        driver_url, pool_size=DB_THREADS, max_overflow=0, pool_pre_ping=True, json_deserializer=orjson.loads
    )


def in_memory(url: str) -> bool:
    """Whether ``url`` is an SQLite database in memory (``sqlite://``, ``sqlite:///:memory:``)."""
    parsed = sa.make_url(sqlalchemy_url(url))
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _alembic_config() -> Config:
    from alembic.config import Config  # imported only to migrate: `serve` migrates in a child process

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


MIGRATION_LOCK = 0x7765726B  # "werk": the PostgreSQL advisory lock a migration holds until it commits


async def migrate(engine: sa.Engine) -> None:
    """Bring the schema up to the newest migration (idempotent); on PostgreSQL under an advisory lock, so that
    several nodes starting at once do not migrate at once (the second finds the schema up to date)."""
    from alembic import command

    def upgrade() -> None:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # nodes that start together migrate one after the other
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    await asyncio.to_thread(upgrade)


def head_revision() -> str:
    """The newest migration the code ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


async def schema_revision(engine: sa.Engine) -> str | None:
    def read() -> str | None:
        with engine.connect() as conn:
            try:
                result = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            except sa.exc.DBAPIError:
                return None
            return result.scalar_one_or_none()

    return await asyncio.to_thread(read)
