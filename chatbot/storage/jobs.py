"""The jobs table: the outbox and the timers in one, claimed by workers under a lease.

A row is written in the same transaction as the change that needs it; a worker claims due rows under a lease
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite), does the work, and marks the row done only
while it still holds the lease. A worker that dies loses its lease and another picks the job up, knowing (from
`attempt_started_at`) whether the dead one had begun its side effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import func, select

from chatbot.domain.jobs import Job, JobKind, JobStatus, NewJob
from chatbot.storage.gate import FairPool
from chatbot.storage.programs import Abort, Op, Program, Reader, Statement, Writer, guard, insert_op, statement
from chatbot.storage.rows import Plain, to_json
from chatbot.storage.tables import JobRow, jobs

LEASE_EXPIRED = "lease expired: outcome unknown"
_CANCEL = statement(
    "UPDATE jobs SET status = ?, done_at = ?, last_error = ? "
    "WHERE escalation_id = ? AND kind = ? AND status = ? AND lease_owner IS NULL"
)

_JOBS = Plain(JobRow.__table__)  # type: ignore[arg-type]
# Due, and held by nobody (or by a worker whose lease ran out).
_CLAIMABLE = "status = ? AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)"
_LOOK = statement(f"SELECT id FROM jobs WHERE {_CLAIMABLE} LIMIT 1", returns_row=True)


def _claim_sql(lock: str) -> str:
    # A job still leased was taken from a worker that died mid-way: what it did is unknown (SET reads the row as it
    # was before this UPDATE).
    return (
        "UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1,"
        " last_error = CASE WHEN lease_owner IS NOT NULL THEN ? ELSE last_error END"
        f" WHERE id IN (SELECT id FROM jobs WHERE {_CLAIMABLE} ORDER BY due_at, id LIMIT ?{lock})"
        f" RETURNING {', '.join(_JOBS.columns)}"
    )


# Two workers never take the same row: PostgreSQL skips rows another claim has locked; SQLite has one writer.
_CLAIM = Statement(
    statement(_claim_sql("")).sqlite, statement(_claim_sql(" FOR UPDATE SKIP LOCKED")).postgresql, returns_rows=True
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


def job_from_row(row: JobRow | SimpleNamespace) -> Job:
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


def add_jobs_program(new: Sequence[NewJob], at: datetime) -> Program[None]:
    """Insert jobs, as a program: one whose `key` exists already is left out. Every job row is inserted in one shape,
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


def _look(now: datetime) -> Program[bool]:
    return (yield Op(_LOOK, (JobStatus.PENDING.value, now, now))) is not None


def _claim(owner: str, now: datetime, limit: int, lease: timedelta) -> Program[list[Any]]:
    claimable = (JobStatus.PENDING.value, now, now)
    found = yield Op(_CLAIM, (owner, now + lease, LEASE_EXPIRED, *claimable, limit), last=True)
    return list(found)


class JobRepo:
    def __init__(self, pool: FairPool, dialect: str, write: Writer, read: Reader) -> None:
        """`write` and `read`: run a program the store's short way (claims and completions take it)."""
        self._pool = pool
        self._dialect = dialect
        self._write = write
        self._read = read

    async def add(self, new: Sequence[NewJob], at: datetime) -> None:
        """Queue jobs on their own (a schedule's periods); one whose key exists already is left out."""
        await self._write(lambda: add_jobs_program(new, at))

    async def claim(self, owner: str, now: datetime, *, limit: int, lease: timedelta) -> list[Job]:
        """Take up to `limit` due jobs nobody holds (or whose holder's lease ran out): one statement on PostgreSQL,
        with no BEGIN and COMMIT (an idle worker polls twice a second)."""
        # Look before taking on SQLite: there even an UPDATE that matches nothing takes the database's one write
        # lock, and every poll then stalled every click's save behind it (50-150 ms under load); a read takes no
        # lock in WAL mode. On PostgreSQL a claim that finds nothing locks nothing either, so it needs no look.
        if self._dialect != "postgresql" and not await self._read(lambda: _look(now)):
            return []
        found = await self._write(lambda: _claim(owner, now, limit, lease))
        return sorted((job_from_row(row) for row in _JOBS.rows(found)), key=lambda j: (j.due_at, j.id))

    async def begin_attempt(self, job_id: int, owner: str, at: datetime) -> bool:
        """Record, before a side effect (a post), that this attempt is making it: a worker that takes the job over
        after a crash knows to look for it first, and from when. False if the lease was lost."""
        return await self._set(job_id, owner, attempt_started_at=at)

    async def finish(
        self, job_id: int, owner: str, now: datetime, *, jobs: Sequence[NewJob] = (), writes: Sequence[Write] = ()
    ) -> bool:
        """Mark done (only while `owner` holds the lease), with what the job found out, in one transaction."""
        values = {"status": JobStatus.DONE.value, "done_at": now, "lease_until": None}
        held: bool = await self._write(lambda: update_held(job_id, owner, values, at=now, writes=writes, new=jobs))
        return held

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
        held: bool = await self._write(lambda: update_held(job_id, owner, values, at=now, writes=writes, new=jobs))
        return held

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
        held: bool = await self._write(lambda: update_held(job_id, owner, values, at=at, writes=(), new=()))
        return held

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
