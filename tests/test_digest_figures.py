"""The digest's figures against rows whose numbers are worked out by hand below, on SQLite and PostgreSQL.

The period is Tuesday 24 Nov 2026 08:00 to Wednesday 08:00 in New York (13:00 UTC to 13:00 UTC), the one before it
the same hours a day earlier. Each row says which figures it counts in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from chatbot.domain.digest import Digest, Figure, Period
from chatbot.domain.jobs import JobKind, NewJob
from chatbot.engine.catalog import build_engine
from chatbot.services.digests import DigestService, key_prefix
from chatbot.storage import Store
from chatbot.storage.tables import metadata
from tests.digest_world import World
from tests.slackapp import example_config

START = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 in New York
END = START + timedelta(days=1)
PREV = START - timedelta(days=1)
H, M = timedelta(hours=1), timedelta(minutes=1)
HERBERT, JULIAN = "U00000HM01", "U00000JM03"
ESCALATE = "Escalate to a TS supervisor to check it"
cases = metadata.tables["cases"]
LEADS = {"id": "leads", "cron": "0 8 * * 1-5", "timezone": "America/New_York", "channel": "C00000LEAD"}


def service(store: Store, **digest: object) -> DigestService:
    config = example_config(digests=[{**LEADS, **digest}])
    return DigestService(config, store, build_engine(config).catalog, lambda: END + 2 * H)


async def fill(world: World) -> None:
    # Runs. Ended in the period: r1 escalated, r2 and r3 resolved (same outcome), r4 cancelled, r7 from before
    # outcomes were recorded (unknown). Before: r5 resolved. r6 is still active.
    r1 = await world.run("clever-tier2", ended=START + H, kind="escalated",
                         outcome=("clever-tier2", "escalate-dashboard-check"))  # fmt: skip
    resolved = ("clever-access", "send-login-instructions")
    r2 = await world.run("clever-access", ended=START + 2 * H, kind="resolved", outcome=resolved)
    await world.run("clever-access", ended=START + 3 * H, kind="resolved", outcome=resolved)
    await world.run("clever-access", ended=START + 4 * H, status="cancelled")
    await world.run("clever-access", ended=PREV + H, kind="resolved", outcome=resolved)
    await world.run("clever-access", ended=None, status="active")
    await world.run("clever-access", ended=START + 5 * H, kind=None)

    dashboard = [("clever-tier2", "who-checks-dashboard", ESCALATE), ("clever-tier2", "integration-live", "Yes")]
    # In the period. e1: acknowledged after 5 min, resolved. e2: high, acknowledged after 12 min (over the group's
    # 5 min: late), claimed by Herbert, open. e3: high, never acknowledged (late), re-escalated twice, open.
    # e4: acknowledged after 1 min, returned to Tier 1. e5: high in a group with a 10 min timeout, acknowledged after
    # 4 min (in time), resolved. e6: by hand, low, raised 10 min before the end, open.
    e1 = await world.escalation("clever-tier2", raised=START + H, acked_after=5 * M, run_id=r1,
                                closed=("resolved", START + 3 * H), sources=dashboard)  # fmt: skip
    await world.escalation("clever-tier2", raised=START + 2 * H, priority="high", acked_after=12 * M,
                           status="claimed", handled_by=HERBERT, summary="Whole school locked out",
                           sources=dashboard)  # fmt: skip
    await world.escalation("clever-tier2", raised=START + 4 * H, priority="high", reescalations=2,
                           summary="District SSO down",
                           sources=[("clever-tier2", "dashboard-details", None)])  # fmt: skip
    await world.escalation("ts-supervisors", raised=START + 5 * H, acked_after=M, run_id=r2,
                           closed=("returned", START + 6 * H),
                           sources=[("clever-access", "in-clever-district", "No")])  # fmt: skip
    await world.escalation("sse-client-services", raised=START + 6 * H, priority="high", acked_after=4 * M,
                           closed=("resolved", START + 7 * H))  # fmt: skip
    e6 = await world.escalation("tech-dev", raised=END - 10 * M, priority="low", summary="Typed <!here> by hand")
    # The period before. p1: acknowledged after 10 min, resolved then. p2: high, acknowledged after 3 min (in time),
    # resolved in the period (so it was open when the period began).
    p1 = await world.escalation("clever-tier2", raised=PREV + H, acked_after=10 * M,
                                closed=("resolved", PREV + 2 * H), sources=dashboard)  # fmt: skip
    await world.escalation("clever-tier2", raised=PREV + 3 * H, priority="high", acked_after=3 * M,
                           closed=("resolved", START + 2 * H))  # fmt: skip
    # Long before (4 days before the end): o1, claimed by Julian, still open at both ends.
    await world.escalation("clever-tier2", raised=PREV - 2 * timedelta(days=1), acked_after=H, status="claimed",
                           handled_by=JULIAN, summary="Old rostering gap")  # fmt: skip
    # Jobs: a ping Slack refused in the period (e6) and one before (p1); neither a refused timer nor a done ping count.
    await world.job(e6, kind="ping", status="failed", done=END - 5 * M)
    await world.job(p1, kind="ping", status="failed", done=PREV + H)
    await world.job(e1, kind="reescalate", status="failed", done=START + 2 * H)
    await world.job(e1, kind="ping", status="done", done=START + H)


async def test_every_figure_matches_the_hand_count(store: Store) -> None:
    await fill(World(store))
    digest = await service(store).compute(Period(START, END, "America/New_York"), service(store).schedules["leads"])

    assert digest.raised == Figure(6, 2)  # e1-e6; p1, p2
    assert digest.acknowledged == Figure(4, 2)  # e1, e2, e4, e5; p1, p2
    assert digest.ack_median == Figure(240, 180)  # sorted 60 240 300 720: rank ceil(4/2)=2; 180 600: rank 1
    assert digest.ack_p90 == Figure(720, 600)  # rank ceil(3.6)=4; rank ceil(1.8)=2
    assert digest.reescalated == Figure(1, 0)  # e3
    assert digest.returned == Figure(1, 0)  # e4
    assert digest.resolved == Figure(3, 1)  # e1, e5, p2 (closed in the period); p1
    assert digest.still_open == Figure(4, 2)  # e2, e3, e6, o1 at the end; p2, o1 at the start
    assert digest.refused == Figure(1, 1)
    assert digest.late_high_count == Figure(2, 0)  # e2 (12 min > 5), e3 (never); p2 took 3 min
    late = {item.summary: item for item in digest.late_high}
    assert set(late) == {"Whole school locked out", "District SSO down"}
    assert late["Whole school locked out"].waited == 12 * M and late["Whole school locked out"].timeout == 5 * M
    assert late["Whole school locked out"].handled_by == "Herbert Mena"
    assert late["District SSO down"].acknowledged_at is None and late["District SSO down"].waited == 20 * H
    assert [o.summary for o in digest.open_items] == [
        "Old rostering gap", "Whole school locked out", "District SSO down", "Typed <!here> by hand"
    ]  # fmt: skip
    assert digest.open_items[0].handled_by == "Julian Mantilla" and digest.open_items[0].age == 4 * timedelta(days=1)

    sources = [(s.playbook, s.step, s.answer, s.figure) for s in digest.sources]
    assert sources == [
        ("clever-tier2", "who-checks-dashboard", ESCALATE, Figure(2, 1)),  # e1, e2; p1
        ("clever-access", "in-clever-district", "No", Figure(1, 0)),  # e4
        ("clever-tier2", "dashboard-details", "form filled in", Figure(1, 0)),  # e3: a form's values are not kept
    ]
    assert digest.sources[0].step_label == "2. Clever dashboard check"
    assert digest.sources[0].playbook_title == "Clever Tier 2 escalations"

    assert digest.runs_ended == Figure(5, 1)  # r1 r2 r3 r4 r7; r5
    assert {c.key: c.figure for c in digest.runs_by_outcome} == {
        "resolved": Figure(2, 1), "escalated": Figure(1, 0), "cancelled": Figure(1, 0), "unknown": Figure(1, 0)
    }  # fmt: skip
    assert [(o.step, o.figure) for o in digest.outcomes] == [
        ("send-login-instructions", Figure(2, 1)),
        ("escalate-dashboard-check", Figure(1, 0)),
    ]
    assert digest.outcomes[0].label == "Sent the district's Clever login instructions"

    # The chart: New York days Thu 19 to Wed 25 (the week ending with the period); the last one ends at 08:00.
    assert [b.label for b in digest.volume] == ["Thu 19", "Fri 20", "Sat 21", "Sun 22", "Mon 23", "Tue 24", "Wed 25"]
    assert [b.escalations for b in digest.volume] == [0, 0, 1, 0, 2, 5, 1]  # o1; p1 p2; e1-e5; e6
    assert [b.runs for b in digest.volume] == [0, 0, 0, 0, 1, 5, 0]
    assert digest.cases == ()  # no cases in this world (test_cases_by_priority counts some)


async def test_scope_narrows_to_groups_priorities_and_playbooks(store: Store) -> None:
    await fill(World(store))
    period = Period(START, END, "America/New_York")

    async def digest(**scope: object) -> Digest:
        s = service(store, scope=scope)
        return await s.compute(period, s.schedules["leads"])

    high = await digest(priorities=["high"])
    assert high.raised == Figure(3, 1) and high.acknowledged == Figure(2, 1)  # e2 e3 e5; p2
    assert high.late_high_count == Figure(2, 0) and high.still_open == Figure(2, 1)  # e2 e3; p2
    group = await digest(groups=["ts-supervisors"])
    assert group.raised == Figure(1, 0) and group.returned == Figure(1, 0) and group.still_open == Figure(0, 0)
    assert [s.step for s in group.sources] == ["in-clever-district"]
    access = await digest(playbooks=["clever-access"])
    assert access.runs_ended == Figure(4, 1)  # r2 r3 r4 r7; r5
    assert access.raised == Figure(1, 0)  # e4, whose run started in clever-access
    assert "playbooks clever-access" in access.scope


async def test_an_empty_period_has_no_medians_and_no_rows(store: Store) -> None:
    digest = await service(store).compute(Period(START, END, "America/New_York"))
    assert digest.raised == Figure(0, 0) and digest.ack_median == Figure(None, None)
    assert digest.sources == () and digest.outcomes == () and digest.open_items == ()
    assert [b.escalations for b in digest.volume] == [0] * 7


async def test_cases_opened_and_closed_by_priority(store: Store) -> None:
    rows = [  # (priority, opened, closed)
        ("high", START + H, START + 2 * H),  # opened and closed in the period
        ("high", PREV + H, START + 3 * H),  # opened before, closed in the period
        ("normal", START + 4 * H, None),
        ("normal", PREV + 2 * H, PREV + 5 * H),  # both before
        ("low", PREV - 3 * H, None),  # neither
        (None, START + 5 * H, None),  # no priority given
    ]
    async with store.engine.begin() as connection:
        for number, (priority, opened, closed) in enumerate(rows, start=1):
            await connection.execute(
                insert(cases),
                {
                    "id": f"case{number}", "number": f"TS-2026-{number:06d}", "status": "closed" if closed else "open",
                    "priority": priority, "owner_id": "U0AGENT1", "surface": "slack", "channel_id": "C0SUPPORT",
                    "details_json": "{}", "version": 1, "opened_at": opened, "updated_at": closed or opened,
                    "closed_at": closed,
                },
            )  # fmt: skip
    digest = await service(store).compute(Period(START, END, "America/New_York"))
    assert digest.cases is not None
    assert [(c.priority, c.opened, c.closed) for c in digest.cases] == [
        ("high", Figure(1, 1), Figure(2, 0)),
        ("normal", Figure(1, 1), Figure(0, 1)),
        ("none", Figure(1, 0), Figure(0, 0)),
    ]
    scoped = service(store, scope={"priorities": ["high"]})
    high = await scoped.compute(Period(START, END, "America/New_York"), scoped.schedules["leads"])
    assert [c.priority for c in high.cases or ()] == ["high"]


async def test_a_pending_digest_of_one_schedule_never_holds_back_a_schedule_whose_id_differs_by_a_wildcard(
    store: Store,
) -> None:
    """Schedule ids may hold `_` and `%`, which a LIKE pattern would read as wildcards."""
    at = datetime(2026, 12, 1, 8, tzinfo=UTC)
    await store.jobs.add([NewJob(JobKind.DIGEST, {}, at, key=f"{key_prefix('leads-daily')}2026-11-30")], at)
    later = f"{key_prefix('leads_daily')}2026-12-01"
    assert not await store.digests.earlier_pending(later, key_prefix("leads_daily"))  # `_` is not a wildcard
    assert await store.digests.earlier_pending(f"{key_prefix('leads-daily')}2026-12-01", key_prefix("leads-daily"))
