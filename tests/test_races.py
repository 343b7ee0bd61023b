"""Things happening at the same time in different places: a press on a ping before the worker has recorded it,
and two replicas updating one session message whose updates cross on the way to Slack."""

from __future__ import annotations

import asyncio
import copy

import pytest

from chatbot.adapters.slack.blocks import session_message
from chatbot.adapters.slack.refs import RunRef, decode
from tests.fakeslack import FakeSlack
from tests.slackapp import App, FakeClock, message_text, running_app
from tests.test_escalations import HERBERT, JULIAN, TIER2, TINA, WEDNESDAY_10AM, pings, walk_to_dashboard_check

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


async def test_a_replica_that_knows_an_escalation_from_before_another_moved_it_on_acts_on_it_as_it_now_is(
    slack, db_url
):
    """The replica that raised the escalation knows it as it wrote it (and takes a press at that version without
    reading it); another replica's claim moves it on: the old ping's buttons are refused there, the new ones work."""
    clock = FakeClock(WEDNESDAY_10AM)
    async with running_app(slack, db_url, clock=clock) as first, running_app(slack, db_url, clock=clock) as second:
        await walk_to_dashboard_check(first)
        await first.click("Escalate to a TS supervisor to check it")
        await first.runtime.worker.drain()
        old = copy.deepcopy(pings(slack, TIER2)[0])  # the ping as posted, before the claim updates it
        await second.click_in(old, "Claim", user=JULIAN)
        await second.runtime.worker.drain()
        await first.click_in(old, "Acknowledge", user=HERBERT)  # from before the claim: refused on the first too
        run_id = decode(RunRef, App.buttons(first.session())["Restart"]["value"]).run_id
        [esc] = await first.runtime.store.escalations.for_run(run_id)
        assert (esc.status.value, esc.handled_by, esc.version) == ("claimed", JULIAN, 1)
        await first.click_in(pings(slack, TIER2)[0], "Resolve", user=TINA)  # the ping as the claim left it
        await first.submit({"found": "The school was missing from the district"}, view=first.last_view(), user=TINA)
        [esc] = await first.runtime.store.escalations.for_run(run_id)
        assert (esc.status.value, esc.handled_by, esc.version) == ("resolved", TINA, 2)
        actions = [e.action for e in await first.runtime.store.audit(run_id)]
        assert [a for a in actions if a.startswith("escalation.")] == ["escalation.claim", "escalation.resolve"]


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


async def test_a_press_read_before_the_post_was_recorded_and_saved_after_it_still_updates_the_ping(db_url):
    """The press read the escalation with no post, the worker then recorded the post (the escalation unchanged, so
    it queued no update), then the press was saved: the press's own write finds the post and queues the update."""
    from dataclasses import replace
    from datetime import timedelta

    from chatbot.domain.escalation import (
        EscalationAction,
        EscalationKind,
        Handoff,
        NewEscalation,
        PostRef,
        Priority,
        Surface,
    )
    from chatbot.domain.escalation_policy import Change, act
    from chatbot.domain.jobs import JobKind, NewJob
    from chatbot.storage import Store, create_engine, upgrade

    await upgrade(db_url)
    store = Store(create_engine(db_url))
    now = WEDNESDAY_10AM
    try:
        new = NewEscalation("e" * 32, EscalationKind.MANUAL, "ts-supervisors", Priority.NORMAL, "s", Handoff("s"), "U1")
        await store.raise_escalation(new, [NewJob(JobKind.PING, {"surface": "slack"}, now, new.id)], actor="U1", at=now)
        stale = await store.escalations.get(new.id)
        assert stale is not None and stale.posts == {}
        [job] = await store.jobs.claim("worker-1", now, limit=1, lease=timedelta(minutes=1))
        post = PostRef(Surface.SLACK, TIER2, "1700000000.000100")
        write = store.escalations.job_write(stale, Change(post=post, tier=0))
        assert await store.jobs.finish(job.id, "worker-1", now, writes=[write])
        assert [j.kind for j in await store.jobs.list(status="pending")] == []  # nothing changed: no update yet
        pressed = act(stale, EscalationAction.ACKNOWLEDGE, actor=HERBERT, reason=None, now=now, surfaces=[post.surface])
        now_is = await store.escalations.apply(stale, pressed, actor=HERBERT, at=now)
        # The press is told the escalation as its change left it: what the database holds, but for what the worker
        # wrote without a version since the press read it (the post and tier; the ping update the press queued for
        # the group's surface reads them when it runs).
        stored = await store.escalations.get(new.id)
        assert now_is is not None and stored is not None and now_is == replace(stored, posts={}, tier=stale.tier)
        assert (now_is.version, now_is.status.value) == (stale.version + 1, "acknowledged")
        assert await store.escalations.apply(stale, pressed, actor=HERBERT, at=now) is None  # stale: nothing written
        pending = await store.jobs.list(escalation_id=new.id, status="pending")
        assert [(j.kind, j.payload["surface"]) for j in pending if j.kind == JobKind.PING_UPDATE] == [
            (JobKind.PING_UPDATE, "slack")
        ]
    finally:
        await store.close()
