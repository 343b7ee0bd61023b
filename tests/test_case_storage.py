"""Cases in the database (CaseRepo), on SQLite and on PostgreSQL: numbers from an atomic counter (unique and
gap-free however many replicas open cases at once), compare-and-set changes, the timeline in the audit trail, links,
and the look-ups by ticket and owner."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chatbot.domain.case import CaseLink, CaseNumber, CaseStatus, LinkKind, Resolution
from chatbot.domain.case_policy import escalated, reopen, resolve, returned, worked_at_tier1
from chatbot.domain.jobs import JobKind, NewJob
from chatbot.domain.run import RunState, RunStatus
from chatbot.storage import Store, create_engine
from chatbot.storage.cases import NewCase
from chatbot.storage.tables import case_counters, new_run_id

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
AGENT = "U0AGENT1"
TIER2 = "U0TIER2A"


@pytest.fixture
async def replica(store: Store, db_url: str) -> AsyncIterator[Store]:
    """A second app replica: its own engine and pool on the same (migrated) database."""
    other = Store(create_engine(db_url))
    try:
        yield other
    finally:
        await other.close()


def new(
    prefix: str = "TS",
    year: int = 2026,
    *,
    ticket: str | None = None,
    owner: str = AGENT,
    details: dict[str, str] | None = None,
) -> NewCase:
    return NewCase(prefix, year, owner, "slack", "C0SUPPORT", procedure="ts", ticket=ticket, details=details)


def seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


async def counter(store: Store, prefix: str, year: int) -> int | None:
    query = select(case_counters.c.last).where(case_counters.c.prefix == prefix, case_counters.c.year == year)
    async with store.engine.connect() as connection:
        return (await connection.execute(query)).scalar_one_or_none()


# --- numbers ----------------------------------------------------------------------------------------------------


async def test_numbers_count_up_per_prefix_and_year_and_look_like_ts_2026_000001(store):
    opened = [
        await store.cases.open(new("TS", 2026), actor=AGENT, at=T0),
        await store.cases.open(new("TS", 2026), actor=AGENT, at=T0),
        await store.cases.open(new("CLV", 2026), actor=AGENT, at=T0),
        await store.cases.open(new("TS", 2027), actor=AGENT, at=T0),
        await store.cases.open(new("TS", 2026), actor=AGENT, at=T0),
        await store.cases.open(new("CLV", 2027), actor=AGENT, at=T0),
    ]
    assert [c.number for c in opened] == [
        "TS-2026-000001",
        "TS-2026-000002",
        "CLV-2026-000001",
        "TS-2027-000001",
        "TS-2026-000003",
        "CLV-2027-000001",
    ]
    assert all(c.status == CaseStatus.OPEN and c.version == 0 for c in opened)
    assert len({c.id for c in opened}) == len(opened)
    assert await counter(store, "TS", 2026) == 3
    assert await counter(store, "CLV", 2027) == 1


async def test_opening_gives_the_case_as_it_is_stored_with_its_ticket_link(store):
    details = {"gold_id": "5f2a", "browser": "Chrome 131"}
    opened = await store.cases.open(new(ticket="482913", details=details), actor=AGENT, at=T0)
    assert opened == await store.cases.get(opened.id)
    assert [(link.kind, link.ref, link.actor) for link in opened.links] == [(LinkKind.TICKET, "482913", AGENT)]
    assert opened.details == details
    plain = await store.cases.open(new(), actor=AGENT, at=T0)
    assert plain == await store.cases.get(plain.id) and plain.links == ()


async def test_two_hundred_cases_opened_at_once_on_two_replicas_get_numbers_1_to_200(store, replica):
    replicas = (store, replica)
    opened = await asyncio.gather(
        *(replicas[i % 2].cases.open(new(ticket=str(700000 + i)), actor=AGENT, at=T0) for i in range(200))
    )
    numbers = [c.number for c in opened]
    assert all(re.fullmatch(r"TS-2026-\d{6}", n) for n in numbers)
    assert len(set(numbers)) == 200  # unique
    assert sorted(seq(n) for n in numbers) == list(range(1, 201))  # and no gaps
    assert await counter(store, "TS", 2026) == 200
    # Each number is the case's own: stored, found again by number, and in its "opened" event.
    for c in opened[::17]:
        found = await replica.cases.by_number(c.number)
        assert found is not None and found.id == c.id and found.ticket == c.ticket
        assert [e.detail["number"] for e in await store.cases.timeline(c.id)] == [c.number]


async def test_prefixes_and_years_opened_at_once_count_separately(store, replica):
    kinds = [("TS", 2026), ("CLV", 2026), ("TS", 2027)]
    replicas = (store, replica)
    opened = await asyncio.gather(
        *(replicas[i % 2].cases.open(new(*kinds[i % 3]), actor=AGENT, at=T0) for i in range(90))
    )
    for prefix, year in kinds:
        mine = [c.number for c in opened if c.number.startswith(f"{prefix}-{year}-")]
        assert sorted(seq(n) for n in mine) == list(range(1, 31)), (prefix, year)
        assert await counter(replica, prefix, year) == 30


# --- compare-and-set --------------------------------------------------------------------------------------------


async def test_apply_is_a_compare_and_set_a_stale_version_changes_nothing(store):
    opened = await store.cases.open(new(), actor=AGENT, at=T0)
    moved = await store.cases.apply(opened, worked_at_tier1(opened), actor=AGENT, at=T0 + timedelta(minutes=1))
    now = await store.cases.get(opened.id)
    assert moved == now  # the case as it now is, without reading it again
    assert (now.status, now.version, now.updated_at) == (CaseStatus.TIER1, 1, T0 + timedelta(minutes=1))

    # `opened` is version 0: a change computed from it is refused, with its event and its jobs.
    timer = NewJob(JobKind.CASE_CLOSE, {"case_id": opened.id}, T0 + timedelta(days=2), key="stale")
    stale = await store.cases.apply(
        opened,
        resolve(opened, T0 + timedelta(minutes=2), 2),
        actor=TIER2,
        at=T0 + timedelta(minutes=2),
        resolution=Resolution("found", "changed"),
        jobs=[timer],
    )
    assert stale is None
    after = await store.cases.get(opened.id)
    assert after == now
    assert [e.action for e in await store.cases.timeline(opened.id)] == ["case.opened", "case.tier1"]
    assert await store.jobs.list() == []


async def test_two_replicas_changing_the_same_version_at_once_one_wins(store, replica):
    opened = await store.cases.open(new(), actor=AGENT, at=T0)
    results = await asyncio.gather(
        store.cases.apply(opened, escalated(opened), actor=TIER2, at=T0 + timedelta(minutes=1)),
        replica.cases.apply(opened, worked_at_tier1(opened), actor=AGENT, at=T0 + timedelta(minutes=1)),
    )
    [winner] = [r for r in results if r is not None]
    after = await store.cases.get(opened.id)
    assert after.version == 1 and after == winner
    assert after.status == (CaseStatus.ESCALATED if results[0] else CaseStatus.TIER1)
    assert len(await store.cases.timeline(opened.id)) == 2  # opened, and the winner's change only


# --- the timeline -----------------------------------------------------------------------------------------------


async def test_every_change_is_on_the_timeline_with_who_and_when(store):
    c = await store.cases.open(new(ticket="482913"), actor=AGENT, at=T0)

    async def step(change, actor, minutes, **kwargs):
        case = await store.cases.get(c.id)
        assert await store.cases.apply(case, change(case), actor=actor, at=T0 + timedelta(minutes=minutes), **kwargs)

    await step(worked_at_tier1, AGENT, 1)
    await step(escalated, AGENT, 2, detail={"escalation": "e1"})
    await store.cases.record(
        c.id,
        actor=TIER2,
        at=T0 + timedelta(minutes=4),
        action="case.work.tech_dev",
        detail={"kind": "tech_dev"},
        link=CaseLink(LinkKind.JIRA, "DEV-4821", "tech_dev", TIER2, T0 + timedelta(minutes=3)),
    )
    await step(returned, TIER2, 5)
    await step(worked_at_tier1, AGENT, 6)
    done = T0 + timedelta(minutes=7)
    await step(lambda case: resolve(case, done, 0), AGENT, 7, resolution=Resolution("a stale roster", "re-synced"))
    await step(reopen, AGENT, 8)

    events = await store.cases.timeline(c.id)
    assert [(e.at, e.actor, e.action) for e in events] == [
        (T0, AGENT, "case.opened"),
        (T0 + timedelta(minutes=1), AGENT, "case.tier1"),
        (T0 + timedelta(minutes=2), AGENT, "case.escalated"),
        (T0 + timedelta(minutes=3), TIER2, "case.linked"),
        (T0 + timedelta(minutes=4), TIER2, "case.work.tech_dev"),
        (T0 + timedelta(minutes=5), TIER2, "case.returned"),
        (T0 + timedelta(minutes=6), AGENT, "case.tier1"),
        (done, AGENT, "case.resolved"),
        (T0 + timedelta(minutes=8), AGENT, "case.reopened"),
    ]
    assert events[0].detail == {"number": c.number, "ticket": "482913", "details": [], "status": "open"}
    assert events[2].detail == {"status": "escalated", "escalation": "e1"}
    assert events[3].detail == {"kind": "jira", "ref": "DEV-4821", "label": "tech_dev"}
    assert events[7].detail == {"status": "closed"}
    assert events[8].detail == {"status": "tier1"}
    # Other cases' events are not on it.
    other = await store.cases.open(new(), actor=TIER2, at=T0)
    assert [e.action for e in await store.cases.timeline(other.id)] == ["case.opened"]


async def test_the_timeline_holds_which_details_were_given_never_their_values(store):
    details = {"gold_id": "GOLD-55501", "browser": "Chrome 131", "account_email": "teacher@school.example.org"}
    c = await store.cases.open(new(details=details), actor=AGENT, at=T0)
    assert (await store.cases.get(c.id)).details == details  # the case keeps them
    [opened] = await store.cases.timeline(c.id)
    assert opened.detail["details"] == ["account_email", "browser", "gold_id"]
    assert not any(value in json.dumps(opened.detail) for value in details.values())


async def test_a_runs_start_is_on_its_cases_timeline_and_the_run_is_listed(store):
    c = await store.cases.open(new(), actor=AGENT, at=T0)
    run_id = new_run_id()
    state = RunState(playbook="ts-case-intake", current="ts-case-intake", step="start", version=0)
    await store.create_run(
        run_id=run_id,
        playbook_id="ts-case-intake",
        playbook_version="0123456789ab",
        state_json=state.to_json(),
        version=0,
        status=RunStatus.ACTIVE.value,
        team_id="T0001",
        channel_id="C0SUPPORT",
        owner_id=AGENT,
        actor=AGENT,
        at=T0 + timedelta(minutes=1),
        case_id=c.id,
    )
    assert await store.cases.runs_of(c.id) == [(run_id, "ts-case-intake", "active")]
    assert [(e.action, e.actor) for e in await store.cases.timeline(c.id)] == [
        ("case.opened", AGENT),
        ("start", AGENT),
    ]


# --- resolution and links ---------------------------------------------------------------------------------------


async def test_resolution_round_trips_and_reopening_clears_it(store):
    c = await store.cases.open(new(), actor=AGENT, at=T0)
    done = T0 + timedelta(hours=1)
    written = await store.cases.apply(
        c, resolve(c, done, 2), actor=TIER2, at=done, resolution=Resolution("a stale roster", "re-synced it")
    )
    resolved = await store.cases.get(c.id)
    assert written == resolved
    assert resolved.status == CaseStatus.RESOLVED
    assert resolved.resolution == Resolution("a stale roster", "re-synced it")
    assert (resolved.resolved_at, resolved.close_due, resolved.closed_at) == (done, done + timedelta(days=2), None)

    reopened = await store.cases.apply(resolved, reopen(resolved), actor=AGENT, at=done + timedelta(hours=1))
    again = await store.cases.get(c.id)
    assert reopened == again
    assert (again.status, again.resolution, again.resolved_at, again.close_due, again.closed_at) == (
        CaseStatus.TIER1,
        None,
        None,
        None,
        None,
    )


async def test_links_round_trip_in_order_with_who_and_when(store):
    c = await store.cases.open(new(ticket="482913"), actor=AGENT, at=T0)
    at1, at2 = T0 + timedelta(minutes=5), T0 + timedelta(minutes=9)
    jira = CaseLink(LinkKind.JIRA, "DEV-4821", "tech_dev", TIER2, at1)
    partner = CaseLink(LinkKind.PARTNER, "CLV-99812", None, TIER2, at2)
    for link in (jira, partner):  # as Tier II's recorded work links them
        await store.cases.record(c.id, actor=TIER2, at=link.at, action="case.work.note", detail={}, link=link)

    for found in (await store.cases.get(c.id), await store.cases.by_number(c.number.lower())):
        assert found is not None
        assert [(k.kind, k.ref, k.label, k.actor, k.at) for k in found.links] == [
            (LinkKind.TICKET, "482913", None, AGENT, T0),
            (LinkKind.JIRA, "DEV-4821", "tech_dev", TIER2, at1),
            (LinkKind.PARTNER, "CLV-99812", None, TIER2, at2),
        ]
        assert [k.ref for k in found.linked(LinkKind.JIRA)] == ["DEV-4821"]
        assert found.linked(LinkKind.ESCALATION) == ()
    assert await store.cases.by_number("TS-2026-999999") is None


async def test_a_case_without_a_ticket_has_no_ticket_link(store):
    c = await store.cases.open(new(), actor=AGENT, at=T0)
    assert (c.ticket, c.links) == (None, ())


# --- look-ups ---------------------------------------------------------------------------------------------------


async def test_open_for_ticket_finds_the_newest_open_case_and_ignores_resolved_and_closed_ones(store):
    assert await store.cases.open_for_ticket("482913") is None
    first = await store.cases.open(new(ticket="482913"), actor=AGENT, at=T0)
    await store.cases.open(new(ticket="555555"), actor=AGENT, at=T0 + timedelta(minutes=30))
    assert (await store.cases.open_for_ticket("482913")).id == first.id

    # Closed at once: no longer the ticket's open case.
    assert await store.cases.apply(first, resolve(first, T0 + timedelta(hours=1), 0), actor=AGENT, at=T0)
    assert await store.cases.open_for_ticket("482913") is None

    second = await store.cases.open(new(ticket="482913"), actor=AGENT, at=T0 + timedelta(hours=2))
    third = await store.cases.open(new(ticket="482913"), actor=AGENT, at=T0 + timedelta(hours=3))
    assert (await store.cases.open_for_ticket("482913")).id == third.id  # the newest

    # Resolved, waiting for its quiet days: not open either.
    assert await store.cases.apply(third, resolve(third, T0 + timedelta(hours=4), 2), actor=AGENT, at=T0)
    assert (await store.cases.open_for_ticket("482913")).id == second.id
    second = await store.cases.get(second.id)
    assert await store.cases.apply(second, escalated(second), actor=AGENT, at=T0 + timedelta(hours=5))
    assert (await store.cases.open_for_ticket("482913")).id == second.id  # escalated is still open
    assert (await store.cases.open_for_ticket("555555")).ticket == "555555"


async def test_a_tickets_new_number_is_taken_only_while_it_has_no_open_case(store):
    """A start with a ticket takes its new case's number and learns the ticket has no open case in one statement;
    with an open case no number is taken, so the numbers stay without gaps."""
    first = await store.cases.open(new(ticket="482913"), actor=AGENT, at=T0)
    assert await store.cases.number_unless_open("TS", 2026, "482913") is None  # open: continue that case
    assert await store.cases.number_unless_open("TS", 2026, "482913") is None
    counter = await store.cases.number_unless_open("TS", 2026, "777001")  # no case: the next number, taken
    assert counter is not None and str(CaseNumber("TS", 2026, counter)) == _next_after(first.number)
    case = await store.cases.open(new(ticket="777001"), actor=AGENT, at=T0, counter=counter)
    assert case.number == str(CaseNumber("TS", 2026, counter))
    # Closed: the ticket's next contact is a new case, numbered next.
    assert await store.cases.apply(first, resolve(first, T0 + timedelta(hours=1), 0), actor=AGENT, at=T0)
    again = await store.cases.number_unless_open("TS", 2026, "482913")
    assert again == counter + 1
    assert (await store.cases.open(new(), actor=AGENT, at=T0)).number == str(CaseNumber("TS", 2026, counter + 2))


def _next_after(number: str) -> str:
    prefix, year, serial = number.rsplit("-", 2)
    return str(CaseNumber(prefix, int(year), int(serial) + 1))


async def test_an_agents_open_cases_oldest_first_and_the_open_count(store):
    oldest = await store.cases.open(new(), actor=AGENT, at=T0)
    done = await store.cases.open(new(), actor=AGENT, at=T0 + timedelta(minutes=1))
    newest = await store.cases.open(new(), actor=AGENT, at=T0 + timedelta(minutes=2))
    theirs = await store.cases.open(new(owner=TIER2), actor=TIER2, at=T0 + timedelta(minutes=3))
    assert await store.cases.apply(done, resolve(done, T0, 0), actor=AGENT, at=T0 + timedelta(minutes=4))

    assert [c.id for c in await store.cases.for_owner(AGENT)] == [oldest.id, newest.id]
    assert [c.id for c in await store.cases.for_owner(TIER2)] == [theirs.id]
    assert await store.cases.count_open() == 3


async def test_independent_reads_run_at_once_on_postgresql_and_in_turn_on_sqlite(store: Store) -> None:
    on_postgresql = store.engine.dialect.name == "postgresql"
    order: list[str] = []
    second_started = asyncio.Event()

    async def first() -> str:
        order.append("first starts")
        if on_postgresql:  # finishes only if the second has started meanwhile
            await asyncio.wait_for(second_started.wait(), timeout=5)
        order.append("first ends")
        return "one"

    async def second() -> str:
        order.append("second starts")
        second_started.set()
        return "two"

    assert await store.side_by_side(first, second) == ["one", "two"]
    if on_postgresql:
        assert order == ["first starts", "second starts", "first ends"]
    else:
        assert order == ["first starts", "first ends", "second starts"]
