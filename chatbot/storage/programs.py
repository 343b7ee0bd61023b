"""Write sequences written once, run the short way on either database: a run's start on its case, an answer's save
with what it escalates and what it does to the case.

A program is a generator that yields statements (`Op`) and receives each one's result (the first row, or the count
of rows changed), so a later statement can use an earlier one's result (a case number) and a compare-and-set can
stop the whole write. Drivers run it as one transaction: on SQLite on the event loop's own connection (see
sqlite_inline.py: nothing may wait inside), on PostgreSQL on an asyncpg connection, and through SQLAlchemy for an
in-memory SQLite database, which no second connection can reach.

Statements are built from the table definitions (`insert_op`, `Statement`), once per shape, so these writes cannot
drift from the schema; values go in as Python values and each driver binds them as SQLAlchemy would store them.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


@dataclass(frozen=True)
class Statement:
    """One statement in both dialects' parameter styles (`?` for SQLite, `$n` for PostgreSQL)."""

    sqlite: str
    postgresql: str
    returns_row: bool = False
    returns_rows: bool = False  # every row (a list of tuples)
    rows: Rows | None = None  # an INSERT of one row of this shape (insert_op)


@dataclass(frozen=True)
class Rows:
    """The shape of an INSERT: its table, columns, and the columns a conflict on inserts nothing."""

    table: str
    columns: tuple[str, ...]
    conflict: tuple[str, ...] | None

    def sql(self, count: int) -> str:
        """`count` rows of this shape in one INSERT, `?` placeholders."""
        row = f"({', '.join('?' for _ in self.columns)})"
        sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES {', '.join(row for _ in range(count))}"
        if self.conflict:
            sql += f" ON CONFLICT ({', '.join(self.conflict)}) DO NOTHING"
        return sql


@dataclass(frozen=True)
class Op:
    statement: Statement
    params: tuple[Any, ...]
    # The program never looks at its result (an INSERT of insert_op): a driver may send it together with the
    # statements after it, and send the program None.
    deferred: bool = False


Program = Generator[Op, Any, T]  # yields statements, is sent each one's result, returns the write's result


Reader = Callable[[Callable[[], Program[Any]]], Awaitable[Any]]  # runs a reading program, the store's short way
Writer = Callable[[Callable[[], Program[Any]]], Awaitable[Any]]  # runs a program as one write transaction


class Abort(Exception):
    """Raised inside a program to roll the whole write back (a compare-and-set that lost); `result` is returned."""

    def __init__(self, result: Any) -> None:
        super().__init__("write rolled back")
        self.result = result


def statement(sql: str, *, returns_row: bool = False, returns_rows: bool = False) -> Statement:
    """`sql` written with `?` placeholders; the PostgreSQL form numbers them."""
    pieces = sql.split("?")
    numbered = pieces[0] + "".join(f"${i}{piece}" for i, piece in enumerate(pieces[1:], start=1))
    return Statement(sql, numbered, returns_row, returns_rows)


@cache
def _insert(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None) -> Statement:
    unknown = set(columns) - {c.name for c in table.columns}
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    rows = Rows(table.name, columns, conflict)
    return replace(statement(rows.sql(1)), rows=rows)


def insert_op(table: Table, values: dict[str, Any], *, on_conflict_nothing: Sequence[str] = ()) -> Op:
    """INSERT `values` (column -> value) into `table`; a conflict on `on_conflict_nothing` inserts nothing."""
    columns = tuple(values)
    return Op(_insert(table, columns, tuple(on_conflict_nothing) or None), tuple(values.values()), deferred=True)


def sqlite_time(at: datetime) -> str:
    """A timestamp as SQLAlchemy stores it on SQLite (UTC wall time)."""
    return at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


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
    program = make()
    connection.execute("BEGIN")
    try:
        return _on_sqlite(connection, program)
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")


def run_on_sqlite(connection: sqlite3.Connection, make: Callable[[], Program[T]]) -> T:
    """The program as one transaction on a plain sqlite3 connection (autocommit mode). Leaves no transaction open
    when it raises, so the caller may run it again, whole, when SQLite was busy."""
    program = make()
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


async def _asyncpg_result(connection: asyncpg.Connection, op: Op) -> Any:
    if op.statement.returns_rows:
        return [tuple(r) for r in await connection.fetch(op.statement.postgresql, *op.params)]
    if op.statement.returns_row:
        row = await connection.fetchrow(op.statement.postgresql, *op.params)
        return tuple(row) if row is not None else None
    status = await connection.execute(op.statement.postgresql, *op.params)
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


