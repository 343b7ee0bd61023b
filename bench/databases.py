"""Throw-away databases for bench_slack: a SQLite file in a temporary folder, or a fresh PostgreSQL schema.

No `chatbot` import: the served checkout (``--app-dir``) migrates its own schema (`chatbot serve` does it for
SQLite at start-up; `chatbot migrate` is run for PostgreSQL, as a deployment does), and the figures read back after
a run come from plain SQL, so the bench keeps working while the app's code is being changed.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import asyncpg

from bench.procs import PYTHON, Children

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
COUNTS = {
    "runs": "SELECT COUNT(*) FROM runs",
    "escalations": "SELECT COUNT(*) FROM escalations",
    "jobs failed": "SELECT COUNT(*) FROM jobs WHERE status = 'failed'",
    "jobs not done": "SELECT COUNT(*) FROM jobs WHERE status NOT IN ('done', 'failed')",
}


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1).split("?", 1)[0]


@asynccontextmanager
async def sqlite_database(folder: Path) -> AsyncIterator[str]:
    """A SQLite file `chatbot serve` migrates itself at start-up; the folder is the caller's to remove."""
    yield f"sqlite+aiosqlite:///{folder / 'chatbot.sqlite3'}"


@asynccontextmanager
async def postgres_database(admin_url: str, children: Children, app_dir: Path) -> AsyncIterator[str]:
    """A fresh schema, migrated with `chatbot migrate` of the served checkout, dropped on the way out."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(admin_url))
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = f"{admin_url.split('?', 1)[0]}?options={quote(f'-csearch_path={schema}')}"
            env = {"DATABASE_URL": url, "PYTHONPATH": str(app_dir)}
            child = await children.start("chatbot migrate", [PYTHON, "-m", "chatbot", "migrate"], env, cwd=app_dir)
            if await child.process.wait() != 0:
                raise RuntimeError(f"chatbot migrate failed: {child.stderr_tail()}")
            await children.stop(child)
            yield url
        finally:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()


async def db_counts(url: str) -> dict[str, int]:
    """Runs, escalations and jobs, and audit events by action ("start", "choose", "escalation.claim", ...)."""
    rows: list[tuple[str, int]] = []
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split(":///", 1)[1])
        try:
            for name, sql in COUNTS.items():
                rows.append((name, int(connection.execute(sql).fetchone()[0])))
            grouped = connection.execute("SELECT action, COUNT(*) FROM audit_events GROUP BY action").fetchall()
            rows.extend((f"audit {action}", int(n)) for action, n in grouped)
        finally:
            connection.close()
    else:
        schema = url.split("search_path%3D", 1)[1]
        connection = await asyncpg.connect(_dsn(url), server_settings={"search_path": schema})
        try:
            for name, sql in COUNTS.items():
                rows.append((name, int(await connection.fetchval(sql))))
            grouped = await connection.fetch("SELECT action, COUNT(*) FROM audit_events GROUP BY action")
            rows.extend((f"audit {r[0]}", int(r[1])) for r in grouped)
        finally:
            await connection.close()
    return dict(rows)
