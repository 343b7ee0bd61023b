"""Cases: open one for every contact, move it through its lifecycle as runs and escalations happen, record what
Tier II does, resolve it with the closure reply, and close it (at once, or after some quiet days).

The lifecycle's rules are the pure case policy's; this service loads, asks it, renders the customer texts from
templates and commits the change with its audit event (the case's timeline).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from chatbot.config import Config
from chatbot.domain.case import Case, CaseEvent, CaseStatus, LinkKind, Resolution, WorkKind
from chatbot.domain.case_policy import (
    CaseChange,
    close,
    escalated,
    record_work,
    reopen,
    resolve,
    returned,
    worked_at_tier1,
)
from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation import AgentUpdate, Escalation, Surface
from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.engine.machine import DEFAULT_SIGNATURE
from chatbot.rendering.templates import Renderer
from chatbot.scheduler.worker import Done, JobContext, Registration
from chatbot.services.clock import Clock
from chatbot.storage import Store
from chatbot.storage.cases import NewCase

log = logging.getLogger(__name__)
T = TypeVar("T")

# What the customer is told Tier II has done (the status update); contacting them and notes go unsaid.
CUSTOMER_WORK = {
    WorkKind.TECH_DEV: "been working with our Tech Development team on a fix",
    WorkKind.PRODUCT_DEV: "shared your request with our Product Development team",
    WorkKind.PARTNER: "been working with our partner to resolve it",
}
WORK_LABELS = {
    WorkKind.CONTACTED: "contacted the customer",
    WorkKind.TECH_DEV: "is working with Tech Development",
    WorkKind.PRODUCT_DEV: "reported it to Product Development",
    WorkKind.PARTNER: "shared it with the partner",
    WorkKind.NOTE: "added a note",
}


# The Technical Services "helpful hint": what helps Tier I most, asked "as much as you can" (field id, label,
# several lines). The ids are those of ts-case-intake and templates/replies/case_opened.j2.
HELPFUL_DETAILS: tuple[tuple[str, str, bool], ...] = (
    ("gold_id", "User ID, class ID or child ID", False),
    ("browser", "Browser (Chrome, Firefox, Safari, ...)", False),
    ("account_email", "Email used during account creation", False),
    ("error_messages", "Error messages", True),
    ("steps_taken", "Steps taken to get to the issue", True),
)
CASE_NUMBER = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,9}-\d{4}-\d{6}$")
TICKET = re.compile(r"^#?(\d{1,10})$")


def parse_reference(text: str) -> tuple[str | None, str | None]:
    """(ticket, case number) from what an agent typed as a reference: `482913`, `#482913` or `TS-2026-000123`."""
    word = text.strip()
    if CASE_NUMBER.match(word):
        return None, word.upper()
    found = TICKET.match(word)
    return (found.group(1), None) if found else (None, None)


def split_reference(text: str) -> tuple[str, str | None, str | None]:
    """`/triage clever access 482913` -> ("clever access", ticket "482913", None); a case number instead of the
    ticket continues that case. Only the last word is taken as a reference (see `playbook_and_reference` for when
    a number is part of the search)."""
    words = text.split()
    if len(words) < 2:
        return text.strip(), None, None
    ticket, number = parse_reference(words[-1])
    if ticket is None and number is None:
        return text.strip(), None, None
    return " ".join(words[:-1]), ticket, number


def playbook_and_reference(
    text: str, search: Callable[[str], list[T]]
) -> tuple[list[T], str, str | None, str | None]:
    """The playbooks `text` finds, with the ticket or case number typed after the playbook's words. A trailing
    reference is read as one only when the whole text finds no playbook: `/triage login error 500` searches all
    three words first."""
    text = text.strip()
    found = search(text) if text else []
    if found:
        return found, text, None, None
    words, ticket, number = split_reference(text)
    if (ticket or number) and words:
        return search(words), words, ticket, number
    return found, text, None, None


class UnknownCase(UserFacingError):
    def __init__(self, number: str) -> None:
        super().__init__(f"There is no case {number}. Case numbers look like TS-2026-000123.")


class StaleCase(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Someone changed this case a moment ago; try again.")


@dataclass(frozen=True)
class Closure:
    """What resolving a case produced: the reply the agent sends and the note they paste."""

    case: Case
    reply: str
    note: str


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
        reply = self.renderer.render_file("replies/case_opened.j2", self._context(case))
        missing = [label for field_id, label, _multi in HELPFUL_DETAILS if not given.get(field_id)]
        return case, reply, missing

    async def for_contact(
        self,
        *,
        actor: str,
        surface: str,
        channel: str,
        procedure: str | None,
        ticket: str | None = None,
        number: str | None = None,
        tier1: bool = True,
    ) -> Case:
        """The case a new run works on: the one named (reopened if it was closed), else the open case of the ticket,
        else a new one."""
        if number:
            case = await self.by_number(number)
            if not case.is_open:
                case = await self._apply(case, reopen(case), actor)
        elif ticket and (existing := await self.store.cases.open_for_ticket(ticket)) is not None:
            case = existing
        else:
            case = await self.open(actor=actor, surface=surface, channel=channel, procedure=procedure, ticket=ticket)
        change = worked_at_tier1(case) if tier1 else None
        return await self._apply(case, change, actor) if change else case

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
    async def escalation_raised(self, esc: Escalation, actor: str) -> None:
        if esc.case_id is None:
            return
        case = await self.get(esc.case_id)
        await self.store.cases.link(
            case.id, LinkKind.ESCALATION, esc.id, label=esc.summary, actor=actor, at=self.clock(), action="case.linked"
        )
        case = await self.get(case.id)
        if not case.is_open:  # ended at Tier I a moment ago, then Back and escalated after all
            case = await self._apply(case, reopen(case), actor)
        if case.status != CaseStatus.ESCALATED:
            await self._apply(case, escalated(case), actor, {"escalation": esc.id})

    async def escalation_returned(self, esc: Escalation, actor: str) -> None:
        if esc.case_id is None:
            return
        case = await self.get(esc.case_id)
        change = returned(case)
        if change is not None:
            await self._apply(case, change, actor, {"escalation": esc.id})

    async def run_resolved(self, case_id: str, actor: str, summary: str) -> None:
        """A run ended the contact (resolved, referred, a known limitation): the reply is its outcome's. A case
        Tier II holds stays with Tier II."""
        case = await self.get(case_id)
        at_tier1 = case.status in (CaseStatus.OPEN, CaseStatus.TIER1, CaseStatus.RETURNED)
        if at_tier1 and not await self._resolve(case, actor, Resolution(found=summary, changed=""), []):
            log.info("case %s changed while its run ended; left as it is", case.number)

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
    ) -> tuple[Case, str]:
        """Record what Tier II did; returns the case and one line for the agent ("Tier II is working with ...").
        With `tell`, the escalation's agent gets that line too."""
        case = await self.get(case_id)
        record_work(case)
        now = self.clock()
        reference = (reference or "").strip() or None
        if reference and kind in (WorkKind.TECH_DEV, WorkKind.PRODUCT_DEV, WorkKind.PARTNER):
            link = LinkKind.PARTNER if kind == WorkKind.PARTNER else LinkKind.JIRA
            await self.store.cases.link(
                case.id, link, reference, label=kind.value, actor=actor, at=now, action="case.linked"
            )
        event: dict[str, Any] = {"kind": kind.value, **({"reference": reference} if reference else {})}
        if detail:
            event["detail"] = detail.strip()[:300]
        line = WORK_LABELS[kind] + (f" ({reference})" if reference else "") + (f": {detail.strip()}" if detail else "")
        jobs = [agent_update_job(tell, AgentUpdate(actor, case.number, line=line), now)] if tell else []
        await self.store.cases.record(
            case.id, actor=actor, at=now, action=f"case.work.{kind.value}", detail=event, jobs=jobs
        )
        return await self.get(case.id), line

    async def status_update(self, case_id: str, actor: str) -> tuple[Case, str]:
        """The "we are still on it" reply ("Sometimes these steps can take a bit of time"), naming the work recorded
        so far; its sending is on the case's timeline."""
        case = await self.get(case_id)
        record_work(case)
        kinds = [WorkKind(k) for k in await self.store.cases.work_recorded(case.id)]
        work = [CUSTOMER_WORK[k] for k in kinds if k in CUSTOMER_WORK]
        text = self.renderer.render_file("replies/case_status_update.j2", {**self._context(case), "work": work})
        await self.store.cases.record(case.id, actor=actor, at=self.clock(), action="case.status_update", detail={})
        return case, text

    # --- resolution and closing ------------------------------------------------------------------------------
    async def resolve(
        self, case_id: str, *, actor: str, found: str, changed: str, tell: Escalation | None = None
    ) -> Closure:
        """Resolve the case with what was found and changed; the closure reply and note are rendered, and, when
        `tell` is the escalation Tier II resolved, sent to its agent (a job, in the same transaction)."""
        if not found.strip():
            raise UserFacingError("Say what was found: the closure reply is written from it.")
        resolution = Resolution(found.strip(), changed.strip())
        for _ in range(3):  # a concurrent change (a link, a status) moves the version: read again and retry
            case = await self.get(case_id)
            closure = self._closure(case, resolution, actor)
            jobs = []
            if tell is not None:
                update = AgentUpdate(actor, case.number, reply=closure.reply, note=closure.note)
                jobs.append(agent_update_job(tell, update, self.clock()))
            if await self._resolve(case, actor, resolution, jobs):
                return replace(closure, case=await self.get(case.id))
        raise StaleCase()

    def _closure(self, case: Case, resolution: Resolution, actor: str) -> Closure:
        kept = (LinkKind.JIRA, LinkKind.PARTNER)
        recorded = [f"{link.kind.value}: {link.ref}" for link in case.links if link.kind in kept]
        ctx = {
            **self._context(case),
            "found": resolution.found,
            "changed": resolution.changed,
            "resolved_by": actor,
            "links_recorded": recorded,
        }
        reply = self.renderer.render_file("replies/case_closure.j2", ctx)
        note = self.renderer.render_file("notes/case_closure.j2", ctx)
        return Closure(case, reply, note)

    async def _resolve(self, case: Case, actor: str, resolution: Resolution, jobs: list[NewJob]) -> bool:
        now = self.clock()
        change = resolve(case, now, self.config.cases.close_after_days)
        if change.close_due is not None:  # closes by itself after the quiet days, unless reopened
            key = f"case-close:{case.id}:{now.isoformat()}"
            jobs = [*jobs, NewJob(JobKind.CASE_CLOSE, {"case_id": case.id}, change.close_due, key=key)]
        return await self.store.cases.apply(case, change, actor=actor, at=now, resolution=resolution, jobs=jobs)

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
        case = await self.by_number(number)
        escalations = await self.store.escalations.for_case(case.id)
        runs = await self.store.cases.runs_of(case.id)
        return CaseView(case, runs, escalations, await self.store.cases.timeline(case.id))

    async def open_cases_of(self, owner_id: str) -> list[Case]:
        return await self.store.cases.for_owner(owner_id)

    # --- helpers ---------------------------------------------------------------------------------------------
    def _context(self, case: Case) -> dict[str, Any]:
        procedure = self.config.procedures.get(case.procedure or "")
        days = self.config.cases.close_after_days
        return {
            "close_after_days": days,
            "closes_at_once": days <= 0,
            "case_number": case.number,
            "fields": {"ticket_id": case.ticket or "", **case.details},
            "signature": procedure.signature if procedure else DEFAULT_SIGNATURE,
            "case": {"number": case.number, "ticket": case.ticket, "status": case.status.value},
        }

    async def _apply(self, case: Case, change: CaseChange, actor: str, detail: dict[str, Any] | None = None) -> Case:
        if not await self.store.cases.apply(case, change, actor=actor, at=self.clock(), detail=detail):
            raise StaleCase()
        return await self.get(case.id)


def agent_update_job(esc: Escalation, update: AgentUpdate, now: datetime) -> NewJob:
    """A job telling the escalation's agent `update`, on the surface their session is on."""
    surface = esc.agent.surface if esc.agent is not None else Surface.SLACK
    return NewJob(JobKind.AGENT_UPDATE, {"surface": surface.value, **update.to_payload()}, now, esc.id)


def case_close_registration(cases: CaseService) -> Registration:
    """The CASE_CLOSE job's handler, for the worker."""

    async def run(job: Job, ctx: JobContext) -> Done:
        await cases.close_when_due(str(job.payload["case_id"]))
        return Done()

    return Registration(run)
