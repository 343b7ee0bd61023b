"""Write sequences written once, run the short way on either database: a run's start on its case, an answer's save
with what it escalates and what it does to the case.

A program is a generator that yields statements (`Op`) and receives each one's result (the first row, or the count
of rows changed), so a later statement can use an earlier one's result (a case number) and a compare-and-set can
stop the whole write. Drivers run it as one transaction: on SQLite on the event loop's own connection (see
sqlite_inline.py: nothing may wait inside), on PostgreSQL on an asyncpg connection (programs_pg.py), and through
SQLAlchemy for an in-memory SQLite database, which no second connection can reach.

A compare-and-set is a *guard* (`guard`): an UPDATE (or DELETE) of one row that what the program yields after it
depends on. When it changes no row the program must stop there (return, or Abort if it has written nothing before
it), which every driver checks; so the PostgreSQL driver may send a guard and what follows it in one statement, each
part applying only if the guards before it changed their row, before the program has seen the guard's count.

Statements are built from the table definitions (`insert_op`, `upsert_op`, `Statement`), once per shape, so these
writes cannot drift from the schema; values go in as Python values and each driver binds them as SQLAlchemy would
store them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

T = TypeVar("T")


@dataclass(frozen=True)
class Statement:
    """One statement in both dialects' parameter styles (`?` for SQLite, `$n` for PostgreSQL)."""

    sqlite: str
    postgresql: str
    returns_row: bool = False
    returns_rows: bool = False  # every row (a list of tuples)
    rows: Rows | None = None  # an INSERT of one row of this shape (insert_op)
    guarded: Guarded | None = None  # a guard: an UPDATE or DELETE the rest of the program depends on (guard)


@dataclass(frozen=True)
class Rows:
    """The shape of an INSERT: its table, columns, the columns a conflict is on, and what it does then: nothing, or
    (`update`) set these columns to the new row's values."""

    table: str
    columns: tuple[str, ...]
    conflict: tuple[str, ...] | None
    types: tuple[str, ...] = ()  # each column's PostgreSQL type, without a length (a cast must never truncate)
    update: tuple[str, ...] = ()

    def sql(self, count: int) -> str:
        """`count` rows of this shape in one INSERT, `?` placeholders."""
        row = f"({', '.join('?' for _ in self.columns)})"
        sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES {', '.join(row for _ in range(count))}"
        return sql + self.on_conflict()

    def on_conflict(self) -> str:
        """The INSERT's ON CONFLICT clause ("" if it has none)."""
        if not self.conflict:
            return ""
        target = f" ON CONFLICT ({', '.join(self.conflict)})"
        if not self.update:
            return f"{target} DO NOTHING"
        return f"{target} DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in self.update)}"


@dataclass(frozen=True)
class Guarded:
    """A guard's UPDATE or DELETE taken apart (PostgreSQL placeholders), so that a condition can be added to its
    WHERE."""

    table: str
    head: str  # "UPDATE table SET ..." or "DELETE FROM table"
    where: str  # what follows WHERE


_GUARD = re.compile(
    r"^(?:UPDATE (?P<table>\w+) SET (?:(?! WHERE ).)+|DELETE FROM (?P<deleted>\w+)) WHERE (?:(?! WHERE ).)+$", re.DOTALL
)


@dataclass(frozen=True)
class Op:
    statement: Statement
    params: tuple[Any, ...]
    # The program never looks at its result (an INSERT of insert_op): a driver may send it together with the
    # statements after it, and send the program None.
    deferred: bool = False
    # The program yields nothing after it (checked): a driver may send a write that is this one statement alone
    # without BEGIN and COMMIT, since one statement is atomic on its own.
    last: bool = False


Program = Generator[Op, Any, T]  # yields statements, is sent each one's result, returns the write's result


Reader = Callable[[Callable[[], Program[Any]]], Awaitable[Any]]  # runs a reading program, the store's short way
Writer = Callable[[Callable[[], Program[Any]]], Awaitable[Any]]  # runs a program as one write transaction


class Abort(Exception):
    """Raised inside a program to roll the whole write back (a compare-and-set that lost); `result` is returned."""

    def __init__(self, result: Any) -> None:
        super().__init__("write rolled back")
        self.result = result


class ProgramError(RuntimeError):
    """A program broke the guard rule (it went on after a guard changed no row, or aborted there after writing), or
    went on after a statement marked as its last."""


def checked(program: Program[T]) -> Program[T]:
    """`program`, held to the guard rule (the module's docstring) and to `Op.last` whatever the driver: a
    ProgramError where it breaks them, so that a program that would be wrong on PostgreSQL fails on every
    database."""
    wrote = False  # an insert or a guard sent before
    failed: Op | None = None  # a guard that changed no row
    wrote_before_failed = False
    last: Op | None = None
    result: Any = None
    while True:
        try:
            op = program.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        except Abort:
            if failed is not None and wrote_before_failed:
                raise ProgramError(f"aborted at a guard after writing: {failed.statement.sqlite}") from None
            raise
        if failed is not None:
            raise ProgramError(f"went on after a guard changed no row: {failed.statement.sqlite}")
        if last is not None:
            raise ProgramError(f"went on after a statement it said was its last: {last.statement.sqlite}")
        result = yield op
        last = op if op.last else None
        if op.statement.guarded is not None and result != 1:
            failed, wrote_before_failed = op, wrote
        wrote = wrote or op.deferred or op.statement.guarded is not None


