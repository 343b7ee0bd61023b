"""CaseService with the example configuration, the real templates (the renderer the runtime builds) and a real
database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set): intake with a partial set of helpful details, the
case a contact works on, Tier II work and the status update, resolution with the closure reply and note, the
CASE_CLOSE timer run by the real worker, and how agents' references are read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from chatbot.config import Config
from chatbot.domain.case import Case, CaseStatus, LinkKind, Resolution, WorkKind
from chatbot.domain.case_policy import CaseRefused
from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation import (
    AgentUpdate,
    Escalation,
    EscalationKind,
    Handoff,
    NewEscalation,
    PostRef,
    Priority,
    Surface,
)
from chatbot.domain.jobs import Job, JobKind, JobStatus
from chatbot.engine.catalog import build_engine
from chatbot.metrics import Metrics
from chatbot.rendering.templates import Renderer
from chatbot.scheduler.worker import Worker
from chatbot.services.case_words import HELPFUL_DETAILS
from chatbot.services.cases import CaseService, UnknownCase, case_close_registration
from chatbot.services.references import parse_reference, split_reference
from chatbot.storage import Store, create_engine, upgrade
from tests.slackapp import FakeClock, example_config

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
AGENT = "U0AGENT1"
TIER2 = "U0TIER2A"
CHANNEL = "C0SUPPORT"
PII_WARNING = "Please do not share personally identifiable information (PII)"
ASKS = {  # helpful detail id -> how the "case opened" reply asks for it
    "gold_id": "the user ID, class ID or child ID",
    "browser": "the browser you are using (Chrome, Firefox, Safari, etc.)",
    "account_email": "the email used during account creation",
    "error_messages": "the error messages you encountered",
    "steps_taken": "the steps you took to get to the issue",
}


@cache
def renderer() -> Renderer:
    """The renderer the runtime uses: the engine's (build_engine refuses any playbook error)."""
    return build_engine(example_config()).renderer


def config(close_after_days: int) -> Config:
    return example_config(
        cases={"default_prefix": "CASE", "close_after_days": close_after_days, "intake_procedure": "ts"}
    )


@dataclass
class World:
    store: Store
    cases: CaseService
    clock: FakeClock

    def worker(self) -> Worker:
        registrations = {JobKind.CASE_CLOSE: case_close_registration(self.cases)}
        return Worker(self.store.jobs, registrations, Metrics(), clock=self.clock, wall=self.clock)

    async def jobs(self, kind: JobKind) -> list[Job]:
        return [job for job in await self.store.jobs.list() if job.kind == kind]

    async def actions(self, case_id: str) -> list[str]:
        return [event.action for event in await self.store.cases.timeline(case_id, limit=500)]

    async def run_ended(self, case_id: str, summary: str) -> bool:
        """What a Tier I run reaching a resolved outcome does to its case (the move saved with the answer)."""
        return await self.store.move_case(self.cases.resolved_move(case_id, summary), actor=AGENT, at=self.clock())

    async def contact(self, *, actor: str, **where: Any) -> Case:
        """The case a contact works on, as a run's start plans it (`plan_start`: surface, channel, procedure, ticket,
        number, tier1) and its write applies it."""
        plan = await self.cases.plan_start(actor=actor, **where)
        if plan.new_case is not None:
            return await self.store.cases.open(plan.new_case, actor=actor, at=self.clock(), counter=plan.counter)
        assert plan.case is not None
        if plan.move is not None:
            await self.store.move_case(plan.move, actor=actor, at=self.clock())
        return await self.cases.get(plan.case.id)

    async def escalation(self, case_id: str, number: str) -> Escalation:
        """An escalation raised on the case, which moves it to Tier II (as `/escalate` and a run's does)."""
        new = NewEscalation(
            id=uuid.uuid4().hex,
            kind=EscalationKind.ESCALATED,
            group_id="ts-tier2",
            priority=Priority.NORMAL,
            summary="Roster sync fails for one class",
            handoff=Handoff("Roster sync fails for one class", agent=AGENT, case_number=number),
            created_by=AGENT,
            agent=PostRef(Surface.SLACK, CHANNEL, "1700000000.000100"),
            case_id=case_id,
            case_number=number,
        )
        move = self.cases.escalated_move(case_id, new)
        await self.store.raise_escalation(new, [], actor=AGENT, at=self.clock(), move=move)
        found = await self.store.escalations.get(new.id)
        assert found is not None
        return found


