"""Drive the real app like Teams does: signed activities into `chatbot serve`'s own aiohttp application, replies,
card updates and proactive posts out to a fake Bot Connector, the bot's token from a fake Entra (MSAL, over TLS).

`running_teams` builds the Runtime from Settings (Teams, and Slack too when a FakeSlack is given, on one server),
as `chatbot serve` does; `TeamsApp` speaks for Teams users: `say` a message, `press` a button on a card as Teams
would send it (inputs merged into the action's data), read the cards as Teams stores them.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatbot.adapters.teams.settings import TeamsSettings
from chatbot.config import Config
from chatbot.runtime import Runtime
from chatbot.serve import web_app
from chatbot.services.clock import Clock, system_clock
from chatbot.settings import Secret, Settings
from chatbot.storage import normalize_url, upgrade
from tests.cardschema import schema_errors, teams_problems
from tests.fakebotconnector import ConnectProxy, FakeBotConnector, FakeMicrosoftLogin, TestCA
from tests.fakebotconnector.activities import CHANNEL, TENANT_ID
from tests.fakebotconnector.background import BackgroundLoop
from tests.fakebotconnector.connector import ConnectorCall
from tests.fakebotconnector.identity import HOSTS
from tests.fakebotconnector.serving import start_site
from tests.fakeslack import FakeSlack, SlackSender
from tests.slackapp import SECRET as SLACK_SECRET
from tests.slackapp import TOKEN as SLACK_TOKEN
from tests.slackapp import App as SlackApp
from tests.slackapp import example_config
from tests.teamsworld import APP_ID, SECRET, environment

BOT = {"id": f"28:{APP_ID}", "name": "Support Playbooks"}
TEAM = "19:team0a1b2c3d4e5f@thread.tacv2"  # a team's id is its General channel's
TIER2_TEAMS = CHANNEL  # the Clever Tier 2 group's Teams channel in `teams_config`
_ids = itertools.count(1_712_100_000_000)


@dataclass(frozen=True)
class TeamsUser:
    aad: str
    name: str

    @property
    def teams_id(self) -> str:
        return "29:1" + hashlib.sha256(self.aad.encode()).hexdigest()[:40]


AGENT = TeamsUser("6a0f1b2c-3d4e-4f50-8a61-7b8c9d0e1f23", "Ada Agent")
HERBERT = TeamsUser("11111111-1111-4111-8111-111111111101", "Herbert Mena")
EDISON = TeamsUser("11111111-1111-4111-8111-111111111102", "Edison Gomez")
JULIAN = TeamsUser("11111111-1111-4111-8111-111111111103", "Julian Mantilla")
OUTSIDER = TeamsUser("22222222-2222-4222-8222-222222222299", "Olga Outsider")
TEAMS_IDS = {"herbert-mena": HERBERT.aad, "edison-gomez": EDISON.aad, "julian-mantilla": JULIAN.aad}


@dataclass(frozen=True)
class Chat:
    """A conversation as activities name it: a personal chat, or a thread of a channel (`channel;messageid=`)."""

    id: str
    kind: str = "personal"

    @classmethod
    def personal(cls, user: TeamsUser) -> Chat:
        return cls("a:1" + hashlib.sha256(user.aad.encode()).hexdigest() * 2)  # ~130 characters, like Teams'

    @classmethod
    def thread(cls, channel: str = TIER2_TEAMS, root: str | None = None) -> Chat:
        return cls(f"{channel};messageid={root or next(_ids)}", "channel")

    @property
    def stored_in(self) -> str:
        """Where the fake connector keeps this conversation's messages (a thread's are its channel's)."""
        return self.id.split(";messageid=")[0]

    def account(self) -> dict[str, Any]:
        if self.kind == "personal":
            return {"id": self.id, "conversationType": "personal", "tenantId": TENANT_ID}
        return {"id": self.id, "conversationType": "channel", "isGroup": True, "tenantId": TENANT_ID}

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": TENANT_ID}}
        if self.kind == "channel":
            data |= {"teamsChannelId": self.stored_in, "channel": {"id": self.stored_in}, "team": {"id": TEAM}}
        return data


GROUP_NAME = "Clever Tier 2 supervisors"


