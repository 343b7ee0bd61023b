"""Programs (storage/programs.py) keep their meaning however a driver sends them: on PostgreSQL inserts whose
result nobody reads go together in one statement, yet they are all or nothing, in order, and seen by what follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from chatbot.storage import create_engine
from chatbot.storage.gate import FairPool
from chatbot.storage.hotpath import HotPath
from chatbot.storage.migrate import upgrade
from chatbot.storage.programs import Abort, Op, Program, insert_op, statement
from chatbot.storage.tables import case_links, cases

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
