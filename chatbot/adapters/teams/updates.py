"""Card updates after a click, off the request path: in turn per message, only the newest one still to send.

The person who pressed already has their card (the invoke's answer); this update is for everyone else and for
the stored message. A click answered while an update of the same message is on its way replaces whatever update
was still waiting, so a burst of clicks costs at most two updates, and the last one shows the last state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from chatbot.adapters.teams.client import TeamsClient, message
from chatbot.adapters.teams.errors import retry_after
from chatbot.adapters.teams.kit import Element
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.storage.priority import after_ack_context

log = logging.getLogger(__name__)

Send = Callable[[], Awaitable[None]]
ATTEMPTS = 3
LONGEST_WAIT = 30.0  # a Retry-After longer than this: leave it to the next click or escalation update


class CardUpdates:
    def __init__(self, client: TeamsClient, pacer: TeamsPacer) -> None:
        self.client = client
        self.pacer = pacer
        self._waiting: dict[tuple[str, str], Send] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    def submit(self, conversation_id: str, message_id: str, send: Send) -> None:
        key = (conversation_id, message_id)
        self._waiting[key] = send
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key), context=after_ack_context())

    def newer_waiting(self, conversation_id: str, message_id: str) -> bool:
        """Is a newer update of this message waiting to go after the one on its way?"""
        return (conversation_id, message_id) in self._waiting

    async def _run(self, key: tuple[str, str]) -> None:
        try:
            while (send := self._waiting.pop(key, None)) is not None:
                try:
                    await send()
                except Exception:
                    log.warning("Teams: updating message %s failed", key[1], exc_info=True)
        finally:
            del self._tasks[key]

    async def put(self, service_url: str, conversation_id: str, message_id: str, card: Element) -> None:
        """PUT the card, waiting out a short Retry-After (the SDK does not)."""
        for attempt in range(ATTEMPTS):
            self.pacer.record(conversation_id, None)
            try:
                await self.client.update(service_url, conversation_id, message_id, message(card=card))
                return
            except aiohttp.ClientResponseError as exc:
                if exc.status not in (429, 412, 502, 504) or attempt == ATTEMPTS - 1:
                    raise
                wait = retry_after(exc, 2.0**attempt)
                if exc.status == 429:
                    self.pacer.limited(conversation_id, wait)
                if wait > LONGEST_WAIT:
                    raise
                await asyncio.sleep(wait)

    async def drain(self) -> None:
        """Wait until no update is waiting or on its way (tests; shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