def teams_config(*, slack: bool = False, **overrides: Any) -> Config:
    """The example configuration, with the Clever Tier 2 group pinned down for these tests (Herbert Mena and Edison
    Gomez, then Julian Mantilla, then Tina Desprez, New York hours, 15 minutes to acknowledge) and given a Teams
    channel, and Teams identities for its first three people. `slack`: the groups keep their Slack channels (Clever
    Tier 2 is then on both surfaces); otherwise every group is on Teams only, as in a deployment without Slack."""
    base = example_config().model_dump()
    for person, aad in TEAMS_IDS.items():
        base["people"][person]["teams_user"] = aad
    for gid, group in base["groups"].items():
        if not slack:
            group["channel"] = None
            group["teams_channel"] = f"19:{gid}@thread.tacv2"
    base["groups"]["clever-tier2"] |= {
        "name": GROUP_NAME,
        "teams_channel": TIER2_TEAMS,
        "working": {"timezone": "America/New_York", "hours": "08:00-18:00"},
        "ack_timeout_minutes": 15,
        "tiers": [["herbert-mena", "edison-gomez"], ["julian-mantilla"], ["tina-desprez"]],
    }
    return Config.model_validate({**base, **overrides})


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def texts(card: dict[str, Any]) -> str:
    """What a person reads on a card (TextBlocks and input values), for assertions."""
    parts = [n.get("text") or n.get("value") or "" for n in walk(card) if n.get("type") in ("TextBlock", "Input.Text")]
    return "\n".join(str(p) for p in parts)


def said(call: ConnectorCall | None) -> str:
    """What a person reads in a message the bot posted: its text and its card's, Markdown escapes resolved."""
    assert call is not None, "the bot said nothing"
    cards = [a["content"] for a in call.body.get("attachments", [])]
    raw = "\n".join([call.body.get("text") or "", *(texts(c) for c in cards)])
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", raw)


def buttons(card: dict[str, Any]) -> list[str]:
    """The buttons a person sees (a ShowCard's own buttons only show once it is opened)."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if node.get("type") in ("Action.Execute", "Action.ShowCard"):
                found.append(node["title"])
                return
            for value in node.values():
                visit(value)

    visit(card)
    return found


def checked(card: dict[str, Any]) -> dict[str, Any]:
    """The card, after the Adaptive Card 1.5 schema and Teams' own needs have been checked."""
    assert schema_errors(card) == [], schema_errors(card)[:3]
    assert teams_problems(card) == [], teams_problems(card)
    return card


