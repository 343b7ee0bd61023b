"""Escalations, the jobs table and away marks: plain records in and out, each method one transaction.

Jobs are the outbox and the timers in one table: a row is written in the same transaction as the change that
needs it, a worker claims due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on
SQLite), does the work, and marks the row done only while it still holds the lease. A worker that dies loses its
lease and another one picks the job up; deliveries carry a marker so a retry can check Slack before re-posting.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.storage.gate import FairPool
from chatbot.storage.tables import AuditEventRow, AwayRow, EscalationRow, JobRow

LEASE_EXPIRED = "lease expired: outcome unknown"


@dataclass(frozen=True, slots=True)
class NewEscalation:
    id: str
    kind: str  # escalated | ticket_share | manual
    group_id: str
    priority: str
    summary: str
    handoff: dict[str, Any]
    created_by: str
    run_id: str | None = None
    agent_channel: str | None = None
    agent_message_ts: str | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    escalation_id: str | None = None


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    id: str
    run_id: str | None
    kind: str
    group_id: str
    priority: str
    summary: str
    handoff: dict[str, Any]
    status: str
    version: int
    tier: int
    created_by: str
    agent_channel: str | None
    agent_message_ts: str | None
    ping_channel: str | None
    ping_ts: str | None
    handled_by: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: EscalationRow) -> EscalationRecord:
        return cls(
            id=row.id,
            run_id=row.run_id,
            kind=row.kind,
            group_id=row.group_id,
            priority=row.priority,
            summary=row.summary,
            handoff=json.loads(row.handoff_json),
            status=row.status,
            version=row.version,
            tier=row.tier,
            created_by=row.created_by,
            agent_channel=row.agent_channel,
            agent_message_ts=row.agent_message_ts,
            ping_channel=row.ping_channel,
            ping_ts=row.ping_ts,
            handled_by=row.handled_by,
            note=row.note,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    kind: str
    escalation_id: str | None
    payload: dict[str, Any]
    status: str
    due_at: datetime
    attempts: int  # including the current one, once claimed
    last_error: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: JobRow) -> JobRecord:
        return cls(
            row.id,
            row.kind,
            row.escalation_id,
            json.loads(row.payload_json),
            row.status,
            row.due_at,
            row.attempts,
            row.last_error,
            row.created_at,
        )


def to_json(data: dict[str, Any]) -> str:
    """How every JSON column (audit details, hand-offs, job payloads) is written."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)


def escalation_values(esc: NewEscalation, at: datetime) -> dict[str, Any]:
    return {
        "id": esc.id,
        "run_id": esc.run_id,
        "kind": esc.kind,
        "group_id": esc.group_id,
        "priority": esc.priority,
        "summary": esc.summary,
        "handoff_json": to_json(esc.handoff),
        "status": "open",
        "version": 0,
        "tier": -1,
        "created_by": esc.created_by,
        "agent_channel": esc.agent_channel,
        "agent_message_ts": esc.agent_message_ts,
        "ping_channel": None,
        "ping_ts": None,
        "handled_by": None,
        "note": None,
        "created_at": at,
        "updated_at": at,
    }


def job_values(job: NewJob, at: datetime) -> dict[str, Any]:
    return {
        "kind": job.kind,
        "escalation_id": job.escalation_id,
        "payload_json": to_json(job.payload),
        "status": "pending",
        "due_at": job.due_at,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
        "last_error": None,
        "created_at": at,
        "done_at": None,
    }


def add_escalation(session: AsyncSession, esc: NewEscalation, at: datetime) -> None:
    session.add(EscalationRow(**escalation_values(esc, at)))


def add_jobs(session: AsyncSession, jobs: Sequence[NewJob], at: datetime) -> None:
    for job in jobs:
        session.add(JobRow(**job_values(job, at)))


