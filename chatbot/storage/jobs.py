"""The jobs table: the outbox and the timers in one, claimed by workers under a lease.

A row is written in the same transaction as the change that needs it; a worker claims due rows under a lease
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite), does the work, and marks the row done only
while it still holds the lease. A worker that dies loses its lease and another picks the job up, knowing (from
`attempt_started_at`) whether the dead one had begun its side effect.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.domain.jobs import Job, JobKind, JobStatus, NewJob
from chatbot.storage.gate import FairPool
from chatbot.storage.programs import Abort, Op, Program, guard, insert_op, statement
from chatbot.storage.rows import to_json
from chatbot.storage.tables import JobRow, jobs

LEASE_EXPIRED = "lease expired: outcome unknown"
_CANCEL = statement(
    "UPDATE jobs SET status = ?, done_at = ?, last_error = ? "
    "WHERE escalation_id = ? AND kind = ? AND status = ? AND lease_owner IS NULL"
)

# Something a job's completion writes in the same transaction (an escalation's new tier, say).
# What a job found out, written with its completion in the same transaction: a program (programs.py) given the time.
Write = Callable[[datetime], Program[None]]


def job_values(job: NewJob, at: datetime) -> dict[str, Any]:
    return {
        "kind": job.kind.value,
        "escalation_id": job.escalation_id,
        "payload_json": to_json(job.payload),
        "status": JobStatus.PENDING.value,
        "due_at": job.due_at,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
        "last_error": None,
        "attempt_started_at": None,
        "key": job.key,
        "created_at": at,
        "done_at": None,
    }


def job_from_row(row: JobRow) -> Job:
    return Job(
        id=row.id,
        kind=JobKind(row.kind),
        escalation_id=row.escalation_id,
        payload=json.loads(row.payload_json),
        status=JobStatus(row.status),
        due_at=row.due_at,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        attempt_started_at=row.attempt_started_at,
        key=row.key,
        done_at=row.done_at,
    )


async def add_jobs(session: AsyncSession, new: Sequence[NewJob], at: datetime) -> None:
    """Insert jobs; one whose `key` exists already is left out (a schedule's period is queued once)."""
    plain = [job_values(job, at) for job in new if job.key is None]
    if plain:
        await session.execute(insert(jobs), plain)
    for job in new:
        if job.key is None:
            continue
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(jobs).values(job_values(job, at)).on_conflict_do_nothing(index_elements=["key"])
        await session.execute(statement)


def add_jobs_program(new: Sequence[NewJob], at: datetime) -> Program[None]:
    """`add_jobs` as a program: one whose key exists already is left out. Every job row is inserted in one shape,
    keyed or not (a NULL key conflicts with nothing), so a program's jobs go as one INSERT on PostgreSQL: a keyed
    one among unkeyed ones would take a statement, and a transaction, of its own (programs_pg._fits)."""
    for job in new:
        yield insert_op(jobs, job_values(job, at), on_conflict_nothing=("key",))


def _held(columns: tuple[str, ...]) -> Any:
    sets = ", ".join(f"{name} = ?" for name in columns)
    return guard(f"UPDATE jobs SET {sets} WHERE id = ? AND lease_owner = ? AND status = ?")


def update_held(
    job_id: int, owner: str, values: dict[str, Any], *, at: datetime, writes: Sequence[Write], new: Sequence[NewJob]
) -> Program[bool]:
    """Change a job `owner` still holds, with what goes with it; rolled back (False) if the lease was lost."""
    held = yield Op(_held(tuple(values)), (*values.values(), job_id, owner, JobStatus.PENDING.value))
    if held != 1:
        raise Abort(False)
    for write in writes:
        yield from write(at)
    yield from add_jobs_program(new, at)
    return True


class JobRepo:
    def __init__(self, pool: FairPool, dialect: str, write: Callable[[Callable[[], Program[bool]]], Awaitable[bool]]):
        """`write`: runs a write program (the store's short way): every completion takes it."""
        self._pool = pool
        self._dialect = dialect
        self._write = write

    async def add(self, new: Sequence[NewJob], at: datetime) -> None:
        async with self._pool.session_begin() as session:
            await add_jobs(session, new, at)

    async def claim(self, owner: str, now: datetime, *, limit: int, lease: timedelta) -> list[Job]:
        """Take up to `limit` due jobs nobody holds (or whose holder's lease ran out)."""
        claimable = (
            JobRow.status == JobStatus.PENDING.value,
            JobRow.due_at <= now,
            (JobRow.lease_until.is_(None)) | (JobRow.lease_until < now),
        )
        # Look before taking: on SQLite even an UPDATE that matches nothing takes the database's one write lock,
        # and holds it for the few event-loop turns the statement and its COMMIT take. Every poll (twice a second)
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
            return sorted((job_from_row(r) for r in rows), key=lambda j: (j.due_at, j.id))

    async def begin_attempt(self, job_id: int, owner: str, at: datetime) -> bool:
        """Record, before a side effect (a post), that this attempt is making it: a worker that takes the job over
        after a crash knows to look for it first, and from when. False if the lease was lost."""
        return await self._set(job_id, owner, attempt_started_at=at)

    async def finish(
        self, job_id: int, owner: str, now: datetime, *, jobs: Sequence[NewJob] = (), writes: Sequence[Write] = ()
    ) -> bool:
        """Mark done (only while `owner` holds the lease), with what the job found out, in one transaction."""
        values = {"status": JobStatus.DONE.value, "done_at": now, "lease_until": None}
        return await self._write(lambda: update_held(job_id, owner, values, at=now, writes=writes, new=jobs))

    async def retry(
        self, job_id: int, owner: str, due_at: datetime, error: str, *, clear_attempt: bool = False
    ) -> bool:
        """Give the job back to be tried again at `due_at` (e.g. after Slack's Retry-After). `clear_attempt`: the
        attempt certainly had no effect, so the next one need not look for it."""
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_until": None,
            "due_at": due_at,
            "last_error": error[:2000],
        }
        if clear_attempt:
            values["attempt_started_at"] = None
        return await self._set(job_id, owner, **values)

    async def fail(
        self,
        job_id: int,
        owner: str,
        now: datetime,
        error: str,
        *,
        jobs: Sequence[NewJob] = (),
        writes: Sequence[Write] = (),
    ) -> bool:
        """Give up on a job (only while `owner` holds the lease); `jobs` (telling someone) and `writes` go with it."""
        values = {
            "lease_owner": None,
            "lease_until": None,
            "status": JobStatus.FAILED.value,
            "done_at": now,
            "last_error": error[:2000],
        }
        return await self._write(lambda: update_held(job_id, owner, values, at=now, writes=writes, new=jobs))

    @staticmethod
    def cancel_write(escalation_id: str, kind: JobKind) -> Write:
        """Drop the pending jobs of `kind` for an escalation (its timers, say), with whatever completes."""

        def write(at: datetime) -> Program[None]:
            yield Op(
                _CANCEL,
                (JobStatus.FAILED.value, at, "cancelled", escalation_id, kind.value, JobStatus.PENDING.value),
            )

        return write

    async def _set(self, job_id: int, owner: str, **values: Any) -> bool:
        at = datetime.now(UTC)  # nothing goes with it that would be stamped
        return await self._write(lambda: update_held(job_id, owner, values, at=at, writes=(), new=()))

    async def list(self, *, escalation_id: str | None = None, status: str | None = None) -> list[Job]:
        query = select(JobRow).order_by(JobRow.id)
        if escalation_id is not None:
            query = query.where(JobRow.escalation_id == escalation_id)
        if status is not None:
            query = query.where(JobRow.status == status)
        async with self._pool.session() as session:
            return [job_from_row(r) for r in await session.scalars(query)]

    async def count(self, status: str) -> int:
        async with self._pool.session() as session:
            query = select(func.count()).select_from(JobRow).where(JobRow.status == status)
            return int((await session.execute(query)).scalar_one())

    async def next_due(self) -> datetime | None:
        async with self._pool.session() as session:
            query = select(func.min(JobRow.due_at)).where(JobRow.status == JobStatus.PENDING.value)
            return cast(datetime | None, (await session.execute(query)).scalar_one())
