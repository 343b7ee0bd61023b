"""Where Teams conversations are, kept for posting into them later (pings in a channel, notices in a chat): every
conversation the bot hears from is remembered, without a write per message."""

from __future__ import annotations

import time
from collections.abc import Sequence

from chatbot.services.clock import Clock
from chatbot.storage import Store
from chatbot.storage.conversations import ConversationRecord

__all__ = ["REMEMBER_AGAIN", "ConversationBook", "ConversationRecord"]

REMEMBER_AGAIN = 3600.0  # seconds before an unchanged reference is written again (its `updated_at` stays recent)


class ConversationBook:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._written: dict[str, tuple[str, str | None, float]] = {}

    async def remember(self, records: Sequence[ConversationRecord], *, force: bool = False) -> None:
        """Write the references that are new, changed, or not written for an hour."""
        now = time.monotonic()
        fresh = []
        for record in records:
            seen = self._written.get(record.key)
            if (
                force
                or seen is None
                or seen[:2] != (record.service_url, record.team_id)
                or now - seen[2] > REMEMBER_AGAIN
            ):
                fresh.append(record)
        if not fresh:
            return
        await self.store.teams.save(fresh, self.clock())
        for record in fresh:
            self._written[record.key] = (record.service_url, record.team_id, now)

    async def keep(self, records: Sequence[ConversationRecord]) -> None:
        """References learnt otherwise (a team's channels, listed when the app is installed there)."""
        await self.store.teams.save(records, self.clock())
