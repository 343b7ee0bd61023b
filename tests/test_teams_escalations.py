"""Escalations in Teams, end to end: pings posted proactively in the group's Teams channel (with mentions) by the
worker, supervisors' presses, the agent told, Teams' faults; and Slack serving the same database at the same time.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chatbot.adapters.teams.escalation_cards import RESENT
from chatbot.domain.escalation import Surface
from chatbot.domain.jobs import JobStatus
from tests.fakeslack import FakeSlack
from tests.slackapp import FakeClock, message_text
from tests.teamsapp import (
    AGENT,
    EDISON,
    GROUP_NAME,
    HERBERT,
    JULIAN,
    OUTSIDER,
    TIER2_TEAMS,
    Chat,
    TeamsApp,
    buttons,
    microsoft,
    running_teams,
    said,
    teams_config,
    texts,
    walk,
)
from tests.teamswalk import FREE_TEXT, escalating_path, press_move, walk_in_slack
from tests.test_escalations import pings, thread
from tests.test_playbook_paths import playbook

WEDNESDAY_10AM = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # inside the Clever Tier 2 group's New York hours
CHANNEL = Chat(TIER2_TEAMS, "channel")
SLACK_TIER2 = "C00000CT2A"  # the Clever Tier 2 group's Slack channel in the example configuration


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with microsoft(tmp_path, monkeypatch) as w:
        yield w


@pytest.fixture
async def slack():  # type: ignore[no-untyped-def]
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WEDNESDAY_10AM)


def said_card(card: dict[str, Any]) -> str:
    return texts(card).replace("\\", "")


def ping_ids(app: TeamsApp) -> list[str]:
    """The ids of the pings (new threads) in the group's Teams channel, oldest first."""
    stored = app.connector.conversation(TIER2_TEAMS).activities
    return [mid for mid, activity in stored.items() if not activity.get("replyToId") and "attachments" in activity]


def thread_posts(app: TeamsApp, ping_id: str) -> list[dict[str, Any]]:
    return [c.body for c in app.connector.posted(f"{TIER2_TEAMS};messageid={ping_id}")]


async def escalate_in_teams(app: TeamsApp, chat: Chat) -> str:
    """A Teams agent walks a path that escalates to Clever Tier 2, in `chat`; the session card's message id."""
    path = escalating_path()
    pb = playbook(path.playbook)
    message_id = await app.start(AGENT, f"triage {path.playbook}", chat)
    card: dict[str, Any] = {}
    for move in path.moves:
        card = await press_move(app, AGENT, chat, message_id, move, pb, free_text=FREE_TEXT)
    assert f"Escalated to {GROUP_NAME}" in texts(card)
    return message_id


def markup_free(card: dict[str, Any]) -> bool:
    """No TextBlock (Markdown) holds what a user typed as markup: only escaped, if at all."""
    blocks = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
    return not any(bad in b for b in blocks for bad in ("<!here>", "<at>Everyone", "](https://evil"))


