"""Programs (storage/programs.py) keep their meaning however a driver sends them: on PostgreSQL inserts whose
result nobody reads go together in one statement, yet they are all or nothing, in order, and seen by what follows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError

from chatbot.domain.case import Case, CaseStatus, Resolution
from chatbot.domain.case_policy import resolve as resolve_case
from chatbot.domain.case_policy import run_escalated, run_resolved
from chatbot.domain.escalation import EscalationAction, EscalationKind, Handoff, NewEscalation, Priority, Surface
from chatbot.domain.escalation_policy import act
from chatbot.domain.jobs import JobKind, NewJob
from chatbot.storage import create_engine, run_writes
from chatbot.storage.away import mark_away, mark_back
from chatbot.storage.cases import _BY_ID as CASE_BY_ID
from chatbot.storage.cases import CaseWrite, case_write
from chatbot.storage.cases import _one_case as one_case
from chatbot.storage.db import driver_params
from chatbot.storage.escalations import _BY_ID as BY_ID
from chatbot.storage.escalations import _load as load_escalations
from chatbot.storage.escalations import apply_change, apply_with_case, escalation_values
from chatbot.storage.gate import FairPool
from chatbot.storage.hotpath import HotPath
from chatbot.storage.jobs import LEASE_EXPIRED, JobRepo, job_values
from chatbot.storage.migrate import upgrade
from chatbot.storage.programs import Abort, Op, Program, ProgramError, guard, insert_op, sqlite_time, statement
from chatbot.storage.programs_pg import read_on_asyncpg, run_on_asyncpg
from chatbot.storage.run_writes import CaseMove, NewCase, NewRun
from chatbot.storage.tables import case_links, cases, escalations, jobs
from tests.conftest import PG_URL

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
COUNT_LINKS = statement("SELECT count(*) FROM case_links WHERE case_id = ?", returns_row=True)
COUNT_CASES = statement("SELECT count(*) FROM cases WHERE id = ?", returns_row=True)


def _case(case_id: str, number: str) -> dict[str, object]:
    return {
        "id": case_id,
        "number": number,
        "status": "open",
        "priority": None,
        "ticket": None,
        "procedure": "ts",
        "owner_id": "U1",
        "surface": "slack",
        "channel_id": "C1",
        "details_json": "{}",
        "resolution_json": None,
        "version": 0,
        "opened_at": AT,
        "updated_at": AT,
        "resolved_at": None,
        "closed_at": None,
        "close_due": None,
    }


def _link(case_id: str, ref: str) -> dict[str, object]:
    return {"case_id": case_id, "kind": "jira", "ref": ref, "label": None, "actor": "U1", "created_at": AT}


@pytest.fixture
async def hot(db_url: str) -> AsyncIterator[HotPath]:
    await upgrade(db_url)
    engine = create_engine(db_url)
    path = HotPath(FairPool(engine))
    try:
        yield path
    finally:
        await path.close()
        await engine.dispose()


async def _count(hot: HotPath, query: object, case_id: str) -> int:
    def program() -> Program[int]:
        row = yield Op(query, (case_id,))  # type: ignore[arg-type]
        return int(row[0])

    counted: int = await hot.read(program)
    return counted


async def test_inserts_nobody_reads_are_written_together_with_their_foreign_keys(hot: HotPath) -> None:
    def program() -> Program[str]:
        yield insert_op(cases, _case("c1", "TS-2026-000001"))
        yield insert_op(case_links, _link("c1", "JIRA-1"))  # refers to the case inserted just before
        yield insert_op(case_links, _link("c1", "JIRA-2"))
        return "done"

    assert await hot.write(program) == "done"
    assert await _count(hot, COUNT_CASES, "c1") == 1
    assert await _count(hot, COUNT_LINKS, "c1") == 2


async def test_a_statement_whose_result_is_read_sees_the_inserts_before_it(hot: HotPath) -> None:
    seen: list[int] = []

    def program() -> Program[None]:
        yield insert_op(cases, _case("c2", "TS-2026-000002"))
        yield insert_op(case_links, _link("c2", "JIRA-1"))
        row = yield Op(COUNT_LINKS, ("c2",))
        seen.append(int(row[0]))
        yield insert_op(case_links, _link("c2", "JIRA-2"))
        row = yield Op(COUNT_LINKS, ("c2",))
        seen.append(int(row[0]))

    await hot.write(program)
    assert seen == [1, 2]


async def test_a_failing_insert_among_them_writes_none_of_them(hot: HotPath) -> None:
    def first() -> Program[None]:
        yield insert_op(cases, _case("c3", "TS-2026-000003"))

    await hot.write(first)

    def clash() -> Program[None]:
        yield insert_op(cases, _case("c4", "TS-2026-000004"))
        yield insert_op(case_links, _link("c4", "JIRA-9"))
        yield insert_op(cases, _case("c5", "TS-2026-000003"))  # the number is taken: unique index

    with pytest.raises(IntegrityError):
        await hot.write(clash)
    assert await _count(hot, COUNT_CASES, "c4") == 0
    assert await _count(hot, COUNT_LINKS, "c4") == 0


async def test_an_abort_after_inserts_rolls_them_back(hot: HotPath) -> None:
    def program() -> Program[str]:
        yield insert_op(cases, _case("c6", "TS-2026-000006"))
        row = yield Op(COUNT_CASES, ("c6",))
        assert int(row[0]) == 1  # written, inside the transaction
        yield insert_op(case_links, _link("c6", "JIRA-1"))
        raise Abort("lost")

    assert await hot.write(program) == "lost"
    assert await _count(hot, COUNT_CASES, "c6") == 0
    assert await _count(hot, COUNT_LINKS, "c6") == 0


async def test_rows_of_one_table_keep_the_order_the_program_gave_them(hot: HotPath) -> None:
    def program() -> Program[None]:
        yield insert_op(cases, _case("c7", "TS-2026-000007"))
        for n in range(1, 4):
            yield insert_op(case_links, _link("c7", f"JIRA-{n}"))
            yield insert_op(cases, _case(f"c7-{n}", f"TS-2026-00010{n}"))  # another table in between
        other_shape = {k: v for k, v in _link("c7", "JIRA-4").items() if k != "label"}
        yield insert_op(case_links, other_shape)  # the same table in other columns: the next statement

    await hot.write(program)
    in_order = statement("SELECT ref FROM case_links WHERE case_id = ? ORDER BY id", returns_rows=True)

    def refs() -> Program[list[str]]:
        rows = yield Op(in_order, ("c7",))
        return [r[0] for r in rows]

    assert await hot.read(refs) == ["JIRA-1", "JIRA-2", "JIRA-3", "JIRA-4"]


async def test_inserts_that_need_two_statements_are_still_all_or_nothing(hot: HotPath) -> None:
    def first() -> Program[None]:
        yield insert_op(cases, _case("c8", "TS-2026-000008"))

    await hot.write(first)

    def clash() -> Program[None]:
        yield insert_op(cases, _case("c9", "TS-2026-000009"))
        yield insert_op(case_links, _link("c9", "JIRA-1"))
        # The same table in other columns: on PostgreSQL the next statement; its number is taken, so it fails.
        other_shape = {k: v for k, v in _case("c10", "TS-2026-000008").items() if k != "priority"}
        yield insert_op(cases, other_shape)

    with pytest.raises(IntegrityError):
        await hot.write(clash)
    assert await _count(hot, COUNT_CASES, "c9") == 0
    assert await _count(hot, COUNT_LINKS, "c9") == 0


# --- guards: a compare-and-set that what follows depends on ------------------------------------------------------

MOVE = guard("UPDATE cases SET status = ?, version = version + 1 WHERE id = ? AND status = ?")
LINK_REFS = statement("SELECT ref FROM case_links WHERE case_id = ? ORDER BY id", returns_rows=True)
STATUS = statement("SELECT status FROM cases WHERE id = ?", returns_row=True)


async def _new_case(hot: HotPath, case_id: str, number: str) -> None:
    def program() -> Program[None]:
        yield insert_op(cases, _case(case_id, number))

    await hot.write(program)


async def _refs(hot: HotPath, case_id: str) -> list[str]:
    def program() -> Program[list[str]]:
        rows = yield Op(LINK_REFS, (case_id,))
        return [r[0] for r in rows]

    found: list[str] = await hot.read(program)
    return found


async def _status(hot: HotPath, case_id: str) -> str:
    def program() -> Program[str]:
        row = yield Op(STATUS, (case_id,))
        return str(row[0])

    found: str = await hot.read(program)
    return found


def _moves(case_id: str, first: str, second: str, told: list[int]) -> Callable[[], Program[str]]:
    """Link A; move open -> `first`; link B; move `first` -> `second`; link C. Stops at a move that did not apply."""

    def program() -> Program[str]:
        yield insert_op(case_links, _link(case_id, "A"))
        moved = yield Op(MOVE, (first, case_id, "open"))
        told.append(moved)
        if moved != 1:
            return "first did not move"
        yield insert_op(case_links, _link(case_id, "B"))
        moved = yield Op(MOVE, (second, case_id, first))
        told.append(moved)
        if moved != 1:
            return "second did not move"
        yield insert_op(case_links, _link(case_id, "C"))
        return "both moved"

    return program


async def test_what_follows_a_guard_applies_when_it_changed_its_row(hot: HotPath) -> None:
    await _new_case(hot, "g1", "TS-2026-000201")
    told: list[int] = []
    assert await hot.write(_moves("g1", "tier1", "resolved", told)) == "both moved"
    assert told == [1, 1]
    assert await _status(hot, "g1") == "resolved"
    assert await _refs(hot, "g1") == ["A", "B", "C"]


async def test_nothing_after_a_guard_that_changed_no_row_applies_and_what_came_before_stays(hot: HotPath) -> None:
    await _new_case(hot, "g2", "TS-2026-000202")
    told: list[int] = []
    # The second move asks for the case to be 'closed' first: it is 'tier1', so it changes nothing.
    program = _moves("g2", "tier1", "resolved", told)

    def second_refused() -> Program[str]:
        yield insert_op(case_links, _link("g2", "A"))
        moved = yield Op(MOVE, ("tier1", "g2", "open"))
        if moved != 1:
            return "first did not move"
        yield insert_op(case_links, _link("g2", "B"))
        moved = yield Op(MOVE, ("resolved", "g2", "closed"))
        told.append(moved)
        if moved != 1:
            return "second did not move"
        yield insert_op(case_links, _link("g2", "C"))
        return "both moved"

    assert await hot.write(second_refused) == "second did not move"
    assert told[-1] == 0  # the program was told the real count, whatever a driver sent ahead
    assert await _status(hot, "g2") == "tier1"
    assert await _refs(hot, "g2") == ["A", "B"]
    # The first refused: only what came before it. (A driver may have run the program further first, told 1, and
    # then built it again: programs have no effects but their statements.)
    told.clear()
    assert await hot.write(program) == "first did not move"
    assert told[-1] == 0
    assert await _status(hot, "g2") == "tier1"
    assert await _refs(hot, "g2") == ["A", "B", "A"]


async def test_an_abort_at_a_guard_that_is_the_first_write_writes_nothing(hot: HotPath) -> None:
    await _new_case(hot, "g3", "TS-2026-000203")

    def program() -> Program[str]:
        if (yield Op(MOVE, ("tier1", "g3", "closed"))) != 1:
            raise Abort("lost")
        yield insert_op(case_links, _link("g3", "A"))
        return "moved"

    assert await hot.write(program) == "lost"
    assert await _refs(hot, "g3") == []


async def test_a_guard_before_a_read_is_settled_before_the_read(hot: HotPath) -> None:
    await _new_case(hot, "g4", "TS-2026-000204")
    seen: list[int] = []

    def program() -> Program[str]:
        yield insert_op(case_links, _link("g4", "A"))
        moved = yield Op(MOVE, ("tier1", "g4", "closed"))
        if moved != 1:
            return "not moved"
        row = yield Op(COUNT_LINKS, ("g4",))  # never reached: the guard changed nothing
        seen.append(int(row[0]))
        return "moved"

    assert await hot.write(program) == "not moved"
    assert seen == []
    assert await _refs(hot, "g4") == ["A"]


@pytest.mark.parametrize("mistake", ["goes on", "aborts after writing"])
async def test_a_program_that_breaks_the_guard_rule_fails_on_every_database(hot: HotPath, mistake: str) -> None:
    await _new_case(hot, "g5", "TS-2026-000205")

    def program() -> Program[str]:
        yield insert_op(case_links, _link("g5", "A"))
        refused = (yield Op(MOVE, ("tier1", "g5", "closed"))) != 1
        if refused and mistake == "aborts after writing":
            raise Abort("lost")  # the link before it would stay on PostgreSQL, where no transaction is open
        yield insert_op(case_links, _link("g5", "B"))
        return "done"

    # What it leaves written differs (on PostgreSQL the link before the guard went in the guard's statement, with
    # no transaction to undo it): that is why the rule is checked everywhere, so such a program never ships.
    with pytest.raises(ProgramError):
        await hot.write(program)


async def test_a_program_that_goes_on_after_its_last_statement_fails_on_every_database(hot: HotPath) -> None:
    await _new_case(hot, "g7", "TS-2026-000207")

    def program() -> Program[None]:
        yield Op(MOVE, ("tier1", "g7", "open"), last=True)
        yield insert_op(case_links, _link("g7", "A"))

    with pytest.raises(ProgramError, match="its last"):
        await hot.write(program)


_SQLITE = sqlite_dialect.dialect()  # type: ignore[no-untyped-call]
_ORM_SQLITE_TIME = DateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)


@given(st.datetimes(timezones=st.timezones()))
def test_the_short_way_stores_a_time_on_sqlite_as_the_orm_does(at: datetime) -> None:
    """Times are compared as text on SQLite (a job's due time, a hold's end): a program's must be written exactly as
    SQLAlchemy writes the same instant, microseconds or none, whatever the time zone it was given in."""
    assert _ORM_SQLITE_TIME is not None
    assert sqlite_time(at) == _ORM_SQLITE_TIME(at.astimezone(UTC).replace(tzinfo=None))


def test_a_guard_is_an_update_or_a_delete_of_one_where_clause() -> None:
    for wrong in (
        "UPDATE cases SET status = ? WHERE id IN (SELECT case_id FROM case_links WHERE ref = ?)",
        "DELETE FROM cases WHERE id IN (SELECT case_id FROM case_links WHERE ref = ?)",
        "DELETE FROM cases",
        "INSERT INTO cases (id) VALUES (?)",
    ):
        with pytest.raises(ValueError, match=r"a guard is 'UPDATE table SET \.\.\. WHERE \.\.\.' or 'DELETE"):
            guard(wrong)
    deleting = guard("DELETE FROM away_marks WHERE user_id = ?")
    assert deleting.guarded is not None
    assert (deleting.guarded.table, deleting.guarded.head, deleting.guarded.where) == (
        "away_marks",
        "DELETE FROM away_marks",
        "user_id = $1",
    )


@dataclass
class Logged:
    """A connection of its own to the test's PostgreSQL schema, and every statement it sent (asyncpg's query
    logger, which it calls soon after a statement, not at once: `await asyncio.sleep(0)` before reading `sent`)."""

    connection: asyncpg.Connection
    sent: list[str]


@pytest.fixture
async def logged(db_url: str) -> AsyncIterator[Logged]:
    await upgrade(db_url)
    engine = create_engine(db_url)
    connection = await asyncpg.connect(**driver_params(engine))
    sent: list[str] = []
    connection.add_query_logger(lambda query: sent.append(query.query))
    try:
        yield Logged(connection, sent)
    finally:
        await connection.close()
        await engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_guard_and_what_depends_on_it_are_one_round_trip_without_begin(logged: Logged) -> None:
    connection, sent = logged.connection, logged.sent
    await connection.execute(
        "INSERT INTO cases (id, number, status, version, owner_id, surface, channel_id, details_json, opened_at,"
        " updated_at) VALUES ('g6', 'TS-2026-000206', 'open', 0, 'U1', 'slack', 'C1', '{}', now(), now())"
    )
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
    sent.clear()

    def one_move() -> Program[str]:
        yield insert_op(case_links, _link("g6", "A"))
        if (yield Op(MOVE, ("tier1", "g6", "open"))) != 1:
            return "not moved"
        yield insert_op(case_links, _link("g6", "B"))
        yield insert_op(case_links, _link("g6", "C"))
        return "moved"

    assert await run_on_asyncpg(connection, one_move) == "moved"
    await asyncio.sleep(0)
    assert len(sent) == 1 and sent[0].startswith("WITH g0 AS (UPDATE cases"), sent
    # Two guards on one table cannot share a statement (each would see the row as it was before it): the second
    # waits for the first's count, in a transaction.
    await connection.execute("UPDATE cases SET status = 'open' WHERE id = 'g6'")
    await asyncio.sleep(0)
    sent.clear()
    told: list[int] = []
    assert await run_on_asyncpg(connection, _moves("g6", "escalated", "resolved", told)) == "both moved"
    await asyncio.sleep(0)
    assert [q.split(" ", 1)[0] for q in sent] == ["BEGIN;", "WITH", "WITH", "COMMIT;"], sent
    refs = await connection.fetch("SELECT ref FROM case_links WHERE case_id = 'g6' ORDER BY id")
    assert [r["ref"] for r in refs] == ["A", "B", "C", "A", "B", "C"]


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_run_that_ends_and_resolves_its_case_is_saved_in_one_round_trip(logged: Logged) -> None:
    connection, sent = logged.connection, logged.sent
    run = NewRun("r1", "clever-access", "1", 0, "active", "slack", "T1", "C1", "U1")
    new_case = NewCase(prefix="TS", year=2026, owner_id="U1", surface="slack", channel_id="C1")
    move = CaseMove(new_case.id, run_resolved(AT, 3), allowed_from=(CaseStatus.OPEN, CaseStatus.TIER1))
    saved = run_writes.saved_values("{}", 1, "finished", AT, None, True)

    def save(expected: int) -> Callable[[], Program[bool]]:
        return lambda: run_writes.save_run(
            "r1", expected, saved, actor="U1", action="choose", detail_json="{}", at=AT, escalation=None,
            new_jobs=(), move=move,
        )  # fmt: skip

    counter = await run_on_asyncpg(connection, lambda: run_writes.next_number("TS", 2026))
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
    assert len(sent) == 1 and sent[0].startswith("INSERT INTO case_counters"), sent  # no BEGIN, no COMMIT
    start = run_writes.start_run(
        run, lambda _: "{}", actor="U1", at=AT, new_case=new_case, counter=counter, case_id=None, move=None
    )
    await run_on_asyncpg(connection, lambda: start)
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
    sent.clear()
    assert await run_on_asyncpg(connection, save(0)) is True
    await asyncio.sleep(0)
    assert len(sent) == 1 and sent[0].startswith("WITH g0 AS (UPDATE runs"), sent
    case = await connection.fetchrow("SELECT status, version FROM cases WHERE id = $1", new_case.id)
    assert (case["status"], case["version"]) == ("resolved", 1)
    events = await connection.fetch("SELECT action FROM audit_events ORDER BY id")
    assert [e["action"] for e in events] == ["case.opened", "start", "choose", "case.resolved"]
    # The same save again has lost (the run is at version 1): nothing is written, still one round trip.
    await asyncio.sleep(0)
    sent.clear()
    assert await run_on_asyncpg(connection, save(0)) is False
    await asyncio.sleep(0)
    assert len(sent) == 1, sent
    assert await connection.fetchval("SELECT count(*) FROM audit_events") == 4
    assert await connection.fetchval("SELECT version FROM cases WHERE id = $1", new_case.id) == 1


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_press_on_a_ping_is_one_round_trip(logged: Logged) -> None:
    """A supervisor's press waits for its write: the compare-and-set, its jobs and audit event are one statement."""
    connection, sent = logged.connection, logged.sent
    new = NewEscalation("e" * 32, EscalationKind.MANUAL, "ts", Priority.NORMAL, "s", Handoff("s"), "U1")

    def create() -> Program[None]:
        yield insert_op(escalations, escalation_values(new, AT))

    await run_on_asyncpg(connection, create)
    [esc] = await read_on_asyncpg(connection, lambda: load_escalations(BY_ID, new.id))
    press = act(esc, EscalationAction.CLAIM, actor="U2", reason=None, now=AT, surfaces=[Surface.SLACK])
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
    sent.clear()
    claimed = await run_on_asyncpg(connection, lambda: apply_change(esc, press, actor="U2", at=AT))
    await asyncio.sleep(0)
    assert len(sent) == 1 and sent[0].startswith("WITH g0 AS (UPDATE escalations"), sent
    [stored] = await read_on_asyncpg(connection, lambda: load_escalations(BY_ID, new.id))
    assert claimed == stored and (stored.status.value, stored.handled_by, stored.version) == ("claimed", "U2", 1)
    jobs = await connection.fetch("SELECT kind FROM jobs WHERE escalation_id = $1 ORDER BY id", new.id)
    assert [j["kind"] for j in jobs] == ["ping_update", "notify_agent"]
    # Pressed again from the same (now stale) ping: nothing is written, still one round trip.
    await asyncio.sleep(0)
    sent.clear()
    assert await run_on_asyncpg(connection, lambda: apply_change(esc, press, actor="U2", at=AT)) is None
    await asyncio.sleep(0)
    assert len(sent) == 1, sent
    assert await connection.fetchval("SELECT count(*) FROM jobs") == 2


