"""Who may act on a session: every action is checked against the access rules, not only the start, and a button
must belong to the message it was clicked on. A refused click changes nothing and is told why, privately."""

from __future__ import annotations

import json

import pytest

from chatbot.adapters.slack.refs import RunRef, decode, encode
from tests.fakeslack import FakeSlack, block_actions_body
from tests.slackapp import App, example_config, running_app

OWNER, STRANGER, TEAMMATE = "U0OWNER1", "U0STRANGER", "U0TEAMMATE"
CHANNEL = "C0SUPPORT"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


def version_of(message: dict) -> int:
    return decode(RunRef, App.buttons(message)["Restart"]["value"]).version


def last_notice(slack: FakeSlack) -> str:
    return json.dumps(slack.responses[-1].body)


async def test_only_the_owner_may_answer_when_sessions_are_the_owners(slack, db_url):
    config = example_config(access={"sessions": "owner"})
    async with running_app(slack, db_url, config) as app:
        await app.start(user=OWNER, channel=CHANNEL)
        session = app.session(CHANNEL)
        reply = await app.click("Yes", user=STRANGER, message=session)
        assert reply.status == 200
        assert "This session belongs to someone else" in last_notice(slack)
        assert version_of(app.session(CHANNEL)) == 1  # nothing changed
        await app.click("Yes", user=OWNER)
        assert version_of(app.session(CHANNEL)) == 2


async def test_a_stranger_cannot_submit_the_owners_form(slack, db_url):
    config = example_config(access={"sessions": "owner"})
    async with running_app(slack, db_url, config) as app:
        await app.command("sse-integration", user=OWNER, channel=CHANNEL)
        await app.click("Fill in the form", user=OWNER)
        modal = app.last_view()
        reply = await app.submit({"what_happening": "x"}, view=modal, user=STRANGER)
        assert reply.body["response_action"] == "errors"
        assert "belongs to someone else" in json.dumps(reply.body["errors"])
        assert version_of(app.session(CHANNEL)) == 0


async def test_the_owners_team_may_answer_when_sessions_are_the_teams(slack, db_url):
    config = example_config(access={"sessions": "team", "teams": ["S0TEAMA"]})
    slack.set_usergroup("S0TEAMA", [OWNER, TEAMMATE])
    async with running_app(slack, db_url, config) as app:
        await app.start(user=OWNER, channel=CHANNEL)
        await app.click("Yes", user=STRANGER)
        assert version_of(app.session(CHANNEL)) == 1 and "its owner and their team" in last_notice(slack)
        await app.click("Yes", user=TEAMMATE)
        assert version_of(app.session(CHANNEL)) == 2


async def test_someone_refused_the_start_cannot_click_either(slack, db_url):
    config = example_config(access={"users": [OWNER]})
    async with running_app(slack, db_url, config) as app:
        refused = await app.command("clever-access", user=STRANGER, channel=CHANNEL)
        assert "not set up to start playbooks" in refused.body["text"]
        await app.start(user=OWNER, channel=CHANNEL)
        await app.click("Yes", user=STRANGER)
        assert "not set up to start playbooks" in last_notice(slack)
        assert version_of(app.session(CHANNEL)) == 1


async def test_a_button_carrying_another_runs_id_changes_neither_run(slack, db_url):
    async with running_app(slack, db_url) as app:
        await app.start(user=OWNER, channel=CHANNEL)
        first = app.session(CHANNEL)
        await app.start(user=STRANGER, channel=CHANNEL)
        second = app.session(CHANNEL)
        other = decode(RunRef, App.buttons(second)["Yes"]["value"])
        # A click on the first message whose button says it belongs to the second run.
        forged = encode(RunRef(other.run_id, other.version, 0))
        url = slack.response_url("forged", channel=CHANNEL, message_ts=first["ts"], user_id=STRANGER)
        body = block_actions_body(
            "triage.choice.0", forged, user_id=STRANGER, channel_id=CHANNEL, message=first, response_url=url
        )
        assert (await app.post(body)).status == 200
        await app.settle()
        assert "does not belong to this session" in last_notice(slack)
        messages = {m["ts"]: m for m in slack.messages[CHANNEL]}
        assert version_of(messages[first["ts"]]) == 1 and version_of(messages[second["ts"]]) == 1
        assert "Clever access troubleshooting" in json.dumps(messages[first["ts"]]["blocks"])


async def test_cases_are_shown_and_reopened_only_to_who_may_start_here_or_a_tier2_member(slack, db_url):
    config = example_config(access={"users": [OWNER]})
    tier2_member = config.people["herbert-mena"].slack_user  # in ts-supervisors
    async with running_app(slack, db_url, config) as app:
        await app.start(user=OWNER, channel=CHANNEL)
        [case] = await app.runtime.store.cases.for_owner(OWNER)

        refused = await app.command(case.number, user=STRANGER, channel=CHANNEL, command="/case")
        assert "not set up to look up or reopen cases" in refused.body["text"]
        assert case.number not in json.dumps(refused.body)  # nothing of the case is shown
        refused = await app.command(f"reopen {case.number}", user=STRANGER, channel=CHANNEL, command="/case")
        assert "not set up to look up or reopen cases" in refused.body["text"]

        shown = await app.command(case.number, user=OWNER, channel=CHANNEL, command="/case")
        assert f"Case {case.number}" in json.dumps(shown.body)
        shown = await app.command(case.number, user=tier2_member, channel="C0TIER2", command="/case")
        assert f"Case {case.number}" in json.dumps(shown.body)