def statement(sql: str, *, returns_row: bool = False, returns_rows: bool = False) -> Statement:
    """`sql` written with `?` placeholders; the PostgreSQL form numbers them."""
    pieces = sql.split("?")
    numbered = pieces[0] + "".join(f"${i}{piece}" for i, piece in enumerate(pieces[1:], start=1))
    return Statement(sql, numbered, returns_row, returns_rows)


@lru_cache(maxsize=512)
def guard(sql: str) -> Statement:
    """A compare-and-set: `UPDATE table SET ... WHERE ...` or `DELETE FROM table WHERE ...` (one WHERE, nothing
    after it, `?` placeholders) that changes one row or none. Its result is the count of rows it changed; a program
    that is sent anything but 1 must yield nothing more (see the module's docstring). Cached: presses and case
    changes build theirs per call, from a few shapes."""
    match = _GUARD.match(sql)
    if match is None:
        raise ValueError(f"a guard is 'UPDATE table SET ... WHERE ...' or 'DELETE FROM table WHERE ...': {sql!r}")
    numbered = statement(sql)
    head, where = numbered.postgresql.split(" WHERE ")
    return replace(numbered, guarded=Guarded(match["table"] or match["deleted"], head, where))


@cache
def _insert(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None, update: tuple[str, ...] = ()
) -> Statement:
    unknown = set(columns) - {c.name for c in table.columns}
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    types = tuple(_cast(table.columns[name].type) for name in columns)
    rows = Rows(table.name, columns, conflict, types, update)
    return replace(statement(rows.sql(1)), rows=rows)


_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]


def _cast(type_: TypeEngine[Any]) -> str:
    return re.sub(r"\(\d+\)", "", str(type_.compile(dialect=_POSTGRESQL)))


def insert_op(table: Table, values: dict[str, Any], *, on_conflict_nothing: Sequence[str] = ()) -> Op:
    """INSERT `values` (column -> value) into `table`; a conflict on `on_conflict_nothing` inserts nothing."""
    columns = tuple(values)
    return Op(_insert(table, columns, tuple(on_conflict_nothing) or None), tuple(values.values()), deferred=True)


def upsert_op(table: Table, values: dict[str, Any], *, key: Sequence[str]) -> Op:
    """INSERT `values` into `table`, or, where a row with the same `key` exists, set its other columns to them.
    A statement takes a table's rows in one INSERT, which may not meet one key twice: one upsert per key in a
    program."""
    columns = tuple(values)
    update = tuple(name for name in columns if name not in key)
    return Op(_insert(table, columns, tuple(key), update), tuple(values.values()), deferred=True)


def sqlite_time(at: datetime) -> str:
    """A timestamp as SQLAlchemy stores it on SQLite (UTC wall time, always with microseconds). `isoformat`, not
    `strftime`: every SQLite write binds a few, and strftime's format parsing was 1.6% of the app's CPU under load."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_params(params: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sqlite_time(p) if isinstance(p, datetime) else p for p in params)


# --- drivers ---------------------------------------------------------------------------------------------------


def _sqlite_result(cursor: sqlite3.Cursor, op: Op) -> Any:
    if op.statement.returns_rows:
        return cursor.fetchall()
    return cursor.fetchone() if op.statement.returns_row else cursor.rowcount


def _on_sqlite(connection: sqlite3.Connection, program: Program[T]) -> T:
    """Send the program each statement's result until it returns."""
    result: Any = None
    try:
        while True:
            op = program.send(result)
            result = _sqlite_result(connection.execute(op.statement.sqlite, _sqlite_params(op.params)), op)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def read_on_sqlite(connection: sqlite3.Connection, make: Callable[[], Program[T]]) -> T:
    """A reading program on a plain sqlite3 connection: one read transaction (a consistent snapshot, no lock
    that blocks a writer in WAL mode)."""
    program = checked(make())
    connection.execute("BEGIN")
    try:
        return _on_sqlite(connection, program)
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")


def run_on_sqlite(connection: sqlite3.Connection, make: Callable[[], Program[T]]) -> T:
    """The program as one transaction on a plain sqlite3 connection (autocommit mode). Leaves no transaction open
    when it raises, so the caller may run it again, whole, when SQLite was busy."""
    program = checked(make())
    connection.execute("BEGIN IMMEDIATE")  # the write lock up front: a busy database says so here
    try:
        found = _on_sqlite(connection, program)
    except Abort as abort:
        connection.execute("ROLLBACK")
        return abort.result  # type: ignore[no-any-return]
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return found


async def run_on_sqlalchemy(connection: AsyncConnection, make: Callable[[], Program[T]]) -> T:
    """Through SQLAlchemy: for an in-memory SQLite database (only SQLAlchemy's one connection reaches it), and for
    writes off the ack's path. `connection` is in a transaction the caller commits, and rolls back when this raises
    (an `Abort` included: the caller returns its result)."""
    program = checked(make())
    on_sqlite = connection.dialect.name == "sqlite"
    result: Any = None
    while True:
        try:
            op = program.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        params = _sqlite_params(op.params) if on_sqlite else op.params
        named = op.statement.sqlite
        for i in range(len(params)):
            named = named.replace("?", f":p{i}", 1)
        cursor = await connection.execute(text(named), {f"p{i}": v for i, v in enumerate(params)})
        if op.statement.returns_rows:
            result = [tuple(r) for r in cursor.fetchall()]
        else:
            result = cursor.fetchone() if op.statement.returns_row else cursor.rowcount
            if op.statement.returns_row and result is not None:
                result = tuple(result)
