"""Digest benchmark: how long the leads' digest takes to compute for one day and for one week over 90 days of a busy
team (bench/digest_data.py: 100,000 runs, 100,000 escalations, 400,000 escalation sources, 1,000,000 audit events,
110,000 jobs), on SQLite and PostgreSQL, and the plan of each of its queries.

Run: .venv/bin/python -m bench.bench_digest [--database sqlite|postgresql|both] [--repeat 5]
     [--runs 100000] [--escalations 100000] [--audit-events 1000000] [--no-explain] [--full-plans]

Printed, per database: the load time, then for a day and a week the first computation (fresh connections) and the
median and worst of `--repeat` more, and EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL) of every query
of the week's digest. The targets (issue 13): under 1 s on PostgreSQL and under 3 s on SQLite. Figures are printed,
not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.pool import NullPool

from bench.digest_data import Generator, Volume, load_postgres, load_sqlite, now_utc
from chatbot.config import Config, load_config
from chatbot.domain.digest import Period
from chatbot.engine.catalog import build_engine
from chatbot.services.digests import DigestService
from chatbot.storage import Store, create_engine, normalize_url, upgrade

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ZONE = "America/New_York"
QUERIES = (  # in the order DigestRepo.rows runs them
    "runs ended, by outcome",
    "escalations raised, re-escalated",
    "time to acknowledge (percentiles)",
    "returned / resolved",
    "open at both ends",
    "oldest open",
    "late high priority (counts)",
    "late high priority (rows)",
    "pings refused",
    "where escalations come from",
    "chart: runs per day",
    "chart: escalations per day",
    "cases opened, by priority",
    "cases closed, by priority",
)
TABLES = ("runs", "escalations", "escalation_sources", "jobs", "cases")
HIGHLIGHTS = ("Scan", "Nested Loop", "Hash Join", "Index Cond", "Execution Time")


def config() -> Config:
    base, _ = load_config(ROOT / "config" / "example.yaml")
    data = base.model_dump()
    data.update(playbooks_dir=str(ROOT / "playbooks"), templates_dir=str(ROOT / "templates"))
    return Config.model_validate(data)


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


class Captured:
    """The statements (and parameters) a digest sends, to EXPLAIN them afterwards."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        lowered = statement.lower()
        if lowered.lstrip().startswith(("select", "with")) and any(f" {t}" in lowered for t in TABLES):
            self.statements.append((statement, parameters))


async def measure(url: str, cfg: Config, repeat: int, explain: bool, full_plans: bool) -> None:
    engine = build_engine(cfg)
    store = Store(create_engine(url))
    now = now_utc()
    service = DigestService(cfg, store, engine.catalog, lambda: now)
    try:
        for name, length in (("day", timedelta(days=1)), ("week", timedelta(days=7))):
            period = Period(now - length, now, ZONE)
            first = await timed(lambda period=period: service.compute(period))  # type: ignore[misc]
            times = [await timed(lambda period=period: service.compute(period)) for _ in range(repeat)]  # type: ignore[misc]
            digest = await service.compute(period)
            median = statistics.median(times) * 1000
            print(
                f"  digest of a {name:<4}: first {first * 1000:7.1f} ms, then median {median:7.1f} ms, worst"
                f" {max(times) * 1000:7.1f} ms   ({digest.raised.now:.0f} escalations raised,"
                f" {digest.runs_ended.now:.0f} runs ended, {len(digest.sources)} source rows)"
            )
        if explain:
            await explain_week(store, service, now, full_plans)
    finally:
        await store.close()


async def explain_week(store: Store, service: DigestService, now: Any, full: bool) -> None:
    captured = Captured()
    event.listen(store.engine.sync_engine, "before_cursor_execute", captured)
    try:
        await service.compute(Period(now - timedelta(days=7), now, ZONE))
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", captured)
    postgres = store.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
    print("  plans of the week's queries:")
    for i, (statement, parameters) in enumerate(captured.statements):
        name = QUERIES[i] if i < len(QUERIES) else f"query {i + 1}"
        async with store.engine.connect() as connection:
            rows = (await connection.exec_driver_sql(prefix + statement, parameters)).all()
        lines = [str(r[0]) for r in rows] if postgres else [str(r[-1]) for r in rows]
        if postgres and not full:  # the access paths and the time; --full-plans for everything
            lines = [line for line in lines if any(word in line for word in HIGHLIGHTS)]
        print(f"    -- {name}")
        for line in lines:
            print(f"       {line}")


async def postgres_schema() -> tuple[str, str, Callable[[], Awaitable[None]]]:
    schema = f"bench_digest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    async def drop() -> None:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()

    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    return url, schema, drop


async def run(database: str, volume: Volume, repeat: int, explain: bool, full_plans: bool, work_dir: Path) -> None:
    cfg = config()
    gen = Generator(build_engine(cfg).catalog, list(cfg.groups), now_utc(), volume)
    drop = None
    if database == "sqlite":
        path = work_dir / "digest.sqlite3"
        url = f"sqlite:///{path}"
        await upgrade(normalize_url(url))
        loaded = await asyncio.to_thread(load_sqlite, str(path), gen)
        size = f"{path.stat().st_size / 1e6:.0f} MB file"
    else:
        url, schema, drop = await postgres_schema()
        await upgrade(normalize_url(url))
        loaded = await load_postgres(PG_URL.replace("postgresql+asyncpg", "postgresql"), schema, gen)
        size = f"schema {schema}"
    try:
        print(f"{database}: loaded {volume.runs:,} runs, {volume.escalations:,} escalations (with sources and jobs), "
              f"{volume.audit_events:,} audit events in {loaded:.1f} s ({size})")  # fmt: skip
        await measure(url, cfg, repeat, explain, full_plans)
    finally:
        if drop is not None:
            await drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=Volume.runs)
    parser.add_argument("--escalations", type=int, default=Volume.escalations)
    parser.add_argument("--audit-events", type=int, default=Volume.audit_events)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--full-plans", action="store_true", help="every line of PostgreSQL's plans")
    args = parser.parse_args()
    volume = Volume(runs=args.runs, escalations=args.escalations, audit_events=args.audit_events)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory() as tmp:
        for database in databases:
            asyncio.run(run(database, volume, args.repeat, not args.no_explain, args.full_plans, Path(tmp)))


if __name__ == "__main__":
    main()
