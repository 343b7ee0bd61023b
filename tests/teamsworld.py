"""The Teams front under test, in a fake Microsoft world on loopback, for tests/test_teams_front.py.

`teams_world` starts: the fake Microsoft login (Bot Framework JWKS + Entra token endpoint, TLS with a test CA)
behind a CONNECT proxy, a fake Bot Connector, and a tiny aiohttp app with `/api/messages` (our TeamsFront) next
to a dummy `/slack/events`. The process environment points urllib and requests (inside the SDK and MSAL) at the
proxy and the test CA: that is configuration the SDK reads, nothing in it is patched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from chatbot.adapters.teams.cards import session_card
from chatbot.adapters.teams.front import TeamsFront
from chatbot.adapters.teams.settings import TeamsSettings
from chatbot.adapters.teams.turns import CardAction, CardReply, ConversationUpdate, IncomingMessage, Reply
from tests import teams_views
from tests.fakebotconnector import ConnectProxy, FakeBotConnector, FakeMicrosoftLogin, TestCA
from tests.fakebotconnector.activities import CHANNEL, PERSONAL_CHAT, TENANT_ID, Bot
from tests.fakebotconnector.background import BackgroundLoop
from tests.fakebotconnector.identity import HOSTS
from tests.fakebotconnector.serving import start_site

APP_ID = "0c9f4f8e-3b7a-4d2e-9f61-5a8b7c6d5e4f"
SECRET = "test-secret-~Q8"


@dataclass
class StubHandler:
    """A test double of our TeamsHandler protocol: records what it is given, answers with real cards."""

    messages: list[IncomingMessage] = field(default_factory=list)
    actions: list[CardAction] = field(default_factory=list)
    updates: list[ConversationUpdate] = field(default_factory=list)
    fail_with: Exception | None = None

    async def on_message(self, turn: IncomingMessage) -> Reply | None:
        self.messages.append(turn)
        if self.fail_with is not None:
            raise self.fail_with
        return Reply(session_card(teams_views.question(), "run-42", turn.who.name))

    async def on_card_action(self, action: CardAction) -> CardReply:
        self.actions.append(action)
        if self.fail_with is not None:
            raise self.fail_with
        return CardReply(session_card(teams_views.instructions(), action.action.run_id or "run-42"))

    async def on_conversation_update(self, update: ConversationUpdate) -> Reply | None:
        self.updates.append(update)
        return None


@dataclass
class TeamsWorld:
    base_url: str
    login: FakeMicrosoftLogin
    connector: FakeBotConnector
    proxy: ConnectProxy
    handler: StubHandler
    bot: Bot
    slack_hits: list[str]

    async def post(self, activity: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.base_url}/api/messages", json=activity, headers=headers) as response,
        ):
            text = await response.text()
            return response.status, (await response.json(content_type=None)) if text else None

    def token_for(self, activity: dict[str, Any], **kwargs: Any) -> str:
        return self.login.sign_activity_token(activity["serviceUrl"], **kwargs)


def environment(monkeypatch: pytest.MonkeyPatch, ca: TestCA, proxy: ConnectProxy) -> None:
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, proxy.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))  # urllib: PyJWT's JWKS client in the SDK's validator
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.bundle))  # requests: MSAL


@asynccontextmanager
async def teams_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, anonymous: bool = False
) -> AsyncIterator[TeamsWorld]:
    ca = TestCA(tmp_path)
    background = BackgroundLoop()  # see background.py: MSAL blocks the test's loop while it asks the login
    login = await background.run(FakeMicrosoftLogin(ca, APP_ID, SECRET, TENANT_ID).start())
    proxy = await background.run(ConnectProxy(login.port, HOSTS).start())
    environment(monkeypatch, ca, proxy)
    connector = FakeBotConnector(anonymous=anonymous, accept_token=lambda token: token in login.issued)
    await connector.start()
    connector.conversation(PERSONAL_CHAT)
    connector.conversation(CHANNEL)
    handler = StubHandler()
    settings = TeamsSettings(
        app_id=None if anonymous else APP_ID,
        client_secret=None if anonymous else SECRET,
        tenant_id=None if anonymous else TENANT_ID,
        allow_anonymous=anonymous,
        service_url_hosts=("127.0.0.1", "smba.trafficmanager.net"),
    )
    slack_hits: list[str] = []

    async def slack_events(request: web.Request) -> web.Response:
        slack_hits.append(await request.text())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    TeamsFront(settings, handler).mount(app)
    runner, port = await start_site(app)
    try:
        yield TeamsWorld(f"http://127.0.0.1:{port}", login, connector, proxy, handler, Bot(APP_ID), slack_hits)
    finally:
        await runner.cleanup()
        await connector.stop()
        await background.run(proxy.stop())
        await background.run(login.stop())
        background.close()
