"""Cases: open one for every contact, move it through its lifecycle as runs and escalations happen, record what
Tier II does, resolve it with the closure reply, and close it (at once, or after some quiet days).

The lifecycle's rules are the pure case policy's; this service loads, asks it, renders the customer texts from
templates and commits the change with its audit event (the case's timeline).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from chatbot.config import Config
from chatbot.domain.case import Case, CaseEvent, CaseLink, CaseNumber, CaseStatus, LinkKind, Resolution, WorkKind
from chatbot.domain.case_policy import (
    ESCALATE_FROM,
    RESOLVE_FROM,
    TIER1_FROM,
    CaseChange,
    close,
    record_work,
    reopen,
    resolve,
    returned,
    run_escalated,
    run_resolved,
    run_started,
)
from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation import AgentUpdate, Escalation, NewEscalation
from chatbot.domain.escalation_policy import agent_update
from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.rendering.templates import (
    CASE_OPENED_REPLY,
    CASE_STATUS_REPLY,
    Renderer,
)
from chatbot.scheduler.worker import Done, JobContext, Registration
from chatbot.services.case_texts import Closure, case_context, closure
from chatbot.services.case_words import CUSTOMER_WORK, HELPFUL_DETAILS, WORK_LABELS
from chatbot.services.clock import Clock
from chatbot.services.references import TICKET
from chatbot.storage import Store
from chatbot.storage.cases import CaseWrite, case_write
from chatbot.storage.run_writes import CaseMove, NewCase

log = logging.getLogger(__name__)


class UnknownCase(UserFacingError):
    def __init__(self, number: str) -> None:
        super().__init__(f"There is no case {number}. Case numbers look like TS-2026-000123.")


class StaleCase(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Someone changed this case a moment ago; try again.")


@dataclass(frozen=True)
class StartPlan:
    """How a run's start meets its case: a new case to open with it, or an existing one (and how it moves)."""

    new_case: NewCase | None
    case: Case | None
    move: CaseMove | None
    counter: int | None = None  # the new case's number, when taken already


CaseWork = tuple[Case, list[str] | None]  # a case and the kinds of Tier II work recorded on it (None: not read)


@dataclass(frozen=True)
class CaseView:
    case: Case
    runs: list[tuple[str, str, str]]  # run id, playbook, status
    escalations: list[Escalation]
    timeline: list[CaseEvent]


