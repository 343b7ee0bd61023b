"""Digests in Teams, end to end: signed activities into the real app, its worker, a real database, and the fake Bot
Connector (which answers 429 with Retry-After when told to). The app's clock is moved by the test.

The leads' digest fires on weekday mornings at 08:00 in New York, in the leads' Teams channel.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from chatbot.adapters.teams.digest_cards import RESENT
from chatbot.domain.jobs import JobKind, JobStatus
from tests.digest_world import World
from tests.fakeslack import FakeSlack
from tests.slackapp import FakeClock
from tests.teamsapp import (
    AGENT,
    HERBERT,
    OUTSIDER,
    TIER2_TEAMS,
    Chat,
    TeamsApp,
    checked,
    microsoft,
    running_teams,
    said,
    teams_config,
    texts,
    walk,
)
from tests.test_digest_slack import _cli, digests

LEADS_TEAMS = "19:leads0a1b2c@thread.tacv2"
PARIS_TEAMS = "19:paris0a1b2c@thread.tacv2"
LEADS_SLACK = "C00000LEAD"
LEADS = {"id": "leads", "title": "Support leads: daily digest", "cron": "0 8 * * 1-5",
         "timezone": "America/New_York", "teams_channel": LEADS_TEAMS}  # fmt: skip
PARIS = {"id": "paris", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "teams_channel": PARIS_TEAMS}
MONDAY_7AM = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 07:00 in New York
MONDAY_8AM = MONDAY_7AM + timedelta(hours=1)
MONDAY_10AM = MONDAY_7AM + timedelta(hours=3)
ESCALATE = "Escalate to a TS supervisor to check it"
TYPED = "<at>Everyone</at> locked out, see [here](https://evil.example)"
M = timedelta(minutes=1)


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with microsoft(tmp_path, monkeypatch) as w:
        yield w


@pytest.fixture
async def slack():  # type: ignore[no-untyped-def]
    async with FakeSlack() as fake:
        yield fake


async def install(app: TeamsApp) -> None:
    for channel in (LEADS_TEAMS, PARIS_TEAMS):
        app.connector.conversation(channel)
    await app.install({TIER2_TEAMS: "Clever Tier 2", LEADS_TEAMS: "Leads", PARIS_TEAMS: "Paris leads"})


def posted_digests(app: TeamsApp, channel: str = LEADS_TEAMS) -> list[dict[str, Any]]:
    """The digest cards Teams holds in a channel (new threads, including one whose answer never reached the app),
    oldest first, each checked against the schema."""
    stored = app.connector.conversation(channel).activities.values()
    return [checked(a["attachments"][0]["content"]) for a in stored if not a.get("replyToId") and "attachments" in a]


def facts(card: dict[str, Any]) -> dict[str, str]:
    """The figures as a lead reads them, {label: value}."""
    [first] = [n for n in card["body"] if n.get("type") == "FactSet"][:1]
    return {f["title"]: f["value"] for f in first["facts"]}


async def seed(world: World) -> None:
    """Today (New York) until 10:00: one escalation acknowledged after 7 minutes from an escalating run, one high
    priority nobody acknowledged (its summary typed with markup), a resolved run; before: one acknowledged after
    10 minutes."""
    dashboard = [("clever-tier2", "who-checks-dashboard", ESCALATE)]
    r1 = await world.run("clever-tier2", ended=MONDAY_7AM - 5 * timedelta(hours=1), kind="escalated",
                         outcome=("clever-tier2", "escalate-dashboard-check"))  # fmt: skip
    await world.run("clever-access", ended=MONDAY_7AM + 30 * M, kind="resolved",
                    outcome=("clever-access", "send-login-instructions"))  # fmt: skip
    await world.escalation("clever-tier2", raised=MONDAY_7AM - 5 * timedelta(hours=1), acked_after=7 * M, run_id=r1,
                           sources=dashboard)  # fmt: skip
    await world.escalation("clever-tier2", raised=MONDAY_7AM + 10 * M, priority="high", summary=TYPED)
    await world.escalation("clever-tier2", raised=MONDAY_7AM - 9 * timedelta(hours=1), acked_after=10 * M,
                           closed=("resolved", MONDAY_7AM - 8 * timedelta(hours=1)), sources=dashboard)  # fmt: skip


async def test_digest_today_in_teams_shows_the_figures_chatbot_digest_prints(world, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(MONDAY_10AM)
    config = teams_config(digests=[LEADS, PARIS])
    async with running_teams(world, db_url, config=config, clock=clock) as app:
        await install(app)
        await seed(World(app.runtime.store))
        mine = Chat.personal(AGENT)
        app.connector.conversation(mine.id)
        reply = await app.say(AGENT, "digest today", mine)
        assert reply is not None
        card = checked(reply.body["attachments"][0]["content"])
        shown = said(reply)
        assert "Mon 23 Nov 00:00 → Mon 23 Nov 10:00 (America/New_York)" in shown  # the first digest's zone
        assert TYPED in shown  # as typed, once Markdown escapes are resolved ...
        blocks = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
        assert not any("<at>" in b or "](https://" in b for b in blocks)  # ... never a mention or link in the card
        teams = facts(card)
        assert teams["Escalations raised"] == "2 (+1)" and teams["Time to acknowledge, median"] == "7 min (−3 min)"

        config_file = tmp_path / "config.yaml"
        config_file.write_text(yaml.safe_dump(config.model_dump(mode="json")))
        printed = await _cli(db_url, config_file, "--since", "2026-11-23", "--until", "2026-11-23T10:00")
        assert printed.returncode == 0, printed.stderr
        for label, value in teams.items():  # every figure, in the same words
            assert f"{label:<30} {value}" in printed.stdout or f"{label}: {value}" in printed.stdout, label
        printed = await _cli(db_url, config_file, "--since", "2026-11-23", "--until", "2026-11-23T10:00", "--format",
                             "json")  # fmt: skip
        cli = json.loads(printed.stdout)
        assert (cli["raised"]["now"], cli["acknowledged"]["now"], cli["ack_median"]["now"]) == (2, 1, 420.0)
        assert cli["sources"][0]["answer"] == ESCALATE and ESCALATE in shown

        # Asked in a thread of the Paris digest's channel: that digest's time zone, as /digest in a Slack channel.
        paris = said(await app.say(AGENT, "digest today", Chat.thread(PARIS_TEAMS)))
        assert "Mon 23 Nov 00:00 → Mon 23 Nov 16:00 (Europe/Paris)" in paris
        refused = said(await app.say(AGENT, "digest fortnight", mine))
        assert "I do not know the period 'fortnight'" in refused
        assert posted_digests(app) == []  # answered to the asker: nothing posted in the leads' channel


async def test_digest_in_teams_is_for_who_may_see_cases_and_shows_nothing_to_others(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As Slack's `/digest`: whoever may start playbooks there (`access.teams_users`) or a Tier 2 member sees it;
    anyone else is told so, and shows no figure and no escalation."""
    clock = FakeClock(MONDAY_10AM)
    config = teams_config(digests=[LEADS], access={"teams_users": [AGENT.aad]})
    async with running_teams(world, f"sqlite:///{tmp_path / 'access.sqlite3'}", config=config, clock=clock) as app:
        await install(app)
        await seed(World(app.runtime.store))
        outsider = Chat.personal(OUTSIDER)
        app.connector.conversation(outsider.id)
        refused = said(await app.say(OUTSIDER, "digest today", outsider))
        assert "not set up to see the leads' digest" in refused
        assert "Escalations raised" not in refused and TYPED not in refused
        for who in (AGENT, HERBERT):  # Herbert: a member of Clever Tier 2, not in `access`
            chat = Chat.personal(who)
            app.connector.conversation(chat.id)
            shown = await app.say(who, "digest today", chat)
            assert shown is not None
            assert facts(checked(shown.body["attachments"][0]["content"]))["Escalations raised"] == "2 (+1)"