async def test_connections_all_come_back_whatever_happens_to_the_statements_callers(db_url: str) -> None:
    """Many statements through a small pool, a third of their callers cancelled midway: the rest get their answers,
    and every connection is back (closing waits for them: a lost one would hang it)."""
    await upgrade(db_url)
    engine = create_engine(db_url)
    hot = HotPath(FairPool(engine), pg_pool_size=2)
    await _new_case(hot, "p1", "TS-2026-000301")
    calls = [asyncio.create_task(_status(hot, "p1")) for _ in range(60)]
    await asyncio.sleep(0.01)
    for call in calls[::3]:
        call.cancel()
    done = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)
    answered = [d for d in done if not isinstance(d, BaseException)]
    assert answered and all(a == "open" for a in answered)
    assert all(isinstance(d, asyncio.CancelledError) for d in done if isinstance(d, BaseException))
    assert await asyncio.wait_for(asyncio.gather(*(_status(hot, "p1") for _ in range(4))), 5) == ["open"] * 4
    await asyncio.wait_for(hot.close(), 5)
    await engine.dispose()


def _open_case(case_id: str, number: str) -> Case:
    return Case(case_id, number, CaseStatus.OPEN, None, None, "ts", "U1", "slack", "C1", {}, 0, AT, AT)


def _resolving(esc_id: str, case: Case) -> tuple[NewEscalation, CaseWrite]:
    """An escalation to create, and its case's resolve: the agent told (a job with no key) and the case's closing
    timer (a keyed job), as a resolve with quiet days writes them."""
    new = NewEscalation(esc_id, EscalationKind.MANUAL, "ts", Priority.NORMAL, "s", Handoff("s"), "U1", case_id=case.id)
    told = NewJob(JobKind.AGENT_UPDATE, {"surface": "slack"}, AT, esc_id)
    timer = NewJob(JobKind.CASE_CLOSE, {"case_id": case.id}, AT + timedelta(days=3), key=f"case-close:{case.id}")
    change = resolve_case(case, AT, 3)
    return new, case_write(
        case, change, actor="U2", at=AT, resolution=Resolution("found", "changed"), jobs=[told, timer]
    )


