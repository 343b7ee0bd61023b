"""What a ping names, on both surfaces: the case and ticket numbers as its reference (the internal id only when
there is neither), and the Tier 1 agent a Tier 2 playbook hands over, which may have been typed into a form: a
Slack user id becomes a mention, anything else stays inert text."""

from __future__ import annotations

import dataclasses

import pytest

from chatbot.adapters.slack.escalation_blocks import ping_message
from chatbot.adapters.teams.escalation_cards import ping_card
from chatbot.domain.escalation import Escalation
from tests.slackapp import message_text
from tests.teamsapp import teams_config
from tests.test_teams_delivery_units import _escalation, _textblocks

TYPED = "Dana x> <!here> <@U0BOSS001>"


def _with(esc: Escalation, **handoff: object) -> Escalation:
    return dataclasses.replace(esc, handoff=dataclasses.replace(esc.handoff, **handoff))


def _slack_text(esc: Escalation) -> str:
    config = teams_config(slack=True)
    msg = ping_message(esc, config.groups["clever-tier2"], config, None, None, "m")
    return message_text({"text": msg.text, "blocks": msg.blocks})


def test_a_typed_tier1_agent_never_becomes_a_mention_in_slack() -> None:
    text = _slack_text(_with(_escalation(), tier1_agent=TYPED, case_number="CL-2026-000007"))
    assert "Raised at Tier 1 by Dana x&gt; &lt;!here&gt; &lt;@U0BOSS001&gt;" in text
    assert "<!here>" not in text and "<@U0BOSS001>" not in text


def test_a_tier1_agent_handed_over_by_the_app_is_mentioned_in_slack() -> None:
    text = _slack_text(_with(_escalation(), tier1_agent="U0TIER1A1", case_number="CL-2026-000007"))
    assert "Raised at Tier 1 by <@U0TIER1A1>" in text


@pytest.mark.parametrize("case_number", ["CL-2026-000007", None])
def test_the_reference_is_the_case_and_ticket_not_an_internal_id(case_number: str | None) -> None:
    esc = _with(_escalation(), case_number=case_number, reference=None if case_number is None else "48213")
    config = teams_config(slack=True)
    slack = _slack_text(esc)
    teams = "\n".join(_textblocks(ping_card(esc, config.groups["clever-tier2"], config)))
    for text in (slack, teams):
        if case_number:
            assert "CL-2026-000007" in text and "Ticket #48213" in text
            assert "rrrrrrrr" not in text  # the run id's first eight characters
        else:
            assert "ref `rrrrrrrr`" in text or "ref rrrrrrrr" in text  # nothing better to quote


def test_a_typed_tier1_agent_is_plain_text_in_teams() -> None:
    config = teams_config()
    esc = _with(_escalation(), tier1_agent=TYPED)
    shown = "\n".join(_textblocks(ping_card(esc, config.groups["clever-tier2"], config)))
    assert "Raised at Tier 1 by" in shown and "<at>" not in shown