async def test_slack_and_teams_on_one_database_ping_ack_in_teams_and_the_slack_agent_is_told(
    world, slack: FakeSlack, db_url: str, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, db_url, slack=slack, clock=clock) as app:
        assert app.slack is not None
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        path = escalating_path()
        await walk_in_slack(app.slack, path, FREE_TEXT)  # an agent in Slack
        await app.runtime.worker.drain()

        # Pinged on both surfaces the group is on.
        assert len(pings(slack, SLACK_TIER2)) == 1
        [ping] = app.posts()
        assert {e["mentioned"]["id"] for e in ping.body["entities"]} == {HERBERT.aad, EDISON.aad}
        assert "<at>Herbert Mena</at> <at>Edison Gomez</at> (tier 1 of 3)" in ping.body["text"]
        [ping_id] = ping_ids(app)
        card = app.card(CHANNEL, ping_id)
        summary = playbook(path.playbook).steps[path.end].outcome
        assert summary is not None and summary.summary in said_card(card)
        assert GROUP_NAME in texts(card) and "Agent: the agent (on Slack)" in said_card(card)
        assert markup_free(card)  # typed text stays text (verbatim only in the note's copy box, an input)
        case_work = ["Start Clever Tier 2 escalations", "Record work", "Status update reply"]
        assert buttons(card) == [*case_work, "Acknowledge", "Claim", "Return to Tier 1", "Resolve"]

        # Someone outside the group presses: refused, nothing changes.
        ping_thread = Chat.thread(TIER2_TEAMS, ping_id)
        refused = await app.press(OUTSIDER, ping_thread, ping_id, "Acknowledge")
        assert f"Only members of {GROUP_NAME}" in texts(refused)
        await app.runtime.worker.drain()
        assert thread(slack, "C0SUPPORT") == []

        # A member acknowledges in Teams: they see it at once, everyone once the worker updates the pings.
        mine = await app.press(HERBERT, ping_thread, ping_id, "Acknowledge")
        assert "Acknowledged by Herbert Mena" in texts(mine) and "Acknowledge" not in buttons(mine)
        await app.runtime.worker.drain()
        assert "Acknowledged by Herbert Mena" in texts(app.card(CHANNEL, ping_id))
        assert "Acknowledge" not in message_text(pings(slack, SLACK_TIER2)[0]).split("Acknowledged")[0]
        notices = thread(slack, "C0SUPPORT")
        assert len(notices) == 1 and "*acknowledged* by" in message_text(notices[0])
        assert "Acknowledged by" in message_text(app.slack.session())
        # No more reminders after the acknowledgement, on either surface.
        clock.advance(hours=3)
        await app.runtime.worker.drain()
        assert thread(slack, SLACK_TIER2) == [] and thread_posts(app, ping_id) == []


async def test_a_teams_agent_escalates_supervisor_returns_it_and_the_session_shows_why(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'esc.sqlite3'}", clock=clock) as app:  # Teams alone
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        chat = Chat.thread("19:agents0123@thread.tacv2")
        app.connector.conversation(chat.stored_in)
        session_id = await escalate_in_teams(app, chat)
        await app.runtime.worker.drain()
        [ping_id] = ping_ids(app)
        assert "pinged tier 1 of 3" in texts(app.card(chat, session_id))
        ping_thread = Chat.thread(TIER2_TEAMS, ping_id)

        assert markup_free(app.card(CHANNEL, ping_id))
        empty = await app.press(JULIAN, ping_thread, ping_id, "Return", {"esc.reason": "  "})
        assert "Say why it goes back" in texts(empty)
        card = await app.press(JULIAN, ping_thread, ping_id, "Return", {"esc.reason": "IDs swapped <at>All</at>"})
        assert "Returned to Tier 1: IDs swapped" in texts(card).replace("\\", "") and buttons(card) == []
        await app.runtime.worker.drain()

        # The agent hears it in the session's thread, mentioned; the session card says where it stands.
        [notice] = [c.body for c in app.connector.posted(chat.id) if c.operation == "send"]
        assert "returned to Tier 1" in str(notice) and "IDs swapped" in str(notice)
        assert "<at>All</at>" not in str(notice["attachments"])  # typed text is escaped, never a mention
        session = texts(app.card(chat, session_id))
        assert "Returned to Tier 1: IDs swapped" in session.replace("\\", "")


async def pinged_from(app: TeamsApp, chat: Chat) -> str:
    """The agent escalates to Clever Tier 2 from `chat`; the ping's id in the group's channel, once delivered."""
    await app.install({TIER2_TEAMS: "Clever Tier 2"})
    app.connector.conversation(chat.stored_in)
    await escalate_in_teams(app, chat)
    await app.runtime.worker.drain()
    [ping_id] = ping_ids(app)
    return ping_id