async def test_a_resolve_writes_its_case_only_if_the_escalation_was_not_stale(hot: HotPath) -> None:
    """The escalation's compare-and-set decides between two presses; the case's applies only after it."""
    case = _open_case("c8", "TS-2026-000208")
    new, write = _resolving("a" * 32, case)
    other, _ = _resolving("b" * 32, case)

    def create() -> Program[None]:
        yield insert_op(cases, _case(case.id, case.number))
        yield insert_op(escalations, escalation_values(new, AT))
        yield insert_op(escalations, escalation_values(other, AT))

    await hot.write(create)
    [esc] = await hot.read(lambda: load_escalations(BY_ID, new.id))
    [second] = await hot.read(lambda: load_escalations(BY_ID, other.id))
    press = act(esc, EscalationAction.RESOLVE, actor="U2", reason=None, now=AT, surfaces=[Surface.SLACK])
    result = await hot.write(lambda: apply_with_case(esc, press, write, actor="U2", at=AT))
    assert result is not None
    resolved, closed = result
    [stored] = await hot.read(lambda: load_escalations(BY_ID, new.id))
    stored_case = await hot.read(lambda: one_case(CASE_BY_ID, case.id))
    assert resolved == stored and stored.status.value == "resolved"
    assert closed == stored_case and (closed.status, closed.version, closed.resolution) == (
        CaseStatus.RESOLVED, 1, Resolution("found", "changed")
    )  # fmt: skip
    # The same press again (the escalation is stale): nothing is written, the case's part neither.
    assert await hot.write(lambda: apply_with_case(esc, press, write, actor="U2", at=AT)) is None
    # The other escalation of the case, fresh, with the case as it was read before the resolve (stale now): the
    # escalation is resolved, the case is left as it is for the caller to read again.
    other_press = act(second, EscalationAction.RESOLVE, actor="U3", reason=None, now=AT, surfaces=[Surface.SLACK])
    result = await hot.write(lambda: apply_with_case(second, other_press, write, actor="U3", at=AT))
    assert result is not None and result[1] is None and result[0].status.value == "resolved"
    assert await hot.read(lambda: one_case(CASE_BY_ID, case.id)) == stored_case
    events = await hot.read(lambda: _actions())
    assert events.count("case.resolved") == 1 and events.count("escalation.resolve") == 2, events
    jobs = await hot.read(lambda: _job_kinds())
    assert jobs.count("case_close") == 1 and jobs.count("agent_update") == 1, jobs