@asynccontextmanager
async def world(db_url: str, close_after_days: int = 0) -> AsyncIterator[World]:
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    clock = FakeClock(T0)
    try:
        yield World(store, CaseService(config(close_after_days), store, renderer(), clock), clock)
    finally:
        await store.close()


@pytest.fixture
async def w(db_url: str) -> AsyncIterator[World]:
    async with world(db_url) as made:
        yield made


def asked(reply: str) -> list[str]:
    """The details a "case opened" reply asks for (its bullet list)."""
    return [line[2:] for line in reply.splitlines() if line.startswith("- ")]


# --- intake -----------------------------------------------------------------------------------------------------


async def test_intake_with_some_details_asks_for_exactly_the_missing_ones(w):
    details = {
        "gold_id": " GOLD-55501 ",
        "browser": "Chrome 131",
        "account_email": "",
        "error_messages": "   ",
        "child_name": "not a helpful detail",  # not one of the form's fields: dropped
    }
    case, reply, missing = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket="#482913", details=details, priority="high"
    )
    assert case.number == "TS-2026-000001"
    assert (case.ticket, case.priority, case.procedure, case.status) == ("482913", "high", "ts", CaseStatus.OPEN)
    assert case.details == {"gold_id": "GOLD-55501", "browser": "Chrome 131"}
    assert missing == ["Email used during account creation", "Error messages", "Steps taken to get to the issue"]

    assert "We have opened case TS-2026-000001 for your request" in reply
    assert asked(reply) == [ASKS["account_email"], ASKS["error_messages"], ASKS["steps_taken"]]
    assert "we need as much detail as possible" in reply
    assert PII_WARNING in reply
    assert reply.endswith("Kind regards,\nTechnical Services")
    assert "GOLD-55501" not in reply and "not a helpful detail" not in reply

    # What was given is on the timeline by name only.
    [opened] = await w.store.cases.timeline(case.id)
    assert opened.detail == {
        "number": case.number,
        "ticket": "482913",
        "details": ["browser", "gold_id"],
        "status": "open",
    }


async def test_intake_with_nothing_given_asks_for_every_detail_in_the_procedures_order(w):
    case, reply, missing = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket=None, details={}, priority=None
    )
    assert missing == [label for _id, label, _multi in HELPFUL_DETAILS]
    assert asked(reply) == list(ASKS.values())
    assert case.ticket is None and case.links == ()


async def test_intake_with_every_detail_given_asks_for_nothing_but_still_warns_about_pii(w):
    details = {
        "gold_id": "GOLD-55501",
        "browser": "Firefox 133",
        "account_email": "teacher@school.example.org",
        "error_messages": "Error 500 when saving",
        "steps_taken": "Opened the class\nClicked Sync",
    }
    first, _, _ = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket="482913", details={}, priority=None
    )
    case, reply, missing = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket="482914", details=details, priority=None
    )
    assert case.number == "TS-2026-000002" and first.number == "TS-2026-000001"
    assert missing == []
    assert asked(reply) == []
    assert "as much detail as possible" not in reply
    assert "case TS-2026-000002" in reply and PII_WARNING in reply


@pytest.mark.parametrize("ticket", ["48A913", "ticket 482913", "TS-2026-000001", "12345678901"])
async def test_intake_refuses_a_ticket_that_is_not_a_number_and_opens_nothing(w, ticket):
    with pytest.raises(UserFacingError, match="digits only"):
        await w.cases.intake(actor=AGENT, surface="slack", channel=CHANNEL, ticket=ticket, details={}, priority=None)
    assert await w.store.cases.count_open() == 0
    assert await w.store.cases.by_number("TS-2026-000001") is None


# --- the case a contact works on --------------------------------------------------------------------------------


