"""Cases, their numbers, links and timeline: plain domain records in and out, each method one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.domain.case import Case, CaseEvent, CaseLink, CaseStatus, LinkKind, Resolution
from chatbot.domain.case_policy import CaseChange
from chatbot.domain.jobs import NewJob
from chatbot.storage.gate import FairPool
from chatbot.storage.jobs import add_jobs
from chatbot.storage.programs import run_on_sqlalchemy
from chatbot.storage.rows import audit_values, to_json
from chatbot.storage.run_writes import NewCase, open_case
from chatbot.storage.tables import (
    AuditEventRow,
    CaseLinkRow,
    CaseRow,
    RunRow,
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


class CaseRepo:
    def __init__(self, pool: FairPool, dialect: str) -> None:
        self._pool = pool
        self._dialect = dialect

    async def open(self, new: NewCase, *, actor: str, at: datetime) -> Case:
        """Open a case on its own (`/case new`): numbered by one atomic increment of its prefix's counter, so two
        replicas opening cases at once never get the same number (run_writes.open_case, as a run's start does)."""
        async with self._pool.begin() as connection:
            await run_on_sqlalchemy(connection, lambda: open_case(new, actor=actor, at=at))
        found = await self.get(new.id)
        assert found is not None
        return found

    async def get(self, case_id: str) -> Case | None:
        async with self._pool.session() as session:
            row = await session.get(CaseRow, case_id)
            return await self._with_links(session, row) if row is not None else None

    async def by_number(self, number: str) -> Case | None:
        async with self._pool.session() as session:
            row = (await session.scalars(select(CaseRow).where(CaseRow.number == number.upper()))).first()
            return await self._with_links(session, row) if row is not None else None

    async def open_for_ticket(self, ticket: str) -> Case | None:
        """The newest case still open for a Zendesk ticket: a second contact on it continues that case."""
        query = (
            select(CaseRow)
            .where(CaseRow.ticket == ticket, CaseRow.status.not_in([CaseStatus.RESOLVED, CaseStatus.CLOSED]))
            .order_by(CaseRow.opened_at.desc())
            .limit(1)
        )
        async with self._pool.session() as session:
            row = (await session.scalars(query)).first()
            return await self._with_links(session, row) if row is not None else None

    async def for_owner(self, owner_id: str, *, limit: int = 20) -> list[Case]:
        """An agent's open cases, oldest first."""
        query = (
            select(CaseRow)
            .where(CaseRow.owner_id == owner_id, CaseRow.status.not_in([CaseStatus.RESOLVED, CaseStatus.CLOSED]))
            .order_by(CaseRow.opened_at)
            .limit(limit)
        )
        async with self._pool.session() as session:
            return [_case(row) for row in await session.scalars(query)]

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
    ) -> bool:
        """Compare-and-set on the case's version: its new status, its audit event and follow-up jobs; False if
        someone changed it first."""
        values: dict[str, Any] = {"status": change.status.value, "version": case.version + 1, "updated_at": at}
        for name in ("resolved_at", "closed_at", "close_due"):
            if getattr(change, name) is not None:
                values[name] = getattr(change, name)
        if resolution is not None:
            values["resolution_json"] = to_json({"found": resolution.found, "changed": resolution.changed})
        if change.clear_resolution:
            values.update(resolved_at=None, closed_at=None, close_due=None, resolution_json=None)
        statement = (
            update(CaseRow)
            .where(CaseRow.id == case.id, CaseRow.version == case.version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self._pool.session_begin() as session:
            if cast(CursorResult[Any], await session.execute(statement)).rowcount != 1:
                return False
            event = case_event(case.id, at, actor, change.action, {"status": change.status.value, **(detail or {})})
            await session.execute(insert(AuditEventRow).values(event))
            await add_jobs(session, jobs, at)
            return True

    async def link(
        self, case_id: str, kind: LinkKind, ref: str, *, label: str | None, actor: str, at: datetime, action: str
    ) -> None:
        """Link the case to something (a Jira issue, a partner's ticket), with its audit event."""
        async with self._pool.session_begin() as session:
            await self._add_link(session, case_id, kind, ref, label, actor, at)
            detail = {"kind": kind.value, "ref": ref, **({"label": label} if label else {})}
            await session.execute(insert(AuditEventRow).values(case_event(case_id, at, actor, action, detail)))

    async def record(
        self,
        case_id: str,
        *,
        actor: str,
        at: datetime,
        action: str,
        detail: dict[str, Any],
        jobs: Sequence[NewJob] = (),
    ) -> None:
        """An event on the case's timeline that changes nothing else (Tier II work done, a status update sent),
        with the jobs that tell someone about it."""
        async with self._pool.session_begin() as session:
            await session.execute(insert(AuditEventRow).values(case_event(case_id, at, actor, action, detail)))
            await add_jobs(session, jobs, at)

    async def timeline(self, case_id: str, *, limit: int = 50) -> list[CaseEvent]:
        """The case's newest `limit` events (its own, its runs' starts, its escalations' changes), oldest first."""
        query = (
            select(AuditEventRow)
            .where(AuditEventRow.case_id == case_id)
            .order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
            .limit(limit)
        )
        async with self._pool.session() as session:
            rows = (await session.scalars(query)).all()
        return [CaseEvent(r.at, r.actor, r.action, json.loads(r.detail_json)) for r in reversed(rows)]

    async def work_recorded(self, case_id: str) -> list[str]:
        """The kinds of Tier II work recorded on the case, first recorded first, each once."""
        query = (
            select(AuditEventRow.action)
            .where(AuditEventRow.case_id == case_id, AuditEventRow.action.like("case.work.%"))
            .order_by(AuditEventRow.at, AuditEventRow.id)
        )
        async with self._pool.session() as session:
            actions = (await session.scalars(query)).all()
        return list(dict.fromkeys(a.removeprefix("case.work.") for a in actions))

    async def runs_of(self, case_id: str) -> list[tuple[str, str, str]]:
        """(run id, playbook id, status) of the case's runs, oldest first."""
        query = select(RunRow.id, RunRow.playbook_id, RunRow.status).where(RunRow.case_id == case_id)
        async with self._pool.session() as session:
            return [(r[0], r[1], r[2]) for r in (await session.execute(query.order_by(RunRow.created_at))).all()]

    async def count_open(self) -> int:
        query = select(func.count()).select_from(CaseRow).where(CaseRow.status.not_in(["resolved", "closed"]))
        async with self._pool.session() as session:
            return int((await session.execute(query)).scalar_one())

    async def _add_link(
        self, session: AsyncSession, case_id: str, kind: LinkKind, ref: str, label: str | None, actor: str, at: datetime
    ) -> None:
        values = {"case_id": case_id, "kind": kind.value, "ref": ref, "label": label, "actor": actor, "created_at": at}
        await session.execute(insert(case_links).values(values))

    async def _with_links(self, session: AsyncSession, row: CaseRow) -> Case:
        links = (
            await session.scalars(select(CaseLinkRow).where(CaseLinkRow.case_id == row.id).order_by(CaseLinkRow.id))
        ).all()
        return _case(row, links)
