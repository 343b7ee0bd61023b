"""Things happening at the same time in different places: a press on a ping before the worker has recorded it,
and two replicas updating one session message whose updates cross on the way to Slack."""

from __future__ import annotations

import asyncio

import pytest

from chatbot.adapters.slack.blocks import session_message
from chatbot.adapters.slack.refs import RunRef, decode
from tests.fakeslack import FakeSlack
from tests.slackapp import App, FakeClock, message_text, running_app
from tests.test_escalations import HERBERT, TIER2, WEDNESDAY_10AM, pings, walk_to_dashboard_check

CHANNEL = "C0SUPPORT"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


async def test_a_press_before_the_worker_recorded_the_ping_still_shows_on_it(slack, db_url):
    clock = FakeClock(WEDNESDAY_10AM)
    async with running_app(slack, db_url, clock=clock) as app:
        await walk_to_dashboard_check(app)
        await app.click("Escalate to a TS supervisor to check it")
        slack.delay("chat.postMessage", 1.0, times=1)  # the ping is in the channel; the worker hears a second later
        delivering = asyncio.create_task(app.runtime.worker.run_once())
        await slack.wait_for("chat.postMessage", count=2)
        [ping] = pings(slack, TIER2)
        await app.click_in(ping, "Acknowledge", user=HERBERT)  # pressed before the worker recorded the ping
        await delivering
        await app.runtime.worker.drain()
        shown = message_text(pings(slack, TIER2)[0])
        assert f"Acknowledged by <@{HERBERT}>" in shown and "Acknowledge" not in App.buttons(pings(slack, TIER2)[0])


async def test_updates_from_two_replicas_end_on_the_newest_state(slack, db_url):
    async with running_app(slack, db_url) as first, running_app(slack, db_url) as second:
        await first.start(channel=CHANNEL)
        session = first.session(CHANNEL)
        # The first replica's update reaches Slack late (held back a second), after the second replica's.
        slack.delay("chat.update", 1.0, times=1, effect_first=False)
        await first.click("Yes", message=session, settle=False)
        run_id = decode(RunRef, App.buttons(session)["Yes"]["value"]).run_id
        # Another agent answers the next step on the second replica (as the message would show it once updated).
        moved = await second.runtime.deps.triage.load(run_id)
        blocks = session_message(moved.view, run_id, moved.owner_id, second.runtime.config.groups).blocks
        await second.click("No", message={**session, "blocks": blocks}, settle=False)
        await asyncio.gather(first.settle(), second.settle())
        shown = first.session(CHANNEL)
        version = decode(RunRef, App.buttons(shown)["Restart"]["value"]).version
        assert version == 3, message_text(shown)