class CaseService:
    def __init__(self, config: Config, store: Store, renderer: Renderer, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.renderer = renderer
        self.clock = clock

    # --- opening ---------------------------------------------------------------------------------------------
    def prefix(self, procedure: str | None) -> str:
        found = self.config.procedures.get(procedure or "")
        return found.case_prefix if found is not None else self.config.cases.default_prefix

    async def open(
        self,
        *,
        actor: str,
        surface: str,
        channel: str,
        procedure: str | None = None,
        ticket: str | None = None,
        details: dict[str, str] | None = None,
        priority: str | None = None,
    ) -> Case:
        now = self.clock()
        new = NewCase(self.prefix(procedure), now.year, actor, surface, channel, procedure, ticket, priority, details)
        return await self.store.cases.open(new, actor=actor, at=now)

    # --- with a run's own write (no read of the case on the ack's path when it is new) -------------------------
    async def plan_start(
        self,
        *,
        actor: str,
        surface: str,
        channel: str,
        procedure: str | None,
        ticket: str | None = None,
        number: str | None = None,
        tier1: bool = True,
    ) -> StartPlan:
        """The case a new run works on: the one named (reopened if it was closed), else the open case of the ticket,
        else a new one, opened with the run in one transaction. For a ticket, its new case's number is taken unless
        the ticket has an open case, in one statement: the case is read only when there is one."""
        now = self.clock()
        status = CaseStatus.TIER1 if tier1 else CaseStatus.OPEN
        new = NewCase(self.prefix(procedure), now.year, actor, surface, channel, procedure, ticket, status=status)
        case = None
        if number:
            case = await self.by_number(number)
        elif ticket:
            counter = await self.store.cases.number_unless_open(new.prefix, new.year, ticket)
            if counter is not None:
                return StartPlan(new, None, None, counter)
            case = await self.store.cases.open_for_ticket(ticket)  # None if it was closed since: a new case then
        if case is None:
            return StartPlan(new, None, None)
        if not case.is_open:
            return StartPlan(None, case, CaseMove(case.id, reopen(case), (case.status,)))
        return StartPlan(None, case, CaseMove(case.id, run_started(), TIER1_FROM) if tier1 else None)

    def escalated_move(self, case_id: str, esc: NewEscalation | Escalation) -> CaseMove:
        """A run raised an escalation: the case is with Tier II (reopened if it ended a moment ago)."""
        link = (LinkKind.ESCALATION, esc.id, esc.summary)
        return CaseMove(case_id, run_escalated(), ESCALATE_FROM, {"escalation": esc.id}, link=link)

    def resolved_move(self, case_id: str, summary: str) -> CaseMove:
        """A run ended the contact (resolved, referred, a known limitation); a case Tier II holds stays there."""
        now = self.clock()
        change = run_resolved(now, self.config.cases.close_after_days)
        jobs: tuple[NewJob, ...] = ()
        if change.close_due is not None:
            key = f"case-close:{case_id}:{now.isoformat()}"
            jobs = (NewJob(JobKind.CASE_CLOSE, {"case_id": case_id}, change.close_due, key=key),)
        return CaseMove(case_id, change, RESOLVE_FROM, resolution=Resolution(summary, ""), jobs=jobs)

    async def intake(
        self,
        *,
        actor: str,
        surface: str,
        channel: str,
        ticket: str | None,
        details: dict[str, str],
        priority: str | None,
        procedure: str | None = None,
    ) -> tuple[Case, str, list[str]]:
        """`/case new`: open a case with what the customer gave; (case, the "case opened" reply, what is missing)."""
        known = {field_id for field_id, _label, _multi in HELPFUL_DETAILS}
        given = {k: v.strip() for k, v in details.items() if k in known and v and v.strip()}
        number = None
        if ticket and ticket.strip():
            found = TICKET.match(ticket.strip())
            if found is None:
                raise UserFacingError("A Zendesk ticket number is digits only, e.g. 482913.")
            number = found.group(1)
        case = await self.open(
            actor=actor,
            surface=surface,
            channel=channel,
            procedure=procedure or self.config.cases.intake_procedure,
            ticket=number,
            details=given,
            priority=priority,
        )
        reply = self.renderer.render_file(CASE_OPENED_REPLY, self._context(case))
        missing = [label for field_id, label, _multi in HELPFUL_DETAILS if not given.get(field_id)]
        return case, reply, missing

    async def for_escalation(
        self, *, actor: str, surface: str, channel: str, ticket: str | None, number: str | None
    ) -> tuple[NewCase | None, int | None, tuple[str, str]]:
        """The case an escalation raised by hand belongs to, as `plan_start` finds it: a new case to open with the
        escalation (with its number, taken now: the hand-off names it), or an existing one (reopened now if it was
        closed). Returns the new case and its counter (None, None for an existing one) and the case's id and
        number. No run works on it, so an open case is not moved to Tier I first: the escalation moves it on."""
        plan = await self.plan_start(
            actor=actor, surface=surface, channel=channel, procedure=None, ticket=ticket, number=number, tier1=False
        )
        if plan.new_case is not None:
            new = plan.new_case
            counter = (
                plan.counter if plan.counter is not None else await self.store.cases.next_number(new.prefix, new.year)
            )
            return new, counter, (new.id, str(CaseNumber(new.prefix, new.year, counter)))
        assert plan.case is not None
        if plan.move is not None:
            await self.store.move_case(plan.move, actor=actor, at=self.clock())
        return None, None, (plan.case.id, plan.case.number)

    async def by_number(self, number: str) -> Case:
        case = await self.store.cases.by_number(number.strip())
        if case is None:
            raise UnknownCase(number.strip())
        return case

    async def get(self, case_id: str) -> Case:
        case = await self.store.cases.get(case_id)
        if case is None:
            raise UnknownCase(case_id)
        return case

    # --- what runs and escalations do to it ------------------------------------------------------------------
    async def escalation_returned(self, esc: Escalation, actor: str) -> None:
        if esc.case_id is None:
            return
        case = await self.get(esc.case_id)
        change = returned(case)
        if change is not None:
            await self._apply(case, change, actor, {"escalation": esc.id})

    # --- Tier II work ----------------------------------------------------------------------------------------
    async def record(
        self,
        case_id: str,
        kind: WorkKind,
        *,
        actor: str,
        reference: str | None,
        detail: str | None,
        tell: Escalation | None = None,
        read: Case | None = None,
    ) -> tuple[Case, str]:
        """Record what Tier II did; returns the case and one line for the agent ("Tier II is working with ...").
        With `tell`, the escalation's agent gets that line too. `read`: the case as the caller has just read it."""
        case = read if read is not None and read.id == case_id else await self.get(case_id)
        record_work(case)
        now = self.clock()
        reference = (reference or "").strip() or None
        link = None
        if reference and kind in (WorkKind.TECH_DEV, WorkKind.PRODUCT_DEV, WorkKind.PARTNER):
            linked = LinkKind.PARTNER if kind == WorkKind.PARTNER else LinkKind.JIRA
            link = CaseLink(linked, reference, kind.value, actor, now)
        event: dict[str, Any] = {"kind": kind.value, **({"reference": reference} if reference else {})}
        if detail:
            event["detail"] = detail.strip()[:300]
        line = WORK_LABELS[kind] + (f" ({reference})" if reference else "") + (f": {detail.strip()}" if detail else "")
        jobs = [agent_update(tell, AgentUpdate(actor, case.number, line=line), now)] if tell else []
        await self.store.cases.record(
            case.id, actor=actor, at=now, action=f"case.work.{kind.value}", detail=event, jobs=jobs, link=link
        )
        return (replace(case, links=(*case.links, link)) if link is not None else case), line

    async def status_update(self, case_id: str, actor: str, read: CaseWork | None = None) -> tuple[Case, str]:
        """The "we are still on it" reply ("Sometimes these steps can take a bit of time"), naming the work recorded
        so far; its sending is on the case's timeline. `read`: the case and its work as the caller just read them."""
        case, recorded = read if read is not None and read[0].id == case_id else (await self.get(case_id), None)
        record_work(case)
        kinds = map(WorkKind, recorded if recorded is not None else await self.store.cases.work_recorded(case.id))
        work = [CUSTOMER_WORK[k] for k in kinds if k in CUSTOMER_WORK]
        text = self.renderer.render_file(CASE_STATUS_REPLY, {**self._context(case), "work": work})
        await self.store.cases.record(case.id, actor=actor, at=self.clock(), action="case.status_update", detail={})
        return case, text

    # --- resolution and closing ------------------------------------------------------------------------------
    async def resolve(
        self,
        case_id: str,
        *,
        actor: str,
        found: str,
        changed: str,
        tell: Escalation | None = None,
        read: Case | None = None,
    ) -> Closure:
        """Resolve the case with what was found and changed; the closure reply and note are rendered, and, when
        `tell` is the escalation Tier II resolved, sent to its agent (a job, in the same transaction). `read`: the
        case as the caller has just read it (else it is read here)."""
        if not found.strip():
            raise UserFacingError("Say what was found: the closure reply is written from it.")
        resolution = Resolution(found.strip(), changed.strip())
        for _ in range(3):  # a concurrent change (a link, a status) moves the version: read again and retry
            case = read if read is not None and read.id == case_id else await self.get(case_id)
            read = None
            texts, write = self.closure_write(case, actor, resolution, tell)
            resolved = await self.store.cases.write(write)
            if resolved is not None:
                return replace(texts, case=resolved)
        raise StaleCase()

    def closure_write(
        self, case: Case, actor: str, resolution: Resolution, tell: Escalation | None
    ) -> tuple[Closure, CaseWrite]:
        """The case's closure, and the write that resolves it: the agent told (`tell`: the escalation Tier II
        resolved) and, with quiet days, the timer that closes it, in the same transaction."""
        found = closure(self.config, self.renderer, case, resolution, actor)
        now = self.clock()
        change = resolve(case, now, self.config.cases.close_after_days)
        jobs = []
        if tell is not None:
            jobs.append(agent_update(tell, AgentUpdate(actor, case.number, reply=found.reply, note=found.note), now))
        if change.close_due is not None:  # closes by itself after the quiet days, unless reopened
            key = f"case-close:{case.id}:{now.isoformat()}"
            jobs.append(NewJob(JobKind.CASE_CLOSE, {"case_id": case.id}, change.close_due, key=key))
        return found, case_write(case, change, actor=actor, at=now, resolution=resolution, jobs=jobs)

    async def close_when_due(self, case_id: str) -> bool:
        """The CASE_CLOSE timer: close a resolved case nobody reopened. True if it closed."""
        case = await self.get(case_id)
        change = close(case, self.clock())
        return change is not None and bool(await self._apply(case, change, "chatbot"))

    async def reopen(self, number: str, actor: str) -> Case:
        case = await self.by_number(number)
        return await self._apply(case, reopen(case), actor)

    # --- showing ---------------------------------------------------------------------------------------------
    async def view(self, number: str) -> CaseView:
        key = number.strip().upper()  # as cases are numbered (CaseRepo.by_number)
        case, escalations, runs, timeline = await self.store.side_by_side(
            lambda: self.store.cases.by_number(key),
            lambda: self.store.escalations.for_case(key, by_number=True),
            lambda: self.store.cases.runs_of(key, by_number=True),
            lambda: self.store.cases.timeline(key, by_number=True),
        )
        if case is None:
            raise UnknownCase(number.strip())
        return CaseView(case, runs, escalations, timeline)

    async def open_cases_of(self, owner_id: str) -> list[Case]:
        return await self.store.cases.for_owner(owner_id)

    # --- helpers ---------------------------------------------------------------------------------------------
    def _context(self, case: Case) -> dict[str, Any]:
        return case_context(self.config, case)

    async def _apply(self, case: Case, change: CaseChange, actor: str, detail: dict[str, Any] | None = None) -> Case:
        changed = await self.store.cases.apply(case, change, actor=actor, at=self.clock(), detail=detail)
        if changed is None:
            raise StaleCase()
        return changed


def case_close_registration(cases: CaseService) -> Registration:
    """The CASE_CLOSE job's handler, for the worker."""

    async def run(job: Job, ctx: JobContext) -> Done:
        await cases.close_when_due(str(job.payload["case_id"]))
        return Done()

    return Registration(run)
