"""What went through the ORM and now are programs on the store's short way (storage/programs.py): away marks,
escalations raised by hand, the Home tab's reads, on both databases. (Round trips on PostgreSQL: test_programs.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.domain.case import CaseNumber, CaseStatus, LinkKind
from chatbot.domain.case_policy import ESCALATE_FROM, run_escalated, run_started
from chatbot.domain.escalation import EscalationKind, Handoff, NewEscalation, PostRef, Priority, Surface
from chatbot.domain.jobs import JobKind, NewJob
from chatbot.storage import Store, create_engine, upgrade
from chatbot.storage.run_writes import CaseMove, NewCase
from chatbot.storage.tables import audit_events, escalation_posts, escalations

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


def _in_group(group: str, letter: str) -> NewEscalation:
    return NewEscalation(letter * 32, EscalationKind.MANUAL, group, Priority.NORMAL, letter, Handoff(letter), "U1")


async def test_a_supervisors_home_lists_their_groups_open_escalations_oldest_first_with_their_posts(db: Db) -> None:
    store = db.store
    for minutes, (group, letter) in enumerate([("a", "p"), ("b", "q"), ("a", "r"), ("c", "s"), ("a", "t")]):
        await store.raise_escalation(_in_group(group, letter), [], actor="U1", at=AT + timedelta(minutes=minutes))
    async with db.engine.begin() as connection:
        await connection.execute(update(escalations).where(escalations.c.id == "r" * 32).values(status="resolved"))
        post = {"escalation_id": "t" * 32, "surface": "slack", "channel": "C9", "message_id": "1.2", "created_at": AT}
        await connection.execute(insert(escalation_posts).values(post))
    found = await store.escalations.open_for_groups(["a", "b"])
    assert [e.id[0] for e in found] == ["p", "q", "t"]  # r is resolved; s is another group's
    assert found[2].posts[Surface.SLACK] == PostRef(Surface.SLACK, "C9", "1.2")
    assert found[0] == store.escalations.created(_in_group("a", "p"), AT)
    assert [e.id[0] for e in await store.escalations.open_for_groups(["a", "b"], limit=2)] == ["p", "q"]
    assert await store.escalations.open_for_groups(["z"]) == []


async def test_an_agents_home_lists_their_active_sessions_oldest_first(db: Db) -> None:
    store = db.store
    for minutes, (run_id, owner, status) in enumerate(
        [("r1", "U1", "active"), ("r2", "U2", "active"), ("r3", "U1", "finished"), ("r4", "U1", "active")]
    ):
        await store.create_run(
            run_id=run_id, playbook_id=f"pb-{run_id}", playbook_version="1", state_json="{}", version=0,
            status=status, team_id="T1", channel_id="C1", owner_id=owner, actor=owner,
            at=AT + timedelta(minutes=minutes),
        )  # fmt: skip
    assert await store.active_runs_of("U1") == [("r1", "pb-r1", "active"), ("r4", "pb-r4", "active")]
    assert await store.active_runs_of("U1", limit=1) == [("r1", "pb-r1", "active")]
    assert await store.active_runs_of("U3") == []