async def test_a_contact_continues_the_tickets_open_case_then_a_new_one_once_it_is_resolved(w):
    first = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="clever", ticket="482913")
    assert first.number == "CLV-2026-000001"  # numbered by the procedure's prefix
    assert first.status == CaseStatus.TIER1  # a Tier I run works on it

    w.clock.advance(minutes=10)
    again = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="clever", ticket="482913")
    assert (again.id, again.number, again.status) == (first.id, first.number, CaseStatus.TIER1)

    other = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure=None, ticket="999001")
    assert other.number == "CASE-2026-000001"  # no procedure: the default prefix

    await w.cases.resolve(first.id, actor=AGENT, found="The class was not shared with Clever", changed="Shared it")
    w.clock.advance(minutes=10)
    later = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="clever", ticket="482913")
    assert later.id != first.id and later.number == "CLV-2026-000002"
    assert (await w.cases.get(first.id)).status == CaseStatus.CLOSED


async def test_a_contact_naming_a_closed_case_reopens_it(w):
    first = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    closed = (await w.cases.resolve(first.id, actor=TIER2, found="A stale roster", changed="Re-synced")).case
    assert closed.status == CaseStatus.CLOSED and closed.resolution is not None

    w.clock.advance(days=3)
    back = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", number=first.number.lower())
    assert back.id == first.id
    assert (back.status, back.resolution, back.closed_at, back.resolved_at) == (CaseStatus.TIER1, None, None, None)
    events = await w.store.cases.timeline(first.id)
    assert [e.action for e in events] == ["case.opened", "case.resolved", "case.reopened"]
    assert events[0].detail["status"] == "tier1"  # a Tier I contact's case opens with Tier I
    assert (events[-1].actor, events[-1].at) == (AGENT, T0 + timedelta(days=3))

    # Naming an open case continues it as it is.
    same = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", number=first.number)
    assert (same.id, same.status, same.version) == (back.id, back.status, back.version)


