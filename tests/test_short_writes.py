"""Writes that went through the ORM and now are programs on the store's short way (storage/programs.py): away marks
and escalations raised by hand, on both databases. (Their round trips on PostgreSQL: test_programs.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.domain.case import CaseNumber, CaseStatus, LinkKind
from chatbot.domain.case_policy import ESCALATE_FROM, run_escalated, run_started
from chatbot.domain.escalation import EscalationKind, Handoff, NewEscalation, Priority
from chatbot.domain.jobs import JobKind, NewJob
from chatbot.storage import Store, create_engine, upgrade
from chatbot.storage.run_writes import CaseMove, NewCase
from chatbot.storage.tables import audit_events

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@dataclass
class Db:
    store: Store
    engine: AsyncEngine

    async def events(self, actor: str) -> list[str]:
        """The audit actions `actor` made, in order."""
        query = select(audit_events.c.action).where(audit_events.c.actor == actor).order_by(audit_events.c.id)
        async with self.engine.connect() as connection:
            return list((await connection.execute(query)).scalars())


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Db]:
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    reader = create_engine(db_url)
    try:
        yield Db(store, reader)
    finally:
        await store.close()
        await reader.dispose()


async def test_an_away_mark_replaces_the_last_and_back_ends_it(db: Db) -> None:
    away = db.store.away
    await away.set("U1", AT + timedelta(hours=1), AT)
    await away.set("U1", None, AT + timedelta(minutes=1))  # now until they say they are back
    await away.set("U2", AT + timedelta(hours=2), AT)
    assert await away.current(AT + timedelta(hours=3)) == {"U1": None}  # U2's mark has run out
    assert await away.current(AT + timedelta(minutes=2)) == {"U1": None, "U2": AT + timedelta(hours=2)}
    assert await away.clear("U1", AT + timedelta(minutes=3)) is True
    assert await away.clear("U1", AT + timedelta(minutes=4)) is False  # not marked: nothing is written
    assert await away.current(AT + timedelta(minutes=5)) == {"U2": AT + timedelta(hours=2)}
    assert await db.events("U1") == ["away", "away", "back"]
    assert await db.events("U2") == ["away"]


def _escalation(case_id: str, number: str, summary: str) -> NewEscalation:
    return NewEscalation(
        "e" + summary[:1] * 31,
        EscalationKind.MANUAL,
        "ts-supervisors",
        Priority.NORMAL,
        summary,
        Handoff(summary, agent="U1", case_number=number),
        "U1",
        case_id=case_id,
        case_number=number,
    )


def _escalated(case_id: str, esc: NewEscalation) -> CaseMove:
    """As CaseService.escalated_move."""
    link = (LinkKind.ESCALATION, esc.id, esc.summary)
    return CaseMove(case_id, run_escalated(), ESCALATE_FROM, {"escalation": esc.id}, link=link)


async def test_an_escalation_by_hand_opens_its_case_with_tier2_or_moves_the_one_it_names(db: Db) -> None:
    store = db.store
    counter = await store.cases.next_number("TS", 2026)
    new_case = NewCase("TS", 2026, "U1", "slack", "C1", ticket="48213", status=CaseStatus.TIER1)
    number = str(CaseNumber("TS", 2026, counter))
    first = _escalation(new_case.id, number, "Gradebook export fails")
    ping = NewJob(JobKind.PING, {"surface": "slack"}, AT, first.id)
    moved = await store.raise_escalation(
        first, [ping], actor="U1", at=AT, new_case=new_case, counter=counter, move=_escalated(new_case.id, first)
    )
    assert moved is True
    case = await store.cases.get(new_case.id)
    assert case is not None and (case.number, case.status, case.ticket) == (number, CaseStatus.ESCALATED, "48213")
    assert [(k.ref, k.label) for k in case.linked(LinkKind.ESCALATION)] == [(first.id, first.summary)]
    assert [k.ref for k in case.linked(LinkKind.TICKET)] == ["48213"]
    assert [e.action for e in await store.cases.timeline(case.id)] == ["case.opened", "escalate", "case.escalated"]
    assert await store.escalations.get(first.id) == store.escalations.created(first, AT)
    [job] = await store.jobs.list(status="pending")
    assert (job.kind, job.escalation_id) == (JobKind.PING, first.id)

    # A second one on the same case (its number given as the reference) moves it again, after Tier 1 took it back.
    later = AT + timedelta(minutes=5)
    assert await store.move_case(CaseMove(case.id, run_started(), (CaseStatus.ESCALATED,)), actor="U1", at=later)
    second = _escalation(case.id, number, "Still failing")
    assert await store.raise_escalation(second, [], actor="U1", at=later, move=_escalated(case.id, second)) is True
    after = await store.cases.get(case.id)
    assert after is not None and after.status == CaseStatus.ESCALATED and after.version == case.version + 2
    assert [k.ref for k in after.linked(LinkKind.ESCALATION)] == [first.id, second.id]
    assert await store.escalations.get(second.id) == store.escalations.created(second, later)


async def test_an_escalation_by_hand_that_cannot_be_written_leaves_no_case_behind(db: Db) -> None:
    """One transaction: an escalation whose row fails (here: its id taken) opens no case and queues no ping."""
    store = db.store
    counter = await store.cases.next_number("TS", 2026)
    taken = NewCase("TS", 2026, "U1", "slack", "C1")
    esc = _escalation(taken.id, str(CaseNumber("TS", 2026, counter)), "Duplicate")
    await store.raise_escalation(
        esc, [], actor="U1", at=AT, new_case=taken, counter=counter, move=_escalated(taken.id, esc)
    )
    again = NewCase("TS", 2026, "U1", "slack", "C1")
    counter = await store.cases.next_number("TS", 2026)
    clash = _escalation(again.id, str(CaseNumber("TS", 2026, counter)), "Duplicate")  # the same escalation id
    ping = NewJob(JobKind.PING, {"surface": "slack"}, AT, clash.id)
    with pytest.raises(IntegrityError):
        await store.raise_escalation(
            clash, [ping], actor="U1", at=AT, new_case=again, counter=counter, move=_escalated(again.id, clash)
        )
    assert await store.cases.get(again.id) is None
    assert await store.jobs.list(status="pending") == []
