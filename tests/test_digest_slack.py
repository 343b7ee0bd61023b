"""Scheduled digests end to end: the real app over HTTP, its worker, a real database and the fake Slack (which checks
the data_table and data_visualization blocks as Slack does). The app's clock is moved by the test.

The leads' digest fires on weekday mornings at 08:00 in New York, in #leads.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from chatbot.domain.jobs import JobKind
from tests.fakeslack import FakeSlack
from tests.helpers import ROOT
from tests.slackapp import App, FakeClock, example_config, running_app

LEADS_CHANNEL = "C00000LEAD"
TIER2 = "C00000CT2A"  # the clever-tier2 group's channel
AGENT, LEAD = "U0AGENT1", "U0LEAD01"
LEADS = {"id": "leads", "title": "Support leads: daily digest", "cron": "0 8 * * 1-5",
         "timezone": "America/New_York", "channel": LEADS_CHANNEL}  # fmt: skip
MONDAY_7AM = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 07:00 in New York
MONDAY_8AM = MONDAY_7AM + timedelta(hours=1)
ESCALATE = "Escalate to a TS supervisor to check it"
# Answers on the way to it (the playbook's other questions and forms are answered by walk_to_escalation).
ON_THE_WAY = ("Another Clever escalation", "Yes, approved, launched and live")
FORM_VALUES = {
    "ticket_id": "48213",
    "affected_user_ids": "5f1e",
    "school_name": "Lincoln High",
    "district_name": "Springfield",
    "school_clever_id": "0123456789abcdef01234567",
    "district_clever_id": "89abcdef0123456789abcdef",
}


def config(*digests: dict[str, Any]):  # type: ignore[no-untyped-def]
    return example_config(digests=list(digests or [LEADS]))


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


def digests(slack: FakeSlack, channel: str = LEADS_CHANNEL) -> list[dict[str, Any]]:
    """The digests posted in `channel`: messages headed with a digest's title."""
    first = [(m, m["blocks"][0]) for m in slack.messages[channel]]
    return [m for m, b in first if b["type"] == "header" and "digest" in b["text"]["text"].lower()]


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in message["blocks"] if b["type"] == kind]


def fields(message: dict[str, Any]) -> dict[str, str]:
    """The figures section: {label: value} as a lead reads them."""
    [section] = [b for b in message["blocks"] if b["type"] == "section" and "fields" in b]
    return dict(f["text"].replace("*", "").split("\n", 1) for f in section["fields"])


def table(message: dict[str, Any], caption_start: str) -> list[list[str]]:
    [found] = [b for b in blocks_of(message, "data_table") if b["caption"].startswith(caption_start)]
    return [[cell.get("text", "") for cell in row] for row in found["rows"]]


def deciding_step(app: App) -> tuple[str, str, str]:
    """The playbook's title and the id and label of the Clever Tier 2 step whose answer ESCALATE escalates."""
    pb = app.runtime.deps.triage.engine.catalog.get("clever-tier2")
    step = next(s for s in pb.spec.steps if any(c.label == ESCALATE for c in s.choices))
    return pb.spec.title, step.id, step.title or step.question or step.id


async def walk_to_escalation(app: App) -> None:
    """Start Clever Tier 2 and answer, as an agent clicks, up to the question whose answer ESCALATE escalates:
    the answers in ON_THE_WAY, and forms filled from FORM_VALUES (the first option of a select)."""
    await app.command("clever-tier2")
    for _ in range(10):
        buttons = App.buttons(app.session())
        if ESCALATE in buttons:
            return
        known = [label for label in ON_THE_WAY if label in buttons]
        if known:
            await app.click(known[0])
            continue
        assert "Fill in the form" in buttons, f"stuck at {list(buttons)}"
        await app.click("Fill in the form")
        values = {}
        for block in app.last_view()["blocks"]:
            if block.get("type") == "input":
                options = block["element"].get("options")
                values[block["block_id"]] = options[0]["value"] if options else FORM_VALUES.get(block["block_id"], "x")
        assert (await app.submit(values)).text == ""
    raise AssertionError("never reached the escalation")


