"""Delivery keys (`processed_events`) are pruned once a day by the worker: keys older than a day go, newer ones stay,
and the day's prune runs once however many workers poll however often. Real app replicas, real workers, a fake
Slack and a clock the test moves; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from chatbot.domain.jobs import JobKind
from chatbot.storage.tables import jobs, processed_events
from tests.fakeslack import FakeSlack, event_body
from tests.slackapp import App, FakeClock, running_app

CHANNEL = "C0SUPPORT"
AGENT = "U0AGENT1"
WEDNESDAY_3PM = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


async def mention(app: App, slack: FakeSlack, event_id: str, *, retry: bool = False) -> dict[str, str]:
    """Slack delivers an app mention (or redelivers it); returns the response headers, lower-cased."""
    said = slack.inject_message(CHANNEL, "<@U0FAKEBOT> help", user=AGENT)
    event = {"type": "app_mention", "user": AGENT, "text": said["text"], "ts": said["ts"], "channel": CHANNEL}
    reply = await app.post(event_body(event, event_id=event_id), **({"retry_num": 1} if retry else {}))
    await app.settle()
    assert reply.status == 200
    return {k.lower(): v for k, v in reply.headers.items()}


async def event_keys(app: App) -> set[str]:
    async with app.runtime.store.engine.connect() as connection:
        rows = await connection.execute(select(processed_events.c.key))
        return {key for (key,) in rows if key.startswith("event:")}


async def prune_jobs(app: App) -> list[tuple[str, str, int]]:
    """(key, status, attempts) of every prune job, oldest first."""
    statement = (
        select(jobs.c.key, jobs.c.status, jobs.c.attempts).where(jobs.c.kind == JobKind.PRUNE.value).order_by(jobs.c.id)
    )
    async with app.runtime.store.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(statement)]


async def poll(replicas: list[App], clock: FakeClock, times: int) -> None:
    """Every replica's worker polls `times` times, all at once, a couple of minutes apart (a worker looks at the
    periodic schedules at most once a minute)."""
    for _ in range(times):
        await asyncio.gather(*(app.runtime.worker.drain() for app in replicas))
        clock.advance(minutes=2)


async def test_old_delivery_keys_are_pruned_once_a_day_and_recent_ones_kept(slack, db_url):
    clock = FakeClock(WEDNESDAY_3PM)
    async with (
        running_app(slack, db_url, clock=clock) as first,
        running_app(slack, db_url, clock=clock) as second,
    ):
        replicas = [first, second]
        await mention(first, slack, "Ev0OLDKEY1")  # claimed Wednesday 15:00
        await poll(replicas, clock, 3)

        clock.advance(hours=20)  # Thursday 11:00: the Wednesday key is 20 hours old, under a day
        await mention(second, slack, "Ev0NEWKEY1")
        await poll(replicas, clock, 3)
        assert await event_keys(first) == {"event:Ev0OLDKEY1", "event:Ev0NEWKEY1"}

        clock.advance(hours=14)  # Friday 01:00: the Wednesday key is 34 hours old, the Thursday one 14
        await poll(replicas, clock, 3)
        assert await event_keys(second) == {"event:Ev0NEWKEY1"}

        # One prune a day, each run once (one attempt), whichever of the two workers took it.
        assert await prune_jobs(first) == [
            ("prune:2026-11-25", "done", 1),
            ("prune:2026-11-26", "done", 1),
            ("prune:2026-11-27", "done", 1),
        ]
        # The kept key still stops a redelivery; the pruned one would be handled as new.
        assert (await mention(first, slack, "Ev0NEWKEY1", retry=True)).get("x-slack-no-retry") == "1"
        assert (await mention(first, slack, "Ev0OLDKEY1", retry=True)).get("x-slack-no-retry") is None
