"""`Store`: every read and write the app makes, each in one short transaction, returning plain records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.domain.escalation import NewEscalation
from chatbot.domain.jobs import NewJob
from chatbot.domain.run import RunStatus
from chatbot.storage.away import AwayRepo
from chatbot.storage.cases import CaseRepo
from chatbot.storage.conversations import ConversationRepo
from chatbot.storage.db import ping
from chatbot.storage.digests import DigestRepo
from chatbot.storage.escalations import EscalationRepo, escalation_values, source_values
from chatbot.storage.gate import FairPool
from chatbot.storage.hotpath import PG_SAVE_POOL_SIZE, HotPath
from chatbot.storage.jobs import JobRepo, job_values
from chatbot.storage.records import AuditRecord, RunOutcome, RunRecord
from chatbot.storage.rows import audit_row, audit_values, to_json
from chatbot.storage.tables import (
    AuditEventRow,
    ProcessedEventRow,
    RunRow,
    UTCDateTime,
    audit_events,
    escalation_sources,
    escalations,
    runs,
)
from chatbot.storage.tables import jobs as jobs_table

log = logging.getLogger(__name__)
HEALTH_KEY = "healthz"  # a row /healthz rewrites to prove the database takes writes


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} given; use a timezone-aware one")
    return at.astimezone(UTC)


# The statements every click runs, built once: building them per call was most of SQLAlchemy's share of a click.
# Core rather than the ORM for the same reason; the ORM's unit of work buys nothing for one row.
_GET_RUN = select(runs).where(runs.c.id == bindparam("run_id"))
_SAVE_RUN = (
    update(runs)
    .where(runs.c.id == bindparam("run_id"), runs.c.version == bindparam("expected"))
    .values(
        state_json=bindparam("new_state"),
        version=bindparam("new_version"),
        status=bindparam("new_status"),
        updated_at=bindparam("at", type_=UTCDateTime()),
        outcome_kind=bindparam("outcome_kind"),
        outcome_playbook=bindparam("outcome_playbook"),
        outcome_step=bindparam("outcome_step"),
        finished_at=bindparam("finished_at", type_=UTCDateTime()),
    )
)
_AUDIT = insert(audit_events)


class Store:
    """The app's persistence: runs with compare-and-set saves, an append-only audit trail, and idempotency keys.

    The store owns `engine` and disposes of it in `close()`. Every method is one transaction; a run's state and the
    audit event describing the change are committed together or not at all.
    """

    def __init__(self, engine: AsyncEngine, *, save_pool_size: int = PG_SAVE_POOL_SIZE) -> None:
        """`save_pool_size`: on PostgreSQL, the connections of the per-click save's own pool."""
        self.engine = engine
        self._pool = FairPool(engine)
        self.escalations = EscalationRepo(self._pool)
        self.jobs = JobRepo(self._pool, engine.dialect.name)
        self.away = AwayRepo(self._pool)
        self.cases = CaseRepo(self._pool, engine.dialect.name)
        self.digests = DigestRepo(self._pool, engine.dialect.name)
        self.teams = ConversationRepo(self._pool, engine.dialect.name)
        self._hot = HotPath(self._pool, save_pool_size)

    # Runs

    async def create_run(
        self,
        *,
        run_id: str,
        playbook_id: str,
        playbook_version: str,
        state_json: str,
        version: int,
        status: str,
        team_id: str,
        channel_id: str,
        owner_id: str,
        actor: str,
        at: datetime,
        surface: str = "slack",
        case_id: str | None = None,
    ) -> RunRecord:
        """Insert a run and its "start" audit event; a duplicate `run_id` raises `IntegrityError`."""
        at = _aware(at)
        row = RunRow(
            id=run_id,
            playbook_id=playbook_id,
            playbook_version=playbook_version,
            state_json=state_json,
            version=version,
            status=status,
            surface=surface,
            case_id=case_id,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=None,
            owner_id=owner_id,
            created_at=at,
            updated_at=at,
        )
        detail = {"playbook_id": playbook_id, "playbook_version": playbook_version, "version": version}
        event = audit_row(run_id, at, actor, "start", detail, case_id=case_id)
        async with self._pool.session_begin() as session:
            session.add(row)
            await session.flush()  # the run before its audit event, whose foreign key points at it
            session.add(event)
            return RunRecord.from_row(row)

    async def get_run(self, run_id: str) -> RunRecord | None:
        """The run with this id, or None."""
        if self._hot.enabled:
            return await self._hot.get_run(run_id)
        async with self._pool.connect() as connection:
            row = (await connection.execute(_GET_RUN, {"run_id": run_id})).first()
        return RunRecord.from_row(row) if row is not None else None  # type: ignore[arg-type]

    async def active_runs_of(self, owner_id: str, *, limit: int = 30) -> list[tuple[str, str, str]]:
        """(run id, playbook id, status) of an agent's runs still in progress, oldest first (their App Home)."""
        query = (
            select(RunRow.id, RunRow.playbook_id, RunRow.status)
            .where(RunRow.owner_id == owner_id, RunRow.status == "active")
            .order_by(RunRow.created_at)
            .limit(limit)
        )
        async with self._pool.session() as session:
            return [(r[0], r[1], r[2]) for r in (await session.execute(query)).all()]

    async def get_run_by_message(self, channel_id: str, message_ts: str) -> RunRecord | None:
        """The run whose Slack message is `message_ts` in `channel_id`, or None."""
        query = select(RunRow).where(RunRow.channel_id == channel_id, RunRow.message_ts == message_ts).limit(1)
        async with self._pool.session() as session:
            row = (await session.scalars(query)).first()
            return RunRecord.from_row(row) if row is not None else None

    async def save_run(
        self,
        run_id: str,
        *,
        expected_version: int,
        state_json: str,
        version: int,
        status: str,
        actor: str,
        action: str,
        detail: dict[str, Any],
        at: datetime,
        escalation: NewEscalation | None = None,
        jobs: Sequence[NewJob] = (),
        outcome: RunOutcome | None = None,
    ) -> bool:
        """Compare-and-set: store the new state only if the run is still at `expected_version`, with its audit event
        and, when the answer ended in an escalation, the escalation and its first jobs: all or nothing.

        Returns False, having written nothing, when the run is missing or another writer saved first. `outcome`:
        where a finished run ended (kept for the digest; every save writes it, so Back or Restart clears it).
        """
        at = _aware(at)
        if escalation is None and not jobs and self._hot.enabled:  # every click but the one that escalates
            return await self._hot.save(
                run_id, expected_version, state_json, version, status, at, actor, action, to_json(detail), outcome
            )
        change = {
            "run_id": run_id,
            "expected": expected_version,
            "new_state": state_json,
            "new_version": version,
            "new_status": status,
            "at": at,
            "outcome_kind": outcome.kind if outcome else None,
            "outcome_playbook": outcome.playbook if outcome else None,
            "outcome_step": outcome.step if outcome else None,
            "finished_at": at if status != RunStatus.ACTIVE.value else None,
        }
        audit = {"run_id": run_id, "at": at, "actor": actor, "action": action, "detail_json": to_json(detail)}
        async with self._pool.begin() as connection:
            if (await connection.execute(_SAVE_RUN, change)).rowcount != 1:
                return False
            await connection.execute(_AUDIT, audit)
            if escalation is not None:
                await connection.execute(insert(escalations).values(escalation_values(escalation, at)))
                escalate = {"escalation": escalation.id, "group": escalation.group_id}
                event = audit_values(run_id, at, actor, "escalate", escalate, case_id=escalation.case_id)
                await connection.execute(insert(audit_events), event)
                if escalation.sources:
                    await connection.execute(insert(escalation_sources), source_values(escalation))
            if jobs:
                await connection.execute(insert(jobs_table), [job_values(job, at) for job in jobs])
            return True

    async def set_message(self, run_id: str, channel_id: str, message_ts: str) -> bool:
        """Record where the run's Slack message lives; False if there is no such run."""
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id)
            .values(channel_id=channel_id, message_ts=message_ts)
            .execution_options(synchronize_session=False)
        )
        async with self._pool.session_begin() as session:
            result = cast(CursorResult[Any], await session.execute(statement))
            return result.rowcount == 1

    async def count_active_runs(self) -> int:
        """How many runs are active (for metrics and /healthz)."""
        query = select(func.count()).select_from(RunRow).where(RunRow.status == "active")
        async with self._pool.session() as session:
            return int((await session.execute(query)).scalar_one())

    # Audit trail (append-only: nothing here updates or deletes)

    async def append_audit(
        self, *, run_id: str | None, actor: str, action: str, detail: dict[str, Any], at: datetime
    ) -> int:
        """Append an audit event on its own (for a run, or for none) and return its id."""
        row = audit_row(run_id, _aware(at), actor, action, detail)
        async with self._pool.session_begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def audit(self, run_id: str) -> list[AuditRecord]:
        """The run's audit events, oldest first."""
        query = select(AuditEventRow).where(AuditEventRow.run_id == run_id).order_by(AuditEventRow.id)
        async with self._pool.session() as session:
            return [AuditRecord.from_row(row) for row in await session.scalars(query)]

    # Idempotency of Slack deliveries

    async def claim_event(self, key: str, at: datetime) -> bool:
        """True the first time `key` is claimed, False for a retry or duplicate delivery (even a concurrent one)."""
        values = {"key": key, "at": _aware(at)}
        async with self._pool.session_begin() as session:
            statement = self._insert_ignore(ProcessedEventRow, values).returning(ProcessedEventRow.key)
            return (await session.execute(statement)).scalar_one_or_none() is not None

    def _insert_ignore(self, row: type[ProcessedEventRow], values: dict[str, Any]) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(row).values(values).on_conflict_do_nothing(index_elements=["key"])

    async def prune(self, older_than: datetime) -> int:
        """Forget processed-event keys claimed before `older_than`; returns how many were removed."""
        statement = delete(ProcessedEventRow).where(ProcessedEventRow.at < _aware(older_than))
        async with self._pool.session_begin() as session:
            result = cast(CursorResult[Any], await session.execute(statement))
            return result.rowcount

    # Lifecycle

    async def ping(self) -> bool:
        """True when the database answers and takes a write (a full disk or a read-only database answers reads)."""
        if not await ping(self.engine):
            return False
        try:
            async with asyncio.timeout(5), self._pool.session_begin() as session:
                now = datetime.now(UTC)
                await session.execute(self._insert_ignore(ProcessedEventRow, {"key": HEALTH_KEY, "at": now}))
                await session.execute(
                    update(ProcessedEventRow).where(ProcessedEventRow.key == HEALTH_KEY).values(at=now)
                )
        except Exception as exc:  # a health check reports failure, whatever its cause
            log.warning("database write check failed: %s: %s", type(exc).__name__, exc)
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        await self._hot.close()
        await self.engine.dispose()
