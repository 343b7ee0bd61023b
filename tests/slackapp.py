"""Drive the real app over HTTP like Slack does: signed requests in, a fake Slack Web API out."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from chatbot.adapters.slack.server import SlackFront, build_web_app
from chatbot.config import Config, load_config
from chatbot.runtime import Runtime
from chatbot.services.clock import Clock, system_clock
from chatbot.settings import Secret, Settings
from chatbot.storage import normalize_url, upgrade
from tests.fakeslack import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    FakeSlack,
    SlackReply,
    SlackSender,
    block_actions_body,
    selected_option,
    serving,
    slash_command_body,
    view_submission_body,
)
from tests.helpers import ROOT

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-123-456-testtoken"


def example_config(**overrides: Any) -> Config:
    config, _ = load_config(ROOT / "config" / "example.yaml")
    data = {**config.model_dump(), "playbooks_dir": str(ROOT / "playbooks"), "templates_dir": str(ROOT / "templates")}
    return Config.model_validate({**data, **overrides})


@dataclass
class App:
    """One running app (a replica) with its own HTTP port, sharing the fake Slack and the database."""

    slack: FakeSlack
    runtime: Runtime
    url: str
    sender: SlackSender
    _names: itertools.count[int] = field(default_factory=itertools.count)

    async def post(self, body: Any, content_type: str | None = None, **kwargs: Any) -> SlackReply:
        return await self.sender.post(self.url + "/slack/events", body, content_type, **kwargs)

    async def settle(self) -> None:
        """Wait until the work the app does after acking (message posts and updates) is finished."""
        await self.runtime.deps.background.drain()

    async def command(
        self,
        text: str = "",
        *,
        user: str = DEFAULT_USER_ID,
        channel: str = DEFAULT_CHANNEL_ID,
        command: str = "/triage",
    ) -> SlackReply:
        response_url = self.slack.response_url(f"cmd-{next(self._names)}", channel=channel, user_id=user)
        trigger = self.slack.issue_trigger_id(user)
        reply = await self.post(
            slash_command_body(command, text, user, channel, response_url=response_url, trigger_id=trigger)
        )
        await self.settle()
        return reply

    async def start(
        self,
        playbook: str = "clever-access",
        *,
        ticket: str = "482913",
        requester: str = "Teacher",
        user: str = DEFAULT_USER_ID,
        channel: str = DEFAULT_CHANNEL_ID,
    ) -> None:
        """Start `playbook` on a ticket and fill in its opening ticket form, as an agent does: the session is then
        at the procedure's first question."""
        reply = await self.command(f"{playbook} {ticket}", user=user, channel=channel)
        assert reply.status == 200, reply.body
        message = self.session(channel)
        if "Fill in the form" in self.buttons(message):
            await self.click("Fill in the form", user=user, message=message)
            submitted = await self.submit({"ticket_id": ticket, "requester": requester}, user=user)
            assert submitted.text == "", submitted.body

    def session(self, channel: str = DEFAULT_CHANNEL_ID) -> dict[str, Any]:
        """The newest message the app posted in `channel` (not a thread reply), as Slack shows it now."""
        roots = [m for m in self.slack.messages[channel] if m.get("thread_ts") in (None, m.get("ts"))]
        return roots[-1]

    @staticmethod
    def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
        found = {}
        for block in message.get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("type") == "button":
                    found[element["text"]["text"]] = element
        return found

    async def click(
        self, label: str, *, user: str = DEFAULT_USER_ID, message: dict[str, Any] | None = None, settle: bool = True
    ) -> SlackReply:
        message = message or self.session()
        button = self.buttons(message).get(label)
        assert button is not None, f"no button {label!r}; buttons: {list(self.buttons(message))}"
        channel = message.get("channel", DEFAULT_CHANNEL_ID)
        response_url = self.slack.response_url(
            f"act-{next(self._names)}", channel=channel, message_ts=message["ts"], user_id=user
        )
        body = block_actions_body(
            button["action_id"],
            button.get("value"),
            text=label,
            user_id=user,
            channel_id=channel,
            message=message,
            response_url=response_url,
            trigger_id=self.slack.issue_trigger_id(user),
        )
        reply = await self.post(body)
        if settle:
            await self.settle()
        return reply

    async def pick(self, playbook_id: str, *, user: str = DEFAULT_USER_ID) -> SlackReply:
        response_url = self.slack.response_url(
            f"pick-{next(self._names)}", channel=DEFAULT_CHANNEL_ID, user_id=user, ephemeral=True
        )
        body = block_actions_body(
            "triage.pick",
            playbook_id,
            action_type="static_select",
            user_id=user,
            response_url=response_url,
            is_ephemeral=True,
        )
        reply = await self.post(body)
        await self.settle()
        return reply

    async def click_in(self, message: dict[str, Any], label: str, *, user: str) -> SlackReply:
        """Press a button on any message (an escalation ping in a group channel, say)."""
        return await self.click(label, user=user, message=message)

    def last_view(self) -> dict[str, Any]:
        call = self.slack.calls_to("views.open")[-1]
        return self.slack.views[call.response["view"]["id"]]

    async def submit(
        self, values: dict[str, str], *, view: dict[str, Any] | None = None, user: str = DEFAULT_USER_ID
    ) -> SlackReply:
        view = view or self.last_view()
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            value = values.get(block["block_id"], "")
            if element["type"] == "static_select":
                state[block["block_id"]] = {
                    "value": selected_option(value) if value else {"type": "static_select", "selected_option": None}
                }
            elif element["type"] == "datepicker":
                state[block["block_id"]] = {"value": {"type": "datepicker", "selected_date": value or None}}
            else:
                state[block["block_id"]] = {"value": {"type": element["type"], "value": value or None}}
        reply = await self.post(view_submission_body(values=state, view=view, user_id=user))
        await self.settle()
        return reply


def checked_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message's blocks, after slack_sdk's Block Kit models have checked every limit (the app builds plain
    dicts for speed, so this is where their shape is proven)."""
    blocks = message.get("blocks", [])
    assert len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()  # raises SlackObjectFormationError on any limit
    return blocks


def message_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message, for assertions."""
    return json.dumps(checked_blocks(message), ensure_ascii=False)


class FakeClock:
    """The app's clock, moved by the test: timers fire when the test says time has passed."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@asynccontextmanager
async def running_app(
    slack: FakeSlack,
    database_url: str,
    config: Config | None = None,
    clock: Clock = system_clock,
    worker_timeout: int = 10,
    **overrides: Any,
) -> AsyncIterator[App]:
    """`overrides`: Settings fields to set (e.g. slack_timeout=1.0), as the environment would."""
    settings = Settings(
        slack_bot_token=Secret(TOKEN),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=slack.api_url,
        database_url=database_url,
        **overrides,
    )
    if not normalize_url(database_url).startswith("sqlite"):
        await upgrade(normalize_url(database_url))  # `chatbot migrate`, as a PostgreSQL deployment runs it
    runtime = await Runtime.create(settings, config or example_config(), clock, worker_timeout=worker_timeout)
    front = SlackFront(runtime.bolt, runtime.store, runtime.metrics, SECRET, runtime.deps.clock)
    try:
        async with serving(build_web_app(front, runtime.store, runtime.metrics)) as url, SlackSender(SECRET) as sender:
            yield App(slack, runtime, url, sender)
    finally:
        await runtime.close()
