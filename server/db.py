"""The database engine and the schema migrations, over SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.settings import sqlalchemy_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (``sqlite:///…`` or ``postgresql://…``).

    SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed change survives
    a crash of the process or the machine; writers wait up to 10 s for each other.
    """
    async_url = sqlalchemy_url(url)
    if async_url.startswith("sqlite"):
        engine = create_async_engine(async_url, connect_args={"timeout": 10})

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    return create_async_engine(async_url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _alembic_config() -> Config:
    from alembic.config import Config  # imported only to migrate: `serve` migrates in a child process

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema up to the newest migration (idempotent)."""

    from alembic import command

    def upgrade(connection: sa.Connection) -> None:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


def head_revision() -> str:
    """The newest migration the code ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


async def schema_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        try:
            result = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        except sa.exc.DBAPIError:
            return None
        return result.scalar_one_or_none()
