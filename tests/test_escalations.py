"""Escalation pings end to end: availability, fallback, re-escalation, the supervisors' buttons, faults, workers.

Requests go to the app over HTTP like Slack sends them; pings come out on the fake Slack; the app's clock is
moved by the test so timers fire when the test says so.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime

import pytest

from chatbot.domain.escalation import Surface
from chatbot.manifest import BOT_SCOPES
from tests.fakeslack import FakeSlack
from tests.slackapp import App, FakeClock, example_config, message_text, running_app

AGENT = "U0AGENT1"
HERBERT, EDISON, JULIAN, TINA = "U00000HM01", "U00000EG02", "U00000JM03", "U00000TD04"
TIER2 = "C00000TSUP"  # the TS Supervisor group's channel: Clever Tier 2's step 2 escalates there
# A Wednesday, 10:00 in New York: inside the TS Supervisor group's 08:00-18:00.
WEDNESDAY_10AM = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
CASE_BUTTONS = {"Start Clever Tier 2 escalations", "Record work", "Status update reply"}  # Tier II's work on the case
TICKET = {"ticket_id": "48213", "requester": "Teacher"}
DETAILS = {
    "affected": "Teacher",
    "teacher_user_id": "5f1e<!here>",
    "school_name": "Lincoln High",
    "district_name": "Springfield",
    "school_clever_id": "0123456789abcdef01234567",
    "district_clever_id": "89abcdef0123456789abcdef",
}


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock():
    return FakeClock(WEDNESDAY_10AM)


@pytest.fixture
async def app(slack, db_url, clock):
    async with running_app(slack, db_url, clock=clock) as running:
        yield running


async def walk_to_dashboard_check(app: App) -> None:
    """Walk the Clever Tier 2 playbook up to the question whose answer escalates, as an agent clicks it."""
    await app.command("clever-tier2 48213")
    await app.click("Fill in the form")
    assert (await app.submit(TICKET)).text == ""
    await app.click("Another Clever escalation")
    await app.click("Yes, approved, launched and live")
    await app.click("Fill in the form")
    reply = await app.submit(DETAILS)
    assert reply.text == "", reply.body


async def escalate_dashboard_check(app: App) -> None:
    """...and click "Escalate to a TS supervisor to check it"."""
    await walk_to_dashboard_check(app)
    await app.click("Escalate to a TS supervisor to check it")


def pings(slack: FakeSlack, channel: str = TIER2) -> list[dict]:
    return [m for m in slack.messages[channel] if not m.get("thread_ts") or m.get("thread_ts") == m.get("ts")]


def thread(slack: FakeSlack, channel: str = TIER2) -> list[dict]:
    return [m for m in slack.messages[channel] if m.get("thread_ts") and m.get("thread_ts") != m.get("ts")]


async def away(app: App, user: str, until: str = "") -> None:
    reply = await app.command(f"away {until}".strip(), user=user, command="/oncall")
    assert "You are marked away" in reply.body["text"], reply.body


async def test_escalation_pings_the_first_tier_with_the_full_handoff(app, slack):
    await escalate_dashboard_check(app)
    assert await app.runtime.worker.drain() >= 1
    [ping] = pings(slack)
    text = message_text(ping)
    assert f"<@{HERBERT}> <@{EDISON}> (tier 1 of 3)" in text
    assert f"<@{JULIAN}>" not in text and f"<@{TINA}>" not in text
    assert "Escalation to TS Supervisor group" in text and "priority *normal*" in text
    assert "Lincoln High" in text and "48213" in text and "0123456789abcdef01234567" in text
    assert "5f1e&lt;!here&gt;" in text and "<!here>" not in text  # typed text never pings anyone
    assert "Path taken" in text and "Is the district" in text
    assert "Internal note" in text and "Open the agent's session" in text
    assert set(App.buttons(ping)) == {"Acknowledge", "Claim", "Return to Tier 1", "Resolve"} | CASE_BUTTONS
    session = message_text(app.session())
    assert "Escalation to TS Supervisor group" in session and "pinged tier 1 of 3" in session


async def test_fallback_when_the_first_tier_is_away_then_everyone_but_the_last(app, slack):
    await away(app, HERBERT)
    await away(app, EDISON, "2h")
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    text = message_text(pings(slack)[-1])
    assert f"<@{JULIAN}> (tier 2 of 3)" in text and f"<@{HERBERT}>" not in text

    await away(app, JULIAN, "17:00")
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    text = message_text(pings(slack)[-1])
    assert f"<@{TINA}> (tier 3 of 3)" in text and f"<@{JULIAN}>" not in text


async def test_nobody_available_pings_the_whole_group_with_a_warning(app, slack):
    for user in (HERBERT, EDISON, JULIAN, TINA):
        await away(app, user)
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    text = message_text(pings(slack)[-1])
    assert all(f"<@{u}>" in text for u in (HERBERT, EDISON, JULIAN, TINA))
    assert "Nobody in this group is available right now" in text and "(the whole group)" in text
    assert not [j for j in await app.runtime.store.jobs.list(status="pending") if j.kind == "reescalate"]


async def test_back_makes_someone_available_again(app, slack):
    await away(app, HERBERT)
    reply = await app.command("back", user=HERBERT, command="/oncall")
    assert "Welcome back" in reply.body["text"]
    again = await app.command("back", user=HERBERT, command="/oncall")
    assert again.body["text"] == "You were not marked away."
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    assert f"<@{HERBERT}> <@{EDISON}>" in message_text(pings(slack)[-1])


async def test_away_until_a_time_ends_by_itself(app, slack, clock):
    await away(app, HERBERT, "1h")
    await away(app, EDISON, "1h")
    clock.advance(hours=1, minutes=1)
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    assert f"<@{HERBERT}> <@{EDISON}> (tier 1 of 3)" in message_text(pings(slack)[-1])


async def test_off_hours_count_as_unavailable(slack, db_url):
    night = FakeClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # 03:00 in New York
    config = example_config()
    data = config.model_dump()
    data["people"]["tina-desprez"]["working"] = {"timezone": "Europe/Paris", "hours": "08:00-17:00"}  # 09:00 there
    async with running_app(slack, db_url, type(config).model_validate(data), clock=night) as app:
        await escalate_dashboard_check(app)
        await app.runtime.worker.drain()
        text = message_text(pings(slack)[-1])
        assert f"<@{TINA}> (tier 3 of 3)" in text and f"<@{HERBERT}>" not in text


async def test_unacknowledged_ping_re_escalates_on_time_tier_by_tier(app, slack, clock):
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    clock.advance(minutes=14)
    await app.runtime.worker.drain()
    assert thread(slack) == []  # not yet: the group's timeout is 15 minutes
    clock.advance(minutes=1)
    await app.runtime.worker.drain()
    assert len(thread(slack)) == 1 and f"<@{JULIAN}> (tier 2 of 3)" in message_text(thread(slack)[-1])
    assert thread(slack)[-1]["thread_ts"] == pings(slack)[0]["ts"]
    clock.advance(minutes=15)
    await app.runtime.worker.drain()
    assert f"<@{TINA}> (tier 3 of 3)" in message_text(thread(slack)[-1])
    clock.advance(minutes=15)
    await app.runtime.worker.drain()
    last = message_text(thread(slack)[-1])
    assert "(the whole group)" in last and "Nobody answered in time" in last
    clock.advance(hours=2)
    await app.runtime.worker.drain()
    assert len(thread(slack)) == 3  # after the whole group, no more pings
    assert "pinged the whole group" in message_text(pings(slack)[0])


async def test_high_priority_uses_the_shorter_timeout(app, slack, clock):
    await app.command("sse-integration 48213")  # the ticket form is passed: its only field came with the command
    await app.click("Fill in the form")
    view = app.last_view()
    values = {}
    for block in view["blocks"]:
        if block.get("type") == "input":
            element = block["element"]
            values[block["block_id"]] = element["options"][0]["value"] if element.get("options") else "everyone"
    assert (await app.submit(values)).text == ""
    await app.click("No, it needs escalation")
    await app.click("Login")
    await app.click("No one on campus can log in")
    assert "priority *high*" in message_text(app.session())
    await app.runtime.worker.drain()
    channel = "C00000SSE1"
    assert len(pings(slack, channel)) == 1
    clock.advance(minutes=10)  # sse-client-services: 30 minutes normally, 10 for high priority
    await app.runtime.worker.drain()
    assert len(thread(slack, channel)) == 1


async def test_acknowledge_stops_re_escalation_and_tells_the_agent(app, slack, clock):
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    ping = pings(slack)[0]
    reply = await app.click_in(ping, "Acknowledge", user=EDISON)
    assert reply.status == 200
    await app.runtime.worker.drain()
    ping = pings(slack)[0]
    assert f"Acknowledged by <@{EDISON}>" in message_text(ping)
    assert "Acknowledge" not in App.buttons(ping) and "Claim" in App.buttons(ping)
    notices = thread(slack, "C0SUPPORT")
    assert len(notices) == 1 and f"<@{AGENT}> your escalation" in message_text(notices[0])
    assert "*acknowledged* by" in message_text(notices[0])
    assert f"Acknowledged by <@{EDISON}>" in message_text(app.session())
    clock.advance(hours=3)
    await app.runtime.worker.drain()
    assert thread(slack) == []


async def test_claim_return_with_reason_and_resolve(app, slack):
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    await app.click_in(pings(slack)[0], "Claim", user=JULIAN)
    await app.runtime.worker.drain()
    assert f"Claimed by <@{JULIAN}>" in message_text(pings(slack)[0])
    await app.click_in(pings(slack)[0], "Return to Tier 1", user=JULIAN)
    modal = app.last_view()
    assert modal["callback_id"] == "esc.return.submit"
    empty = await app.submit({"reason": ""}, view=modal, user=JULIAN)
    assert empty.body["response_action"] == "errors"
    await app.submit({"reason": "Clever IDs are swapped <@U0EVERY>"}, view=modal, user=JULIAN)
    await app.runtime.worker.drain()
    ping = pings(slack)[0]
    assert "Returned to Tier 1" in message_text(ping) and App.buttons(ping) == {}
    last_notice = message_text(thread(slack, "C0SUPPORT")[-1])
    assert "returned to Tier 1" in last_notice and "Clever IDs are swapped &lt;@U0EVERY&gt;" in last_notice
    esc = (await app.runtime.store.escalations.for_run(_run_id(app)))[-1]
    assert esc.status == "returned" and esc.note == "Clever IDs are swapped <@U0EVERY>"
    actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
    assert actions[-2:] == ["escalation.claim", "escalation.return"]


async def test_only_group_members_may_press_the_buttons(app, slack):
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    ping = copy.deepcopy(pings(slack)[0])
    await app.click_in(ping, "Resolve", user="U0STRANGER")
    assert "Only members of TS Supervisor group can do that." in json.dumps(slack.responses[-1].body)
    esc = (await app.runtime.store.escalations.for_run(_run_id(app)))[-1]
    assert esc.status == "open"
    await app.click_in(ping, "Resolve", user=TINA)
    await app.submit({"found": "The school was missing from the district"}, view=app.last_view(), user=TINA)
    await app.click_in(ping, "Acknowledge", user=HERBERT)  # an outdated message: refused, not applied
    esc = (await app.runtime.store.escalations.for_run(_run_id(app)))[-1]
    assert esc.status == "resolved" and esc.handled_by == TINA


async def test_rate_limited_ping_waits_for_retry_after_and_is_posted_once(app, slack, clock):
    await walk_to_dashboard_check(app)
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    await app.click("Escalate to a TS supervisor to check it")
    await app.runtime.worker.drain()
    assert pings(slack) == []
    [job] = [j for j in await app.runtime.store.jobs.list(status="pending") if j.kind == "ping"]
    assert (job.due_at - clock()).total_seconds() == 30 and job.last_error == "rate limited"
    clock.advance(seconds=30)
    await app.runtime.worker.drain()
    assert len(pings(slack)) == 1
    assert slack.calls_to("conversations.history") == []  # a 429 means nothing was posted: no need to look


async def test_server_errors_back_off_then_deliver(app, slack, clock):
    await walk_to_dashboard_check(app)
    slack.fail_next("chat.postMessage", status=500, retry_after=None, times=2)
    await app.click("Escalate to a TS supervisor to check it")
    await app.runtime.worker.drain()
    clock.advance(seconds=1)
    await app.runtime.worker.drain()
    assert pings(slack) == []
    clock.advance(seconds=2)
    await app.runtime.worker.drain()
    assert len(pings(slack)) == 1
    assert 'chatbot_jobs_total{kind="ping",result="retry"} 2.0' in app.runtime.metrics.render().decode()


async def test_a_ping_that_cannot_be_posted_tells_the_agent(app, slack):
    await walk_to_dashboard_check(app)
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    await app.click("Escalate to a TS supervisor to check it")
    await app.runtime.worker.drain()
    assert pings(slack) == []
    [notice] = thread(slack, "C0SUPPORT")
    text = message_text(notice)
    assert f"<@{AGENT}> your escalation to *TS Supervisor group* could not be posted in <#{TIER2}>" in text
    assert ": Slack said channel_not_found." in text and "Nobody in that group has been told" in text
    jobs = {job.kind: job for job in await app.runtime.store.jobs.list()}
    assert jobs["ping"].status == "failed" and jobs["ping"].last_error == "Slack said channel_not_found"
    assert jobs["undeliverable"].status == "done"
    assert 'chatbot_jobs_total{kind="ping",result="failed"} 1.0' in app.runtime.metrics.render().decode()


async def test_a_reminder_that_cannot_be_posted_tells_the_agent_too(app, slack, clock):
    await escalate_dashboard_check(app)
    await app.runtime.worker.drain()
    assert len(pings(slack)) == 1
    slack.fail_next("chat.postMessage", status=200, error="not_in_channel")  # the app was removed from #tier2
    clock.advance(minutes=15)
    await app.runtime.worker.drain()
    assert thread(slack) == []
    [notice] = thread(slack, "C0SUPPORT")
    assert "was posted, but a reminder to the next people in line could not be" in message_text(notice)
    clock.advance(hours=3)
    await app.runtime.worker.drain()
    assert thread(slack) == [] and len(thread(slack, "C0SUPPORT")) == 1  # no more timers, no more notices


async def test_timed_out_ping_is_not_posted_twice(slack, db_url, clock):
    async with running_app(slack, db_url, clock=clock, worker_timeout=1) as app:
        await walk_to_dashboard_check(app)
        slack.delay("chat.postMessage", 2.5, times=1)  # posted at once, answered too late
        await app.click("Escalate to a TS supervisor to check it")
        await app.runtime.worker.drain()
        assert len(pings(slack)) == 1  # Slack has it; the worker does not know
        clock.advance(seconds=10)
        await asyncio.sleep(5.2)  # the fake answers the late request; the attempt's window closes (lookup.py)
        await app.runtime.worker.drain()
        assert len(pings(slack)) == 1
        assert [c.method for c in slack.calls].count("conversations.history") == 1
        esc = (await app.runtime.store.escalations.for_run(_run_id(app)))[-1]
        assert esc.posts[Surface.SLACK].message_id == pings(slack)[0]["ts"]


async def test_a_ping_that_may_have_been_posted_is_never_said_to_be_unposted(db_url, clock):
    """Posted, but its answer never came, and the look-up cannot tell (no history scope): after the worker's last
    attempt the agent hears that it may not have been posted, never that nobody was told."""
    slack = FakeSlack(scopes=set(BOT_SCOPES) - {"channels:history"})
    # A look-up every 0.1 s of real time rather than one a minute, so the worker's attempts run out in the test.
    async with slack, running_app(slack, db_url, clock=clock, worker_timeout=1, slack_history_per_minute=600) as app:
        await walk_to_dashboard_check(app)
        slack.delay("chat.postMessage", 2.5, times=1)  # posted at once, answered too late
        await app.click("Escalate to a TS supervisor to check it")
        await app.runtime.worker.drain()
        assert len(pings(slack)) == 1
        await asyncio.sleep(5.2)  # the fake answers the late request; the attempt's window closes (lookup.py)
        for _ in range(40):
            clock.advance(minutes=10)
            await asyncio.sleep(0.11)
            await app.runtime.worker.drain()
            if thread(slack, "C0SUPPORT"):
                break
        [notice] = thread(slack, "C0SUPPORT")
        text = message_text(notice)
        assert "may not have been posted" in text and "Check the channel" in text and "missing_scope" in text
        assert "Nobody in that group has been told" not in text
        assert len(pings(slack)) == 1  # and never posted twice
        jobs = {job.kind: job for job in await app.runtime.store.jobs.list()}
        assert jobs["ping"].status == "failed" and jobs["undeliverable"].status == "done"


async def test_restart_in_the_middle_of_delivery_loses_nothing_and_doubles_nothing(slack, db_url, clock):
    async with running_app(slack, db_url, clock=clock, worker_timeout=1) as first:
        await walk_to_dashboard_check(first)
        slack.delay("chat.postMessage", 5, times=1)
        await first.click("Escalate to a TS supervisor to check it")
        delivery = asyncio.create_task(first.runtime.worker.run_once())
        await slack.wait_for("chat.postMessage", count=2)  # the session message, then the ping (in flight)
        delivery.cancel()  # the process dies before it hears back
        run_id = _run_id(first)
    async with running_app(slack, db_url, clock=clock, worker_timeout=1) as second:
        clock.advance(seconds=61)  # the dead worker's lease runs out
        await asyncio.sleep(6.2)  # and the attempt's window has closed (lookup.py), as it has after a real lease
        await second.runtime.worker.drain()
        assert len(pings(slack)) == 1
        assert len(slack.calls_to("conversations.history")) == 1  # it looked before posting again, and found it
        esc = (await second.runtime.store.escalations.for_run(run_id))[-1]
        assert esc.posts[Surface.SLACK].message_id == pings(slack)[0]["ts"] and esc.tier == 0


async def test_two_workers_deliver_each_ping_once(slack, db_url, clock):
    async with running_app(slack, db_url, clock=clock) as a, running_app(slack, db_url, clock=clock) as b:
        for i in range(30):
            await a.runtime.deps.escalations.manual(
                group_id="ts-supervisors",
                summary=f"case {i}",
                priority="normal",
                reference=str(i),
                actor=AGENT,
                channel=None,
            )
        done = await asyncio.gather(a.runtime.worker.drain(), b.runtime.worker.drain())
        assert sum(done) >= 30 and all(done)  # both workers took part
        roots = pings(slack)
        assert len(roots) == 30
        markers = [m["blocks"][0]["block_id"] for m in roots]
        assert len(set(markers)) == 30
        assert await a.runtime.store.jobs.count("pending") == 30  # the re-escalation timers, once each


async def test_escalate_by_hand(app, slack):
    reply = await app.command("", command="/escalate")
    assert reply.status == 200
    modal = app.last_view()
    assert modal["callback_id"] == "esc.manual.submit"
    await app.submit(
        {
            "group": "school-district-associations",
            "summary": "Gradebook export fails <!channel>",
            "priority": "high",
            "reference": "48213",
        },
        view=modal,
    )
    await app.runtime.worker.drain()
    [ping] = pings(slack, "C00000SDA1")
    text = message_text(ping)
    assert "Escalation (by hand) to School-district associations" in text and "priority *high*" in text
    assert "Gradebook export fails &lt;!channel&gt;" in text and "<!channel>" not in text
    case = await app.runtime.store.cases.open_for_ticket("48213")  # every escalation belongs to a case
    assert case is not None and case.status == "escalated"
    assert f"Case *{case.number}* · Ticket #48213" in text
    shown = await app.runtime.deps.escalations.cases.view(case.number)  # as `/case NUMBER` shows it
    assert [e.action for e in shown.timeline] == ["case.opened", "escalate", "case.escalated"]
    [esc] = shown.escalations
    assert (esc.case_id, esc.handoff.case_number, esc.handoff.reference) == (case.id, case.number, "48213")
    await app.click_in(ping, "Acknowledge", user="U00000EM05")
    await app.runtime.worker.drain()
    dm = slack.calls_to("chat.postMessage")[-1]
    assert dm.params["channel"] == AGENT and "acknowledged" in json.dumps(dm.params["blocks"])


async def test_escalate_by_hand_on_an_open_case_moves_it_straight_to_tier2(app, slack):
    """A case `/case new` opened (no run works on it yet) goes from open to escalated: no Tier I step between."""
    cases = app.runtime.deps.escalations.cases
    case, _reply, _missing = await cases.intake(
        actor=AGENT, surface="slack", channel="C0SUPPORT", ticket="48213", details={}, priority=None
    )
    assert case.status == "open"
    await app.command("", command="/escalate")
    await app.submit(
        {"group": "school-district-associations", "summary": "Gradebook export fails", "priority": "normal",
         "reference": case.number},
        view=app.last_view(),
    )  # fmt: skip
    shown = await cases.view(case.number)
    assert shown.case.status == "escalated"
    assert [e.action for e in shown.timeline] == ["case.opened", "escalate", "case.escalated"]
    assert [esc.case_id for esc in shown.escalations] == [case.id]


async def test_oncall_lists_groups_and_who_would_be_pinged(app, slack):
    await away(app, HERBERT, "2h")
    await app.command("", user=AGENT, command="/oncall")
    text = json.dumps(slack.responses[-1].body)
    assert "TS Supervisor group" in text
    assert "Herbert Mena (away until" in text
    assert "a ping now goes to: Edison Gomez (tier 1 of 3)" in text
    bad = await app.command("away someday", user=HERBERT, command="/oncall")
    assert "I could not read" in bad.body["text"]


def _run_id(app: App) -> str:
    for button in App.buttons(app.session()).values():
        return json.loads(button["value"])["r"]
    raise AssertionError("no buttons on the session")


async def test_only_a_ts_supervisor_may_answer_that_they_checked_the_dashboard(app, slack):
    await walk_to_dashboard_check(app)
    before = app.session()
    await app.click("I am a TS supervisor and have checked the dashboard")  # the agent is not one
    assert "Only members of TS Supervisor group can choose that" in json.dumps(slack.responses[-1].body)
    assert app.buttons(app.session()) == app.buttons(before)  # nothing changed
    actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
    assert actions.count("choose") == 2  # the two questions before it, not this one
    await app.click("I am a TS supervisor and have checked the dashboard", user=HERBERT)  # in ts-supervisors
    assert "The issue requires resolution from Clever" in app.buttons(app.session())


async def test_ticket_share_with_clever_carries_the_sharing_checklist(app, slack):
    await walk_to_dashboard_check(app)
    await app.click("I am a TS supervisor and have checked the dashboard", user=HERBERT)
    await app.click("The issue requires resolution from Clever")
    await app.click("Fill in the form")
    await app.submit({"clever_issue": "Section 4521 is missing from the sync"})
    await app.runtime.worker.drain()
    [ping] = pings(slack, "C00000TSUP")
    text = message_text(ping)
    assert "Ticket share to TS Supervisor group" in text and "Partner: Clever" in text
    assert "Clever_Ticket Sharing Process" in text and "enterprise-support@clever.com" in text
    assert "Section 4521 is missing from the sync" in text


async def test_slack_presence_counts_when_the_group_asks_for_it(slack, db_url, clock):
    config = example_config()
    data = config.model_dump()
    data["groups"]["ts-supervisors"]["use_slack_presence"] = True
    slack.set_presence(HERBERT, "away")
    async with running_app(slack, db_url, type(config).model_validate(data), clock=clock) as app:
        await escalate_dashboard_check(app)
        await app.runtime.worker.drain()
        text = message_text(pings(slack)[-1])
        assert f"<@{EDISON}> (tier 1 of 3)" in text and f"<@{HERBERT}>" not in text
        assert len(slack.calls_to("users.getPresence")) == 4


async def test_back_and_escalating_again_does_not_escalate_twice(app, slack):
    await escalate_dashboard_check(app)
    await app.click("Back")
    await app.click("Escalate to a TS supervisor to check it")
    await app.runtime.worker.drain()
    assert len(await app.runtime.store.escalations.for_run(_run_id(app))) == 1
    assert len(pings(slack)) == 1
    await app.click_in(pings(slack)[0], "Resolve", user=HERBERT)
    await app.submit({"found": "Listed in Clever's dashboard"}, view=app.last_view(), user=HERBERT)
    await app.runtime.worker.drain()
    await app.click("Back")  # once resolved, walking to the escalation again raises a new one
    await app.click("Escalate to a TS supervisor to check it")
    await app.runtime.worker.drain()
    assert len(await app.runtime.store.escalations.for_run(_run_id(app))) == 2
    assert len(pings(slack)) == 2
