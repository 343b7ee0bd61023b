"""`Store`: every read and write the app makes, each in one short transaction, returning plain records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.domain.escalation import NewEscalation
from chatbot.domain.jobs import NewJob
from chatbot.domain.run import RunStatus
from chatbot.storage import run_writes
from chatbot.storage.away import AwayRepo
from chatbot.storage.batch import KeyedReads
from chatbot.storage.cases import CaseRepo
from chatbot.storage.conversations import ConversationRepo
from chatbot.storage.db import SQLITE_READERS, create_engine, ping
from chatbot.storage.digests import DigestRepo
from chatbot.storage.escalations import EscalationRepo
from chatbot.storage.gate import FairPool
from chatbot.storage.holds import HoldRepo
from chatbot.storage.hotpath import PG_SAVE_POOL_SIZE, HotPath
from chatbot.storage.jobs import JobRepo
from chatbot.storage.programs import Op, Program, statement
from chatbot.storage.records import AuditRecord, RunOutcome, RunRecord, RunStamp
from chatbot.storage.rows import audit_row, to_json
from chatbot.storage.run_writes import CaseMove, NewCase, NewRun
from chatbot.storage.tables import (
    AuditEventRow,
    ProcessedEventRow,
    RunRow,
    runs,
)

log = logging.getLogger(__name__)
HEALTH_KEY = "healthz"  # a row /healthz rewrites to prove the database takes writes


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} given; use a timezone-aware one")
    return at.astimezone(UTC)


# The statements every click runs, built once: building them per call was most of SQLAlchemy's share of a click.
# Core rather than the ORM for the same reason; the ORM's unit of work buys nothing for one row.
_GET_RUN = select(runs).where(runs.c.id == bindparam("run_id"))
# The newest escalation in the order EscalationRepo.for_run lists them (created_at, id).
_STAMP = (
    "version, (SELECT e.version FROM escalations e WHERE e.run_id = runs.id ORDER BY e.created_at DESC, e.id DESC"
    " LIMIT 1)"
)
_ACTIVE_RUNS_OF = statement(
    "SELECT id, playbook_id, status FROM runs WHERE owner_id = ? AND status = 'active' ORDER BY created_at, id LIMIT ?",
    returns_rows=True,
)


def _active_runs_of(owner_id: str, limit: int) -> Program[list[tuple[str, str, str]]]:
    return [(row[0], row[1], row[2]) for row in (yield Op(_ACTIVE_RUNS_OF, (owner_id, limit)))]


_CLAIM_EVENT = statement(
    "INSERT INTO processed_events (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING RETURNING key", returns_row=True
)


def _claim_event(key: str, at: datetime) -> Program[bool]:
    claimed = yield Op(_CLAIM_EVENT, (key, at), last=True)
    return claimed is not None


_RUN_STAMP = statement(f"SELECT {_STAMP} FROM runs WHERE id = ?", returns_row=True)
_RUN_STAMPS = statement(f"SELECT id, {_STAMP} FROM runs WHERE id = ANY(?)", returns_rows=True)  # PostgreSQL's


def _run_stamp(run_id: str) -> Program[RunStamp | None]:
    row = yield Op(_RUN_STAMP, (run_id,))
    return RunStamp(row[0], row[1]) if row is not None else None


def _run_stamps(run_ids: list[str]) -> Program[dict[str, RunStamp]]:
    rows = yield Op(_RUN_STAMPS, (run_ids,))
    return {row[0]: RunStamp(row[1], row[2]) for row in rows}


def _sqlite_reader(engine: AsyncEngine) -> AsyncEngine | None:
    """Read-only connections to a SQLite file beside the engine's one writer: reads (escalations on a click, a
    case, the worker's look-ups) then never queue behind a write. None elsewhere (PostgreSQL's pool serves both;
    an in-memory database has one connection)."""
    url = engine.url
    database = url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return create_engine(
        url.render_as_string(hide_password=False), pool_size=SQLITE_READERS, max_overflow=0, sqlite_read_only=True
    )


class Store:
    """The app's persistence: runs with compare-and-set saves, an append-only audit trail, and idempotency keys.

    The store owns `engine` and disposes of it in `close()`. Every method is one transaction; a run's state and the
    audit event describing the change are committed together or not at all.
    """

    def __init__(self, engine: AsyncEngine, *, save_pool_size: int = PG_SAVE_POOL_SIZE) -> None:
        """`save_pool_size`: on PostgreSQL, the connections of the per-click save's own pool."""
        self.engine = engine
        self._reader = _sqlite_reader(engine)
        self._pool = FairPool(engine, self._reader)
        self._hot = HotPath(self._pool, save_pool_size)
        # On SQLite a read runs inline on the loop's thread and costs little more than its statement: no batching.
        self._stamps: KeyedReads[str, RunStamp] | None = None
        if self._hot.enabled and self._hot.dialect == "postgresql":
            self._stamps = KeyedReads(lambda ids: self._hot.read(lambda: _run_stamps(ids)))
        self.escalations = EscalationRepo(self._hot.write, self._hot.read)
        self.jobs = JobRepo(self._pool, engine.dialect.name, self._hot.write, self._hot.read)
        self.away = AwayRepo(self._hot.write, self._hot.read)
        self.cases = CaseRepo(self._hot.write, self._hot.read)
        self.holds = HoldRepo(self._hot.write, self._hot.read)
        self.digests = DigestRepo(self._pool, engine.dialect.name)
        self.teams = ConversationRepo(self._pool, engine.dialect.name)

    async def side_by_side(self, *reads: Callable[[], Awaitable[Any]]) -> list[Any]:
        """Reads that do not depend on one another, their results in order: at once on PostgreSQL (each on a
        connection of its own, so they cost one round trip's wait instead of one each); one after the other on
        SQLite, whose reads run on the event loop's own thread, where tasks would only wait for turns (measured
        under load: /case NUMBER's p99 went from 59 to 93 ms that way)."""
        if self._hot.dialect == "postgresql":
            return list(await asyncio.gather(*(read() for read in reads)))
        return [await read() for read in reads]

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
        run = NewRun(run_id, playbook_id, playbook_version, version, status, surface, team_id, channel_id, owner_id)
        record, _number = await self.start_run(run, lambda _number: state_json, actor=actor, at=at, case_id=case_id)
        return record

    async def start_run(
        self,
        run: NewRun,
        state_for: Callable[[str | None], str],
        *,
        actor: str,
        at: datetime,
        new_case: NewCase | None = None,
        counter: int | None = None,
        case_id: str | None = None,
        move: CaseMove | None = None,
    ) -> tuple[RunRecord, str | None]:
        """Start a run, in one transaction with opening its case (`new_case`; its number is passed to `state_for`,
        which gives the run's state) or moving an existing one (`case_id`, `move`). The run and the new number.
        `counter`: the new case's, if taken already (CaseRepo.number_unless_open); else it is taken here."""
        at = _aware(at)
        if new_case is not None and counter is None:
            counter = await self._hot.write(lambda: run_writes.next_number(new_case.prefix, new_case.year))
        return await self._hot.write(
            lambda: run_writes.start_run(
                run, state_for, actor=actor, at=at, new_case=new_case, counter=counter, case_id=case_id, move=move
            )
        )

    async def raise_escalation(
        self,
        esc: NewEscalation,
        jobs: Sequence[NewJob],
        *,
        actor: str,
        at: datetime,
        new_case: NewCase | None = None,
        counter: int | None = None,
        move: CaseMove | None = None,
    ) -> bool:
        """An escalation raised by hand, in one transaction with opening its case (`new_case`, numbered `counter`,
        taken before: the escalation's hand-off names the number) or moving it (run_writes.raise_escalation). True
        if the case moved (or there was none)."""
        at = _aware(at)
        moved: bool = await self._hot.write(
            lambda: run_writes.raise_escalation(
                esc, jobs, actor=actor, at=at, new_case=new_case, counter=counter, move=move
            )
        )
        return moved

    async def move_case(self, move: CaseMove, *, actor: str, at: datetime, run_id: str | None = None) -> bool:
        """A case's guarded change on its own (run_writes.move_case); True if its status moved."""
        at = _aware(at)
        return await self._hot.write(lambda: run_writes.move_case(move, actor=actor, at=at, run_id=run_id))

    async def get_run(self, run_id: str) -> RunRecord | None:
        """The run with this id, or None."""
        if self._hot.enabled:
            return await self._hot.get_run(run_id)
        async with self._pool.connect() as connection:
            row = (await connection.execute(_GET_RUN, {"run_id": run_id})).first()
        return RunRecord.from_row(row) if row is not None else None  # type: ignore[arg-type]

    async def run_stamp(self, run_id: str) -> RunStamp | None:
        """The run's version and its newest escalation's, in one small read; None if there is no such run."""
        if self._stamps is not None:  # read together with the other checks under way (storage/batch.py)
            return await self._stamps.get(run_id)
        stamp: RunStamp | None = await self._hot.read(lambda: _run_stamp(run_id))
        return stamp

    async def active_runs_of(self, owner_id: str, *, limit: int = 30) -> list[tuple[str, str, str]]:
        """(run id, playbook id, status) of an agent's runs still in progress, oldest first (their App Home)."""
        found: list[tuple[str, str, str]] = await self._hot.read(lambda: _active_runs_of(owner_id, limit))
        return found

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
        move: CaseMove | None = None,
    ) -> bool:
        """Compare-and-set: store the new state only if the run is still at `expected_version`, with its audit event
        and, when the answer ended in an escalation, the escalation and its first jobs: all or nothing.

        Returns False, having written nothing, when the run is missing or another writer saved first. `outcome`:
        where a finished run ended (kept for the digest; every save writes it, so Back or Restart clears it).
        """
        at = _aware(at)
        ended = status != RunStatus.ACTIVE.value
        saved = run_writes.saved_values(state_json, version, status, at, outcome, ended)
        return await self._hot.write(
            lambda: run_writes.save_run(
                run_id,
                expected_version,
                saved,
                actor=actor,
                action=action,
                detail_json=to_json(detail),
                at=at,
                escalation=escalation,
                new_jobs=jobs,
                move=move,
            )
        )

    async def set_message(self, run_id: str, channel_id: str, message_ts: str) -> bool:
        """Record where the run's message lives (after every session post); False if there is no such run."""
        return await self._hot.write(lambda: run_writes.set_message(run_id, channel_id, message_ts))

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
        """True the first time `key` is claimed, False for a retry or duplicate delivery (even a concurrent one).
        The short way: every event Slack sends (a Home tab opened, a mention) and every Teams activity waits for it
        before its ack, and through the ORM on SQLite it queued behind the inline connection for the write lock."""
        at = _aware(at)
        return await self._hot.write(lambda: _claim_event(key, at))

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
        if self._reader is not None:
            await self._reader.dispose()
        await self.engine.dispose()
