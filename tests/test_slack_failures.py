"""When Slack or the database let the app down: the person is told what is known, and nothing is lost."""

from __future__ import annotations

import json
import logging
import sqlite3
import time

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from chatbot.adapters.slack.refs import RunRef, decode
from chatbot.manifest import BOT_SCOPES
from tests.conftest import BACKENDS
from tests.fakeslack import FakeSlack, slash_command_body
from tests.slackapp import App, running_app

AGENT = "U0AGENT1"
CHANNEL = "C0SUPPORT"
HERBERT = "U00000HM01"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def app(slack, db_url):
    async with running_app(slack, db_url) as running:
        yield running


def notices(slack: FakeSlack) -> str:
    """Everything the app told people privately (response_urls and ephemerals)."""
    said = [json.dumps(r.body) for r in slack.responses]
    said += [json.dumps(e) for user in slack.ephemerals.values() for e in user]
    return "\n".join(said)


async def test_the_first_form_right_after_the_post_still_updates_the_session(slack, db_url):
    async with running_app(slack, db_url) as app:
        slack.delay("chat.postMessage", 1.0, times=1)  # Slack has the message; the app hears back a second later
        url = slack.response_url("cmd", channel=CHANNEL, user_id=AGENT)
        await app.post(slash_command_body("/triage", "sse-integration", AGENT, CHANNEL, response_url=url))
        await slack.wait_for("chat.postMessage")
        session = app.session(CHANNEL)
        await app.click("Fill in the form", message=session, settle=False)  # before the app knows the message
        await slack.wait_for("views.open")
        modal = app.last_view()
        fields = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
        values = {fid: (e["options"][0]["value"] if e.get("options") else "x") for fid, e in fields.items()}
        values["ticket_id"] = "482913"  # the ticket form comes first
        reply = await app.submit(values, view=modal)
        assert reply.text == ""
        await app.settle()
        shown = app.session(CHANNEL)
        assert shown["ts"] == session["ts"] and decode(RunRef, App.buttons(shown)["Restart"]["value"]).version == 1


async def test_a_form_slack_would_not_open_is_explained(app, slack):
    url = slack.response_url("esc", channel=CHANNEL, user_id=AGENT)
    stale_trigger = slack.issue_trigger_id(AGENT, age=5)  # Slack's trigger lives 3 s
    body = slash_command_body("/escalate", "", AGENT, CHANNEL, response_url=url, trigger_id=stale_trigger)
    assert (await app.post(body)).status == 200
    await app.settle()
    assert "Slack did not open the form" in notices(slack)


async def test_a_return_form_slack_would_not_open_is_explained(app, slack):
    reply = await app.command("", command="/escalate")
    assert reply.status == 200
    group = {"group": "school-district-associations", "summary": "Export fails", "priority": "normal"}
    await app.submit({**group, "reference": "1"})
    await app.runtime.worker.drain()
    [ping] = [m for m in slack.messages["C00000SDA1"] if m.get("thread_ts") in (None, m["ts"])]
    slack.fail_next("views.open", status=200, error="expired_trigger_id")
    await app.click_in(ping, "Return to Tier 1", user="U00000EM05")
    assert "Slack did not open the form" in notices(slack)


async def test_a_session_post_whose_answer_is_lost_is_found_and_linked(slack, db_url):
    async with running_app(slack, db_url, slack_timeout=1.0) as app:
        slack.delay("chat.postMessage", 2.0, times=1)  # posted at once, answered after the app gave up
        await app.start(user=AGENT, channel=CHANNEL)
        assert len(slack.calls_to("conversations.history")) == 1  # it looked before saying anything
        assert "Slack did not" not in notices(slack) and "saved" not in notices(slack)
        await app.click("Yes")  # the run knows its message: the click updates it in place
        shown = app.session(CHANNEL)
        assert decode(RunRef, App.buttons(shown)["Restart"]["value"]).version == 2


async def test_a_session_post_that_never_landed_is_said_so(slack, db_url):
    async with running_app(slack, db_url, slack_timeout=1.0) as app:
        slack.delay("chat.postMessage", 30, times=1, effect_first=False)  # nothing posted while the app waits
        started = time.monotonic()
        await app.command("clever-access", user=AGENT, channel=CHANNEL)
        assert time.monotonic() - started < 10
        assert "Slack did not post your session" in notices(slack)
        assert slack.messages[CHANNEL] == []


