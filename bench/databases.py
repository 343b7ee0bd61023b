"""Throw-away databases for bench_slack: a SQLite file in a temporary folder, or a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from chatbot.storage import create_engine, normalize_url, upgrade

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def with_search_path(url: str, schema: str) -> str:
    parsed = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@asynccontextmanager
async def sqlite_database(folder: Path) -> AsyncIterator[str]:
    """A SQLite file `chatbot serve` migrates itself at start-up; the folder is the caller's to remove."""
    yield f"sqlite+aiosqlite:///{folder / 'chatbot.sqlite3'}"


@asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh schema, migrated as `chatbot migrate` would, dropped on the way out."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, poolclass=NullPool)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = with_search_path(admin_url, schema)
            await upgrade(url)
            yield url
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


async def audit_counts(url: str) -> dict[str, int]:
    """Audit events by action ("start", "choose", "restart", ...), and the number of runs as "runs"."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT action, COUNT(*) FROM audit_events GROUP BY action"))
            counts = {str(action): int(count) for action, count in rows}
            counts["runs"] = int((await connection.execute(text("SELECT COUNT(*) FROM runs"))).scalar_one())
            return counts
    finally:
        await engine.dispose()


async def run_versions(url: str) -> dict[str, int]:
    """Every run's id and version, as the database has them."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT id, version FROM runs"))
            return {str(run_id): int(version) for run_id, version in rows}
    finally:
        await engine.dispose()
