"""What the leads' digest reads (digest_sql.py builds each query), and the digest schedules as first seen.

Everything is read in one read-only transaction, so the figures of one digest agree with each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, column, inspect, select, table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.domain.jobs import JobKind, JobStatus
from chatbot.storage import digest_sql as q
from chatbot.storage.gate import FairPool
from chatbot.storage.tables import DigestScheduleRow, JobRow, UTCDateTime

# Cases (issue 12, migration 0005): only the columns the digest counts. A database without the table yet (the digest
# shipped first) leaves them out.
CASES = table("cases", column("priority"), column("opened_at", UTCDateTime()), column("closed_at", UTCDateTime()))


@dataclass(frozen=True)
class Split:
    now: int
    before: int


@dataclass(frozen=True)
class DigestRows:
    """The digest's figures as the database counted them, ids not yet turned into labels."""

    runs: list[tuple[str, str | None, str | None, str | None, int, int]]  # status, kind, playbook, step, now, before
    raised: Split
    reescalated: Split
    acknowledged: Split
    ack_median: tuple[float | None, float | None]  # seconds: period, the one before
    ack_p90: tuple[float | None, float | None]
    closed: dict[str, Split]  # by status: returned, resolved
    open_at_ends: Split
    open_items: list[tuple[Any, ...]]
    late_count: Split
    late_items: list[tuple[Any, ...]]
    refused: Split
    sources: list[tuple[str, str, str | None, int, int]]
    runs_volume: dict[int, int]
    escalations_volume: dict[int, int]
    cases: list[tuple[str, Split, Split]] | None


def _split(row: Any) -> Split:
    return Split(int(row[0] or 0), int(row[1] or 0))


def _seconds(value: Any) -> float:
    # SQLite's julianday() arithmetic is a double of days: exact to about 50 µs, so keep milliseconds.
    return round(float(value), 3)


def _percentiles(rows: Sequence[Any]) -> tuple[Split, tuple[float | None, float | None], tuple[float | None, ...]]:
    """From the nearest-rank rows (is_now, rn, n, secs): counts, medians and 90th percentiles per period."""
    counts = {0: 0, 1: 0}
    median: dict[int, float | None] = {0: None, 1: None}
    p90: dict[int, float | None] = {0: None, 1: None}
    for is_now, rn, n, secs in rows:
        counts[is_now] = int(n)
        if rn == (n * 50 + 99) // 100:
            median[is_now] = _seconds(secs)
        if rn == (n * 90 + 99) // 100:
            p90[is_now] = _seconds(secs)
    return Split(counts[1], counts[0]), (median[1], median[0]), (p90[1], p90[0])


class DigestRepo:
    def __init__(self, pool: FairPool, dialect: str) -> None:
        self._pool = pool
        self._dialect = dialect
        self._has_cases: bool | None = None

    async def rows(self, w: q.Window) -> DigestRows:
        d = self._dialect
        async with self._pool.connect() as c:
            if d == "postgresql":  # one snapshot for every query (SQLite's read transaction is one already)
                await c.execution_options(isolation_level="REPEATABLE READ")
            runs = [(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in await _all(c, q.runs_ended(w))]
            raised = (await c.execute(q.raised(w))).one()
            acknowledged, median, p90 = _percentiles(await _all(c, q.acknowledgements(w, d)))
            closed = {str(r[0]): Split(int(r[1]), int(r[2])) for r in await _all(c, q.closed(w))}
            open_at_ends = _split((await c.execute(q.open_at_ends(w))).one())
            open_items = [tuple(r) for r in await _all(c, q.open_items(w))]
            late_count = _split((await c.execute(q.late_high_counts(w, d))).one())
            late_items = [(*r[:6], _seconds(r[6]), float(r[7])) for r in await _all(c, q.late_high_items(w, d))]
            refused = _split((await c.execute(q.refused(w))).one())
            sources = [(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in await _all(c, q.sources(w))]
            runs_volume = {int(r[0]): int(r[1]) for r in await _all(c, q.runs_volume(w))} if w.buckets else {}
            esc_volume = {int(r[0]): int(r[1]) for r in await _all(c, q.escalations_volume(w))} if w.buckets else {}
            cases = await self._cases(c, w)
        return DigestRows(
            runs=runs,
            raised=Split(int(raised[0]), int(raised[1])),
            reescalated=Split(int(raised[2]), int(raised[3])),
            acknowledged=acknowledged,
            ack_median=(median[0], median[1]),
            ack_p90=(p90[0], p90[1]),
            closed=closed,
            open_at_ends=open_at_ends,
            open_items=open_items,
            late_count=late_count,
            late_items=late_items,
            refused=refused,
            sources=sources,
            runs_volume=runs_volume,
            escalations_volume=esc_volume,
            cases=cases,
        )

    async def _cases(self, c: AsyncConnection, w: q.Window) -> list[tuple[str, Split, Split]] | None:
        """Cases opened and closed, by priority; None while the database has no cases table (looked up once)."""
        if self._has_cases is None:
            self._has_cases = await c.run_sync(_has_cases)
        if not self._has_cases:
            return None
        k = CASES.c
        scope = [k.priority.in_(w.priorities)] if w.priorities else []
        counted: dict[str, list[Split]] = {}
        for stamp, index in ((k.opened_at, 0), (k.closed_at, 1)):
            now, before = q.split(stamp, w)
            query = select(k.priority, now, before).where(q.within(stamp, w), *scope).group_by(k.priority)
            for priority, n, b in await _all(c, query):
                counted.setdefault(priority or "none", [Split(0, 0), Split(0, 0)])[index] = Split(int(n), int(b))
        return [(priority, opened, closed) for priority, (opened, closed) in counted.items()]

    # Schedules

    async def earlier_pending(self, key: str, schedule_prefix: str) -> bool:
        """Is a digest of the same schedule for an earlier period still to be posted? (Keys sort by period.)"""
        query = (
            select(JobRow.id)
            .where(
                JobRow.status == JobStatus.PENDING.value,
                JobRow.kind == JobKind.DIGEST.value,
                JobRow.key.startswith(schedule_prefix, autoescape=True),  # a schedule id may hold `_` or `%`
                JobRow.key < key,
            )
            .limit(1)
        )
        async with self._pool.connect() as c:
            return (await c.execute(query)).first() is not None

    async def schedules_since(self, schedules: Sequence[tuple[str, str, str]], now: datetime) -> dict[str, datetime]:
        """When each schedule (id, cron, timezone) was first seen, recording the new ones (and restarting the clock
        of one whose cron or time zone changed): digests that fell due before that are not owed."""
        dialect = postgresql if self._dialect == "postgresql" else sqlite
        async with self._pool.session_begin() as session:
            for sid, cron, zone in schedules:
                values = {"id": sid, "cron": cron, "timezone": zone, "since": now}
                await session.execute(dialect.insert(DigestScheduleRow).values(values).on_conflict_do_nothing())
                await session.execute(
                    update(DigestScheduleRow)
                    .where(
                        DigestScheduleRow.id == sid,
                        (DigestScheduleRow.cron != cron) | (DigestScheduleRow.timezone != zone),
                    )
                    .values(cron=cron, timezone=zone, since=now)
                    .execution_options(synchronize_session=False)
                )
            found = await session.execute(select(DigestScheduleRow.id, DigestScheduleRow.since))
            return {str(sid): since for sid, since in found}


def _has_cases(sync: Connection) -> bool:
    return bool(inspect(sync).has_table("cases"))


async def _all(c: AsyncConnection, query: Select[Any]) -> Sequence[Any]:
    found: Sequence[Any] = (await c.execute(query)).all()
    return found
