"""The short way to the database for what an ack waits for: programs (programs.py: a click's save, a run's start,
an escalation's change, a case's) and reading a run that is not in this process's memory.

Through SQLAlchemy a click's save took four round trips (BEGIN, UPDATE, INSERT, COMMIT), each an await and, on
SQLite, a hop to aiosqlite's thread; it was the largest cost of a click after HTTP itself. Reading a run cost about
500 µs of CPU through SQLAlchemy's Core on either database. (A click's save was once hand-written here; as a program
it is the same one statement on PostgreSQL and costs the same, measured side by side, so run_writes.save_run is its
one source.)

On SQLite they run on a plain sqlite3 connection on the event loop's own thread (sqlite_inline.py says why, and
how waiting for a lock still never blocks the loop).

On PostgreSQL they run on a pool of asyncpg's own: checking a connection out of SQLAlchemy's async pool
and back took three greenlet switches, about 150 µs of CPU of the 270 µs a save cost. asyncpg's pool is asked not
to reset a connection on release (its default costs a round trip: advisory unlocks, CLOSE ALL, UNLISTEN, RESET
ALL), which these writes never need (asyncpg rolls back an open transaction first anyway); a gate in front of it
(priority.py) lets what an ack waits for go first, and otherwise keeps it first come, first served. A connection
goes back to the pool without the statement's caller waiting for it (`_give_back`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.exc import IntegrityError, OperationalError

from chatbot.storage.db import driver_params
from chatbot.storage.gate import FairPool
from chatbot.storage.priority import PriorityGate
from chatbot.storage.programs import Abort, Program, read_on_sqlite, run_on_sqlalchemy, run_on_sqlite
from chatbot.storage.programs_pg import read_on_asyncpg, run_on_asyncpg
from chatbot.storage.records import RunRecord
from chatbot.storage.sqlite_inline import InlineSqlite
from chatbot.storage.tables import runs

T = TypeVar("T")
log = logging.getLogger(__name__)

PG_SAVE_POOL_SIZE = 20
PG_IDLE_SECONDS = 300.0  # connections idle this long are closed, as SQLAlchemy's pool_recycle does


# Column lists come from the table definitions, so the short way cannot drift from the schema.
RUN_COLUMNS: tuple[str, ...] = tuple(column.name for column in runs.columns)
_PG_GET = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = $1"
_SQLITE_GET = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = ?"


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Nothing to undo on release: programs leave no session state (asyncpg rolls back an open transaction
    before calling this anyway)."""


def _utc(value: datetime | str, sqlite: bool) -> datetime:
    """As UTCDateTime reads it: timezone-aware UTC (SQLite keeps the UTC wall time as text)."""
    if sqlite:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def _run_record(row: tuple[Any, ...], *, sqlite: bool = False) -> RunRecord:
    values = dict(zip(RUN_COLUMNS, row, strict=True))
    values["created_at"] = _utc(values["created_at"], sqlite)
    values["updated_at"] = _utc(values["updated_at"], sqlite)
    if values["finished_at"] is not None:
        values["finished_at"] = _utc(values["finished_at"], sqlite)
    return RunRecord(**values)