async def test_a_contact_without_tier1_work_leaves_a_new_case_open_and_an_unknown_number_is_refused(w):
    case = await w.contact(actor=TIER2, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913", tier1=False)
    assert case.status == CaseStatus.OPEN
    with pytest.raises(UnknownCase, match="There is no case TS-2026-999999"):
        await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", number="TS-2026-999999")


async def test_escalations_move_the_case_to_tier2_and_back(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    esc = await w.escalation(case.id, case.number)
    raised = await w.cases.get(case.id)
    assert raised.status == CaseStatus.ESCALATED
    assert [(k.ref, k.label) for k in raised.linked(LinkKind.ESCALATION)] == [(esc.id, esc.summary)]

    await w.cases.escalation_returned(esc, TIER2)
    assert (await w.cases.get(case.id)).status == CaseStatus.RETURNED
    await w.cases.escalation_returned(esc, TIER2)  # a second return changes nothing
    assert (await w.actions(case.id)).count("case.returned") == 1

    # A Tier I run that ends the contact resolves it, unless Tier II has it.
    await w.run_ended(case.id, "Cleared the browser cache")
    ended = await w.cases.get(case.id)
    assert ended.status == CaseStatus.CLOSED and ended.resolution == Resolution("Cleared the browser cache", "")


async def test_a_case_shown_by_its_number_has_its_own_escalations_and_timeline_only(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    other = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="551200")
    esc = await w.escalation(case.id, case.number)
    await w.escalation(other.id, other.number)
    shown = await w.cases.view(f"  {case.number.lower()} ")  # as typed after /case
    assert shown.case == await w.cases.get(case.id)
    assert [e.id for e in shown.escalations] == [esc.id]
    assert shown.timeline == await w.store.cases.timeline(case.id)
    assert [e.action for e in shown.timeline] == ["case.opened", "escalate", "case.escalated"]
    assert shown.runs == await w.store.cases.runs_of(case.id)
    with pytest.raises(UnknownCase, match="There is no case TS-2026-999999"):
        await w.cases.view("TS-2026-999999")
    # A supervisor's form on the ping reads the case's parts by the escalation, at once with it.
    await w.cases.record(case.id, WorkKind.TECH_DEV, actor=TIER2, reference="DEV-1", detail=None)
    await w.cases.record(other.id, WorkKind.PARTNER, actor=TIER2, reference="CLV-2", detail=None)
    assert await w.store.cases.of_escalation(esc.id) == await w.cases.get(case.id)
    assert await w.store.cases.work_recorded(esc.id, by_escalation=True) == ["tech_dev"]


async def test_escalating_a_case_that_just_closed_reopens_it(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    await w.run_ended(case.id, "Cleared the browser cache")
    assert (await w.cases.get(case.id)).status == CaseStatus.CLOSED
    w.clock.advance(minutes=2)  # Back, and escalated after all
    await w.escalation(case.id, case.number)
    after = await w.cases.get(case.id)
    assert (after.status, after.closed_at, after.resolution) == (CaseStatus.ESCALATED, None, None)
    actions = await w.actions(case.id)
    assert actions[-1] == "case.escalated" and actions.index("case.resolved") < len(actions) - 1


async def test_a_run_ending_leaves_a_case_tier2_holds_with_tier2(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    await w.escalation(case.id, case.number)
    assert not await w.run_ended(case.id, "Escalated to Tier II")
    assert (await w.cases.get(case.id)).status == CaseStatus.ESCALATED


# --- Tier II work and the status update -------------------------------------------------------------------------


async def test_status_update_names_recorded_work_in_the_customers_terms_and_is_on_the_timeline(w):
    case, _, _ = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket="482913", details={}, priority=None
    )
    w.clock.advance(minutes=5)
    _, line = await w.cases.record(
        case.id, WorkKind.CONTACTED, actor=TIER2, reference=None, detail="Called the teacher"
    )
    assert line == "contacted the customer: Called the teacher"
    w.clock.advance(minutes=5)
    after, line = await w.cases.record(
        case.id, WorkKind.TECH_DEV, actor=TIER2, reference=" DEV-4821 ", detail="Roster import drops a class"
    )
    assert line == "is working with Tech Development (DEV-4821): Roster import drops a class"
    assert [(k.ref, k.label, k.actor) for k in after.linked(LinkKind.JIRA)] == [("DEV-4821", "tech_dev", TIER2)]
    w.clock.advance(minutes=5)
    await w.cases.record(case.id, WorkKind.TECH_DEV, actor=TIER2, reference=None, detail="Fix deployed to staging")

    w.clock.advance(minutes=5)
    same, text = await w.cases.status_update(case.id, TIER2)
    assert same.id == case.id
    assert (
        "Thank you for your patience with case TS-2026-000001. Our Tier II team is reviewing your issue and has "
        "been working with our Tech Development team on a fix." in text
    )
    assert text.count("Tech Development") == 1  # recorded twice, said once
    assert "contacted" not in text and "Called the teacher" not in text  # calls and details go unsaid
    assert "Sometimes these steps can take a bit of time" in text
    assert text.endswith("Kind regards,\nTechnical Services")

    events = await w.store.cases.timeline(case.id)
    assert [e.action for e in events] == [
        "case.opened",
        "case.work.contacted",
        "case.linked",
        "case.work.tech_dev",
        "case.work.tech_dev",
        "case.status_update",
    ]
    assert events[3].detail == {"kind": "tech_dev", "reference": "DEV-4821", "detail": "Roster import drops a class"}
    assert (events[-1].actor, events[-1].at) == (TIER2, T0 + timedelta(minutes=20))


async def test_status_update_without_recorded_work_says_tier2_is_reviewing(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="sse", ticket="482913")
    _, text = await w.cases.status_update(case.id, TIER2)
    # an SSE case: the procedure's own team, not Technical Services' "Tier II"
    said = f"Thank you for your patience with case {case.number}. Our Client Services team is reviewing your issue."
    assert said in text
    assert " and has " not in text
    assert text.endswith("Kind regards,\nWatermark Support")  # the procedure's signature


async def test_status_update_names_work_recorded_late_in_a_long_case(w):
    """A case Tier II works for weeks: many status updates, then Product Development is told. The next status
    update names it (the work is read from the case's timeline, however long it is)."""
    case, _, _ = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket="482913", details={}, priority=None
    )
    for _ in range(49):
        w.clock.advance(days=1)
        await w.cases.status_update(case.id, TIER2)
    w.clock.advance(days=1)
    await w.cases.record(case.id, WorkKind.PRODUCT_DEV, actor=TIER2, reference="PD-77", detail="feature request")
    w.clock.advance(days=1)
    _, text = await w.cases.status_update(case.id, TIER2)
    assert "has shared your request with our Product Development team" in text


async def test_recording_work_with_tell_queues_one_agent_update_with_the_line(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    esc = await w.escalation(case.id, case.number)
    _, line = await w.cases.record(case.id, WorkKind.PARTNER, actor=TIER2, reference="CLV-99812", detail=None, tell=esc)
    assert line == "shared it with the partner (CLV-99812)"
    [job] = await w.jobs(JobKind.AGENT_UPDATE)
    assert job.escalation_id == esc.id and job.status == JobStatus.PENDING
    assert job.payload == {"surface": "slack", "actor": TIER2, "case_number": case.number, "line": line}
    assert [k.ref for k in (await w.cases.get(case.id)).linked(LinkKind.PARTNER)] == ["CLV-99812"]


async def test_work_and_status_updates_are_refused_on_a_closed_case(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    await w.cases.resolve(case.id, actor=TIER2, found="Fixed", changed="")
    before = await w.actions(case.id)
    with pytest.raises(CaseRefused, match="reopen it first"):
        await w.cases.record(case.id, WorkKind.TECH_DEV, actor=TIER2, reference="DEV-1", detail=None)
    with pytest.raises(CaseRefused):
        await w.cases.status_update(case.id, TIER2)
    with pytest.raises(CaseRefused):
        await w.cases.resolve(case.id, actor=TIER2, found="Fixed again", changed="")
    assert await w.actions(case.id) == before
    assert (await w.cases.get(case.id)).linked(LinkKind.JIRA) == ()


# --- resolution -------------------------------------------------------------------------------------------------


async def test_resolve_renders_the_closure_reply_and_note_and_closes_at_once(w):
    case, _, _ = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket="482913", details={}, priority=None
    )
    await w.cases.record(case.id, WorkKind.TECH_DEV, actor=TIER2, reference="DEV-4821", detail=None)
    await w.cases.record(case.id, WorkKind.PARTNER, actor=TIER2, reference="CLV-99812", detail=None)
    w.clock.advance(hours=2)

    lead = "U00000TS07"  # a configured person: notes show their name, never their id
    closure = await w.cases.resolve(
        case.id, actor=lead, found=" The class was archived in Clever ", changed="Restored the class and re-synced"
    )
    reply, note = closure.reply, closure.note
    assert "Good news: the issue in case TS-2026-000001 (ticket 482913) is resolved." in reply
    assert "What we found: The class was archived in Clever\n" in reply
    assert "What we changed: Restored the class and re-synced" in reply
    assert "Your case is now closed." in reply and "quoting case TS-2026-000001" in reply
    assert "will close in" not in reply
    assert reply.endswith("Kind regards,\nTechnical Services")
    assert note.splitlines() == [
        "Case TS-2026-000001 resolved by Technical Services Tier II lead.",
        "Ticket: 482913",
        "Found: The class was archived in Clever",
        "Changed: Restored the class and re-synced",
        "jira: DEV-4821",
        "partner: CLV-99812",
        "Case closed.",
    ]

    closed = closure.case
    assert (closed.status, closed.resolved_at, closed.closed_at, closed.close_due) == (
        CaseStatus.CLOSED,
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=2),
        None,
    )
    assert closed.resolution == Resolution("The class was archived in Clever", "Restored the class and re-synced")
    assert (await w.actions(case.id))[-1] == "case.resolved"
    assert await w.jobs(JobKind.CASE_CLOSE) == []  # closed already: no timer


async def test_a_closure_without_a_change_or_ticket_says_neither(w):
    case, _, _ = await w.cases.intake(
        actor=AGENT, surface="slack", channel=CHANNEL, ticket=None, details={}, priority=None
    )
    closure = await w.cases.resolve(case.id, actor=TIER2, found="Works as designed", changed="  ")
    assert "Good news: the issue in case TS-2026-000001 is resolved." in closure.reply
    assert "What we changed" not in closure.reply and "Changed:" not in closure.note
    assert "Ticket:" not in closure.note and "jira:" not in closure.note
    assert closure.case.resolution == Resolution("Works as designed", "")


async def test_resolve_needs_what_was_found(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    with pytest.raises(UserFacingError, match="Say what was found"):
        await w.cases.resolve(case.id, actor=TIER2, found="   ", changed="something")
    assert (await w.cases.get(case.id)).status == CaseStatus.TIER1


async def test_resolve_with_tell_queues_exactly_one_agent_update_with_the_reply_and_note(w):
    case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="482913")
    esc = await w.escalation(case.id, case.number)
    assert await w.jobs(JobKind.AGENT_UPDATE) == []

    closure = await w.cases.resolve(case.id, actor=TIER2, found="A stale roster", changed="Re-synced", tell=esc)
    [job] = await w.jobs(JobKind.AGENT_UPDATE)
    assert job.escalation_id == esc.id and job.due_at == T0
    assert AgentUpdate.from_payload(job.payload) == AgentUpdate(
        TIER2, case.number, reply=closure.reply, note=closure.note
    )
    assert job.payload["surface"] == Surface.SLACK.value
    assert closure.case.status == CaseStatus.CLOSED


async def test_resolve_with_quiet_days_says_when_the_case_closes_and_the_worker_closes_it_when_due(db_url):
    async with world(db_url, close_after_days=2) as w:
        case, _, _ = await w.cases.intake(
            actor=AGENT, surface="slack", channel=CHANNEL, ticket="482913", details={}, priority=None
        )
        closure = await w.cases.resolve(case.id, actor=TIER2, found="A stale roster", changed="Re-synced")
        assert "Your case will close in 2 days if we do not hear from you" in closure.reply
        assert "Your case is now closed" not in closure.reply
        assert closure.note.splitlines()[-1] == "Case closes in 2 days without a reply."
        resolved = closure.case
        assert (resolved.status, resolved.close_due, resolved.closed_at) == (
            CaseStatus.RESOLVED,
            T0 + timedelta(days=2),
            None,
        )
        [timer] = await w.jobs(JobKind.CASE_CLOSE)
        assert (timer.payload, timer.due_at, timer.escalation_id) == (
            {"case_id": case.id},
            T0 + timedelta(days=2),
            None,
        )
        assert [job.kind for job in await w.store.jobs.list()] == [JobKind.CASE_CLOSE]

        worker = w.worker()
        w.clock.advance(days=1, hours=23)
        assert await worker.drain() == 0  # not yet due
        assert (await w.cases.get(case.id)).status == CaseStatus.RESOLVED

        w.clock.advance(hours=1, minutes=1)
        assert await worker.drain() == 1
        closed = await w.cases.get(case.id)
        assert (closed.status, closed.closed_at, closed.resolved_at) == (CaseStatus.CLOSED, w.clock.now, T0)
        last = (await w.store.cases.timeline(case.id))[-1]
        assert (last.action, last.actor, last.at) == ("case.closed", "chatbot", w.clock.now)
        [timer] = await w.jobs(JobKind.CASE_CLOSE)
        assert timer.status == JobStatus.DONE
        assert await worker.drain() == 0  # once


async def test_resolve_with_quiet_days_and_tell_queues_the_agent_update_and_the_timer(db_url):
    async with world(db_url, close_after_days=2) as w:
        case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="4829")
        esc = await w.escalation(case.id, case.number)
        closure = await w.cases.resolve(case.id, actor=TIER2, found="A stale roster", changed="Re-synced", tell=esc)
        [update] = await w.jobs(JobKind.AGENT_UPDATE)
        assert (update.escalation_id, update.payload["reply"], update.payload["note"]) == (
            esc.id,
            closure.reply,
            closure.note,
        )
        assert "Your case will close in 2 days" in update.payload["reply"]
        [timer] = await w.jobs(JobKind.CASE_CLOSE)
        assert timer.due_at == T0 + timedelta(days=2)
        assert len(await w.store.jobs.list()) == 2


async def test_a_case_reopened_before_its_quiet_days_end_is_not_closed_by_the_timer(db_url):
    async with world(db_url, close_after_days=2) as w:
        case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="4829")
        await w.cases.resolve(case.id, actor=TIER2, found="A stale roster", changed="Re-synced")
        w.clock.advance(days=1)
        reopened = await w.cases.reopen(case.number, AGENT)  # the customer wrote back
        assert reopened.status == CaseStatus.TIER1

        w.clock.advance(days=1, minutes=1)
        assert await w.worker().drain() == 1  # the timer runs, and does nothing
        after = await w.cases.get(case.id)
        assert (after.status, after.closed_at, after.version) == (CaseStatus.TIER1, None, reopened.version)
        assert "case.closed" not in await w.actions(case.id)
        assert [j.status for j in await w.jobs(JobKind.CASE_CLOSE)] == [JobStatus.DONE]


