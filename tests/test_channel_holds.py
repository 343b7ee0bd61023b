"""A session someone starts from a ping is posted in the group's channel before the pings queued there.

Slack takes about one post a second per channel; the worker (another process in production) posts the pings, `serve`
the session. The session's post holds the channel in the database until it is made, and the worker's posts there
wait meanwhile (adapters/slack/holds.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chatbot.adapters.slack.delivery import HELD
from chatbot.adapters.slack.holds import RECHECK_SECONDS
from chatbot.storage import Store
from tests.fakeslack import FakeSlack
from tests.slackapp import FakeClock, running_app
from tests.test_escalations import HERBERT, TIER2, WEDNESDAY_10AM, escalate_dashboard_check, pings

T0 = WEDNESDAY_10AM


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def test_a_hold_lasts_until_its_time_or_its_release_and_the_longer_of_two_stays(store: Store) -> None:
    holds = store.holds
    assert not await holds.held("C1", T0)
    first = T0 + timedelta(seconds=20)
    await holds.hold("C1", first)
    assert await holds.held("C1", T0) and await holds.held("C1", first - timedelta(seconds=1))
    assert not await holds.held("C1", first)  # its time is up: it holds nothing, released or not
    assert not await holds.held("C2", T0)  # one channel's hold is its own
    # A second poster holds the same channel longer: its hold stays when the first releases its own.
    later = T0 + timedelta(seconds=30)
    await holds.hold("C1", later)
    await holds.hold("C1", first)  # a shorter one does not cut it short
    await holds.release("C1", first)
    assert await holds.held("C1", first)
    await holds.release("C1", later)
    assert not await holds.held("C1", T0)


async def test_the_workers_ping_waits_while_the_groups_channel_is_held(slack: FakeSlack, db_url: str) -> None:
    clock = FakeClock(T0)
    async with running_app(slack, db_url, clock=clock) as app:
        until = clock() + timedelta(seconds=20)
        await app.runtime.store.holds.hold(TIER2, until)
        await escalate_dashboard_check(app)
        await app.runtime.worker.drain()
        assert pings(slack) == []  # nothing posted: the channel is someone else's turn
        [job] = [j for j in await app.runtime.store.jobs.list(status="pending") if j.kind == "ping"]
        assert job.last_error == HELD and (job.due_at - clock()).total_seconds() == RECHECK_SECONDS  # looks again soon
        await app.runtime.store.holds.release(TIER2, until)
        clock.advance(seconds=RECHECK_SECONDS)
        await app.runtime.worker.drain()
        assert len(pings(slack)) == 1


async def test_a_session_started_from_a_ping_holds_the_channel_while_it_is_posted(
    slack: FakeSlack, db_url: str
) -> None:
    clock = FakeClock(T0)
    async with running_app(slack, db_url, clock=clock) as app:
        await escalate_dashboard_check(app)
        await app.runtime.worker.drain()
        [ping] = pings(slack)
        holds = app.runtime.store.holds
        assert not await holds.held(TIER2, clock())
        slack.delay("chat.postMessage", 1.0, effect_first=False)  # Slack is slow to take posts
        reply = await app.click(
            "Start Clever Tier 2 escalations", user=HERBERT, message=ping, settle=False
        )  # the ack: the session is posted after it
        assert reply.status == 200
        for _ in range(100):  # the session is posted after the ack
            if await holds.held(TIER2, clock()):
                break
            await asyncio.sleep(0.01)
        assert await holds.held(TIER2, clock()) and len(pings(slack)) == 1  # held while Slack takes the post
        for _ in range(300):
            if len(pings(slack)) == 2:
                break
            await asyncio.sleep(0.01)
        session = pings(slack)[-1]
        assert "Clever Tier 2 escalations" in str(session["blocks"])
        for _ in range(100):  # released as soon as it is posted
            if not await holds.held(TIER2, clock()):
                break
            await asyncio.sleep(0.01)
        assert not await holds.held(TIER2, clock())
