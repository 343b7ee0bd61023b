"""An escalation walked in Slack as the agent and then as the pinged person: Clever Tier 1 escalates to Clever
Tier 2 (its own group, not the supervisors), the Tier 2 agent starts the Tier 2 playbook from the ping with what
Tier 1 collected filled in, on the same case and ticket, and a returned escalation asks Herbert Mena alone first,
naming the Tier 1 agent."""

from __future__ import annotations

import json

import pytest

from tests.fakeslack import FakeSlack
from tests.slackapp import App, FakeClock, message_text, running_app
from tests.test_escalations import WEDNESDAY_10AM, pings

AGENT = "U0AGENT1"
CHANNEL = "C0SUPPORT"
CLEVER_TIER2 = "C00000CT2A"  # the Clever Tier 2 group's channel (placeholder people A and B)
TIER2_AGENT = "U00000CT11"
TS_SUPERVISORS = "C00000TSUP"
HERBERT, EDISON = "U00000HM01", "U00000EG02"
DISTRICT = {"school_name": "Lincoln High <!here>", "district_name": "Springfield"}


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


async def test_tier2_picks_up_where_tier1_stopped_and_a_return_asks_herbert_first(slack: FakeSlack, db_url) -> None:
    async with running_app(slack, db_url, clock=FakeClock(WEDNESDAY_10AM)) as app:
        # Tier 1: not a Clever district, but they expected Clever to work -> Clever Tier 2
        await app.start(user=AGENT, channel=CHANNEL, requester="Teacher")
        for label in ("No", "No, they expected Clever to work", "Fill in the form"):
            await app.click(label, user=AGENT, message=app.session(CHANNEL))
        assert (await app.submit(DISTRICT, user=AGENT)).text == ""
        await app.runtime.worker.drain()
        case = await app.runtime.store.cases.open_for_ticket("482913")
        assert case is not None
        [ping] = pings(slack, CLEVER_TIER2)
        text = message_text(ping)
        assert f"<@{TIER2_AGENT}>" in text and f"<@{HERBERT}>" not in text  # Tier 2 is not the supervisors
        assert f"Case *{case.number}* · Ticket #482913" in text  # the reference is the ticket, not an internal id
        assert pings(slack, TS_SUPERVISORS) == []

        # Tier 2 starts its playbook from the ping: the ticket form is passed, what Tier 1 typed is filled in
        await app.click_in(ping, "Start Clever Tier 2 escalations", user=TIER2_AGENT)
        session = app.session(CLEVER_TIER2)
        shown = message_text(session)
        assert "Clever Tier 2 escalations" in shown and f"Case *{case.number}*" in shown and "Ticket #482913" in shown
        assert "What Tier 1 escalated" in shown and "Fill in the form" not in App.buttons(session)
        for label in ("Another Clever escalation", "Yes, approved, launched and live", "Fill in the form"):
            await app.click(label, user=TIER2_AGENT, message=app.session(CLEVER_TIER2))
        form = app.last_view()
        prefilled = {
            b["block_id"]: b["element"].get("initial_value") for b in form["blocks"] if b.get("type") == "input"
        }
        assert prefilled["school_name"] == "Lincoln High <!here>" and prefilled["district_name"] == "Springfield"
        ids = {
            "affected": "Teacher",
            **DISTRICT,
            "school_clever_id": "0123456789abcdef01234567",
            "district_clever_id": "89abcdef0123456789abcdef",
        }
        assert (await app.submit(ids, user=TIER2_AGENT)).text == ""
        # Only a TS supervisor checks Clever's dashboard (the Tier 2 agent may not give that answer); Herbert does,
        # in the Tier 2 agent's session, and the Tier 2 agent carries on.
        dashboard = "I am a TS supervisor and have checked the dashboard"
        await app.click(dashboard, user=TIER2_AGENT, message=app.session(CLEVER_TIER2))
        assert "Only members of TS Supervisor group can choose that" in json.dumps(slack.responses[-1].body)
        await app.click(dashboard, user=HERBERT, message=app.session(CLEVER_TIER2))
        for label in (
            "Yes, they appear",
            "No, return it as a Tier 1 escalation (Herbert Mena)",
            "Fill in the form",
        ):
            await app.click(label, user=TIER2_AGENT, message=app.session(CLEVER_TIER2))
        returned = app.last_view()
        known = {
            b["block_id"]: b["element"].get("initial_value") for b in returned["blocks"] if b.get("type") == "input"
        }
        assert known["tier1_agent"] == AGENT  # the Tier 1 agent travels with the escalation
        values = {"tier1_agent": AGENT, "inaccuracies": "The school's Clever ID was the district's"}
        assert (await app.submit(values, user=TIER2_AGENT)).text == ""
        await app.runtime.worker.drain()

        # A returned escalation: Herbert Mena alone first, the TS Supervisor group the fallback; same case
        [returned_ping] = pings(slack, TS_SUPERVISORS)
        text = message_text(returned_ping)
        assert f"<@{HERBERT}> (asked by name)" in text and f"<@{EDISON}>" not in text
        assert f"Case *{case.number}*" in text and f"Raised at Tier 1 by <@{AGENT}>" in text
        assert len(await app.runtime.store.escalations.for_case(case.id)) == 2
        runs = await app.runtime.store.cases.runs_of(case.id)
        assert sorted(playbook for _id, playbook, _status in runs) == ["clever-access", "clever-tier2"]