@dataclass
class TeamsApp:
    runtime: Runtime
    url: str
    login: FakeMicrosoftLogin
    connector: FakeBotConnector
    slack: SlackApp | None = None
    clock: Clock = system_clock
    invokes: list[dict[str, Any]] = field(default_factory=list)

    # --- HTTP in -------------------------------------------------------------------------------------------
    async def post(self, activity: dict[str, Any], *, signed: bool = True, token: str | None = None) -> tuple[int, Any]:
        if signed and token is None:
            token = self.login.sign_activity_token(activity["serviceUrl"])
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/api/messages", json=activity, headers=headers) as response,
        ):
            text = await response.text()
            return response.status, (await response.json(content_type=None)) if text else None

    def _activity(self, user: TeamsUser, chat: Chat, **fields: Any) -> dict[str, Any]:
        return {
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "from": {"id": user.teams_id, "name": user.name, "aadObjectId": user.aad},
            "conversation": chat.account(),
            "recipient": BOT,
            "locale": "en-US",
            "channelData": chat.channel_data(),
            **fields,
        }

    async def say(self, user: TeamsUser, text: str, chat: Chat) -> ConnectorCall | None:
        """A message to the bot (in a channel, @mentioning it); the bot's reply, if it made one."""
        entities: list[dict[str, Any]] = []
        if chat.kind == "channel":
            tag = f"<at>{BOT['name']}</at>"
            text = f"{tag} {text}"
            entities = [{"type": "mention", "text": tag, "mentioned": BOT}]
        before = len(self.connector.calls)
        activity = self._activity(user, chat, type="message", id=str(next(_ids)), text=text, entities=entities)
        status, _ = await self.post(activity)
        assert status in (200, 202), status
        await self.settle()
        replies = [c for c in self.connector.calls[before:] if c.operation == "reply" and c.status < 300]
        return replies[-1] if replies else None

    async def start(self, user: TeamsUser, text: str, chat: Chat) -> str:
        """`triage ...` that starts a session: the id of the session card's message."""
        reply = await self.say(user, text, chat)
        assert reply is not None
        newest = list(self.connector.conversation(chat.stored_in).activities)[-1]
        return newest

    async def press(
        self,
        user: TeamsUser,
        chat: Chat,
        message_id: str,
        title: str,
        inputs: dict[str, str] | None = None,
        *,
        card: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Press the `Action.Execute` titled `title` on the card in `message_id` (as stored, unless `card` is given:
        what this user sees), as Teams sends it; the card the bot answered with."""
        shown = card if card is not None else self.card(chat, message_id)
        found = [n for n in walk(shown) if n.get("type") == "Action.Execute" and n.get("title") == title]
        assert found, f"no button {title!r} on the card; buttons: {buttons(shown)}"
        action = found[0]
        data = dict(action["data"])
        if action.get("associatedInputs") != "none":  # Teams sends every input of the card with the action
            for node in walk(shown):
                if str(node.get("type", "")).startswith("Input.") and "value" in node:
                    data[node["id"]] = node["value"]
            data.update(inputs or {})
        value = {"action": {"type": "Action.Execute", "verb": action["verb"], "data": data}, "trigger": "manual"}
        activity = self._activity(
            user,
            chat,
            type="invoke",
            name="adaptiveCard/action",
            id=f"f:{next(_ids)}",
            replyToId=message_id,
            value=value,
        )
        self.invokes.append(activity)
        status, body = await self.post(activity)
        assert status == 200 and body["statusCode"] == 200, (status, body)
        await self.settle()
        return checked(body["value"])

    async def install(self, channels: dict[str, str]) -> None:
        """The app added to the team: Teams' conversationUpdate from the General channel (`channels`: id -> name)."""
        self.connector.teams[TEAM] = [{"id": cid, "name": name} for cid, name in channels.items()]
        general = Chat(TEAM, "channel")
        activity = self._activity(
            AGENT, general, type="conversationUpdate", id=f"f:{next(_ids)}", membersAdded=[{"id": BOT["id"]}]
        )
        activity["channelData"] |= {"eventType": "teamMemberAdded", "team": {"id": TEAM, "name": "Support"}}
        status, _ = await self.post(activity)
        assert status in (200, 202), status

    # --- what Teams shows ----------------------------------------------------------------------------------
    def card(self, chat: Chat, message_id: str) -> dict[str, Any]:
        stored = self.connector.conversation(chat.stored_in).activities[message_id]
        return checked(stored["attachments"][0]["content"])

    def posts(self, channel: str = TIER2_TEAMS) -> list[ConnectorCall]:
        """New posts in a channel (new threads: pings), oldest first."""
        return [c for c in self.connector.posted(channel) if c.operation == "send"]

    async def settle(self) -> None:
        assert self.runtime.teams is not None
        await self.runtime.teams.settle()


def teams_settings() -> TeamsSettings:
    return TeamsSettings(APP_ID, SECRET, TENANT_ID, service_url_hosts=("127.0.0.1",))


@asynccontextmanager
async def microsoft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakeMicrosoftLogin, FakeBotConnector]]:
    """The fake Microsoft world: login (with its proxy) on a loop of its own, a Bot Connector on the test's."""
    ca = TestCA(tmp_path)
    background = BackgroundLoop()
    login = await background.run(FakeMicrosoftLogin(ca, APP_ID, SECRET, TENANT_ID).start())
    proxy = await background.run(ConnectProxy(login.port, HOSTS).start())
    environment(monkeypatch, ca, proxy)
    connector = FakeBotConnector(accept_token=lambda token: token in login.issued)
    await connector.start()
    connector.conversation(TIER2_TEAMS)
    connector.conversation(TEAM)
    try:
        yield login, connector
    finally:
        await connector.stop()
        await background.run(proxy.stop())
        await background.run(login.stop())
        background.close()


@asynccontextmanager
async def running_teams(
    world: tuple[FakeMicrosoftLogin, FakeBotConnector],
    database_url: str,
    *,
    slack: FakeSlack | None = None,
    config: Config | None = None,
    clock: Clock = system_clock,
    worker_timeout: float = 5,
) -> AsyncIterator[TeamsApp]:
    login, connector = world
    settings = Settings(
        slack_bot_token=Secret(SLACK_TOKEN) if slack else None,
        slack_signing_secret=Secret(SLACK_SECRET) if slack else None,
        slack_api_url=slack.api_url if slack else None,
        database_url=database_url,
        teams=teams_settings(),
    )
    if not normalize_url(database_url).startswith("sqlite"):
        await upgrade(normalize_url(database_url))  # `chatbot migrate`, as a PostgreSQL deployment runs it
    config = config or teams_config(slack=slack is not None)
    runtime = await Runtime.create(settings, config, clock, worker_timeout=worker_timeout)
    runner, port = await start_site(web_app(runtime))
    url = f"http://127.0.0.1:{port}"
    try:
        if slack is None:
            yield TeamsApp(runtime, url, login, connector, clock=clock)
        else:
            async with SlackSender(SLACK_SECRET) as sender:
                yield TeamsApp(runtime, url, login, connector, SlackApp(slack, runtime, url, sender), clock)
    finally:
        await runner.cleanup()
        await runtime.close()
