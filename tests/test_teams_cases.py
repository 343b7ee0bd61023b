"""Cases in Teams, end to end over real HTTP against the fake Bot Connector: Tier 2's case buttons on a ping (Start
the follow-up playbook, Record work, Status update reply) and the `case` command (a case shown, `case new`), through
the same services as Slack's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatbot.adapters.teams import ids
from tests.fakeslack import FakeSlack
from tests.slackapp import FakeClock, message_text
from tests.teamsapp import (
    AGENT,
    GROUP_NAME,
    HERBERT,
    OUTSIDER,
    TIER2_TEAMS,
    Chat,
    TeamsApp,
    buttons,
    checked,
    microsoft,
    running_teams,
    said,
    teams_config,
    texts,
    walk,
)
from tests.teamswalk import FREE_TEXT, escalating_path, walk_in_slack
from tests.test_escalations import thread
from tests.test_teams_escalations import (
    CHANNEL,
    WEDNESDAY_10AM,
    escalate_in_teams,
    markup_free,
    ping_ids,
    thread_posts,
)

FOLLOW_UP = "Start Clever Tier 2 escalations"
CASE_BUTTONS = [FOLLOW_UP, "Record work", "Status update reply"]
JIRA = {ids.WORK_KIND: "tech_dev", ids.WORK_REFERENCE: "DEV-1234", ids.WORK_NOTE: "Rostering sync fails"}


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with microsoft(tmp_path, monkeypatch) as w:
        yield w


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WEDNESDAY_10AM)


@dataclass
class Escalated:
    chat: Chat  # the agent's
    ping_id: str
    ping_thread: Chat
    number: str  # the case's


async def escalated(app: TeamsApp, clock: FakeClock) -> Escalated:
    """A Teams agent escalates to Clever Tier 2 from their personal chat; the ping is in the group's channel."""
    await app.install({TIER2_TEAMS: "Clever Tier 2"})
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    await escalate_in_teams(app, chat)
    await app.runtime.worker.drain()
    clock.advance(seconds=2)  # the walk's posts in the agent's chat leave Teams' 8-in-2-s window free again
    [ping_id] = ping_ids(app)
    [case] = await app.runtime.store.cases.for_owner(AGENT.aad)
    return Escalated(chat, ping_id, Chat.thread(TIER2_TEAMS, ping_id), case.number)


def agent_messages(app: TeamsApp, chat: Chat) -> list[str]:
    return [said(c) for c in app.connector.posted(chat.id) if c.operation == "send"]


def plain(card: dict[str, Any]) -> str:
    return texts(card).replace("\\", "")


async def test_tier2_starts_the_follow_up_in_the_pings_thread_with_tier1s_answers(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'follow.sqlite3'}", clock=clock) as app:
        e = await escalated(app, clock)
        ping = app.card(CHANNEL, e.ping_id)
        assert buttons(ping)[:3] == CASE_BUTTONS and "Tier 2 work on the case" in texts(ping)

        answer = await app.press(HERBERT, e.ping_thread, e.ping_id, FOLLOW_UP)
        assert "Started Clever Tier 2 escalations for you in this thread" in texts(answer)
        [posted] = thread_posts(app, e.ping_id)  # the session card, a reply in the ping's thread
        session_id = list(app.connector.conversation(TIER2_TEAMS).activities)[-1]
        session = app.card(e.ping_thread, session_id)
        assert posted["attachments"][0]["content"] == session
        # The ticket form is passed with Tier 1's ticket and requester: the first question is asked at once.
        shown = plain(session)
        assert "Clever Tier 2 escalations" in shown
        assert f"Session for Herbert Mena · Case {e.number} · Ticket #" in shown and "· step 2 ·" in shown
        case = await app.runtime.store.cases.by_number(e.number)
        assert case is not None
        [esc] = await app.runtime.store.escalations.for_case(case.id)
        assert f"✓ Ticket and requester → **Zendesk ticket number: {esc.handoff.reference}; Who is asking:" in shown
        assert "What Tier 1 escalated" in shown
        assert "Save" not in buttons(session) and "Another Clever escalation" in buttons(session)

        # The session lives there: Herbert answers on it, and it belongs to the same case as Tier 1's run.
        card = await app.press(HERBERT, e.ping_thread, session_id, "Another Clever escalation")
        assert "Another Clever escalation" in texts(card) and card != session
        runs = await app.runtime.store.cases.runs_of(case.id)
        assert sorted(playbook for _id, playbook, _status in runs) == ["clever-access", "clever-tier2"]