async def _on_asyncpg(connection: asyncpg.Connection, program: Program[T]) -> T:
    """Send the program each statement's result until it returns."""
    result: Any = None
    try:
        while True:
            op = program.send(result)
            result = await _asyncpg_result(connection, op)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


_PARAM = re.compile(r"\$(\d+)")


@cache
def _together(inserts: tuple[tuple[Rows, int], ...]) -> str:
    """INSERTs of several tables as one PostgreSQL statement: each but the last a data-modifying WITH."""
    parts = [statement(rows.sql(count)).postgresql for rows, count in inserts]
    offset = 0
    for i, (rows, count) in enumerate(inserts):
        parts[i] = _PARAM.sub(lambda m, at=offset: f"${int(m.group(1)) + at}", parts[i])
        offset += len(rows.columns) * count
    *before, last = parts
    return "".join(f"{'WITH' if i == 0 else ','} w{i} AS ({sql}) " for i, sql in enumerate(before)) + last


def _statements(ops: list[Op]) -> list[list[list[Op]]]:
    """Deferred inserts as few statements as keep their order: a statement takes each table once (its rows in one
    INSERT, in order), since the parts of one statement run in no set order; a table met again in another shape
    starts the next statement."""
    statements: list[list[list[Op]]] = []
    current: dict[str, list[Op]] = {}
    for op in ops:
        shape = op.statement.rows
        assert shape is not None, "only insert_op's statements are deferred"
        same = current.get(shape.table)
        if same is not None and same[0].statement.rows != shape:
            statements.append(list(current.values()))
            current, same = {}, None
        if same is None:
            current[shape.table] = [op]
        else:
            same.append(op)
    if current:
        statements.append(list(current.values()))
    return statements


async def _send(connection: asyncpg.Connection, statements: list[list[list[Op]]]) -> None:
    """Deferred inserts grouped by _statements, a round trip each. One statement takes effect whole or not at all;
    its parts cannot see one another's rows, which inserts nothing after them reads never need, and foreign keys
    are checked at its end."""
    for tables in statements:
        shapes = tuple((rows[0].statement.rows, len(rows)) for rows in tables)
        sql = _together(shapes)  # type: ignore[arg-type]
        await connection.execute(sql, *(p for rows in tables for op in rows for p in op.params))


async def run_on_asyncpg(connection: asyncpg.Connection, make: Callable[[], Program[T]]) -> T:
    """The program as one transaction, in as few round trips as its statements allow: deferred statements wait to
    go with the next round trip (a statement whose result the program needs goes on its own after them), and a
    program that needs no result at all and whose inserts make one statement has no BEGIN and COMMIT."""
    program = make()
    pending: list[Op] = []
    transaction = None
    result: Any = None
    try:
        while True:
            try:
                op = program.send(result)
            except StopIteration as done:
                statements = _statements(pending)
                if transaction is None and len(statements) > 1:  # one statement is atomic on its own; two are not
                    transaction = connection.transaction()
                    await transaction.start()
                await _send(connection, statements)
                if transaction is not None:
                    await transaction.commit()
                return done.value  # type: ignore[no-any-return]
            if op.deferred:
                pending.append(op)
                result = None
                continue
            if transaction is None:
                transaction = connection.transaction()
                await transaction.start()
            await _send(connection, _statements(pending))
            pending.clear()
            result = await _asyncpg_result(connection, op)
    except Abort as abort:
        if transaction is not None:
            await transaction.rollback()
        return abort.result  # type: ignore[no-any-return]
    except BaseException:
        if transaction is not None and not connection.is_closed() and connection.is_in_transaction():
            with contextlib.suppress(Exception):  # the error that got us here is the one to tell
                await transaction.rollback()
        raise


async def read_on_asyncpg(connection: asyncpg.Connection, make: Callable[[], Program[T]]) -> T:
    """A reading program, each statement on its own (READ COMMITTED, as the ORM's session read them): no BEGIN and
    COMMIT round trips, which under load cost more than the reads (the connection is held while the event loop
    gets round to each answer). A program that needs one snapshot must be one statement."""
    return await _on_asyncpg(connection, make())


async def run_on_sqlalchemy(connection: AsyncConnection, make: Callable[[], Program[T]]) -> T:
    """Through SQLAlchemy: for an in-memory SQLite database (only SQLAlchemy's one connection reaches it), and for
    writes off the ack's path. `connection` is in a transaction the caller commits, and rolls back when this raises
    (an `Abort` included: the caller returns its result)."""
    program = make()
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