async def test_without_history_access_a_lost_post_is_unknown_never_not_posted(db_url):
    slack = FakeSlack(scopes=set(BOT_SCOPES) - {"channels:history"})
    async with slack, running_app(slack, db_url, slack_timeout=1.0) as app:
        slack.delay("chat.postMessage", 2.0, times=1)
        await app.command("clever-access", user=AGENT, channel=CHANNEL)
        said = notices(slack)
        assert "did not confirm that your session was posted" in said and "did not post" not in said


async def healthz(app: App) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as response:
        return response.status, await response.json()


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_healthz_is_unhealthy_when_the_database_takes_no_writes(slack, db_url):
    """A database that answers reads but refuses writes (a read-only replica after a fail-over, a full disk) cannot
    keep anyone's answers: /healthz says so."""
    async with running_app(slack, db_url) as healthy:
        assert await healthz(healthy) == (200, {"ok": True, "database": "ok"})
    parsed = make_url(db_url)
    options = f"{parsed.query.get('options', '')} -cdefault_transaction_read_only=on".strip()
    read_only = parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)
    async with running_app(slack, read_only) as app:
        status, body = await healthz(app)
        assert status == 503 and body["ok"] is False


@pytest.mark.parametrize("db_url", [BACKENDS[0]], indirect=True)
async def test_a_click_waiting_on_a_locked_database_is_answered_within_slacks_deadline(app, slack, db_url):
    await app.start(user=AGENT, channel=CHANNEL)
    blocker = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for longer than Slack waits
        started = time.monotonic()
        reply = await app.click("Yes", settle=False)
        elapsed = time.monotonic() - started
        blocker.execute("COMMIT")
    finally:
        blocker.close()
    await app.settle()
    assert reply.status == 200 and elapsed < 3.0
    assert "The database is busy or unreachable: that was not saved" in notices(slack)
    assert decode(RunRef, App.buttons(app.session(CHANNEL))["Restart"]["value"]).version == 1


async def test_oncall_away_never_echoes_live_mentions_and_refuses_absurd_lengths(app):
    reply = await app.command("away <!channel> soon", user=HERBERT, command="/oncall")
    assert "&lt;!channel&gt;" in reply.body["text"] and "<!channel>" not in reply.body["text"]
    reply = await app.command("away 99999999999999d", user=HERBERT, command="/oncall")
    assert reply.status == 200 and "Something went wrong" not in reply.body["text"]
    assert "I could not read" in reply.body["text"]
    reply = await app.command("away 999999d", user=HERBERT, command="/oncall")
    assert "more than a year away" in reply.body["text"]


async def test_debug_logging_never_carries_what_agents_typed(app, slack, caplog):
    caplog.set_level(logging.DEBUG)
    secret_name = "Zebulon Quackenbush-Tiberius"
    await app.command("sse-integration", user=AGENT, channel=CHANNEL)
    await app.click("Fill in the form")
    modal = app.last_view()
    fields = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    values = {fid: (e["options"][0]["value"] if e.get("options") else secret_name) for fid, e in fields.items()}
    values["ticket_id"] = "482913"
    assert (await app.submit(values, view=modal)).text == ""
    await app.click("Fill in the form")  # the ticket's details, after its number
    modal = app.last_view()
    fields = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    values = {fid: (e["options"][0]["value"] if e.get("options") else secret_name) for fid, e in fields.items()}
    assert (await app.submit(values, view=modal)).text == ""
    for label in ("No, it needs escalation", "Login", "No one on campus can log in"):  # written by SQLAlchemy too
        await app.click(label)
    await app.runtime.worker.drain()
    assert secret_name in json.dumps(slack.messages["C00000SSE1"])  # it did travel (to Tier 2's channel)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # debug logging was on
    assert not [r.name for r in caplog.records if secret_name in r.getMessage()]
    # Most writes take the short path now, which logs nothing; aiosqlite (SQLAlchemy's SQLite driver, which logs
    # each statement's parameters at DEBUG) stays held at INFO for the writes that do not.
    assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.INFO
    assert not [r for r in caplog.records if r.name.startswith("aiosqlite") and r.levelno < logging.INFO]


async def test_a_session_post_waits_out_a_busy_channels_rate_limit(slack, db_url):
    """Beyond the client's three retries: a session posted in a channel the pings keep busy still lands."""
    async with running_app(slack, db_url) as app:
        slack.fail_next("chat.postMessage", status=429, retry_after=1, times=5)  # one more than the client's 1 + 3
        await app.command("clever-access", user=AGENT, channel=CHANNEL)
        await app.settle()
        [posted] = slack.messages[CHANNEL]
        assert "Clever access troubleshooting" in json.dumps(posted["blocks"])
        assert "could not post your session" not in notices(slack)
        assert len(slack.calls_to("chat.postMessage")) == 6
