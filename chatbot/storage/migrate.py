"""Apply the Alembic revisions in `migrations/` from code: no alembic.ini, no CLI.

`upgrade(url)` is safe to call at every start: it is a no-op at head, and on PostgreSQL concurrent callers
(a web and a worker process starting together) wait for each other on an advisory lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from chatbot.storage.db import SQLITE_BEGIN_IMMEDIATE, create_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
_PG_LOCK_KEY = 0x63686174626F74  # "chatbot": serializes migrations across processes on PostgreSQL


def alembic_config(url: str | None = None) -> Config:
    """An Alembic `Config` built in code, pointing at the packaged migrations (and `url`, if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest revision shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at; None for an empty (never migrated) database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`, in one transaction."""
    await _run(url, "upgrade", revision)


async def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`base` drops every table)."""
    await _run(url, "downgrade", revision)


async def _run(url: str, direction: str, revision: str) -> None:
    config = alembic_config(url)
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with engine.connect() as connection:
            # SQLite: take the write lock before Alembic reads its version table, so two migrators queue up.
            await connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
            async with connection.begin():
                if connection.dialect.name == "postgresql":
                    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                await connection.run_sync(_command, config, direction, revision)
                if connection.dialect.name == "sqlite":
                    broken = (await connection.execute(text("PRAGMA foreign_key_check"))).fetchall()
                    if broken:
                        raise RuntimeError(f"migration left {len(broken)} rows with a broken foreign key: {broken[:3]}")
    finally:
        await engine.dispose()


def _command(connection: Connection, config: Config, direction: str, revision: str) -> None:
    config.attributes["connection"] = connection
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