async def test_a_case_reopened_and_resolved_again_gets_its_full_quiet_days(db_url):
    """Resolved Monday (closes Wednesday), reopened Tuesday, resolved again Tuesday: it closes Thursday, two quiet
    days after the second resolution, not Wednesday on the first resolution's timer."""
    async with world(db_url, close_after_days=2) as w:
        case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="4829")
        await w.cases.resolve(case.id, actor=TIER2, found="A stale roster", changed="Re-synced")
        w.clock.advance(days=1)
        await w.cases.reopen(case.number, AGENT)
        second = await w.cases.resolve(case.id, actor=TIER2, found="A second stale roster", changed="Re-synced")
        assert second.case.close_due == T0 + timedelta(days=3)
        worker = w.worker()

        w.clock.advance(days=1, minutes=1)  # the first timer's time
        await worker.drain()
        early = await w.cases.get(case.id)
        assert (early.status, early.closed_at) == (CaseStatus.RESOLVED, None)

        w.clock.advance(days=1)  # the second timer's time
        await worker.drain()
        assert (await w.cases.get(case.id)).status == CaseStatus.CLOSED


async def test_one_quiet_day_is_said_in_the_singular(db_url):
    async with world(db_url, close_after_days=1) as w:
        case = await w.contact(actor=AGENT, surface="slack", channel=CHANNEL, procedure="ts", ticket="4829")
        closure = await w.cases.resolve(case.id, actor=TIER2, found="Fixed", changed="")
        assert "Your case will close in 1 day if we do not hear from you" in closure.reply
        assert closure.note.splitlines()[-1] == "Case closes in 1 day without a reply."


# --- references agents type -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("482913", ("482913", None)),
        ("#482913", ("482913", None)),
        ("  #482913 ", ("482913", None)),
        ("TS-2026-000123", (None, "TS-2026-000123")),
        ("ts-2026-000123", (None, "TS-2026-000123")),
        ("clv-2027-000001", (None, "CLV-2027-000001")),
        ("TS-26-000123", (None, None)),
        ("TS-2026-123", (None, None)),
        ("#TS-2026-000123", (None, None)),
        ("48 2913", (None, None)),
        ("roster", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_reference(typed, expected):
    assert parse_reference(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("clever access 482913", ("clever access", "482913", None)),
        ("clever access #482913", ("clever access", "482913", None)),
        ("rostering TS-2026-000123", ("rostering", None, "TS-2026-000123")),
        ("rostering ts-2026-000123", ("rostering", None, "TS-2026-000123")),
        ("  clever   access   482913 ", ("clever access", "482913", None)),
        ("clever access", ("clever access", None, None)),
        ("482913 clever access", ("482913 clever access", None, None)),  # only the last word is a reference
        ("clever", ("clever", None, None)),
        ("", ("", None, None)),
    ],
)
def test_split_reference(typed, expected):
    assert split_reference(typed) == expected
