"""`chatbot serve` with SLACK_APP_TOKEN set: Socket Mode end to end, against the fake's WebSocket.

The app runs as a real process, as an operator would start it; the fake hands it a WebSocket URL through
`apps.connections.open` and sends it envelopes as Slack does. No signatures are involved (Socket Mode has none).
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakeslack import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    FakeSlack,
    block_actions_body,
    event_body,
    message_event,
    slash_command_body,
    socket_payload,
)
from tests.slackapp import App

ROOT = Path(__file__).resolve().parents[1]
APP_TOKEN = "xapp-1-A0FAKEAPP-1-socketsecret"
BOT_TOKEN = "xoxb-socket-bot"
NAV = ("Back", "Restart", "Cancel")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, slack: FakeSlack, process: asyncio.subprocess.Process, port: int) -> None:
        self.slack = slack
        self.process = process
        self.port = port
        self.stderr = b""

    def session(self) -> dict[str, Any]:
        return self.slack.messages[DEFAULT_CHANNEL_ID][-1]

    @staticmethod
    def choices(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [button for label, button in App.buttons(message).items() if label not in NAV]


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with FakeSlack(tokens={BOT_TOKEN}) as slack:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CHATBOT_", "DATABASE_URL"))}
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'chatbot.sqlite3'}",
            PORT=str(port),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chatbot",
            "serve",
            "--host",
            "127.0.0.1",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        result = Served(slack, process, port)
        try:
            await slack.socket_mode.wait_connected(30)
            yield result
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, result.stderr = await asyncio.wait_for(process.communicate(), 30)
            assert process.returncode == 0, result.stderr.decode()[-2000:]
            assert APP_TOKEN not in result.stderr.decode() and BOT_TOKEN not in result.stderr.decode()


async def test_connects_with_the_app_token_and_serves_health_on_port(served: Served) -> None:
    opened = served.slack.calls_to("apps.connections.open")
    assert len(opened) == 1 and opened[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{served.port}/healthz") as response:
        assert response.status == 200 and (await response.json())["database"] == "ok"
        async with http.post(f"http://127.0.0.1:{served.port}/slack/events", data=b"{}") as events:
            assert events.status == 404  # no HTTP request URL in Socket Mode


async def test_triage_and_a_click_over_the_socket(served: Served) -> None:
    hub = served.slack.socket_mode
    command = socket_payload(slash_command_body("/triage", "clever-access"))
    ack = await hub.send("slash_commands", command)
    assert set(ack) <= {"envelope_id", "payload"}
    await served.slack.wait_for("chat.postMessage", timeout=10)
    first = copy.deepcopy(served.session())  # chat.update changes the fake's copy in place
    assert "Fill in the form" in App.buttons(first)  # the ticket form opens every playbook

    button = App.buttons(first)["Cancel"]  # a click that changes the message at once
    click = block_actions_body(
        button["action_id"],
        button["value"],
        block_id="nav",
        text=button["text"]["text"],
        channel_id=DEFAULT_CHANNEL_ID,
        user_id=DEFAULT_USER_ID,
        message=first,
    )
    await hub.send("interactive", socket_payload(click))
    await served.slack.wait_for("chat.update", timeout=10)
    updated = served.session()
    assert updated["ts"] == first["ts"] and updated["blocks"] != first["blocks"]
    assert "This session was cancelled" in str(updated["blocks"])


async def test_a_redelivered_event_is_handled_once(served: Served) -> None:
    hub = served.slack.socket_mode
    mention = message_event(f"<@{served.slack.workspace.bot_user_id}> help")
    mention["type"] = "app_mention"
    event = socket_payload(event_body(mention, event_id="Ev0SOCKET01"))
    await hub.send("events_api", event)
    await served.slack.wait_for("chat.postMessage", timeout=10)
    await hub.send("events_api", event, retry_attempt=1)  # Slack retries when it thinks the ack was lost
    await asyncio.sleep(0.5)
    assert len(served.slack.calls_to("chat.postMessage")) == 1


async def test_malformed_envelopes_are_acknowledged_and_change_nothing(served: Served) -> None:
    """What the HTTP front answers with 400: over the socket it is acknowledged (Slack would only send it again)
    and never reaches a listener; the connection stays up for the next request."""
    hub = served.slack.socket_mode
    bad = (
        ("interactive", {"type": "block_actions", "actions": "not a list", "user": None}),
        ("interactive", {"type": "view_submission", "view": {"state": 7}}),
        ("slash_commands", {"command": ["/triage"], "user_id": {"id": 1}}),
        ("events_api", {"type": "event_callback", "event": "nope"}),
        ("interactive", {}),
    )
    for kind, payload in bad:
        ack = await hub.send(kind, payload)
        assert set(ack) <= {"envelope_id", "payload"} and not ack.get("payload"), kind
    await asyncio.sleep(0.2)
    assert served.slack.calls_to("chat.postMessage") == [] and served.slack.calls_to("views.open") == []
    await hub.send("slash_commands", socket_payload(slash_command_body("/triage", "clever-access")))
    await served.slack.wait_for("chat.postMessage", timeout=10)  # still served
    assert "Fill in the form" in App.buttons(served.session())
