"""What the app records for the digest as people use it (how a run ended, when an escalation was acknowledged and
closed, how often it was re-escalated, the answers that led to it), and what migration 0004 fills in for rows
written before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, column, insert, select, text
from sqlalchemy import table as sql_table
from sqlalchemy.sql.expression import TableClause

from chatbot.domain.digest import Figure, Period
from chatbot.storage import create_engine, upgrade
from chatbot.storage.migrate import downgrade
from chatbot.storage.tables import escalation_sources, escalations, runs
from tests.fakeslack import FakeSlack
from tests.slackapp import App, FakeClock, example_config, running_app
from tests.test_digest_slack import ESCALATE, deciding_step, press_on_ping, walk_to_escalation

WEDNESDAY_10AM = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # in the Clever Tier 2 group's working hours


async def test_runs_and_escalations_record_what_the_digest_counts(db_url):
    clock = FakeClock(WEDNESDAY_10AM)
    async with FakeSlack() as slack, running_app(slack, db_url, example_config(), clock=clock) as app:
        await walk_to_escalation(app)
        await app.click(ESCALATE)
        await app.runtime.worker.drain()
        clock.advance(minutes=15)  # nobody acknowledged: the next tier is reminded
        await app.runtime.worker.drain()
        clock.advance(minutes=5)
        await press_on_ping(app, "Resolve")  # the first press by a member: acknowledged and closed

        period = Period(WEDNESDAY_10AM - timedelta(hours=1), clock() + timedelta(seconds=1), "America/New_York")
        digest = await app.runtime.deps.digests.compute(period)
        assert (digest.raised, digest.acknowledged, digest.resolved) == (Figure(1, 0), Figure(1, 0), Figure(1, 0))
        assert digest.reescalated == Figure(1, 0) and digest.still_open == Figure(0, 0)
        assert digest.ack_median == Figure(20 * 60, None)
        assert digest.runs_ended == Figure(1, 0) and digest.runs_by_outcome[0].key == "escalated"
        _title, step, _label = deciding_step(app)
        assert [(s.step, s.answer) for s in digest.sources] == [(step, ESCALATE)]
        async with app.runtime.store.engine.connect() as connection:
            path = (await connection.execute(
                select(escalation_sources.c.position, escalation_sources.c.step, escalation_sources.c.answer)
                .order_by(escalation_sources.c.position)
            )).all()  # fmt: skip
        # The whole path back from the deciding answer, as the session's trail has it; forms keep no values here.
        [run_id] = {json.loads(b["value"])["r"] for b in App.buttons(app.session()).values()}
        state = (await app.runtime.deps.triage.load(run_id)).state
        answered = [e for e in reversed(state.trail) if e.kind != "jump"]
        assert [tuple(row) for row in path] == [
            (i, e.step, None if e.kind == "fields" else e.answer) for i, e in enumerate(answered)
        ]
        assert path[0][1:] == (step, ESCALATE) and any(answer is None for _, _, answer in path)

        await app.click("Back")  # leaves the outcome: the run has not ended any more
        assert (await app.runtime.deps.digests.compute(period)).runs_ended == Figure(0, 0)
        await app.click(ESCALATE)
        later = clock() + timedelta(seconds=1)
        again = await app.runtime.deps.digests.compute(Period(period.start, later, period.timezone))
        assert again.runs_ended == Figure(1, 0) and again.raised == Figure(2, 0)


async def test_migration_0004_fills_in_rows_written_before_it(db_url):
    await upgrade(db_url, "0003")
    engine = create_engine(db_url)
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    run = {
        "playbook_id": "clever-tier2", "playbook_version": "v1", "version": 4, "surface": "slack",
        "team_id": "T1", "channel_id": "C1", "message_ts": None, "owner_id": "U1", "created_at": at,
    }  # fmt: skip
    finished = '{"schema":1,"playbook":"clever-tier2","current":"clever-tier2","step":"escalate-dashboard-check"}'
    esc = {
        "kind": "escalated", "group_id": "clever-tier2", "priority": "normal", "summary": "s", "handoff_json": "{}",
        "version": 2, "tier": 0, "person": None, "created_by": "U1", "agent_surface": None, "agent_channel": None,
        "agent_message_ts": None, "handled_by": "U2", "note": None, "created_at": at,
    }  # fmt: skip
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(as_in_0003(runs, "outcome_kind", "outcome_playbook", "outcome_step", "finished_at")),
                [
                    {**run, "id": "r1", "state_json": finished, "status": "finished", "updated_at": at + timedelta(1)},
                    {**run, "id": "r2", "state_json": finished, "status": "active", "updated_at": at},
                ],
            )
            await connection.execute(
                insert(as_in_0003(escalations, "acknowledged_at", "closed_at", "reescalations")),
                [
                    {**esc, "id": "e1", "run_id": "r1", "status": "resolved", "updated_at": at + timedelta(hours=2)},
                    {**esc, "id": "e2", "run_id": "r1", "status": "open", "updated_at": at},
                ],
            )
            await connection.execute(
                text(
                    "INSERT INTO audit_events (run_id, at, actor, action, detail_json) VALUES "
                    "('r1', :first, 'U2', 'escalation.claim', '{\"escalation\":\"e1\",\"status\":\"claimed\"}'), "
                    "('r1', :later, 'U2', 'escalation.resolve', '{\"escalation\":\"e1\",\"status\":\"resolved\"}')"
                ),
                {
                    "first": _stamp(at + timedelta(minutes=9), engine.dialect.name),
                    "later": _stamp(at + timedelta(hours=2), engine.dialect.name),
                },
            )
        await upgrade(db_url)
        async with engine.connect() as connection:
            ended = (await connection.execute(
                select(runs.c.id, runs.c.finished_at, runs.c.outcome_playbook, runs.c.outcome_step, runs.c.outcome_kind)
                .order_by(runs.c.id)
            )).all()  # fmt: skip
            closed = (await connection.execute(
                select(escalations.c.id, escalations.c.acknowledged_at, escalations.c.closed_at,
                       escalations.c.reescalations).order_by(escalations.c.id)
            )).all()  # fmt: skip
        assert [tuple(r) for r in ended] == [
            ("r1", at + timedelta(days=1), "clever-tier2", "escalate-dashboard-check", None),  # kind: not known
            ("r2", None, None, None, None),
        ]
        assert [tuple(r) for r in closed] == [
            ("e1", at + timedelta(minutes=9), at + timedelta(hours=2), 0),
            ("e2", None, None, 0),
        ]
        await downgrade(db_url, "0003")  # and back down again, keeping the rows
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM escalations"))).scalar_one() == 2
    finally:
        await engine.dispose()


def as_in_0003(table: Table, *added: str) -> TableClause:
    """The table as it was before 0004 added `added`."""
    return sql_table(table.name, *(column(c.name, c.type) for c in table.columns if c.name not in added))


def _stamp(moment: datetime, dialect: str) -> object:
    if dialect == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment
