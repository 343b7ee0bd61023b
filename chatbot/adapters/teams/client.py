"""Calls the app makes to Teams on its own (proactive posts, card updates, a team's channels), through the Agents
SDK's REST client with the bot's token, a timeout, and no retries: the worker decides what happens after a failure.

The SDK builds its MSAL client on first use, on the calling thread, and MSAL fetches the tenant's discovery
document there: on the event loop that would block every request for one HTTPS round trip. `warm_up` gets the
first token in a worker thread instead, so the client exists (and the token is cached) before the loop needs it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.activity.teams import ChannelInfo
from microsoft_agents.hosting.core import AccessTokenProviderBase, CardFactory, Connections
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from chatbot.adapters.teams.settings import TeamsSettings

log = logging.getLogger(__name__)

BOT_FRAMEWORK = "https://api.botframework.com"  # the audience of the bot's outgoing token
SCOPES = [BOT_FRAMEWORK + "/.default"]


class TeamsClient:
    def __init__(self, settings: TeamsSettings, connections: Connections | None, *, timeout: float) -> None:
        self.settings = settings
        # No credentials: anonymous mode (local trials), where the SDK sends no token either.
        self._tokens: AccessTokenProviderBase | None = (
            connections.get_default_connection() if connections is not None and settings.app_id else None
        )
        self._warm = self._tokens is None
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._connector: aiohttp.TCPConnector | None = None

    async def warm_up(self) -> bool:
        """Get the first token off the event loop (see the module docstring); False if the login could not be had."""
        if self._warm or self._tokens is None:
            return True
        tokens = self._tokens
        try:
            await asyncio.to_thread(asyncio.run, tokens.get_access_token(BOT_FRAMEWORK, SCOPES))
        except Exception as exc:
            log.warning("Teams: could not get the bot's token yet (%s); trying again on the next call", exc)
            return False
        self._warm = True
        return True

    async def token(self) -> str:
        if self._tokens is None:
            return ""
        if not self._warm and not await self.warm_up():
            raise TokenUnavailable("the bot's Entra token could not be had")
        try:
            return await self._tokens.get_access_token(BOT_FRAMEWORK, SCOPES)
        except ValueError as exc:  # MSAL's "failed to acquire token" (the login refused or is unreachable)
            raise TokenUnavailable(f"the bot's Entra token could not be had: {exc}") from exc

    async def _client(self, service_url: str) -> TeamsConnectorClient:
        token = await self.token()
        if self._connector is None:
            self._connector = aiohttp.TCPConnector(limit=50, keepalive_timeout=30)
        base = service_url if service_url.endswith("/") else service_url + "/"
        # One session per call over a shared connection pool: the SDK's client sets its token on the session.
        session = aiohttp.ClientSession(
            base_url=base, connector=self._connector, connector_owner=False, timeout=self.timeout
        )
        return TeamsConnectorClient(endpoint=base, token=token, session=session)

    async def send(self, service_url: str, conversation_id: str, activity: Activity) -> str:
        """POST an activity to a conversation (a channel: a new thread; a thread or chat: a new message)."""
        client = await self._client(service_url)
        try:
            response = await client.conversations.send_to_conversation(conversation_id, activity)
        finally:
            await client.close()
        if not response.id:
            raise aiohttp.ClientPayloadError("Teams answered without the new message's id")
        return response.id

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: Activity) -> None:
        client = await self._client(service_url)
        try:
            await client.conversations.update_activity(conversation_id, activity_id, activity)
        finally:
            await client.close()

    async def channels(self, service_url: str, team_id: str) -> list[ChannelInfo]:
        client = await self._client(service_url)
        try:
            return await client.fetch_channel_list(team_id)
        finally:
            await client.close()

    async def close(self) -> None:
        if self._connector is not None:
            await self._connector.close()


class TokenUnavailable(Exception):
    """The bot's token could not be had: nothing was sent."""


def message(
    *, text: str | None = None, card: dict[str, Any] | None = None, entities: list[Any] | None = None, **extra: Any
) -> Activity:
    """A message activity with only the fields given (the SDK sends what was set, nothing more)."""
    fields: dict[str, Any] = {"type": "message", **extra}
    if text is not None:
        fields["text"] = text
    if card is not None:
        fields["attachments"] = [CardFactory.adaptive_card(card)]
    if entities:
        fields["entities"] = entities
    return Activity(**fields)