class HotPath:
    """`write(make)`, `read(make)` and `get_run(id)`; `enabled` is False for in-memory SQLite, which only SQLAlchemy
    can reach."""

    def __init__(self, pool: FairPool, pg_pool_size: int = PG_SAVE_POOL_SIZE) -> None:
        self.pool = pool
        self.pg_pool_size = pg_pool_size
        engine = pool.engine
        self.dialect = engine.dialect.name
        self._sqlite: InlineSqlite | None = None
        database = engine.url.database or ""
        # An in-memory SQLite database exists only inside its own connection: no second connection can save to it.
        self.enabled = self.dialect == "postgresql" or (
            self.dialect == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:")
        )
        self._pg: asyncpg.Pool | None = None
        self._pg_gate = PriorityGate(pg_pool_size)
        self._pg_lock = asyncio.Lock()
        self._giving_back: set[asyncio.Task[None]] = set()
        if self.enabled and self.dialect == "sqlite":
            self._sqlite = InlineSqlite(database)

    async def write(self, make: Callable[[], Program[T]]) -> T:
        """Run the program `make()` builds as one transaction, the short way (or through SQLAlchemy where no other
        connection reaches the database)."""
        if not self.enabled:
            try:
                async with self.pool.begin() as connection:
                    return await run_on_sqlalchemy(connection, make)
            except Abort as abort:  # leaving the block rolled it back
                return abort.result  # type: ignore[no-any-return]
        if self.dialect == "postgresql":
            return await self._in_pg("write", lambda connection: run_on_asyncpg(connection, make))
        return await self._in_sqlite("write", run_on_sqlite, make)

    async def read(self, make: Callable[[], Program[T]]) -> T:
        """Run a reading program the short way (SQLite: in one read transaction; PostgreSQL: statement by
        statement, as the ORM read them), or through SQLAlchemy's reader."""
        if not self.enabled:
            async with self.pool.connect() as connection:
                return await run_on_sqlalchemy(connection, make)
        if self.dialect == "postgresql":
            return await self._in_pg("read", lambda connection: read_on_asyncpg(connection, make))
        return await self._in_sqlite("read", read_on_sqlite, make)

    async def get_run(self, run_id: str) -> RunRecord | None:
        if self.dialect == "postgresql":
            row = await self._in_pg(_PG_GET, lambda connection: connection.fetchrow(_PG_GET, run_id))
            return _run_record(tuple(row)) if row is not None else None
        found = await self._in_sqlite(_SQLITE_GET, _sqlite_get, run_id)
        return _run_record(found, sqlite=True) if found is not None else None

    async def _in_pg(self, statement: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """`work` on a connection of the hot-path pool, raising what the SQLAlchemy path would, for callers."""
        pg = self._pg or await self._open_pg()
        try:
            await self._pg_gate.acquire()
            try:
                connection = await pg.acquire()
            except BaseException:
                self._pg_gate.release()
                raise
            try:
                return await work(connection)
            finally:
                self._give_back(pg, connection)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(statement, None, exc) from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:  # OSError: server unreachable
            raise OperationalError(statement, None, exc) from exc

    async def _in_sqlite(self, statement: str, work: Callable[..., T], *args: Any) -> T:
        assert self._sqlite is not None
        try:
            return await self._sqlite.run(work, *args)
        except sqlite3.IntegrityError as exc:  # the same exceptions as the SQLAlchemy path, for callers
            raise IntegrityError(statement, None, exc) from exc
        except sqlite3.Error as exc:
            raise OperationalError(statement, None, exc) from exc

    def _give_back(self, pg: asyncpg.Pool, connection: asyncpg.Connection) -> None:
        """Return the connection to the pool without the caller waiting for it. asyncpg's release runs in a task
        of its own (asyncio.shield), so awaiting it cost the caller two turns of the event loop after every
        statement: measured under load (bench_slack, 50 agents), 12 ms at the median on the way to each ack, and
        connections held that much longer, so that statements queued for one 15 ms at the median. The gate's
        place is given back once the connection is back in the pool, so the gate never admits more than it has."""
        task = asyncio.get_running_loop().create_task(pg.release(connection))
        self._giving_back.add(task)
        task.add_done_callback(self._given_back)

    def _given_back(self, task: asyncio.Task[None]) -> None:
        self._giving_back.discard(task)
        self._pg_gate.release()
        if not task.cancelled() and task.exception() is not None:
            # asyncpg has closed the connection (the pool opens another); the statement's caller had its answer.
            log.warning("a database connection could not be returned to the pool: %s", type(task.exception()).__name__)

    async def _open_pg(self) -> asyncpg.Pool:
        async with self._pg_lock:
            if self._pg is None:
                self._pg = await asyncpg.create_pool(
                    min_size=0,
                    max_size=self.pg_pool_size,
                    max_inactive_connection_lifetime=PG_IDLE_SECONDS,
                    reset=_keep_session,
                    **driver_params(self.pool.engine),
                )
            return self._pg

    async def close(self) -> None:
        if self._giving_back:
            await asyncio.gather(*self._giving_back, return_exceptions=True)
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        if self._sqlite is not None:
            self._sqlite.close()


def _sqlite_get(connection: sqlite3.Connection, run_id: str) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = connection.execute(_SQLITE_GET, (run_id,)).fetchone()
    return row
