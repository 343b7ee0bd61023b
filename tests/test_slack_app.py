"""The Slack app end to end: signed HTTP requests in, the fake Slack Web API out, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import json

import aiohttp
import pytest

from chatbot.engine.schema import StepKind
from tests.fakeslack import FakeSlack, block_actions_body, event_body
from tests.slackapp import DEFAULT_USER_ID, checked_blocks, example_config, message_text, running_app
from tests.test_playbook_paths import PATHS, playbook, sample_value

AGENT = "U0AGENT1"
CHANNEL = "C0SUPPORT"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def app(slack, db_url):
    async with running_app(slack, db_url) as running:
        yield running


async def test_help_and_picker(app):
    reply = await app.command("help")
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert "/triage clever-access" in reply.body["text"]
    reply = await app.command("")
    select = checked_blocks(reply.body)[0]["accessory"]
    assert select["action_id"] == "triage.pick"
    assert {o["value"] for o in select["options"]} >= {"clever-access", "sse-integration", "ts-case-intake"}


async def test_search_with_no_match_or_several(app):
    reply = await app.command("<!channel> nothing")
    assert "No playbook matches" in reply.body["text"] and "&lt;!channel&gt;" in reply.body["text"]
    reply = await app.command("clever")
    assert reply.body["blocks"][0]["accessory"]["action_id"] == "triage.pick"
    assert "playbooks match" in reply.body["blocks"][0]["text"]["text"]


async def test_walk_clever_access_to_escalation_by_clicking(app, slack):
    reply = await app.command("clever-access 482913")
    assert reply.status == 200
    session = app.session()
    text = message_text(session)
    assert "Clever access troubleshooting" in text and "Ticket #482913" in text
    case = await app.runtime.store.cases.open_for_ticket("482913")  # every contact is a case, with its number
    assert case is not None and case.number.startswith("CLV-") and f"Case *{case.number}*" in text
    assert set(app.buttons(session)) == {"Fill in the form", "Restart", "Cancel"}  # who is asking, first
    await app.click("Fill in the form")
    assert (await app.submit({"ticket_id": "482913", "requester": "Teacher"})).text == ""
    assert set(app.buttons(app.session())) == {"Yes", "No", "Back", "Restart", "Cancel"}
    await app.click("Yes")
    await app.click("No")
    await app.click("Yes")
    session = app.session()
    assert "Fill in the form" in app.buttons(session)
    await app.click("Fill in the form")
    view = app.last_view()
    assert view["callback_id"] == "triage.form.submit"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "school_name",
        "district_name",
        "school_salesforce_id",
        "district_salesforce_id",
        "school_clever_id",
        "district_clever_id",
    ]
    values = {
        "school_name": "Lincoln <!channel>",
        "district_name": "Springfield",
        "school_salesforce_id": "bad",
        "district_salesforce_id": "001A0000001abcDEFG",
        "school_clever_id": "0123456789abcdef01234567",
        "district_clever_id": "0123456789abcdef01234568",
    }
    reply = await app.submit(values)
    assert reply.status == 200
    assert reply.body == {
        "response_action": "errors",
        "errors": {"school_salesforce_id": "A Salesforce ID has 15 or 18 letters and digits."},
    }
    reply = await app.submit({**values, "school_salesforce_id": "001A0000001abcD"})
    assert reply.status == 200 and reply.text == ""
    text = message_text(app.session())
    assert "Outcome: Escalate to Tier 2" in text
    assert "Customer reply" in text and "Internal note" in text
    assert "Lincoln &lt;!channel&gt;" in text and "<!channel>" not in text
    assert "Clever Tier 2" in text and f"Case *{case.number}*" in text
    assert len(slack.calls_to("chat.postMessage")) == 1  # one session message, updated in place
    assert len(slack.calls_to("chat.update")) == 5
    audit = await app.runtime.store.audit(_run_id(app))
    assert [a.action for a in audit] == [
        "start",
        "submit",
        "choose",
        "choose",
        "choose",
        "submit",
        "escalate",
        "case.escalated",  # the case moves in the same write as the answer that escalates
    ]
    assert audit[-3].detail["fields"]["school_name"] == "Lincoln <!channel>"
    assert (await app.runtime.store.cases.get(case.id)).status == "escalated"


def _run_id(app) -> str:
    for button in app.buttons(app.session()).values():
        return json.loads(button["value"])["r"]
    raise AssertionError("no buttons")


# --- every seed playbook, every path, by clicking (SQLite: the database plays no part in what is shown) ------


async def test_every_path_of_every_playbook_by_clicking(slack, tmp_path):
    async with running_app(slack, f"sqlite:///{tmp_path / 'walk.sqlite3'}") as app:
        for path in PATHS:
            await app.command(path.playbook)
            pb = playbook(path.playbook)
            for step_id, choice in path.moves:
                checked_blocks(app.session())
                step = pb.steps[step_id]
                if step.kind == StepKind.QUESTION:
                    only = step.choices[choice].only  # an answer only that group gives: one of its members gives it
                    members = {"ts-supervisors": "U00000HM01"}  # Herbert Mena
                    assert only is None or only in members, only
                    await app.click(step.choices[choice].label, user=members.get(only or "", DEFAULT_USER_ID))
                elif step.kind == StepKind.COLLECT:
                    await app.click("Fill in the form")
                    reply = await app.submit({f.id: sample_value(f) for f in step.fields})
                    assert reply.text == "", (path.id, reply.body)
                else:
                    await app.click(step.continue_label)
            text = message_text(app.session())
            end = pb.steps[path.end]
            if end.outcome is not None:
                assert "Customer reply" in text and end.outcome.summary.replace('"', '\\"') in text, path.id
            else:
                assert playbook(end.jump).spec.title in text, path.id
        assert len(slack.calls_to("chat.postMessage")) == len(PATHS)
        assert all(call.ok for call in slack.calls_to("chat.update"))


# --- navigation --------------------------------------------------------------------------------------------


async def test_back_restart_cancel(app):
    await app.start()
    await app.click("No")
    assert "Back" in app.buttons(app.session())
    await app.click("Back")
    assert "1. Clever district?" in message_text(app.session())
    await app.click("Yes")
    await app.click("Restart")  # starts over at the ticket form, whose answers are known: straight to step 1
    assert "Ticket and requester" in message_text(app.session())
    await app.click("Cancel")
    text = message_text(app.session())
    assert "This session was cancelled" in text and set(app.buttons(app.session())) == {"Restart"}
    actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
    assert actions == ["start", "submit", "choose", "back", "choose", "restart", "cancel"]


async def test_picker_starts_the_chosen_playbook_and_removes_itself(app, slack):
    await app.command("")
    await app.pick("sse-integration")
    assert "SSE" in message_text(app.session())
    assert slack.responses[-1].body == {"delete_original": True}


# --- durability and concurrency ----------------------------------------------------------------------------


async def test_restart_in_the_middle_of_a_run_loses_nothing(slack, db_url):
    async with running_app(slack, db_url) as first:
        await first.start()
        await first.click("Yes")
        before = copy.deepcopy(first.session())
    async with running_app(slack, db_url) as second:  # a new process on the same database
        await second.click("No", message=before)
        text = message_text(second.session())
        assert "2b. VHL does not recognise the school" in text
        assert [a.action for a in await second.runtime.store.audit(_run_id(second))] == [
            "start",
            "submit",
            "choose",
            "choose",
        ]


async def test_two_replicas_serve_the_same_run(slack, db_url):
    async with running_app(slack, db_url) as a, running_app(slack, db_url) as b:
        await a.start()
        await b.click("Yes")
        await a.click("No")
        await b.click("No")
        assert "3. VHL Central account" in message_text(a.session())
        assert len(await a.runtime.store.audit(_run_id(a))) == 5


async def test_double_click_advances_once_and_tells_the_loser(app, slack):
    await app.start()
    message = copy.deepcopy(app.session())  # what Slack shows at the time of the click
    first = await app.click("Yes", message=message)
    second = await app.click("Yes", message=message)  # same button, same old message
    assert first.status == second.status == 200
    assert [a.action for a in await app.runtime.store.audit(_run_id(app))] == ["start", "submit", "choose"]
    notices = [r for r in slack.responses if "already answered" in json.dumps(r.body)]
    assert len(notices) == 1 and notices[0].body["response_type"] == "ephemeral"
    assert "2a. Clever login" in message_text(app.session())


async def test_concurrent_clicks_by_two_agents_advance_once(app, slack):
    await app.start()
    message = copy.deepcopy(app.session())  # what Slack shows at the time of the click
    replies = await asyncio.gather(
        app.click("Yes", message=message, user="U0AGENT1", settle=False),
        app.click("No", message=message, user="U0AGENT2", settle=False),
    )
    await app.settle()
    assert [r.status for r in replies] == [200, 200]
    audit = await app.runtime.store.audit(_run_id(app))
    assert [a.action for a in audit] == ["start", "submit", "choose"]
    assert len([r for r in slack.responses if "already answered" in json.dumps(r.body)]) == 1
    winner = audit[2].detail["answer"]
    expected = "2a. Clever login" if winner == "Yes" else "1. Not a Clever district"
    assert expected in message_text(app.session())


# --- requests Slack did not sign, or that are broken --------------------------------------------------------


async def test_forged_and_stale_requests_get_401(app):
    body = block_actions_body("triage.choice.0", "{}")
    assert (await app.post(body, secret="wrong-secret")).status == 401
    assert (await app.post(body, timestamp=1_000_000_000)).status == 401
    reply = await app.post(body, headers={"X-Slack-Request-Timestamp": "not-a-number"})
    assert reply.status == 401 and reply.body == {"error": "invalid request"}
    assert (await app.post(body, signed=False)).status == 401


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        (b"text=hello", "application/x-www-form-urlencoded"),
        (b'{"no": "type"}', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"<xml/>", "text/xml"),
    ],
)
async def test_malformed_bodies_get_400_and_the_app_keeps_serving(app, raw, content_type):
    reply = await app.post(raw, content_type)
    assert reply.status == 400 and reply.body == {"error": "malformed request"}
    assert (await app.command("help")).status == 200


async def test_oversized_body_gets_400(app):
    raw = b"text=" + b"x" * (2 * 1024 * 1024)
    reply = await app.post(raw, "application/x-www-form-urlencoded")
    assert reply.status == 400 and reply.body == {"error": "body too large"}
    assert (await app.command("help")).status == 200


async def test_button_value_from_another_app_version_is_refused_politely(app, slack):
    await app.start()
    url = slack.response_url("old", channel=CHANNEL, message_ts=app.session()["ts"])
    reply = await app.post(block_actions_body("triage.choice.0", '{"p":0,"r":"x"}', response_url=url))
    await app.settle()
    assert reply.status == 200
    assert "older session layout" in json.dumps(slack.responses[-1].body)


async def test_ssl_check_is_answered(app):
    reply = await app.post(b"ssl_check=1&token=abc", "application/x-www-form-urlencoded")
    assert reply.status == 200


async def test_url_verification(app):
    reply = await app.post(
        json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"}).encode(), "application/json"
    )
    assert reply.status == 200 and "abc123" in reply.text


async def test_retried_event_is_processed_once(app, slack):
    said = slack.inject_message(CHANNEL, "<@U0FAKEBOT> help", user=AGENT)
    event = {
        "type": "app_mention",
        "user": AGENT,
        "text": said["text"],
        "ts": said["ts"],
        "channel": CHANNEL,
        "event_ts": said["ts"],
    }
    body = event_body(event, event_id="Ev0RETRY01")
    assert (await app.post(body)).status == 200
    await app.settle()
    retry = await app.post(body, retry_num=1)
    await app.settle()
    headers = {k.lower(): v for k, v in retry.headers.items()}
    assert retry.status == 200 and headers.get("x-slack-no-retry") == "1"
    helps = [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == said["ts"]]
    assert len(helps) == 1 and helps[0].ok
    assert "walks you through a support playbook" in json.dumps(helps[0].params["blocks"])


# --- Slack failing ------------------------------------------------------------------------------------------


async def test_rate_limited_update_is_retried_after_retry_after(app, slack):
    await app.start()
    slack.fail_next("chat.update", status=429, retry_after=1)
    await app.click("Yes")
    updates = slack.calls_to("chat.update")[1:]  # the first showed step 1, after the ticket form
    assert [c.status for c in updates] == [429, 200]
    assert updates[1].time - updates[0].time >= 1.0
    assert "2a. Clever login" in message_text(app.session())
    assert 'chatbot_slack_api_retries_total{reason="ratelimited"} 1.0' in app.runtime.metrics.render().decode()


async def test_a_rate_limited_update_never_overwrites_a_newer_one(app, slack):
    """An update waits out Slack's Retry-After; a stale click meanwhile asks for a refresh; as soon as the message
    shows the new step the agent clicks on. The message must end on the newest step: the update that was
    waiting must not land last (it did, when each update was sent on its own)."""
    await app.start()
    slack.fail_next("chat.update", status=429, retry_after=1)
    await app.click("Yes", settle=False)  # its update is refused, to be tried again in a second or two
    await asyncio.sleep(0.1)
    await app.click("No", settle=False)  # Slack still shows step 1: refused as stale, a refresh asked for
    for _ in range(100):
        if "2a. Clever login" in message_text(app.session()):
            break
        await asyncio.sleep(0.05)
    await app.click("No", settle=False)  # on step 2a as soon as Slack shows it
    await app.settle()
    assert "2b. VHL does not recognise the school" in message_text(app.session())
    shown = [json.dumps(c.params.get("blocks")) for c in slack.calls_to("chat.update") if c.status == 200]
    newest = next(i for i, blocks in enumerate(shown) if "2b. VHL does not recognise the school" in blocks)
    assert newest == len(shown) - 1, "an older step was sent after the newest"


async def test_update_that_keeps_failing_tells_the_agent_a_reference(app, slack):
    await app.start()
    slack.fail_next("chat.update", status=500, retry_after=None, times=5)
    await app.click("Yes")
    notice = json.dumps(slack.responses[-1].body)
    assert "Slack did not take the update (ref" in notice
    assert [a.action for a in await app.runtime.store.audit(_run_id(app))] == ["start", "submit", "choose"]
    assert "1. Clever district?" in message_text(app.session())  # Slack still shows the old step
    slack.clear_faults()
    await app.click("No")  # a click on the outdated message is refused and refreshes it...
    assert "already answered" in json.dumps(slack.responses[-1].body)
    assert "2a. Clever login" in message_text(app.session())
    await app.click("No")  # ...and the run goes on from where it really is
    assert "2b. VHL does not recognise the school" in message_text(app.session())


async def test_bot_not_in_channel_is_explained(app, slack):
    slack.set_channel_error(CHANNEL, "not_in_channel")
    await app.command("clever-access")
    assert "Invite me with `/invite`" in json.dumps(slack.responses[-1].body)


# --- access, health, metrics --------------------------------------------------------------------------------


async def test_access_limited_to_listed_users_and_usergroups(slack, db_url):
    config = example_config(access={"users": ["U0ALLOWED"], "usergroups": ["S0AGENTS"]})
    slack.set_usergroup("S0AGENTS", ["U0INGROUP"])
    async with running_app(slack, db_url, config) as app:
        refused = await app.command("clever-access", user="U0STRANGER")
        assert "not set up to start playbooks" in refused.body["text"]
        assert not slack.messages[CHANNEL]
        await app.start(user="U0ALLOWED")
        await app.start(user="U0INGROUP")
        assert len(slack.messages[CHANNEL]) == 2


async def test_healthz_and_metrics(app):
    await app.start()
    await app.click("Yes")

    async with aiohttp.ClientSession() as http:
        async with http.get(app.url + "/healthz") as resp:
            assert resp.status == 200 and (await resp.json()) == {"ok": True, "database": "ok"}
        async with http.get(app.url + "/metrics") as resp:
            text = await resp.text()
    assert "chatbot_active_runs 1.0" in text
    # the ticket form's button, then Yes; the form's submission; the session shown after each answer
    assert 'chatbot_slack_requests_total{kind="block_actions",status="200"} 2.0' in text
    assert 'chatbot_slack_requests_total{kind="view_submission",status="200"} 1.0' in text
    assert 'chatbot_slack_ack_seconds_count{kind="slash_command"} 1.0' in text
    assert 'chatbot_slack_api_calls_total{method="chat.update",result="ok"} 2.0' in text
