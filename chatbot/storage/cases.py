"""Cases, their numbers, links and timeline: plain domain records in and out, each method one transaction (a
program run the store's short way, as the hot path's runs are)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from chatbot.domain.case import Case, CaseEvent, CaseLink, CaseStatus, LinkKind, Resolution
from chatbot.domain.case_policy import CaseChange
from chatbot.domain.jobs import NewJob
from chatbot.storage.jobs import add_jobs_program
from chatbot.storage.programs import Op, Program, Reader, Statement, Writer, guard, insert_op, statement
from chatbot.storage.rows import CASE_BY_NUMBER, CASE_OF_ESCALATION, Joined, Plain, audit_values
from chatbot.storage.run_writes import (
    STILL_OPEN,
    NewCase,
    OpenedCase,
    case_values,
    link_values,
    next_number,
    next_number_unless_open,
    open_case,
)
from chatbot.storage.tables import (
    AuditEventRow,
    CaseLinkRow,
    CaseRow,
    audit_events,
    case_links,
)


def case_event(case_id: str, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    return audit_values(None, at, actor, action, detail, case_id=case_id)


def _case(row: CaseRow, links: Sequence[CaseLinkRow] = ()) -> Case:
    resolution = json.loads(row.resolution_json) if row.resolution_json else None
    return Case(
        id=row.id,
        number=row.number,
        status=CaseStatus(row.status),
        priority=row.priority,
        ticket=row.ticket,
        procedure=row.procedure,
        owner_id=row.owner_id,
        surface=row.surface,
        channel_id=row.channel_id,
        details=json.loads(row.details_json),
        version=row.version,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        close_due=row.close_due,
        resolution=Resolution(**resolution) if resolution else None,
        links=tuple(CaseLink(LinkKind(r.kind), r.ref, r.label, r.actor, r.created_at) for r in links),
    )


def _written(case: Case, values: dict[str, Any], resolution: Resolution | None) -> Case:
    """`case` as its row is once `values` (run_writes.case_values, and the version) are written over it: the
    compare-and-set on its version saw the row as `case` has it, so nothing else of the row moved (its links, a
    table of their own, are as they were read)."""
    dates = {name: values[name] for name in ("updated_at", "resolved_at", "closed_at", "close_due") if name in values}
    kept = case.resolution
    if "resolution_json" in values:  # written: the one given, or cleared
        kept = resolution if values["resolution_json"] is not None else None
    return replace(case, status=CaseStatus(values["status"]), version=values["version"], resolution=kept, **dates)


@dataclass(frozen=True)
class CaseWrite:
    """A case's compare-and-set on its version, with its audit event and jobs, as a program (`program`: False, with
    nothing written, if someone changed the case first); `written()` is the case it leaves. A program of its own
    (CaseRepo.write) or the tail of another's (the escalation's resolve, EscalationRepo.apply_with_case)."""

    case: Case
    values: dict[str, Any]
    event: dict[str, Any]
    jobs: Sequence[NewJob]
    at: datetime
    resolution: Resolution | None

    def program(self) -> Program[bool]:
        compare_and_set = _compare_and_set(tuple(self.values))
        if (yield Op(compare_and_set, (*self.values.values(), self.case.id, self.case.version))) != 1:
            return False  # nothing of it written
        yield insert_op(audit_events, self.event)
        yield from add_jobs_program(self.jobs, self.at)
        return True

    def written(self) -> Case:
        return _written(self.case, self.values, self.resolution)


@cache
def _compare_and_set(columns: tuple[str, ...]) -> Statement:
    sets = ", ".join(f"{name} = ?" for name in columns)
    return guard(f"UPDATE cases SET {sets} WHERE id = ? AND version = ?")


def case_write(
    case: Case,
    change: CaseChange,
    *,
    actor: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
    resolution: Resolution | None = None,
    jobs: Sequence[NewJob] = (),
) -> CaseWrite:
    values = {**case_values(change, at, resolution), "version": case.version + 1}
    event = case_event(case.id, at, actor, change.action, {"status": change.status.value, **(detail or {})})
    return CaseWrite(case, values, event, jobs, at, resolution)


_CASES = Plain(CaseRow.__table__)  # type: ignore[arg-type]
_LINKS = Plain(CaseLinkRow.__table__)  # type: ignore[arg-type]
_WITH_LINKS = Joined(_CASES, _LINKS, "case_id")  # a case with its links: one statement
_BY_ID = statement(f"{_WITH_LINKS.select} WHERE a.id = ? ORDER BY b.id", returns_rows=True)
_BY_NUMBER = statement(f"{_WITH_LINKS.select} WHERE a.number = ? ORDER BY b.id", returns_rows=True)
_OF_ESCALATION = statement(f"{_WITH_LINKS.select} WHERE a.id = {CASE_OF_ESCALATION} ORDER BY b.id", returns_rows=True)
_OPEN_FOR_TICKET = statement(
    f"{_WITH_LINKS.select} WHERE a.id = (SELECT id FROM cases WHERE ticket = ? AND {STILL_OPEN}"
    " ORDER BY opened_at DESC LIMIT 1) ORDER BY b.id",
    returns_rows=True,
)
_OPEN_FOR_OWNER = statement(f"{_CASES.select} WHERE owner_id = ? AND {STILL_OPEN} ORDER BY opened_at LIMIT ?",
                            returns_rows=True)  # fmt: skip
_AUDIT = Plain(AuditEventRow.__table__)  # type: ignore[arg-type]
# Reads of a case's parts by its id, or by its number (rows.CASE_BY_NUMBER).
_TIMELINE_OF = f"{_AUDIT.select} WHERE case_id = {{case}} ORDER BY at DESC, id DESC LIMIT ?"
_TIMELINE = statement(_TIMELINE_OF.format(case="?"), returns_rows=True)
_TIMELINE_BY_NUMBER = statement(_TIMELINE_OF.format(case=CASE_BY_NUMBER), returns_rows=True)
_WORK_OF = "SELECT action FROM audit_events WHERE case_id = {case} AND action LIKE 'case.work.%' ORDER BY at, id"
_WORK = statement(_WORK_OF.format(case="?"), returns_rows=True)
_WORK_OF_ESCALATION = statement(_WORK_OF.format(case=CASE_OF_ESCALATION), returns_rows=True)
_COUNT_OPEN = statement(f"SELECT count(*) FROM cases WHERE {STILL_OPEN}", returns_rows=True)
_RUNS_OF = "SELECT id, playbook_id, status FROM runs WHERE case_id = {case} ORDER BY created_at"
_RUNS = statement(_RUNS_OF.format(case="?"), returns_rows=True)
_RUNS_BY_NUMBER = statement(_RUNS_OF.format(case=CASE_BY_NUMBER), returns_rows=True)


def _one_case(query: Statement, *params: Any) -> Program[Case | None]:
    """The case `query` finds (a _WITH_LINKS query), with its links."""
    found = _WITH_LINKS.rows((yield Op(query, params)))
    if not found:
        return None
    row, links = found[0]
    return _case(row, links)  # type: ignore[arg-type]


def _cases(query: Statement, *params: Any) -> Program[list[Case]]:
    return [_case(row) for row in _CASES.rows((yield Op(query, params)))]  # type: ignore[arg-type]


def _rows(query: Statement, *params: Any) -> Program[list[tuple[Any, ...]]]:
    found: list[tuple[Any, ...]] = yield Op(query, params)
    return found


def _linked(case_id: str, link: CaseLink, action: str) -> Program[None]:
    detail = {"kind": link.kind.value, "ref": link.ref, **({"label": link.label} if link.label else {})}
    yield insert_op(case_links, link_values(case_id, link))
    yield insert_op(audit_events, case_event(case_id, link.at, link.actor, action, detail))


class CaseRepo:
    def __init__(self, write: Writer, read: Reader) -> None:
        """`write` and `read` run programs the store's short way (one transaction each, no ORM)."""
        self._write = write
        self._read = read

    async def open(self, new: NewCase, *, actor: str, at: datetime, counter: int | None = None) -> Case:
        """Open a case on its own (`/case new`): numbered by one atomic increment of its prefix's counter, so two
        replicas opening cases at once never get the same number (run_writes.next_number, as a run's start does);
        `counter`: one taken already (`number_unless_open`)."""
        if counter is None:
            counter = await self.next_number(new.prefix, new.year)
        opened: OpenedCase = await self._write(lambda: open_case(new, counter, actor=actor, at=at))
        links = [SimpleNamespace(**opened.link)] if opened.link is not None else []
        return _case(SimpleNamespace(**opened.row), links)  # type: ignore[arg-type]  # as it reads them back

    async def get(self, case_id: str) -> Case | None:
        found: Case | None = await self._read(lambda: _one_case(_BY_ID, case_id))
        return found

    async def by_number(self, number: str) -> Case | None:
        found: Case | None = await self._read(lambda: _one_case(_BY_NUMBER, number.upper()))
        return found

    async def of_escalation(self, escalation_id: str) -> Case | None:
        """The case an escalation belongs to (None if it belongs to none), read without reading the escalation
        first: a supervisor's press reads both at once."""
        found: Case | None = await self._read(lambda: _one_case(_OF_ESCALATION, escalation_id))
        return found

    async def next_number(self, prefix: str, year: int) -> int:
        """A new case's number (run_writes.next_number), for a write that needs it before the case is opened."""
        counter: int = await self._write(lambda: next_number(prefix, year))
        return counter

    async def number_unless_open(self, prefix: str, year: int, ticket: str) -> int | None:
        """A new case's number, unless the ticket has an open case (None: read it with `open_for_ticket`)."""
        counter: int | None = await self._write(lambda: next_number_unless_open(prefix, year, ticket))
        return counter

    async def open_for_ticket(self, ticket: str) -> Case | None:
        """The newest case still open for a Zendesk ticket: a second contact on it continues that case."""
        found: Case | None = await self._read(lambda: _one_case(_OPEN_FOR_TICKET, ticket))
        return found

    async def for_owner(self, owner_id: str, *, limit: int = 20) -> list[Case]:
        """An agent's open cases, oldest first."""
        found: list[Case] = await self._read(lambda: _cases(_OPEN_FOR_OWNER, owner_id, limit))
        return found

    async def apply(
        self,
        case: Case,
        change: CaseChange,
        *,
        actor: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
        resolution: Resolution | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Case | None:
        """Compare-and-set on the case's version: its new status, its audit event and follow-up jobs. The case as it
        now is, or None if someone changed it first."""
        return await self.write(
            case_write(case, change, actor=actor, at=at, detail=detail, resolution=resolution, jobs=jobs)
        )

    async def write(self, write: CaseWrite) -> Case | None:
        """`write` on its own (see `apply`)."""
        changed: bool = await self._write(write.program)
        return write.written() if changed else None

    async def record(
        self,
        case_id: str,
        *,
        actor: str,
        at: datetime,
        action: str,
        detail: dict[str, Any],
        jobs: Sequence[NewJob] = (),
        link: CaseLink | None = None,
    ) -> None:
        """An event on the case's timeline that changes nothing else (Tier II work done, a status update sent),
        with the jobs that tell someone about it, and the link it made (a "case.linked" event before it)."""

        def write() -> Program[None]:
            if link is not None:
                yield from _linked(case_id, link, "case.linked")
            yield insert_op(audit_events, case_event(case_id, at, actor, action, detail))
            yield from add_jobs_program(jobs, at)

        await self._write(write)

    async def timeline(self, case_id: str, *, limit: int = 50, by_number: bool = False) -> list[CaseEvent]:
        """The case's newest `limit` events (its own, its runs' starts, its escalations' changes), oldest first.
        `by_number`: `case_id` is the case's number."""
        query = _TIMELINE_BY_NUMBER if by_number else _TIMELINE
        rows: list[tuple[Any, ...]] = await self._read(lambda: _rows(query, case_id, limit))
        events = _AUDIT.rows(rows[::-1])
        return [CaseEvent(e.at, e.actor, e.action, json.loads(e.detail_json)) for e in events]

    async def work_recorded(self, case_id: str, *, by_escalation: bool = False) -> list[str]:
        """The kinds of Tier II work recorded on the case, first recorded first, each once. `by_escalation`:
        `case_id` is one of its escalations' id."""
        query = _WORK_OF_ESCALATION if by_escalation else _WORK
        rows: list[tuple[Any, ...]] = await self._read(lambda: _rows(query, case_id))
        return list(dict.fromkeys(str(r[0]).removeprefix("case.work.") for r in rows))

    async def runs_of(self, case_id: str, *, by_number: bool = False) -> list[tuple[str, str, str]]:
        """(run id, playbook id, status) of the case's runs, oldest first. `by_number`: `case_id` is its number."""
        query = _RUNS_BY_NUMBER if by_number else _RUNS
        rows: list[tuple[Any, ...]] = await self._read(lambda: _rows(query, case_id))
        return [(r[0], r[1], r[2]) for r in rows]

    async def count_open(self) -> int:
        row: tuple[int] = (await self._read(lambda: _rows(_COUNT_OPEN)))[0]
        return int(row[0])