def audit_row(run_id: str | None, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> AuditEventRow:
    return AuditEventRow(run_id=run_id, at=at, actor=actor, action=action, detail_json=to_json(detail))


class WorkStore:
    """Escalations, jobs and away marks over the app's session factory."""

    def __init__(self, pool: FairPool, dialect: str) -> None:
        self._pool = pool
        self._dialect = dialect

    # --- escalations ---------------------------------------------------------------------------------------
    async def create_escalation(
        self, esc: NewEscalation, jobs: Sequence[NewJob], *, actor: str, at: datetime
    ) -> EscalationRecord:
        async with self._pool.session_begin() as session:
            add_escalation(session, esc, at)
            await session.flush()
            add_jobs(session, jobs, at)
            session.add(audit_row(esc.run_id, at, actor, "escalate", {"escalation": esc.id, "group": esc.group_id}))
        record = await self.get_escalation(esc.id)
        assert record is not None
        return record

    async def get_escalation(self, escalation_id: str) -> EscalationRecord | None:
        async with self._pool.session() as session:
            row = await session.get(EscalationRow, escalation_id)
            return EscalationRecord.from_row(row) if row is not None else None

    async def escalations_for_run(self, run_id: str) -> list[EscalationRecord]:
        query = select(EscalationRow).where(EscalationRow.run_id == run_id).order_by(EscalationRow.created_at)
        async with self._pool.session() as session:
            return [EscalationRecord.from_row(r) for r in await session.scalars(query)]

    async def update_escalation(
        self,
        escalation_id: str,
        *,
        expected_version: int,
        changes: dict[str, Any],
        actor: str,
        action: str,
        detail: dict[str, Any],
        at: datetime,
        jobs: Sequence[NewJob] = (),
    ) -> bool:
        """Compare-and-set on the escalation's version, with its audit event and follow-up jobs; False if stale."""
        async with self._pool.session_begin() as session:
            run_id = await session.scalar(select(EscalationRow.run_id).where(EscalationRow.id == escalation_id))
            statement = (
                update(EscalationRow)
                .where(EscalationRow.id == escalation_id, EscalationRow.version == expected_version)
                .values(**changes, version=expected_version + 1, updated_at=at)
                .execution_options(synchronize_session=False)
            )
            result = cast(CursorResult[Any], await session.execute(statement))
            if result.rowcount != 1:
                return False
            add_jobs(session, jobs, at)
            session.add(audit_row(run_id, at, actor, action, {"escalation": escalation_id, **detail}))
            return True

    # --- jobs ----------------------------------------------------------------------------------------------
    async def claim_jobs(self, owner: str, now: datetime, *, limit: int, lease: timedelta) -> list[JobRecord]:
        """Take up to `limit` due jobs nobody holds (or whose holder's lease ran out)."""
        claimable = (
            JobRow.status == "pending",
            JobRow.due_at <= now,
            (JobRow.lease_until.is_(None)) | (JobRow.lease_until < now),
        )
        # Look before taking: on SQLite even an UPDATE that matches nothing takes the database's one write lock,
        # and holds it for the few event-loop turns the statement and its COMMIT take. Every poll (once a second)
        # then stalled every click's save behind it for 50-150 ms under load; a read takes no lock in WAL mode.
        async with self._pool.session() as session:
            if await session.scalar(select(JobRow.id).where(*claimable).limit(1)) is None:
                return []
        due = select(JobRow.id).where(*claimable).order_by(JobRow.due_at, JobRow.id).limit(limit)
        if self._dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(JobRow)
            .where(JobRow.id.in_(due.scalar_subquery()))
            .values(
                lease_owner=owner,
                lease_until=now + lease,
                attempts=JobRow.attempts + 1,
                # A job still leased was taken from a worker that died mid-way: what it did is unknown. (SET reads
                # the row as it was before this UPDATE.)
                last_error=case((JobRow.lease_owner.is_not(None), LEASE_EXPIRED), else_=JobRow.last_error),
            )
            .returning(JobRow)
            .execution_options(synchronize_session=False)
        )
        async with self._pool.session_begin() as session:
            rows = (await session.scalars(statement)).all()
            return sorted((JobRecord.from_row(r) for r in rows), key=lambda j: (j.due_at, j.id))

    async def finish_job(
        self,
        job_id: int,
        owner: str,
        now: datetime,
        *,
        jobs: Sequence[NewJob] = (),
        escalation_id: str | None = None,
        escalation_changes: dict[str, Any] | None = None,
    ) -> bool:
        """Mark done (only while `owner` holds the lease), applying what the job found out in the same transaction."""
        async with self._pool.session_begin() as session:
            statement = (
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == "pending")
                .values(status="done", done_at=now, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            result = cast(CursorResult[Any], await session.execute(statement))
            if result.rowcount != 1:
                return False
            if escalation_id and escalation_changes:
                await session.execute(
                    update(EscalationRow)
                    .where(EscalationRow.id == escalation_id)
                    .values(**escalation_changes, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
            add_jobs(session, jobs, now)
            return True

    async def retry_job(self, job_id: int, owner: str, due_at: datetime, error: str) -> bool:
        """Give the job back to be tried again at `due_at` (e.g. after Slack's Retry-After)."""
        return await self._release(job_id, owner, status="pending", due_at=due_at, last_error=error[:2000])

    async def fail_job(
        self, job_id: int, owner: str, now: datetime, error: str, *, jobs: Sequence[NewJob] = ()
    ) -> bool:
        """Give up on a job (only while `owner` holds the lease); `jobs` (telling someone) are added with it."""
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == "pending")
            .values(lease_owner=None, lease_until=None, status="failed", done_at=now, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
        async with self._pool.session_begin() as session:
            if cast(CursorResult[Any], await session.execute(statement)).rowcount != 1:
                return False
            add_jobs(session, jobs, now)
            return True

    async def _release(self, job_id: int, owner: str, **values: Any) -> bool:
        statement = (
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == "pending")
            .values(lease_owner=None, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        async with self._pool.session_begin() as session:
            return cast(CursorResult[Any], await session.execute(statement)).rowcount == 1

    async def jobs(self, *, escalation_id: str | None = None, status: str | None = None) -> list[JobRecord]:
        query = select(JobRow).order_by(JobRow.id)
        if escalation_id is not None:
            query = query.where(JobRow.escalation_id == escalation_id)
        if status is not None:
            query = query.where(JobRow.status == status)
        async with self._pool.session() as session:
            return [JobRecord.from_row(r) for r in await session.scalars(query)]

    async def count_jobs(self, status: str) -> int:
        async with self._pool.session() as session:
            query = select(func.count()).select_from(JobRow).where(JobRow.status == status)
            return int((await session.execute(query)).scalar_one())

    async def next_due(self) -> datetime | None:
        async with self._pool.session() as session:
            query = select(func.min(JobRow.due_at)).where(JobRow.status == "pending")
            return cast(datetime | None, (await session.execute(query)).scalar_one())

    # --- away marks ----------------------------------------------------------------------------------------
    async def set_away(self, user_id: str, until: datetime | None, at: datetime) -> None:
        async with self._pool.session_begin() as session:
            await session.execute(delete(AwayRow).where(AwayRow.user_id == user_id))
            session.add(AwayRow(user_id=user_id, until=until, set_at=at))
            session.add(audit_row(None, at, user_id, "away", {"until": until.isoformat() if until else None}))

    async def clear_away(self, user_id: str, at: datetime) -> bool:
        async with self._pool.session_begin() as session:
            result = cast(CursorResult[Any], await session.execute(delete(AwayRow).where(AwayRow.user_id == user_id)))
            session.add(audit_row(None, at, user_id, "back", {}))
            return result.rowcount == 1

    async def away(self, now: datetime) -> dict[str, datetime | None]:
        """Who is marked away now, and until when (None: until they say they are back)."""
        query = select(AwayRow).where((AwayRow.until.is_(None)) | (AwayRow.until > now))
        async with self._pool.session() as session:
            return {row.user_id: row.until for row in await session.scalars(query)}
