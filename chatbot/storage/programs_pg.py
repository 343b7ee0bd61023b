"""Programs (programs.py) on PostgreSQL through asyncpg, in as few round trips as their meaning allows.

Every round trip on an ack's way costs far more than its statement under load: its answer is read only when the
event loop comes round to it (~30 ms at the median at 50 agents on 2 cores, bench_slack). So:
- inserts whose result the program never reads (`insert_op`) wait to go with the next round trip: the rows of one
  table as one multi-row INSERT, several tables as data-modifying WITHs of one statement;
- a guard (programs.guard) and what follows it go in that same statement before the program has seen the guard's
  count: each part applies only if the guards before it changed their row. The program is sent 1 for a guard
  meanwhile; if a guard in fact changed no row, the program is built again (`make()`) and replayed with the counts
  as they were, and must stop at that guard (programs.checked), which is what the statement did;
- BEGIN is sent only when a program needs more than one statement; a statement is atomic on its own (a program
  that is one statement whose result it reads says so with `Op.last`).

A statement's parts run in no set order and all see the database as it was before it, so one statement takes each
table once (its rows in one INSERT, in order), a guard's table is written by nothing else in it, and a guard reads
no table the statement writes; anything else waits for the next round trip, in a transaction.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg

from chatbot.storage.programs import Abort, Op, Program, ProgramError, Rows, checked, statement

T = TypeVar("T")

_PARAM = re.compile(r"\$(\d+)")
_NO_GUARD = -1


def _renumbered(sql: str, offset: int) -> str:
    return _PARAM.sub(lambda m: f"${int(m.group(1)) + offset}", sql) if offset else sql


async def _asyncpg_result(connection: asyncpg.Connection, op: Op) -> Any:
    if op.statement.returns_rows:
        return [tuple(r) for r in await connection.fetch(op.statement.postgresql, *op.params)]
    if op.statement.returns_row:
        row = await connection.fetchrow(op.statement.postgresql, *op.params)
        return tuple(row) if row is not None else None
    status = await connection.execute(op.statement.postgresql, *op.params)
    return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


# --- inserts alone ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _together(inserts: tuple[tuple[Rows, int], ...]) -> str:
    """INSERTs of several tables as one PostgreSQL statement: each but the last a data-modifying WITH."""
    parts = []
    offset = 0
    for rows, count in inserts:
        parts.append(_renumbered(statement(rows.sql(count)).postgresql, offset))
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
        sql = _together(shapes)
        await connection.execute(sql, *(p for rows in tables for op in rows for p in op.params))


# --- guards with what depends on them ---------------------------------------------------------------------------


def _fits(pending: list[Op], op: Op) -> bool:
    """Whether `op` can join `pending` in one statement (the module's docstring says when it can)."""
    ops = [*pending, op]
    guards = [o.statement.guarded for o in ops if o.statement.guarded is not None]
    if not guards:
        return True  # inserts alone: _statements splits them as needed, in a transaction
    shapes: dict[str, Rows] = {}
    for o in ops:
        rows = o.statement.rows
        if rows is not None and shapes.setdefault(rows.table, rows) != rows:
            return False
    guarded_tables = [g.table for g in guards]
    if len(set(guarded_tables)) != len(guarded_tables) or set(guarded_tables) & set(shapes):
        return False
    written = {*guarded_tables, *shapes}
    return all(
        re.search(rf"\b{table}\b", f"{g.head} WHERE {g.where}") is None for g in guards for table in written - {g.table}
    )


def _key(pending: list[Op]) -> tuple[tuple[Any, int], ...]:
    """Each op's statement with the guard (its number among the guards) it depends on, the nearest before it."""
    key = []
    guard = _NO_GUARD
    count = 0
    for op in pending:
        key.append((op.statement, guard))
        if op.statement.guarded is not None:
            guard, count = count, count + 1
    return tuple(key)


@lru_cache(maxsize=1024)
def _composed(key: tuple[tuple[Any, int], ...]) -> tuple[str, tuple[int, ...]]:
    """The statement for pending ops of this key, and the order (indexes into them) its parameters take."""
    parts: list[str] = []
    order: list[int] = []
    offset = 0
    guards = 0
    tables: dict[str, list[tuple[int, int]]] = {}  # table -> (index, guard it depends on), in order
    for index, (stmt, depends) in enumerate(key):
        guarded = stmt.guarded
        if guarded is None:
            tables.setdefault(stmt.rows.table, []).append((index, depends))
            continue
        condition = f" AND (SELECT count(*) FROM g{depends}) = 1" if depends != _NO_GUARD else ""
        sql = f"{guarded.head} WHERE ({guarded.where}){condition} RETURNING 1"
        parts.append(f"g{guards} AS ({_renumbered(sql, offset)})")
        offset += stmt.postgresql.count("$")
        order.append(index)
        guards += 1
    for number, rows_of in enumerate(tables.values()):
        rows: Rows = key[rows_of[0][0]][0].rows
        values = []
        for index, depends in rows_of:
            marks = ", ".join(f"${offset + i}::{t}" for i, t in enumerate(rows.types, start=1))
            offset += len(rows.columns)
            order.append(index)
            values.append(f"({marks}, {f'(SELECT count(*) FROM g{depends}) = 1' if depends != _NO_GUARD else 'true'})")
        columns = ", ".join(rows.columns)
        sql = (
            f"INSERT INTO {rows.table} ({columns}) SELECT {columns} FROM (VALUES {', '.join(values)}) "
            f"AS v({columns}, applies) WHERE applies{rows.on_conflict()}"
        )
        parts.append(f"i{number} AS ({sql})")
    counts = ", ".join(f"(SELECT count(*) FROM g{n})" for n in range(guards))
    return f"WITH {', '.join(parts)} SELECT {counts}", tuple(order)


async def _flush(connection: asyncpg.Connection, pending: list[Op]) -> tuple[int, int] | None:
    """Send `pending`; the index among them of the first guard that changed other than one row, with its count."""
    if not any(op.statement.guarded is not None for op in pending):
        await _send(connection, _statements(pending))
        return None
    sql, order = _composed(_key(pending))
    counts = await connection.fetchrow(sql, *(p for i in order for p in pending[i].params))
    guards = [i for i, op in enumerate(pending) if op.statement.guarded is not None]
    for index, count in zip(guards, counts, strict=True):
        if count != 1:
            return index, int(count)
    return None


def _replayed(make: Callable[[], Program[T]], sent: list[Any], at: int, count: int) -> T:
    """The program built again and sent the same results up to the guard at `at`, then its real count: it must
    stop there (returning; or raising Abort, which the caller handles)."""
    program = checked(make())
    program.send(None)
    for result in sent[:at]:
        program.send(result)
    try:
        program.send(count)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise ProgramError("went on after a guard changed no row")  # checked() raises first; kept for the type


# --- the drivers ------------------------------------------------------------------------------------------------


async def run_on_asyncpg(connection: asyncpg.Connection, make: Callable[[], Program[T]]) -> T:
    """The program as one transaction, in as few round trips as the module's docstring allows. `make` must build
    the same program each time: it is built again when a guard it was told had changed its row had not."""
    program = checked(make())
    sent: list[Any] = []  # every result the program was sent, in order
    pending: list[Op] = []  # inserts and guards not sent yet
    pending_at: list[int] = []  # where each of them is in `sent`
    transaction = None
    result: Any = None

    async def begin() -> None:
        nonlocal transaction
        if transaction is None:
            transaction = connection.transaction()
            await transaction.start()

    async def flushed() -> tuple[int, int] | None:
        """Send what is pending; where in `sent` the first guard that did not change its row is, with its count."""
        failed = await _flush(connection, pending)
        at = (pending_at[failed[0]], failed[1]) if failed is not None else None
        pending.clear()
        pending_at.clear()
        return at

    try:
        while True:
            try:
                op = program.send(result)
            except StopIteration as done:
                outcome = done.value
                if pending and not any(o.statement.guarded is not None for o in pending):
                    statements = _statements(pending)
                    if len(statements) > 1:  # one statement is atomic; two are not
                        await begin()
                    await _send(connection, statements)
                elif pending:  # one statement (_fits saw to it)
                    failed = await flushed()
                    if failed is not None:
                        outcome = _replayed(make, sent, *failed)
                if transaction is not None:
                    await transaction.commit()
                return outcome  # type: ignore[no-any-return]
            if op.deferred or op.statement.guarded is not None:
                if not _fits(pending, op):
                    await begin()
                    failed = await flushed()
                    if failed is not None:
                        return await _settle(_replayed(make, sent, *failed), transaction)
                pending.append(op)
                pending_at.append(len(sent))
                result = 1 if op.statement.guarded is not None else None
                sent.append(result)
                continue
            if op.last and transaction is None and not pending:  # the whole write is this one statement
                result = await _asyncpg_result(connection, op)
                sent.append(result)
                continue
            await begin()
            failed = await flushed()
            if failed is not None:
                return await _settle(_replayed(make, sent, *failed), transaction)
            result = await _asyncpg_result(connection, op)
            sent.append(result)
    except Abort as abort:
        if transaction is not None:
            await transaction.rollback()
        return abort.result  # type: ignore[no-any-return]
    except BaseException:
        if transaction is not None and not connection.is_closed() and connection.is_in_transaction():
            with contextlib.suppress(Exception):  # the error that got us here is the one to tell
                await transaction.rollback()
        raise


async def _settle(outcome: T, transaction: Any) -> T:
    if transaction is not None:
        await transaction.commit()
    return outcome


async def read_on_asyncpg(connection: asyncpg.Connection, make: Callable[[], Program[T]]) -> T:
    """A reading program, each statement on its own (READ COMMITTED, as the ORM's session read them): no BEGIN and
    COMMIT round trips, which under load cost more than the reads (the connection is held while the event loop
    gets round to each answer). A program that needs one snapshot must be one statement."""
    program = checked(make())
    result: Any = None
    try:
        while True:
            op = program.send(result)
            result = await _asyncpg_result(connection, op)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