async def test_record_work_tells_the_teams_agent_and_links_the_jira_key_and_case_shows_it(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'work.sqlite3'}", clock=clock) as app:
        e = await escalated(app, clock)
        before = len(agent_messages(app, e.chat))
        answer = await app.press(HERBERT, e.ping_thread, e.ping_id, "Record", JIRA)
        assert "Recorded on the case: Herbert Mena is working with Tech Development (DEV-1234)" in plain(answer)
        await app.runtime.worker.drain()
        told = agent_messages(app, e.chat)[before:]
        assert len(told) == 1
        assert f"(case **{e.number}**)" in told[0]
        assert "Herbert Mena is working with Tech Development (DEV-1234): Rostering sync fails" in told[0]
        case = await app.runtime.store.cases.by_number(e.number)
        assert case is not None and [(link.kind, link.ref) for link in case.links if link.kind == "jira"] == [
            ("jira", "DEV-1234")
        ]

        # `case NUMBER` in Teams shows it: status, ticket, owner, the Jira key, runs, escalations, timeline.
        reply = await app.say(AGENT, f"case {e.number}", e.chat)
        assert reply is not None
        view = checked(reply.body["attachments"][0]["content"])
        text = said(reply)
        assert f"Case **{e.number}** · escalated to Tier II · priority **normal**" in text
        facts = {f["title"]: f["value"] for f in view["body"][1]["facts"]}
        assert facts["Jira"] == "DEV-1234" and facts["Owner"] == "someone"  # Ada is not in the configuration
        assert "- clever-access · finished" in text
        assert GROUP_NAME in text and "case.work.tech_dev · Herbert Mena" in text
        assert markup_free(view)


async def test_a_non_members_presses_are_refused_and_change_nothing(world, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'outsider.sqlite3'}", clock=clock) as app:
        e = await escalated(app, clock)
        case = await app.runtime.store.cases.by_number(e.number)
        assert case is not None
        timeline = await app.runtime.store.cases.timeline(case.id)
        before = len(agent_messages(app, e.chat))
        for title, inputs in ((FOLLOW_UP, None), ("Record", JIRA), ("Status update reply", None)):
            refused = await app.press(OUTSIDER, e.ping_thread, e.ping_id, title, inputs)
            assert f"Only members of {GROUP_NAME} can do that." in texts(refused), title
            assert "Sometimes these steps" not in texts(refused)
        await app.runtime.worker.drain()
        assert thread_posts(app, e.ping_id) == []  # no session started
        assert len(agent_messages(app, e.chat)) == before  # nobody told
        after = await app.runtime.store.cases.by_number(e.number)
        assert after is not None and after.links == case.links
        assert await app.runtime.store.cases.timeline(case.id) == timeline
        assert len(await app.runtime.store.cases.runs_of(case.id)) == 1


async def test_status_update_reply_is_shown_to_the_presser_only(world, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'status.sqlite3'}", clock=clock) as app:
        e = await escalated(app, clock)
        await app.press(HERBERT, e.ping_thread, e.ping_id, "Record", JIRA)
        answer = await app.press(HERBERT, e.ping_thread, e.ping_id, "Status update reply")
        [reply] = [n["value"] for n in _inputs(answer) if n["id"] == ids.COPY_REPLY]
        assert e.number in reply and "Sometimes these steps can take a bit of time" in reply
        assert "been working with our Tech Development team" in reply  # the work recorded, in the customer's words
        assert f"Status update for case {e.number}" in plain(answer)
        await app.runtime.worker.drain()
        assert thread_posts(app, e.ping_id) == []  # nothing posted in the channel for it
        assert "Sometimes these steps" not in texts(app.card(CHANNEL, e.ping_id))  # the stored ping stays as is
        case = await app.runtime.store.cases.by_number(e.number)
        assert case is not None
        actions = [event.action for event in await app.runtime.store.cases.timeline(case.id)]
        assert "case.status_update" in actions


def _inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(card) if str(n.get("type", "")).startswith("Input.")]


async def test_a_childs_name_and_birth_date_in_record_work_is_refused_in_block_mode(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'pii.sqlite3'}", clock=clock) as app:
        e = await escalated(app, clock)
        before = len(agent_messages(app, e.chat))
        case = await app.runtime.store.cases.by_number(e.number)
        assert case is not None
        timeline = await app.runtime.store.cases.timeline(case.id)
        note = {**JIRA, ids.WORK_NOTE: "Emma Lee, born 04/12/2016, cannot log in"}
        refused = await app.press(HERBERT, e.ping_thread, e.ping_id, "Record", note)
        assert "a name with a birth date" in texts(refused) and "Emma" not in str(refused)
        await app.runtime.worker.drain()
        assert len(agent_messages(app, e.chat)) == before
        assert await app.runtime.store.cases.timeline(case.id) == timeline
        after = await app.runtime.store.cases.by_number(e.number)
        assert after is not None and after.links == case.links