def escalation_target(app: App) -> tuple[str, str, str]:
    """Where the escalation ESCALATE raises is pinged, and who of its group's first tier takes it (user id, name)."""
    pb = app.runtime.deps.triage.engine.catalog.get("clever-tier2")
    _title, step_id, _label = deciding_step(app)
    choice = next(c for c in pb.steps[step_id].choices if c.label == ESCALATE)
    outcome = pb.steps[choice.next].outcome
    assert outcome is not None and outcome.group is not None
    group = app.runtime.config.groups[outcome.group]
    person = app.runtime.config.people[group.tiers[0][0]]
    assert group.channel is not None and person.slack_user is not None
    return group.channel, person.slack_user, person.name


async def press_on_ping(app: App, label: str) -> str:
    """A member of the escalation's group presses `label` on its ping (and fills in the form it opens, if it opens
    one); returns the member's name."""
    channel, user, name = escalation_target(app)
    ping = [m for m in app.slack.messages[channel] if not m.get("thread_ts") or m["thread_ts"] == m["ts"]][-1]
    forms = len(app.slack.calls_to("views.open"))
    await app.click_in(ping, label, user=user)
    if len(app.slack.calls_to("views.open")) > forms:
        inputs = [b["block_id"] for b in app.last_view()["blocks"] if b.get("type") == "input"]
        assert (await app.submit(dict.fromkeys(inputs, "Checked Clever's dashboard"), user=user)).text == ""
    await app.runtime.worker.drain()
    return name


async def escalate_and_acknowledge(app: App, clock: FakeClock, after: timedelta) -> str:
    """An agent walks Clever Tier 2 to the dashboard check and escalates; a supervisor acknowledges `after` later
    (returned: their name)."""
    await walk_to_escalation(app)
    await app.click(ESCALATE)
    await app.runtime.worker.drain()
    clock.now += after
    return await press_on_ping(app, "Acknowledge")