async def test_resolve_in_teams_asks_what_was_found_and_the_agent_gets_the_closure_reply(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'resolve.sqlite3'}", clock=clock) as app:
        chat = Chat.thread("19:agents0456@thread.tacv2")
        ping_id = await pinged_from(app, chat)
        ping_thread = Chat.thread(TIER2_TEAMS, ping_id)
        [opened] = await app.runtime.store.cases.for_owner(AGENT.aad)  # the contact's case, numbered
        number = opened.number
        assert f"Case **{number}**" in texts(app.card(CHANNEL, ping_id))
        refused = await app.press(HERBERT, ping_thread, ping_id, "Resolve", {"esc.found": "Born 04/12/2016 Emma Lee"})
        assert "a name with a birth date" in texts(refused)  # the closure goes to a Tier 1 conversation
        card = await app.press(HERBERT, ping_thread, ping_id, "Resolve", {"esc.found": "Clever IDs were swapped"})
        assert buttons(card) == []
        await app.runtime.worker.drain()
        # The whole walk happened at one instant of the test's clock: the agent's thread has used Teams' 8 posts in
        # 2 s, so the second of the two messages the agent gets (the resolution notice, the closure reply) waits.
        clock.advance(seconds=2)
        await app.runtime.worker.drain()
        sent = [c.body for c in app.connector.posted(chat.id) if c.operation == "send"]
        closure = [b for b in sent if "Closure reply" in str(b)]
        assert len(closure) == 1 and "Clever IDs were swapped" in str(closure[0]) and number in str(closure[0])
        case = await app.runtime.store.cases.by_number(number)
        assert case is not None and case.status == "closed"


