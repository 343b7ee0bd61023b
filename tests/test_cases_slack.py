"""A Technical Services contact in Slack, end to end: the "case opened" reply, the escalation to Tier II, Tier II's
recorded work and status update, Resolve and the closure reply, with the case number on every message; `/case`,
App Home, and the PII guard where Tier I types.

Requests go to the app over HTTP as Slack sends them; everything the app says comes out on the fake Slack.
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.fakeslack import FakeSlack, event_body
from tests.slackapp import App, FakeClock, example_config, message_text, running_app
from tests.test_escalations import WEDNESDAY_10AM, pings, thread

AGENT = "U0AGENT1"
CHANNEL = "C0SUPPORT"
TS_TIER2 = "C00000TS2A"  # the Technical Services Tier II group's channel
LEAD = "U00000TS07"  # its first tier
CHILD = "Emma Lopez, born 04/12/2016"  # a child's name with a birth date: never at Tier I


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def app(slack, db_url):
    async with running_app(slack, db_url, clock=FakeClock(WEDNESDAY_10AM)) as running:
        yield running


def case_number_of(message: dict) -> str:
    text = message_text(message)
    start = text.index("Case *") + len("Case *")
    return text[start : text.index("*", start)]


async def escalate_ts_case(app: App) -> str:
    """An agent opens a TS case with part of the helpful details and escalates it to Tier II; its number."""
    await app.command("ts-case-intake", user=AGENT, channel=CHANNEL)
    await app.click("Fill in the form", user=AGENT, message=app.session(CHANNEL))
    details = {"gold_id": "CH-20931", "browser": "Chrome", "error_messages": "Error 503 on the Portfolio page"}
    assert (await app.submit(details, user=AGENT)).text == ""
    session = app.session(CHANNEL)
    number = case_number_of(session)
    text = message_text(session)
    # Step 1: the customer gets their case number, what happens next and what is still missing
    assert f"We have opened case {number}" in text and "Send the customer this reply now" in text
    assert "the email used during account creation" in text and "the browser you are using" not in text
    assert "Please do not share personally identifiable information" in text
    for label in ("Sent, continue", "No PII shared", "Something else: needs troubleshooting"):
        await app.click(label, user=AGENT, message=app.session(CHANNEL))
    await app.click("Troubleshooting done", user=AGENT, message=app.session(CHANNEL))
    await app.click(
        "Needs Tier II (more diagnosis, access or sensitive data)", user=AGENT, message=app.session(CHANNEL)
    )
    await app.click("Fill in the form", user=AGENT, message=app.session(CHANNEL))
    reason = {"tier2_reason": "Portfolio fails for one class only; needs server logs"}
    assert (await app.submit(reason, user=AGENT)).text == ""
    await app.runtime.worker.drain()
    return number


async def test_a_ts_contact_from_case_opened_to_closure_reply(app: App, slack: FakeSlack) -> None:
    number = await escalate_ts_case(app)
    assert number.startswith("TS-2026-")
    session = message_text(app.session(CHANNEL))
    assert f"Case *{number}*" in session and "Outcome: Escalate to Tier 2" in session
    case = await app.runtime.store.cases.by_number(number)
    assert case is not None and case.status == "escalated" and case.details == {}  # details live in the run

    [ping] = pings(slack, TS_TIER2)
    text = message_text(ping)
    assert f"Case *{number}*" in text and f"<@{LEAD}>" in text and "Portfolio fails for one class" in text
    assert {"Record work", "Status update reply", "Resolve"} <= set(App.buttons(ping))

    # Tier II records working with Tech Development; the agent hears it, under their session
    await app.click_in(ping, "Record work", user=LEAD)
    work = app.last_view()
    assert work["callback_id"] == "esc.work.submit"
    await app.submit({"kind": "tech_dev", "reference": "DEV-4521", "detail": ""}, view=work, user=LEAD)
    await app.settle()
    lead_name = app.runtime.config.names()[LEAD]
    recorded = f"Recorded on the case: {lead_name} is working with Tech Development (DEV-4521)"
    to_lead = [c.params for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == LEAD]
    assert recorded in json.dumps(to_lead)  # told privately, by name ("you is working with" read wrong)
    await app.runtime.worker.drain()
    [update] = [message_text(m) for m in thread(slack, CHANNEL) if "Tech Development" in message_text(m)]
    assert f"<@{AGENT}>" in update and "is working with Tech Development (DEV-4521)" in update and number in update

    # While it takes time: the status-update reply, in the customer's terms
    await app.click_in(pings(slack, TS_TIER2)[0], "Status update reply", user=LEAD)
    said = json.dumps(slack.ephemerals)
    assert f"Status update for case {number}" in said and "Tech Development team on a fix" in said
    assert "Sometimes these steps can take a bit of time" in said

    # Resolve asks what was found and what changed; the agent gets the closure reply and the closing note
    await app.click_in(pings(slack, TS_TIER2)[0], "Resolve", user=LEAD)
    modal = app.last_view()
    assert modal["callback_id"] == "esc.resolve.submit"
    empty = await app.submit({"found": ""}, view=modal, user=LEAD)
    assert empty.body["response_action"] == "errors"
    found = {"found": "A cached <b>report</b> template for that class", "changed": "Tech Development cleared it"}
    assert (await app.submit(found, view=modal, user=LEAD)).text == ""
    await app.runtime.worker.drain()
    [closure] = [message_text(m) for m in thread(slack, CHANNEL) if "Closure reply" in message_text(m)]
    assert "Closure reply" in closure and f"the issue in case {number} is resolved" in closure
    assert "What we found: A cached &lt;b&gt;report&lt;/b&gt; template" in closure  # typed text, escaped
    assert "Your case is now closed" in closure and "Technical Services" in closure  # signed per procedure
    assert "Closing note" in closure and "jira: DEV-4521" in closure
    case = await app.runtime.store.cases.by_number(number)
    assert case is not None and case.status == "closed" and case.resolution is not None
    assert "Resolved by" in message_text(pings(slack, TS_TIER2)[0])

    # The case's story, with who did what
    reply = await app.command(number, user=AGENT, channel=CHANNEL, command="/case")
    shown = json.dumps(reply.body)
    assert f"Case {number}" in shown and "closed" in shown and "Jira: DEV-4521" in shown
    for action in ("case.opened", "case.escalated", "case.work.tech_dev", "case.status_update", "case.resolved"):
        assert action in shown, action
    timeline = await app.runtime.store.cases.timeline(case.id)
    assert all(event.actor for event in timeline) and [e.at for e in timeline] == sorted(e.at for e in timeline)


async def test_case_new_accepts_a_partial_set_and_says_what_is_missing(app: App, slack: FakeSlack) -> None:
    reply = await app.command("new 482913", user=AGENT, channel=CHANNEL, command="/case")
    assert reply.status == 200
    modal = app.last_view()
    assert modal["callback_id"] == "case.new.submit"
    await app.submit({"ticket_id": "482913", "browser": "Firefox", "priority": "high"}, view=modal, user=AGENT)
    [posted] = [m for m in slack.messages[CHANNEL] if "opened by" in json.dumps(m)]
    text = message_text(posted)
    number = case_number_of(posted)
    assert number.startswith("TS-2026-") and "Ticket #482913" in text
    assert f"We have opened case {number}" in text and "If you can, please send us" in text
    assert "the user ID, class ID or child ID" in text and "the browser you are using" not in text
    assert "Still missing" in text and "Browser" not in text.split("Still missing")[1]
    case = await app.runtime.store.cases.by_number(number)
    assert case is not None and case.priority == "high" and case.details == {"browser": "Firefox"}
    # a playbook run on that case continues it, with its number on the session
    await app.command(f"ts-case-intake {number}", user=AGENT, channel=CHANNEL)
    assert f"Case *{number}*" in message_text(app.session(CHANNEL))
    assert len(await app.runtime.store.cases.runs_of(case.id)) == 1


async def test_a_childs_name_with_a_birth_date_is_refused_before_it_is_stored(
    app: App, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await app.command("ts-case-intake", user=AGENT, channel=CHANNEL)
    await app.click("Fill in the form", user=AGENT, message=app.session(CHANNEL))
    reply = await app.submit({"error_messages": f"Portfolio will not open for {CHILD}"}, user=AGENT)
    assert reply.body["response_action"] == "errors"
    error = reply.body["errors"]["error_messages"]
    assert "a name with a birth date" in error and "user, class or child ID" in error and "Emma" not in error
    # nothing was stored: not in the run, not in the audit trail, not in any log line
    run_id = json.loads(App.buttons(app.session(CHANNEL))["Restart"]["value"])["r"]
    record = await app.runtime.store.get_run(run_id)
    assert record is not None and record.version == 0 and "Emma" not in record.state_json
    assert "Emma" not in json.dumps([a.detail for a in await app.runtime.store.audit(run_id)])
    assert not [r.name for r in caplog.records if "Emma" in r.getMessage() or "04/12/2016" in r.getMessage()]
    # /case new and /escalate's forms at Tier I are checked the same way
    await app.command("new", user=AGENT, channel=CHANNEL, command="/case")
    refused = await app.submit({"steps_taken": f"Logged in as {CHILD}"}, view=app.last_view(), user=AGENT)
    assert "a name with a birth date" in refused.body["errors"]["steps_taken"]
    await app.command("", user=AGENT, channel=CHANNEL, command="/escalate")
    summary = {"group": "ts-tier2", "summary": f"Portfolio fails for {CHILD}", "priority": "normal"}
    refused = await app.submit(summary, view=app.last_view(), user=AGENT)
    assert "a name with a birth date" in refused.body["errors"]["summary"]
    assert await app.runtime.store.cases.count_open() == 1  # only the intake run's case
    assert await app.runtime.store.jobs.count("pending") == 0  # and no escalation


async def test_warn_mode_lets_it_through_tells_the_agent_and_keeps_it_out_of_the_audit(slack, db_url) -> None:
    config = example_config(pii={"tier1": "warn", "tier2": "off"})
    async with running_app(slack, db_url, config) as app:
        await app.command("ts-case-intake", user=AGENT, channel=CHANNEL)
        await app.click("Fill in the form", user=AGENT, message=app.session(CHANNEL))
        reply = await app.submit({"error_messages": f"Portfolio will not open for {CHILD}"}, user=AGENT)
        assert reply.text == ""
        warned = json.dumps(slack.ephemerals)
        assert "a name with a birth date" in warned and "edit it out" in warned and "Emma" not in warned
        run_id = json.loads(App.buttons(app.session(CHANNEL))["Restart"]["value"])["r"]
        [submit] = [a for a in await app.runtime.store.audit(run_id) if a.action == "submit"]
        assert submit.detail["fields"]["error_messages"] == "[withheld: PII]"
        # /case new and /escalate accept it too, and say so privately to the person who typed it, where they did
        await app.command("new", user=AGENT, channel=CHANNEL, command="/case")
        assert (await app.submit({"steps_taken": f"Logged in as {CHILD}"}, view=app.last_view(), user=AGENT)).text == ""
        await app.command("", user=AGENT, channel=CHANNEL, command="/escalate")
        summary = {"group": "ts-tier2", "summary": f"Portfolio fails for {CHILD}", "priority": "normal"}
        assert (await app.submit(summary, view=app.last_view(), user=AGENT)).text == ""
        await app.settle()
        told = [m["text"] for m in slack.ephemerals[AGENT] if m["channel"] == CHANNEL]
        assert len(told) == 3 and all("a name with a birth date" in t and "edit it out" in t for t in told)
        assert "Steps taken" in told[1] and "What is wrong" in told[2] and "Emma" not in json.dumps(told)


async def test_app_home_shows_open_cases_and_the_groups_open_escalations(app: App, slack: FakeSlack) -> None:
    number = await escalate_ts_case(app)
    await app.post(event_body({"type": "app_home_opened", "user": AGENT, "channel": "D0AGENT", "tab": "home"}))
    await app.settle()
    home = json.dumps(slack.home_views[AGENT])
    assert "Your open cases" in home and number in home and "escalated to Tier II" in home
    await app.post(event_body({"type": "app_home_opened", "user": LEAD, "channel": "D0LEAD", "tab": "home"}))
    await app.settle()
    lead_home = json.dumps(slack.home_views[LEAD])
    assert "Open escalations in your groups" in lead_home and "Case escalated to Tier II" in lead_home
    assert number in lead_home
