"""Fixtures shared by the storage and app tests: a fresh database on every backend under test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from chatbot.storage import Store, create_engine, normalize_url
from chatbot.storage.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not PG_URL,
            reason="set TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) to test PostgreSQL",
        ),
    ),
]


def with_search_path(url: str, schema: str) -> str:
    parsed = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, never-migrated database: a fresh SQLite file, or a fresh PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'chatbot.sqlite3'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, poolclass=NullPool)
    try:
        async with admin.begin() as connection:  # fails loudly (no skip) when the server is unreachable
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield with_search_path(PG_URL, schema)
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """A migrated database's store (a test module may define its own `store`)."""
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    try:
        yield store
    finally:
        await store.close()