async def test_resolve_in_teams_in_warn_mode_resolves_and_tells_only_the_presser(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    config = teams_config(pii={"tier1": "warn", "tier2": "off"})
    async with running_teams(world, f"sqlite:///{tmp_path / 'warn.sqlite3'}", config=config, clock=clock) as app:
        chat = Chat.thread("19:agents0456@thread.tacv2")
        ping_id = await pinged_from(app, chat)
        card = await app.press(
            HERBERT, Chat.thread(TIER2_TEAMS, ping_id), ping_id, "Resolve", {"esc.found": "Born 04/12/2016 Emma Lee"}
        )
        assert buttons(card) == []  # resolved: warn mode lets it through
        warned = texts(card)
        assert "a name with a birth date" in warned and "edit it out" in warned and "Emma" not in warned
        assert "a name with a birth date" not in texts(app.card(CHANNEL, ping_id))  # the stored ping: no warning


async def test_unacknowledged_ping_is_re_escalated_in_its_thread(world, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 're.sqlite3'}", clock=clock) as app:
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        chat = Chat.personal(AGENT)
        app.connector.conversation(chat.id)
        await escalate_in_teams(app, chat)
        await app.runtime.worker.drain()
        [ping_id] = ping_ids(app)
        clock.advance(minutes=15)
        await app.runtime.worker.drain()
        [reminder] = thread_posts(app, ping_id)
        assert "<at>Julian Mantilla</at> (tier 2 of 3)" in reminder["text"]
        assert [e["mentioned"]["id"] for e in reminder["entities"]] == [JULIAN.aad]
        assert "pinged tier 2 of 3" in texts(app.card(CHANNEL, ping_id))


async def test_a_ping_lost_to_a_429_storm_is_posted_once_when_teams_lets_it(
    world, db_url: str, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, db_url, clock=clock) as app:
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        chat = Chat.personal(AGENT)
        app.connector.conversation(chat.id)
        # More refusals than the worker's 12 attempts: waiting for a rate limit must not count as failing.
        app.connector.fail_next(429, retry_after=30, times=15, operation="send")
        app.connector.clock = lambda: clock.now.timestamp()
        await escalate_in_teams(app, chat)
        for _ in range(40):
            await app.runtime.worker.drain()
            if ping_ids(app):
                break
            clock.advance(seconds=31)
        sends = [c for c in app.connector.calls if c.operation == "send" and c.conversation_id == TIER2_TEAMS]
        assert [c.status for c in sends] == [429] * 15 + [201]
        [ping_id] = ping_ids(app)
        assert RESENT not in texts(app.card(CHANNEL, ping_id))  # 429s posted nothing: not a second copy
        # Retry-After was honoured: never asked again before it had passed (times on the app's clock).
        assert all(b.at - a.at >= 30 for a, b in itertools.pairwise(sends))
        jobs = [j for j in await app.runtime.store.jobs.list() if j.kind == "ping"]
        assert [j.status for j in jobs] == [JobStatus.DONE] and jobs[0].attempts == 16


async def test_a_lost_answer_is_posted_again_saying_so(world, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """The window Teams leaves open: the post was made but its answer never came, and nothing can be read back.
    The second copy says it is one; the escalation keeps the one it knows, and both copies' buttons work."""
    async with running_teams(world, f"sqlite:///{tmp_path / 'lost.sqlite3'}", clock=clock, worker_timeout=1) as app:
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        chat = Chat.personal(AGENT)
        app.connector.conversation(chat.id)
        app.connector.lose_next_answer(3, operation="send")
        await escalate_in_teams(app, chat)
        await app.runtime.worker.drain()
        assert len(ping_ids(app)) == 1  # made, but the worker does not know
        clock.advance(seconds=5)
        await app.runtime.worker.drain()
        first, second = ping_ids(app)
        assert RESENT not in texts(app.card(CHANNEL, first)) and RESENT in texts(app.card(CHANNEL, second))
        esc = (await app.runtime.store.escalations.for_run(_run_of(app)))[-1]
        assert esc.posts[Surface.TEAMS].message_id == second  # the one whose answer came
        card = await app.press(EDISON, Chat.thread(TIER2_TEAMS, first), first, "Claim")
        assert "Claimed by Edison Gomez" in texts(card)


def _run_of(app: TeamsApp) -> str:
    return next(str(i["value"]["action"]["data"]["r"]) for i in app.invokes if "r" in i["value"]["action"]["data"])


async def test_oncall_away_in_teams_skips_that_supervisor(world, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'away.sqlite3'}", clock=clock) as app:
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        mine = Chat.personal(HERBERT)
        app.connector.conversation(mine.id)
        answer = said(await app.say(HERBERT, "oncall away 2h", mine))
        assert "You are marked away until Wed 25 Nov 12:00 (America/New_York)" in answer  # his group's zone
        assert "Herbert Mena (away until Wed 12:00)" in said(await app.say(HERBERT, "oncall", mine))
        chat = Chat.personal(AGENT)
        app.connector.conversation(chat.id)
        await escalate_in_teams(app, chat)
        await app.runtime.worker.drain()
        [ping] = app.posts()
        assert [e["mentioned"]["id"] for e in ping.body["entities"]] == [EDISON.aad]


async def test_a_channel_the_bot_never_saw_is_reached_through_its_tenant(
    world, tmp_path: Path, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'tenant.sqlite3'}", clock=clock) as app:
        chat = Chat.personal(AGENT)  # the only conversation the bot has seen: no install in the team
        app.connector.conversation(chat.id)
        await escalate_in_teams(app, chat)
        await app.runtime.worker.drain()
        assert len(ping_ids(app)) == 1


async def test_a_ping_teams_refuses_for_good_tells_the_agent(world, tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'gone.sqlite3'}", clock=clock) as app:
        await app.install({TIER2_TEAMS: "Clever Tier 2"})
        del app.connector.conversations[TIER2_TEAMS]  # the channel was deleted: Teams answers 404
        chat = Chat.personal(AGENT)
        app.connector.conversation(chat.id)
        await escalate_in_teams(app, chat)
        await app.runtime.worker.drain()
        [notice] = [c.body for c in app.connector.posted(chat.id) if c.operation == "send"]
        assert "could not be posted" in str(notice) and "404" in str(notice)