async def test_the_weekday_digest_is_posted_once_with_figures_chart_and_sources(slack, db_url):
    clock = FakeClock(MONDAY_7AM)
    async with running_app(slack, db_url, config(), clock=clock) as app:
        supervisor = await escalate_and_acknowledge(app, clock, timedelta(minutes=7))
        clock.now = MONDAY_8AM - timedelta(seconds=30)
        await app.runtime.worker.drain()
        assert digests(slack) == []  # not yet
        clock.now = MONDAY_8AM + timedelta(seconds=30)
        await app.runtime.worker.drain()
        [digest] = digests(slack)
        assert digest["blocks"][0]["text"]["text"] == "Support leads: daily digest"
        assert "Fri 20 Nov 08:00 → Mon 23 Nov 08:00 (America/New_York)" in digest["blocks"][1]["elements"][0]["text"]
        figures = fields(digest)
        assert figures["Escalations raised"] == "1 (+1)"
        assert figures["Acknowledged"] == "1 (+1)"
        assert figures["Time to acknowledge, median"] == "7 min"  # nothing to compare with the period before
        assert figures["Still open at the end"] == "1 (+1)" and figures["Runs ended"] == "1 (+1)"
        [volume, outcomes] = blocks_of(digest, "data_visualization")
        assert volume["chart"]["type"] == "bar" and volume["chart"]["axis_config"]["categories"][-1] == "Mon 23"
        assert volume["chart"]["series"][1]["data"][-1] == {"label": "Mon 23", "value": 1}
        assert outcomes["chart"]["segments"] == [{"label": "Escalated", "value": 1}]
        title, _step, label = deciding_step(app)
        assert table(digest, "Where escalations come from")[1] == [title, label, ESCALATE, "1", "+1"]
        assert supervisor in json.dumps(digest["blocks"])  # who has the open escalation, by name, no mention
        assert f"<@{escalation_target(app)[1]}>" not in json.dumps(digest["blocks"])

        for minutes in (1, 2, 30):  # later polls offer the same period again: the key keeps it once
            clock.now = MONDAY_8AM + timedelta(minutes=minutes)
            await app.runtime.worker.drain()
        assert len(digests(slack)) == 1
        [job] = [j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert job.status == "done" and job.key == "digest:leads:20261120T1300Z-20261123T1300Z"
        assert job.payload["late"] is False


async def test_two_workers_on_one_database_post_each_digest_once(slack, db_url):
    clock = FakeClock(MONDAY_7AM)
    async with running_app(slack, db_url, config(), clock=clock) as a, \
            running_app(slack, db_url, config(), clock=clock) as b:  # fmt: skip
        for day in range(3):  # Monday, Tuesday and Wednesday mornings
            clock.now = MONDAY_8AM + timedelta(days=day, seconds=20)
            # Two drains per worker at once: each offers the morning's digest, and all four claim what is due.
            await asyncio.gather(*(w.runtime.worker.drain() for w in (a, b, a, b)))
            assert len(digests(slack)) == day + 1
        posted = digests(slack)
        assert len(posted) == 3
        assert len({m["blocks"][0]["block_id"] for m in posted}) == 3
        keys = [j.key for j in await a.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert len(keys) == len(set(keys)) == 3


async def test_digests_missed_while_down_are_posted_late_once_and_new_schedules_owe_nothing(slack, db_url):
    clock = FakeClock(datetime(2026, 10, 30, 11, 0, tzinfo=UTC))  # Friday 07:00 EDT: the schedule is first seen
    async with running_app(slack, db_url, config(), clock=clock) as app:
        await app.runtime.worker.drain()
        assert digests(slack) == []
    clock.now = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # down until Tuesday 10:00 EST, across the DST change
    weekly = {"id": "weekly", "cron": "0 9 * * 1", "timezone": "America/New_York", "channel": "C00000WEEK"}
    async with running_app(slack, db_url, config(LEADS, weekly), clock=clock) as app:
        for _ in range(4):  # one after the other, the oldest first
            await app.runtime.worker.drain()
            clock.advance(seconds=1)
        posted = digests(slack)
        assert len(posted) == 3  # Friday, Monday and Tuesday mornings, none skipped
        assert all("Posted late" in json.dumps(m["blocks"]) for m in posted)
        periods = [m["blocks"][1]["elements"][0]["text"].split(" (")[0] for m in posted]
        assert periods == [
            "Thu 29 Oct 08:00 → Fri 30 Oct 08:00",
            "Fri 30 Oct 08:00 → Mon 2 Nov 08:00",
            "Mon 2 Nov 08:00 → Tue 3 Nov 08:00",
        ]
        assert slack.messages["C00000WEEK"] == []  # Monday 09:00 fell due before this schedule was first seen
    async with running_app(slack, db_url, config(LEADS, weekly), clock=clock) as again:  # another restart
        await again.runtime.worker.drain()
        assert len(digests(slack)) == 3


async def test_the_schedule_fires_at_local_eight_across_the_dst_change(slack, db_url):
    clock = FakeClock(datetime(2026, 10, 30, 11, 0, tzinfo=UTC))  # Friday 07:00 EDT
    async with running_app(slack, db_url, config(), clock=clock) as app:
        for now, expected in [
            (datetime(2026, 10, 30, 12, 1, tzinfo=UTC), 1),  # Friday 08:01 EDT
            (datetime(2026, 11, 2, 12, 30, tzinfo=UTC), 1),  # Monday 07:30 EST: 12:00 UTC is not 08:00 any more
            (datetime(2026, 11, 2, 13, 1, tzinfo=UTC), 2),  # Monday 08:01 EST
        ]:
            clock.now = now
            await app.runtime.worker.drain()
            assert len(digests(slack)) == expected
        assert not any("Posted late" in json.dumps(m["blocks"]) for m in digests(slack))


async def test_a_workspace_without_charts_and_tables_gets_the_same_figures_in_sections(slack, db_url):
    clock = FakeClock(MONDAY_7AM)
    slack.refuse_block_types("data_visualization", "data_table")
    async with running_app(slack, db_url, config(), clock=clock) as app:
        await escalate_and_acknowledge(app, clock, timedelta(minutes=7))
        clock.now = MONDAY_8AM + timedelta(seconds=30)
        await app.runtime.worker.drain()
        [digest] = digests(slack)
        kinds = {b["type"] for b in digest["blocks"]}
        assert kinds <= {"header", "context", "section"}
        assert fields(digest)["Escalations raised"] == "1 (+1)"
        text = json.dumps(digest["blocks"], ensure_ascii=False)
        assert f"{deciding_step(app)[2]} → _{ESCALATE}_: 1 (+1)" in text
        refused = [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == LEADS_CHANNEL]
        assert [c.response["ok"] for c in refused] == [False, True]
        assert refused[0].response["error"] == "invalid_blocks"
        [job] = [j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert job.status == "done"


async def test_a_digest_waits_for_the_pings_queued_in_its_channel(slack, db_url):
    clock = FakeClock(MONDAY_8AM - timedelta(minutes=1))
    shared = {**LEADS, "channel": TIER2}  # the leads read the Tier 2 channel
    async with running_app(slack, db_url, config(shared), clock=clock) as app:
        slack.fail_next("chat.postMessage", status=429, retry_after=70)  # Slack's per-channel limit
        for i in range(2):  # the first ping meets it (the channel is quiet until 08:00:10), the second waits its turn
            await app.runtime.deps.escalations.manual(
                group_id="clever-tier2", summary=f"case {i}", priority="high", reference=str(i), actor=AGENT,
                channel=None,
            )  # fmt: skip
            await app.runtime.worker.drain()
        clock.now = MONDAY_8AM + timedelta(seconds=1)
        await app.runtime.worker.drain()
        [digest_job] = [j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert digest_job.status == "pending" and digest_job.last_error.startswith("pings first")
        assert slack.messages[TIER2] == []
        clock.now = MONDAY_8AM + timedelta(seconds=10)
        await app.runtime.worker.drain()
        assert len(slack.messages[TIER2]) == 2 and digests(slack, TIER2) == []  # the pings went first
        clock.now = MONDAY_8AM + timedelta(seconds=12)
        await app.runtime.worker.drain()
        assert len(slack.messages[TIER2]) == 3 and digests(slack, TIER2) == [slack.messages[TIER2][-1]]


async def test_slash_digest_and_the_command_line_show_the_same_figures(slack, db_url, tmp_path):
    clock = FakeClock(MONDAY_7AM)
    async with running_app(slack, db_url, config(), clock=clock) as app:
        await escalate_and_acknowledge(app, clock, timedelta(minutes=7))
        clock.now = MONDAY_8AM + timedelta(seconds=30)
        reply = await app.command("today", user=LEAD, channel=LEADS_CHANNEL, command="/digest")
        assert reply.body["response_type"] == "ephemeral" and "Mon 23 Nov 00:00" in reply.body["text"]
        [shown] = slack.ephemerals[LEAD]
        assert digests(slack) == []  # only the lead sees it; nothing is posted in the channel
        slack_figures = fields(shown)

        refused = await app.command("fortnight", user=LEAD, channel=LEADS_CHANNEL, command="/digest")
        assert "I do not know the period 'fortnight'" in refused.body["text"]

        config_file = tmp_path / "config.yaml"
        config_file.write_text(yaml.safe_dump(config().model_dump(mode="json")))
        printed = await _cli(db_url, config_file, "--since", "today", "--until", "2026-11-23T08:00:30", "--format",
                             "json")  # fmt: skip
        assert printed.returncode == 2 and "--until goes with --since DATE" in printed.stderr
        printed = await _cli(db_url, config_file, "--since", "2026-11-23", "--until", "2026-11-23T08:00:30",
                             "--format", "json")  # fmt: skip
        assert printed.returncode == 0, printed.stderr
        cli = json.loads(printed.stdout)
        assert cli["period"]["start"] == "2026-11-23T05:00:00+00:00"  # New York midnight, as /digest today
        assert (cli["raised"]["now"], cli["acknowledged"]["now"], cli["ack_median"]["now"]) == (1, 1, 420.0)
        assert slack_figures["Escalations raised"] == "1 (+1)" and slack_figures["Acknowledged"] == "1 (+1)"
        assert slack_figures["Time to acknowledge, median"] == "7 min"
        assert cli["sources"][0]["answer"] == ESCALATE and cli["sources"][0]["step"] == deciding_step(app)[1]
        assert table(shown, "Where escalations come from")[1][2] == ESCALATE

        text = await _cli(db_url, config_file, "--since", "2026-11-23", "--until", "2026-11-23T08:00:30")
        assert "Escalations raised             1 (+1)" in text.stdout
        assert "Time to acknowledge, median    7 min" in text.stdout


async def test_slash_digest_falls_back_to_sections_when_slack_refuses_the_blocks(slack, db_url):
    clock = FakeClock(MONDAY_8AM)
    slack.refuse_block_types("data_table", "data_visualization")
    async with running_app(slack, db_url, config(), clock=clock) as app:
        await app.command("week", user=LEAD, channel=LEADS_CHANNEL, command="/digest")
        assert [r.outcome for r in slack.responses] == ["invalid_blocks", "posted_ephemeral"]
        [shown] = slack.ephemerals[LEAD]
        assert {b["type"] for b in shown["blocks"]} <= {"header", "context", "section"}
        assert "Escalations raised" in fields(shown)


async def _cli(db_url: str, config_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "chatbot", "--config", str(config_file), "digest", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


async def test_a_digest_whose_answer_was_lost_is_looked_for_not_posted_again(slack, db_url):
    clock = FakeClock(MONDAY_8AM - timedelta(minutes=1))
    async with running_app(slack, db_url, config(), clock=clock, worker_timeout=1) as app:
        await app.runtime.worker.drain()
        slack.delay("chat.postMessage", 2.5, times=1)  # posted at once, answered too late
        clock.now = MONDAY_8AM + timedelta(seconds=1)
        await app.runtime.worker.drain()
        assert len(digests(slack)) == 1  # Slack has it; the worker does not know
        clock.advance(seconds=10)
        await asyncio.sleep(5.2)  # the fake answers the late request; the attempt's window closes (lookup.py)
        await app.runtime.worker.drain()
        assert len(digests(slack)) == 1
        assert len(slack.calls_to("conversations.history")) == 1  # it looked, and found it
        [job] = [j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert job.status == "done"


async def test_slash_digest_is_for_who_may_see_cases_and_shows_nothing_to_others(slack, db_url):
    """The digest names escalations: `/digest` is answered as `/case NUMBER` is, to whoever may start playbooks
    there (here: the lead, by `access.users`) or a Tier 2 member anywhere, and to no one else."""
    clock = FakeClock(MONDAY_8AM)
    access = {"users": [LEAD]}
    app_config = example_config(digests=[LEADS], access=access)
    tier2_member = app_config.people["herbert-mena"].slack_user
    async with running_app(slack, db_url, app_config, clock=clock) as app:
        refused = await app.command("today", user=AGENT, channel=LEADS_CHANNEL, command="/digest")
        assert "not set up to see the leads' digest" in refused.body["text"]
        await app.settle()
        assert slack.ephemerals.get(AGENT, []) == [] and slack.responses == []  # nothing counted, nothing sent
        helped = await app.command("help", user=AGENT, channel=LEADS_CHANNEL, command="/digest")
        assert "shows the leads' digest to you alone" in helped.body["text"]  # what it is, not the figures

        for who, where in ((LEAD, LEADS_CHANNEL), (tier2_member, TIER2)):
            shown = await app.command("today", user=who, channel=where, command="/digest")
            assert shown.body["response_type"] == "ephemeral" and "Counting" in shown.body["text"]
            await app.settle()
            [digest] = slack.ephemerals[who]
            assert "Escalations raised" in fields(digest)