async def test_case_new_with_some_details_opens_a_case_and_says_what_is_missing(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'new.sqlite3'}", clock=clock) as app:
        chat = Chat.personal(AGENT)
        app.connector.conversation(chat.id)
        assert "case TS-2026-000123" in said(await app.say(AGENT, "case help", chat))
        assert "case new" in said(await app.say(AGENT, "help", chat))
        await app.say(AGENT, "case new 482913", chat)
        form_id = list(app.connector.conversation(chat.id).activities)[-1]
        form = app.card(chat, form_id)
        assert "Open case" in buttons(form) and "User ID, class ID or child ID" in str(form)
        typed = {ids.field_input_id("gold_id"): "88231", ids.field_input_id("browser"): f"Chrome {FREE_TEXT}"}
        opened = await app.press(AGENT, chat, form_id, "Open case", typed, card=form)
        [case] = await app.runtime.store.cases.for_owner(AGENT.aad)
        assert case.ticket == "482913" and case.details == {"gold_id": "88231", "browser": f"Chrome {FREE_TEXT}"}
        shown = plain(opened)
        assert f"Case **{case.number}** opened by Ada Agent · Ticket #482913" in shown
        [reply] = [n["value"] for n in _inputs(opened) if n["id"] == ids.COPY_REPLY]
        assert case.number in reply
        assert "Still missing (the reply asks for it): Email used during account creation, Error messages" in shown
        assert markup_free(opened)
        assert app.card(chat, form_id) == opened  # the form's message is the case opened, for everyone

        # The same form pressed again (a double click): the same case, not a second one.
        again = await app.press(AGENT, chat, form_id, "Open case", typed, card=form)
        assert again == opened and len(await app.runtime.store.cases.for_owner(AGENT.aad)) == 1

        # Personal data typed at Tier 1 is refused before anything is stored, and the form says where.
        await app.say(AGENT, "case new", chat)
        second_id = list(app.connector.conversation(chat.id).activities)[-1]
        bad = {ids.field_input_id("steps_taken"): "Emma Lee, born 04/12/2016, cannot log in"}
        refused = await app.press(AGENT, chat, second_id, "Open case", bad)
        assert "a name with a birth date" in texts(refused) and "Open case" in buttons(refused)
        assert len(await app.runtime.store.cases.for_owner(AGENT.aad)) == 1


async def test_a_slack_agent_hears_tier2_work_recorded_in_teams(world, db_url: str, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async with FakeSlack() as slack, running_teams(world, db_url, slack=slack, clock=clock) as app:
        assert app.slack is not None
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        await walk_in_slack(app.slack, escalating_path(), FREE_TEXT)
        await app.runtime.worker.drain()
        [ping_id] = ping_ids(app)
        ping_thread = Chat.thread(TIER2_TEAMS, ping_id)
        answer = await app.press(HERBERT, ping_thread, ping_id, "Record", JIRA)
        assert "The agent is told" in texts(answer)
        await app.runtime.worker.drain()
        [told] = [m for m in thread(slack, "C0SUPPORT") if "DEV-1234" in message_text(m)]
        assert "is working with Tech Development (DEV-1234)" in message_text(told)


async def test_case_lookup_and_reopen_are_refused_to_whoever_may_not_start_here_unless_tier2(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    config = teams_config(access={"teams_users": [AGENT.aad]})
    async with running_teams(world, f"sqlite:///{tmp_path / 'access.sqlite3'}", config=config, clock=clock) as app:
        e = await escalated(app, clock)
        outsider = Chat.personal(OUTSIDER)
        app.connector.conversation(outsider.id)
        for text in (f"case {e.number}", f"case reopen {e.number}"):
            refused = await app.say(OUTSIDER, text, outsider)
            assert refused is not None and "not set up to look up or reopen cases" in said(refused), text
            assert e.number not in said(refused)
        herbert = Chat.personal(HERBERT)  # a member of Clever Tier 2, not in `access`
        app.connector.conversation(herbert.id)
        for who, chat in ((HERBERT, herbert), (AGENT, e.chat)):
            shown = await app.say(who, f"case {e.number}", chat)
            assert shown is not None and f"Case **{e.number}**" in said(shown)