def _actions() -> Program[list[str]]:
    rows = yield Op(statement("SELECT action FROM audit_events ORDER BY id", returns_rows=True), ())
    return [r[0] for r in rows]


def _job_kinds() -> Program[list[str]]:
    rows = yield Op(statement("SELECT kind FROM jobs ORDER BY id", returns_rows=True), ())
    return [r[0] for r in rows]


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_resolve_and_its_case_are_one_round_trip(logged: Logged) -> None:
    """Two compare-and-sets on two tables, with their events and jobs (keyed and not): one statement, no BEGIN."""
    connection, sent = logged.connection, logged.sent
    case = _open_case("c9", "TS-2026-000209")
    new, write = _resolving("c" * 32, case)

    def create() -> Program[None]:
        yield insert_op(cases, _case(case.id, case.number))
        yield insert_op(escalations, escalation_values(new, AT))

    await run_on_asyncpg(connection, create)
    [esc] = await read_on_asyncpg(connection, lambda: load_escalations(BY_ID, new.id))
    press = act(esc, EscalationAction.RESOLVE, actor="U2", reason=None, now=AT, surfaces=[Surface.SLACK])
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
    sent.clear()
    result = await run_on_asyncpg(connection, lambda: apply_with_case(esc, press, write, actor="U2", at=AT))
    await asyncio.sleep(0)
    assert len(sent) == 1 and sent[0].startswith("WITH g0 AS (UPDATE escalations"), sent
    assert result is not None and result[1] is not None and result[1].status == CaseStatus.RESOLVED
    jobs = await connection.fetch("SELECT kind, key FROM jobs ORDER BY id")
    assert [j["kind"] for j in jobs] == ["ping_update", "notify_agent", "agent_update", "case_close"], jobs
    assert [j["key"] for j in jobs][-1] == "case-close:c9"


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_tickets_number_unless_it_has_an_open_case_is_one_round_trip(logged: Logged) -> None:
    """A start with a ticket: whether the ticket has an open case and, if not, its new case's number, at once."""
    connection, sent = logged.connection, logged.sent

    def number() -> Program[int | None]:
        return run_writes.next_number_unless_open("TS", 2026, "482913")

    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
    sent.clear()
    assert await run_on_asyncpg(connection, number) == 1
    await asyncio.sleep(0)
    assert len(sent) == 1 and sent[0].startswith("INSERT INTO case_counters"), sent  # no BEGIN, no COMMIT

    def opened() -> Program[None]:
        yield insert_op(cases, {**_case("t1", "TS-2026-000001"), "ticket": "482913"})

    await run_on_asyncpg(connection, opened)
    await asyncio.sleep(0)
    sent.clear()
    assert await run_on_asyncpg(connection, number) is None
    await asyncio.sleep(0)
    assert len(sent) == 1, sent
    assert await connection.fetchval("SELECT last FROM case_counters WHERE prefix = 'TS'") == 1  # none taken


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_workers_claim_is_one_round_trip_without_begin(logged: Logged, db_url: str) -> None:
    """An idle worker polls twice a second, and a busy one claims after every batch: each claim is one statement,
    which takes what is due (and what a dead worker's lease left), in due order, and nothing else."""
    connection, sent = logged.connection, logged.sent
    engine = create_engine(db_url)
    repo = JobRepo(
        FairPool(engine),
        "postgresql",
        lambda make: run_on_asyncpg(connection, make),
        lambda make: read_on_asyncpg(connection, make),
    )
    try:
        later = NewJob(JobKind.DIGEST, {"n": 3}, AT + timedelta(minutes=5))
        for job in (NewJob(JobKind.DIGEST, {"n": 1}, AT - timedelta(seconds=1)), later):
            await run_on_asyncpg(connection, lambda job=job: (yield insert_op(jobs, job_values(job, AT))))
        dead = job_values(NewJob(JobKind.DIGEST, {"n": 2}, AT - timedelta(seconds=2)), AT)
        dead |= {"lease_owner": "dead-worker", "lease_until": AT - timedelta(seconds=1), "attempts": 1}
        await run_on_asyncpg(connection, lambda: (yield insert_op(jobs, dead)))
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
        sent.clear()
        claimed = await repo.claim("w1", AT, limit=10, lease=timedelta(seconds=60))
        await asyncio.sleep(0)
        assert len(sent) == 1 and sent[0].startswith("UPDATE jobs SET lease_owner"), sent  # no look, BEGIN, COMMIT
        assert [j.payload["n"] for j in claimed] == [2, 1]  # due order
        assert [(j.attempts, j.last_error) for j in claimed] == [(2, LEASE_EXPIRED), (1, None)]
        rows = await connection.fetch("SELECT payload_json, lease_owner, lease_until FROM jobs ORDER BY due_at")
        assert [(r["lease_owner"], r["lease_until"]) for r in rows] == [
            ("w1", AT + timedelta(seconds=60)),
            ("w1", AT + timedelta(seconds=60)),
            (None, None),  # not due yet
        ]
        # Claimed again while the leases hold: nothing, still one statement.
        await asyncio.sleep(0)
        sent.clear()
        assert await repo.claim("w2", AT + timedelta(seconds=30), limit=10, lease=timedelta(seconds=60)) == []
        await asyncio.sleep(0)
        assert len(sent) == 1, sent
    finally:
        await engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's round trips: set TEST_DATABASE_URL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_on_postgresql_away_marks_and_an_escalation_by_hand_are_one_statement_each(logged: Logged) -> None:
    """`/oncall away`, `/oncall back` and `/escalate`'s submit wait for their writes: each is one statement, no
    BEGIN or COMMIT (the escalation's new case takes its number first, as a run's start does)."""
    connection, sent = logged.connection, logged.sent

    async def statements(make: Callable[[], Program[object]]) -> tuple[object, list[str]]:
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
        sent.clear()
        result = await run_on_asyncpg(connection, make)
        await asyncio.sleep(0)
        return result, [q.split(" ", 1)[0] for q in sent]

    assert await statements(lambda: mark_away("U1", AT + timedelta(hours=1), AT)) == (None, ["WITH"])
    assert await statements(lambda: mark_away("U1", None, AT)) == (None, ["WITH"])  # replaces the mark
    assert await connection.fetchval("SELECT count(*) FROM away_marks WHERE until IS NULL") == 1
    assert await statements(lambda: mark_back("U1", AT)) == (True, ["WITH"])
    assert await statements(lambda: mark_back("U1", AT)) == (False, ["WITH"])  # not away: nothing written
    actions = await connection.fetch("SELECT action FROM audit_events WHERE actor = 'U1' ORDER BY id")
    assert [a["action"] for a in actions] == ["away", "away", "back"]

    counter = await run_on_asyncpg(connection, lambda: run_writes.next_number("TS", 2026))
    new_case = NewCase(prefix="TS", year=2026, owner_id="U2", surface="slack", channel_id="C1", ticket="48213")
    new = NewEscalation(
        "m" * 32, EscalationKind.MANUAL, "ts", Priority.NORMAL, "s", Handoff("s"), "U2", case_id=new_case.id
    )
    move = CaseMove(new_case.id, run_escalated(), tuple(CaseStatus), {"escalation": new.id})
    ping = NewJob(JobKind.PING, {"surface": "slack"}, AT, new.id)
    raised = lambda: run_writes.raise_escalation(  # noqa: E731
        new, [ping], actor="U2", at=AT, new_case=new_case, counter=counter, move=move
    )
    assert await statements(raised) == (True, ["WITH"])
    case = await connection.fetchrow("SELECT status, version FROM cases WHERE id = $1", new_case.id)
    assert (case["status"], case["version"]) == ("escalated", 0)
    actions = await connection.fetch("SELECT action FROM audit_events WHERE actor = 'U2' ORDER BY id")
    assert [a["action"] for a in actions] == ["case.opened", "escalate", "case.escalated"]
    assert await connection.fetchval("SELECT count(*) FROM jobs WHERE escalation_id = $1", new.id) == 1
