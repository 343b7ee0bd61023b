"""Escalation delivery benchmark: a burst of escalations, all pinged once, under Slack's per-channel rate limit.

Run: .venv/bin/python -m bench.bench_escalations [--escalations 1000] [--channels 50] [--workers 1]
     [--database sqlite|postgresql|both]

The fake Slack limits chat.postMessage to one per second per channel with a burst of 3 (Slack's documented
limit) and answers 429 with Retry-After beyond it. Escalations are spread over `--channels` groups; the drain can
never be faster than escalations / channels seconds. Printed: time to drain, ping latency p50/p99/max (creation to
the ping's Slack timestamp), 429s met, and the checks that nothing was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from chatbot.config import Config, load_config
from chatbot.domain.escalation import Surface
from chatbot.domain.jobs import JobKind, JobStatus
from chatbot.runtime import Runtime
from chatbot.settings import Secret, Settings
from chatbot.storage import create_engine, normalize_url, upgrade
from tests.conftest import with_search_path
from tests.fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def bench_config(channels: int) -> Config:
    base, _ = load_config(ROOT / "config" / "example.yaml")
    data = base.model_dump()
    data.update(playbooks_dir=str(ROOT / "playbooks"), templates_dir=str(ROOT / "templates"))
    for i in range(channels):
        data["groups"][f"bench-{i:03d}"] = {
            "name": f"Bench group {i}",
            "channel": f"C0BENCH{i:03d}",
            "tiers": [["herbert-mena", "edison-gomez"], ["julian-mantilla"], ["tina-desprez"]],
            "working": {
                "timezone": "UTC",
                "hours": "00:00-24:00",
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            },
        }
    return Config.model_validate(data)


async def pg_schema() -> tuple[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    async def drop() -> None:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()

    return with_search_path(PG_URL, schema), drop


async def run(database: str, escalations: int, channels: int, workers: int, work_dir: Path) -> dict[str, Any]:
    drop = None
    if database == "sqlite":
        url = f"sqlite:///{work_dir / f'esc-{uuid.uuid4().hex[:6]}.sqlite3'}"
    else:
        url, drop = await pg_schema()
    await upgrade(normalize_url(url))
    config = bench_config(channels)
    groups = [g for g in config.groups if g.startswith("bench-")]
    async with FakeSlack() as slack:
        slack.rate_limit_post_message(per_second=1.0, burst=3)
        settings = Settings(Secret("xoxb-bench"), Secret("bench-secret"), slack_api_url=slack.api_url, database_url=url)
        runtimes = [await Runtime.create(settings, config) for _ in range(workers)]
        try:
            deps = runtimes[0].deps
            assert deps is not None, "the runtime has no Slack side"
            service = deps.escalations
            created: dict[str, float] = {}
            started = time.time()
            for i in range(escalations):
                esc = await service.manual(
                    group_id=groups[i % len(groups)],
                    summary=f"bench case {i}",
                    priority="normal",
                    reference=str(i),
                    actor="U0BENCH",
                    channel=None,
                )
                created[esc.id] = esc.created_at.timestamp()
            burst_seconds = time.time() - started
            stop = asyncio.Event()
            tasks = [asyncio.create_task(rt.worker.run(stop)) for rt in runtimes]
            store = runtimes[0].store
            while True:
                pinged = sum(1 for j in await store.jobs.list(status="done") if j.kind == JobKind.PING)
                if pinged >= escalations:
                    break
                if time.time() - started > 3600:
                    raise TimeoutError("not drained within an hour")
                await asyncio.sleep(0.2)
            drained = time.time() - started
            stop.set()
            await asyncio.gather(*tasks)
            latencies = []
            roots = 0
            markers = set()
            for group_id in groups:
                for message in slack.messages[config.groups[group_id].channel or ""]:
                    if message.get("thread_ts") not in (None, message["ts"]):
                        continue
                    roots += 1
                    markers.add(message["blocks"][0]["block_id"])
            for esc_id, at in created.items():
                stored = await store.escalations.get(esc_id)
                post = stored.post_on(Surface.SLACK) if stored is not None else None
                assert post is not None, f"escalation {esc_id} has no ping in Slack"
                latencies.append(float(post.message_id) - at)  # the ping's ts is Slack's clock (the fake's: time.time)
            limited = sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429)
            failed = await store.jobs.count(JobStatus.FAILED.value)
        finally:
            for rt in runtimes:
                await rt.close()
            if drop is not None:
                await drop()
    latencies.sort()
    return {
        "database": database,
        "workers": workers,
        "escalations": escalations,
        "channels": channels,
        "burst_s": burst_seconds,
        "drain_s": drained,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "max": latencies[-1],
        "posted": roots,
        "unique": len(markers),
        "rate_limited": limited,
        "failed": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--escalations", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for database in databases:
            print(f"running {database} ...", file=sys.stderr)
            rows.append(asyncio.run(run(database, args.escalations, args.channels, args.workers, Path(tmp))))
    print(
        f"{'database':<11}{'workers':>8}{'escal.':>8}{'chan.':>6}{'burst s':>9}{'drain s':>9}{'p50 s':>8}"
        f"{'p99 s':>8}{'max s':>8}{'posted':>8}{'unique':>8}{'429s':>7}{'failed':>7}"
    )
    for r in rows:
        print(
            f"{r['database']:<11}{r['workers']:>8}{r['escalations']:>8}{r['channels']:>6}{r['burst_s']:>9.1f}"
            f"{r['drain_s']:>9.1f}{r['p50']:>8.1f}{r['p99']:>8.1f}{r['max']:>8.1f}{r['posted']:>8}{r['unique']:>8}"
            f"{r['rate_limited']:>7}{r['failed']:>7}"
        )
    floor = max(args.escalations / args.channels - 3, 0)
    print(
        f"(the rate limit alone needs about {floor:.0f} s: {args.escalations / args.channels:.0f} pings per channel "
        "at 1/s after a burst of 3)"
    )


if __name__ == "__main__":
    main()
