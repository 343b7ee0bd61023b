"""Surfaces are optional: `chatbot serve` runs Slack, Teams, or both, and refuses to start with neither."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chatbot.settings import Settings, SettingsError
from tests.fakebotconnector.activities import TENANT_ID
from tests.helpers import ROOT
from tests.teamsapp import AGENT, Chat, microsoft, running_teams, said, texts
from tests.teamswalk import first_path, move_action, move_inputs, move_title
from tests.test_playbook_paths import playbook

PID = "clever-access"

TEAMS_ENV = {"TEAMS_APP_ID": "0c9f4f8e-3b7a-4d2e-9f61-5a8b7c6d5e4f", "TEAMS_CLIENT_SECRET": "s", "TEAMS_TENANT_ID": "t"}


def test_either_surface_alone_or_both() -> None:
    teams = Settings.from_env(TEAMS_ENV)
    assert teams.slack_bot_token is None and not teams.slack and teams.teams is not None
    slack = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert slack.slack and slack.teams is None
    both = Settings.from_env({**TEAMS_ENV, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert both.slack and both.teams is not None
    assert Settings.from_env(TEAMS_ENV, http=False).teams is not None  # `chatbot worker` delivers to Teams too


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set and Teams is not configured"),
        ({}, "TEAMS_APP_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID"),
        ({"TEAMS_APP_ID": "x"}, "Teams also needs TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID"),
        ({**TEAMS_ENV, "SLACK_SIGNING_SECRET": "s"}, "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT"),
    ],
)
def test_settings_say_what_is_missing(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as err:
        Settings.from_env(env)
    assert "\n" not in str(err.value)


async def test_the_bots_token_is_fetched_at_start_up_not_on_the_first_request(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    login, connector = world
    async with running_teams(world, f"sqlite:///{tmp_path / 'warm.sqlite3'}") as app:
        fetched = len(login.token_requests)
        assert fetched >= 1  # before any activity: warmed up in a thread at start-up
        chat = Chat.personal(AGENT)
        connector.conversation(chat.id)
        assert "Support playbooks" in said(await app.say(AGENT, "help", chat))
        assert len(login.token_requests) == fetched  # the reply used the cached token


async def test_a_personal_install_gets_the_help_and_is_remembered(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, connector = world
    async with running_teams(world, f"sqlite:///{tmp_path / 'hello.sqlite3'}") as app:
        chat = Chat.personal(AGENT)
        connector.conversation(chat.id)
        activity = app._activity(AGENT, chat, type="installationUpdate", id="f:1", action="add")
        status, _ = await app.post(activity)
        assert status in (200, 202)
        [hello] = connector.posted(chat.id)
        assert "triage" in str(hello.body)
        record = await app.runtime.store.teams.get(chat.id)
        assert record is not None and record.tenant_id == TENANT_ID and record.conversation_type == "personal"


async def test_the_submit_fallback_of_older_clients_advances_the_run_and_updates_the_card(
    world, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _, connector = world
    path = first_path(PID)
    pb, (step_id, choice) = playbook(PID), path.moves[0]
    async with running_teams(world, f"sqlite:///{tmp_path / 'old.sqlite3'}") as app:
        chat = Chat.personal(AGENT)
        connector.conversation(chat.id)
        message_id = await app.start(AGENT, f"triage {PID}", chat)
        before = app.card(chat, message_id)
        title = move_title(pb, step_id, choice)
        [button] = [n for n in _walk(before) if n.get("type") == "Action.Submit" and n["title"] == title]
        # An older client posts a message whose value is the action's data, the card's inputs merged in.
        value = {**button["data"], **move_inputs(pb, step_id)}
        activity = app._activity(AGENT, chat, type="message", id="2", replyToId=message_id, value=value)
        status, _ = await app.post(activity)
        assert status in (200, 202)
        after = app.card(chat, message_id)
        assert after != before and "✓" in texts(after)  # the pressed card, replaced in place
        again, _ = await app.post(activity)  # sent twice: applied once
        actions = [a.action for a in await app.runtime.store.audit(str(value["r"]))]
        assert again in (200, 202) and actions == ["start", move_action(pb, step_id)]


def _walk(node):  # type: ignore[no-untyped-def]
    from tests.teamsapp import walk

    return list(walk(node))


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with microsoft(tmp_path, monkeypatch) as w:
        yield w


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(request: urllib.request.Request | str) -> int:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_chatbot_serve_runs_teams_alone(tmp_path: Path) -> None:
    port, dead = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CHATBOT_", "DATABASE_URL", "TEAMS_"))}
    env |= TEAMS_ENV | {
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        # No Microsoft here: the start-up token fetch fails at once (and is tried again later), serving goes on.
        "HTTPS_PROXY": f"http://127.0.0.1:{dead}",
        "NO_PROXY": "127.0.0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "chatbot", "serve", "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    urllib.request.install_opener(no_proxy)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _status(base + "/healthz") == 200
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
                time.sleep(0.2)
        activity = {"type": "message", "serviceUrl": "https://smba.trafficmanager.net/amer/", "text": "triage"}
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "application/json"}
        assert _status(urllib.request.Request(base + "/api/messages", body, headers)) == 401  # unsigned
        assert _status(urllib.request.Request(base + "/slack/events", b"x=1")) == 404  # no Slack here
    finally:
        urllib.request.install_opener(urllib.request.build_opener())
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "/api/messages (Teams)" in output and "/slack/events" not in output