async def test_the_weekday_digest_is_posted_once_in_the_teams_channel(world, db_url) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(MONDAY_7AM)
    async with running_teams(world, db_url, config=teams_config(digests=[LEADS]), clock=clock) as app:
        await install(app)
        await seed(World(app.runtime.store))
        clock.now = MONDAY_8AM - timedelta(seconds=30)
        await app.runtime.worker.drain()
        assert posted_digests(app) == []  # not yet
        clock.now = MONDAY_8AM + timedelta(seconds=30)
        await app.runtime.worker.drain()
        [card] = posted_digests(app)
        assert card["body"][0]["text"] == "Support leads: daily digest"
        assert "Fri 20 Nov 08:00 → Mon 23 Nov 08:00 \\(America/New\\_York\\)" in card["body"][1]["text"]
        assert facts(card)["Escalations raised"] == "3 (+3)"  # the weekend and this morning: all three
        assert RESENT not in json.dumps(card, ensure_ascii=False)
        for minutes in (1, 2, 30):  # later polls offer the same period again: the key keeps it once
            clock.now = MONDAY_8AM + minutes * M
            await app.runtime.worker.drain()
        assert len(posted_digests(app)) == 1
        [job] = [j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert job.status == JobStatus.DONE and job.key == "digest:leads@teams:20261120T1300Z-20261123T1300Z"
        assert job.payload["surface"] == "teams"


async def test_a_429_on_the_teams_post_waits_for_retry_after_and_slack_posts_once(world, slack, db_url) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(MONDAY_7AM)
    both = {**LEADS, "channel": LEADS_SLACK}  # one schedule, on both surfaces
    async with running_teams(world, db_url, slack=slack, config=teams_config(slack=True, digests=[both]),
                             clock=clock) as app:  # fmt: skip
        await install(app)
        app.connector.clock = lambda: clock.now.timestamp()
        app.connector.fail_next(429, retry_after=30, operation="send")
        clock.now = MONDAY_8AM + timedelta(seconds=30)
        await app.runtime.worker.drain()
        assert len(digests(slack, LEADS_SLACK)) == 1 and posted_digests(app) == []  # Teams said 429
        clock.advance(seconds=20)
        await app.runtime.worker.drain()
        assert posted_digests(app) == []  # Retry-After has not passed: not even asked
        clock.advance(seconds=11)
        await app.runtime.worker.drain()
        [card] = posted_digests(app)
        assert RESENT not in json.dumps(card, ensure_ascii=False)  # a 429 posted nothing: not a second copy
        sends = [c for c in app.connector.calls if c.operation == "send" and c.conversation_id == LEADS_TEAMS]
        assert [c.status for c in sends] == [429, 201]
        assert all(b.at - a.at >= 30 for a, b in itertools.pairwise(sends))
        assert len(digests(slack, LEADS_SLACK)) == 1  # Teams' retry never posts Slack's copy again
        jobs = {j.payload.get("surface"): j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST}
        assert {s: j.status for s, j in jobs.items()} == {"slack": JobStatus.DONE, "teams": JobStatus.DONE}
        assert jobs["slack"].key == "digest:leads:20261120T1300Z-20261123T1300Z"  # Slack's keys as before


async def test_a_digest_whose_answer_was_lost_is_posted_again_saying_so(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(MONDAY_7AM)
    db = f"sqlite:///{tmp_path / 'lost.sqlite3'}"
    async with running_teams(world, db, config=teams_config(digests=[LEADS]), clock=clock, worker_timeout=1) as app:
        await install(app)
        app.connector.lose_next_answer(3, operation="send")
        clock.now = MONDAY_8AM + timedelta(seconds=30)
        await app.runtime.worker.drain()
        assert len(posted_digests(app)) == 1  # made, but the worker does not know
        clock.advance(seconds=5)
        await app.runtime.worker.drain()
        first, second = posted_digests(app)
        assert RESENT not in texts(first) and RESENT in texts(second)
        [job] = [j for j in await app.runtime.store.jobs.list() if j.kind == JobKind.DIGEST]
        assert job.status == JobStatus.DONE
