"""Every escalating outcome of the shipped playbooks, end to end in Slack: the agent clicks its way there, the ping
lands in the group's channel the procedure names, a member acknowledges it, and the agent hears so in the thread
of their session."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.engine.schema import StepKind
from chatbot.services.escalations import ESCALATING as ESCALATING_KINDS
from tests.fakeslack import FakeSlack
from tests.slackapp import DEFAULT_USER_ID, App, FakeClock, example_config, message_text, running_app
from tests.test_escalations import WEDNESDAY_10AM, pings, thread
from tests.test_playbook_paths import PATHS, PlaybookPath, playbook, sample_value

AGENT_CHANNEL = "C0SUPPORT"
CONFIG = example_config()


def _escalating_paths() -> list[PlaybookPath]:
    """One path to each escalating outcome (the first found)."""
    seen: dict[tuple[str, str], PlaybookPath] = {}
    for path in PATHS:
        end = playbook(path.playbook).steps[path.end]
        if end.outcome is not None and end.outcome.kind in ESCALATING_KINDS:
            seen.setdefault((path.playbook, path.end), path)
    return list(seen.values())


ESCALATING = _escalating_paths()


def _member(group_id: str, person: str | None) -> str:
    """Who presses: the person the outcome asks by name, else the group's first member with a Slack account."""
    group = CONFIG.groups[group_id]
    ids = [person] if person else list(group.members)
    return next(u for u in (CONFIG.people[p].slack_user for p in ids) if u)


async def _walk(app: App, path: PlaybookPath) -> None:
    await app.command(path.playbook, user=DEFAULT_USER_ID, channel=AGENT_CHANNEL)
    pb = playbook(path.playbook)
    for step_id, choice in path.moves:
        step = pb.steps[step_id]
        session = app.session(AGENT_CHANNEL)
        if step.kind == StepKind.QUESTION:
            only = step.choices[choice].only  # an answer only a group's member may give: one of them gives it
            who = _member(only, None) if only else DEFAULT_USER_ID
            await app.click(step.choices[choice].label, user=who, message=session)
        elif step.kind == StepKind.COLLECT:
            await app.click("Fill in the form", message=session)
            reply = await app.submit({f.id: sample_value(f) for f in step.fields})
            assert reply.text == "", (path.id, reply.body)
        else:
            await app.click(step.continue_label, message=session)


def test_every_escalating_outcome_is_covered() -> None:
    assert len(ESCALATING) >= 20  # issue 10's table: every escalating outcome of the six playbooks


@pytest.mark.parametrize("path", ESCALATING, ids=lambda p: f"{p.playbook}:{p.end}")
async def test_the_ping_reaches_the_named_group_and_its_acknowledgement_reaches_the_agent(
    path: PlaybookPath, tmp_path: Path
) -> None:
    outcome = playbook(path.playbook).steps[path.end].outcome
    assert outcome is not None and outcome.group is not None
    channel = CONFIG.groups[outcome.group].channel
    assert channel is not None
    member = _member(outcome.group, outcome.person)
    async with (
        FakeSlack() as slack,
        running_app(slack, f"sqlite:///{tmp_path / 'e.sqlite3'}", clock=FakeClock(WEDNESDAY_10AM)) as app,
    ):
        await _walk(app, path)
        assert "Customer reply" in message_text(app.session(AGENT_CHANNEL)), path.id
        await app.runtime.worker.drain()
        [ping] = pings(slack, channel)
        assert f"<@{member}>" in message_text(ping), path.id  # the person named, or the group's first tier
        await app.click_in(ping, "Acknowledge", user=member)
        await app.runtime.worker.drain()
        [ping] = pings(slack, channel)
        assert f"Acknowledged by <@{member}>" in message_text(ping), path.id
        told = [message_text(m) for m in thread(slack, AGENT_CHANNEL)]
        assert any("*acknowledged* by" in m and f"<@{DEFAULT_USER_ID}>" in m for m in told), (path.id, told)
