"""The data bench_digest counts: 90 days of a busy support team, generated from a fixed seed and loaded in bulk.

Default volume: 100,000 runs (85% finished at one of their playbook's real outcomes, 10% cancelled, 5% still
active), 100,000 escalations (90% from a run, the rest by hand; 10% high priority; 98% closed; most acknowledged
within minutes, some late; one in ten re-escalated), four escalation_sources rows each (the path that led there),
1,000,000 audit events and 110,000 jobs (a ping per escalation, 1% refused; reminders). Timestamps are spread over
the 90 days before `now`, more on weekdays and in working hours, so a day holds about 1,100 escalations.

Loading: PostgreSQL through COPY (asyncpg's copy_records_to_table); SQLite through executemany in one transaction on
a plain sqlite3 connection. Rows are built in batches, so memory stays flat.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from chatbot.engine.loader import Catalog
from chatbot.storage.tables import escalation_sources, escalations, jobs, runs

BATCH = 20_000
PRIORITIES = ("high",) * 10 + ("normal",) * 75 + ("low",) * 15
CLOSED = ("resolved",) * 7 + ("returned",)
Row = tuple[Any, ...]
HANDLERS = ("U00000HM01", "U00000EG02", "U00000JM03", "U00000TD04", "U00000TS07")


@dataclass(frozen=True)
class Volume:
    runs: int = 100_000
    escalations: int = 100_000
    audit_events: int = 1_000_000
    days: int = 90


def _stamp(moment: datetime, sqlite: bool) -> Any:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment


class Generator:
    def __init__(self, catalog: Catalog, groups: Sequence[str], now: datetime, volume: Volume, seed: int = 13):
        self.rng = random.Random(seed)
        self.now = now
        self.volume = volume
        self.groups = list(groups)
        self.playbooks = [pb for pb in catalog if any(s.outcome for s in pb.spec.steps)]
        self.outcomes = {pb.id: [s for s in pb.spec.steps if s.outcome] for pb in self.playbooks}
        self.questions = {pb.id: [s for s in pb.spec.steps if s.choices or s.fields] for pb in self.playbooks}
        self.run_playbooks: list[str] = []

    def moment(self) -> datetime:
        """Somewhere in the last `days`: weekdays twice as busy, working hours (13-22 UTC) three times."""
        while True:
            at = self.now - timedelta(seconds=self.rng.random() * self.volume.days * 86400)
            weight = (2 if at.weekday() < 5 else 1) * (3 if 13 <= at.hour < 22 else 1)
            if self.rng.random() * 6 < weight:
                return at

    def runs(self, sqlite: bool) -> Iterator[tuple[Any, ...]]:
        for i in range(self.volume.runs):
            pb = self.rng.choice(self.playbooks)
            self.run_playbooks.append(pb.id)
            created = self.moment()
            ended = created + timedelta(minutes=self.rng.uniform(2, 25))
            draw = self.rng.random()
            status, kind, where, finished = "active", None, (None, None), None
            if draw < 0.85:
                step = self.rng.choice(self.outcomes[pb.id])
                assert step.outcome is not None
                status, kind, where, finished = "finished", step.outcome.kind.value, (pb.id, step.id), ended
            elif draw < 0.95:
                status, finished = "cancelled", ended
            state = f'{{"schema":1,"playbook":"{pb.id}","current":"{pb.id}","step":"x","version":6}}'
            values = {
                "id": f"run{i:08d}", "playbook_id": pb.id, "playbook_version": "bench", "state_json": state,
                "version": 6, "status": status, "surface": "slack", "team_id": "T0BENCH", "channel_id": "C0SUPPORT",
                "message_ts": f"{1796000000 + i}.000100", "owner_id": f"U0AGENT{i % 40:02d}",
                "created_at": _stamp(created, sqlite), "updated_at": _stamp(finished or created, sqlite),
                "outcome_kind": kind, "outcome_playbook": where[0], "outcome_step": where[1],
                "finished_at": _stamp(finished, sqlite) if finished else None,
            }  # fmt: skip
            yield tuple(values.get(c.name) for c in runs.columns)  # columns it does not set: NULL

    def escalations(self, sqlite: bool) -> Iterator[tuple[Row, list[Row], list[Row]]]:
        """Each escalation with its sources and jobs."""
        for i in range(self.volume.escalations):
            created = self.moment()
            by_hand = self.rng.random() < 0.1
            run_index = self.rng.randrange(self.volume.runs)
            playbook = self.run_playbooks[run_index]
            priority = self.rng.choice(PRIORITIES)
            recent = created > self.now - timedelta(days=2)
            open_now = (recent and self.rng.random() < 0.3) or self.rng.random() < 0.002
            acked = None
            if not (open_now and self.rng.random() < 0.5):
                acked = created + timedelta(seconds=min(self.rng.lognormvariate(5.9, 0.9), 6 * 3600))
            closed = None if open_now or acked is None else acked + timedelta(minutes=self.rng.uniform(5, 600))
            status = ("claimed" if acked else "open") if closed is None else self.rng.choice(CLOSED)
            esc_id = f"esc{i:08d}"
            values = {
                "id": esc_id, "run_id": None if by_hand else f"run{run_index:08d}",
                "kind": "manual" if by_hand else "escalated", "group_id": self.rng.choice(self.groups),
                "priority": priority, "summary": f"Bench case {i}", "handoff_json": "{}", "status": status,
                "version": 2, "tier": 0, "person": None, "created_by": "U0AGENT01", "agent_surface": "slack",
                "agent_channel": "C0SUPPORT", "agent_message_ts": None,
                "handled_by": self.rng.choice(HANDLERS) if acked else None, "note": None,
                "created_at": _stamp(created, sqlite), "updated_at": _stamp(closed or acked or created, sqlite),
                "acknowledged_at": _stamp(acked, sqlite) if acked else None,
                "closed_at": _stamp(closed, sqlite) if closed else None,
                "reescalations": self.rng.choice((1, 2)) if self.rng.random() < 0.1 else 0,
            }  # fmt: skip
            sources = []
            if not by_hand:
                path = self.rng.sample(self.questions[playbook], min(4, len(self.questions[playbook])))
                for position, step in enumerate(path):
                    answer = self.rng.choice(step.choices).label if step.choices else None
                    sources.append((esc_id, position, playbook, step.id, answer))
            done = created + timedelta(seconds=2)
            refused = self.rng.random() < 0.01
            job_rows = [self._job("ping", esc_id, "failed" if refused else "done", done, sqlite)]
            if values["reescalations"]:
                job_rows.append(self._job("remind", esc_id, "done", done + timedelta(minutes=15), sqlite))
            yield tuple(values.get(c.name) for c in escalations.columns), sources, job_rows

    def _job(self, kind: str, esc_id: str, status: str, done: datetime, sqlite: bool) -> tuple[Any, ...]:
        values = {
            "kind": kind, "escalation_id": esc_id, "payload_json": '{"surface":"slack"}', "status": status,
            "due_at": _stamp(done, sqlite), "attempts": 1, "lease_owner": None, "lease_until": None,
            "last_error": "Slack said not_in_channel" if status == "failed" else None, "attempt_started_at": None,
            "key": None, "created_at": _stamp(done, sqlite), "done_at": _stamp(done, sqlite),
        }  # fmt: skip
        return tuple(values.get(c.name) for c in jobs.columns if c.name != "id")

    def audit(self, sqlite: bool) -> Iterator[tuple[Any, ...]]:
        actions = ("choose",) * 6 + ("submit", "continue", "back", "start")
        for _ in range(self.volume.audit_events):
            run_index = self.rng.randrange(self.volume.runs)
            yield (f"run{run_index:08d}", _stamp(self.moment(), sqlite), "U0AGENT01", self.rng.choice(actions),
                   '{"from":"a","to":"b","version":3}')  # fmt: skip


def _batches(rows: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


JOB_COLUMNS = [c.name for c in jobs.columns if c.name != "id"]
AUDIT_COLUMNS = ["run_id", "at", "actor", "action", "detail_json"]


def load_sqlite(path: str, gen: Generator) -> float:
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN")

        def insert(table: str, columns: Sequence[str], rows: list[Any]) -> None:
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

        for batch in _batches(gen.runs(sqlite=True)):
            insert("runs", [c.name for c in runs.columns], batch)
        for batch in _batches(gen.escalations(sqlite=True)):
            insert("escalations", [c.name for c in escalations.columns], [e for e, _, _ in batch])
            sources = [s for _, ss, _ in batch for s in ss]
            insert("escalation_sources", [c.name for c in escalation_sources.columns], sources)
            insert("jobs", JOB_COLUMNS, [j for _, _, js in batch for j in js])
        for batch in _batches(gen.audit(sqlite=True)):
            insert("audit_events", AUDIT_COLUMNS, batch)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return time.perf_counter() - started


async def load_postgres(dsn: str, schema: str, gen: Generator) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:

        async def copy(table: str, columns: Sequence[str], rows: list[Any]) -> None:
            await connection.copy_records_to_table(table, records=rows, columns=list(columns), schema_name=schema)

        for batch in _batches(gen.runs(sqlite=False)):
            await copy("runs", [c.name for c in runs.columns], batch)
        for batch in _batches(gen.escalations(sqlite=False)):
            await copy("escalations", [c.name for c in escalations.columns], [e for e, _, _ in batch])
            await copy("escalation_sources", [c.name for c in escalation_sources.columns],
                       [s for _, ss, _ in batch for s in ss])  # fmt: skip
            await copy("jobs", JOB_COLUMNS, [j for _, _, js in batch for j in js])
        for batch in _batches(gen.audit(sqlite=False)):
            await copy("audit_events", AUDIT_COLUMNS, batch)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


def now_utc() -> datetime:
    return datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Wednesday 08:00 in New York: the morning digest
