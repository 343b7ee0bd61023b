"""What the Teams handler needs, built once by the runtime."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from chatbot.adapters.teams.client import TeamsClient
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.adapters.teams.refs import records_for
from chatbot.adapters.teams.turns import ConversationRef, IncomingMessage, Person, Reply
from chatbot.adapters.teams.updates import CardUpdates
from chatbot.config import Config
from chatbot.services.clock import Clock
from chatbot.services.escalations import EscalationService
from chatbot.services.oncall import OncallService
from chatbot.services.triage import TriageService
from chatbot.storage import Store
from chatbot.storage.conversations import ConversationRecord

# A text command another part of the app adds (`digest`, `case`): the message, and the words after the command.
Command = Callable[[IncomingMessage, str], Awaitable[Reply | None]]
REMEMBER_AGAIN = 3600.0  # seconds before an unchanged reference is written again (its `updated_at` stays recent)


def actor_of(who: Person) -> str:
    """The id the services know a Teams user by: their Entra object id (what the configuration's `teams_user`
    holds), or the Teams id when an activity has none (the Agents Playground sends none)."""
    return who.aad_object_id.lower() if who.aad_object_id else who.teams_id


class Conversations:
    """Keeps the reference of every conversation the bot hears from, without a write per click."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._written: dict[str, tuple[str, str | None, float]] = {}

    async def remember(self, conv: ConversationRef, *, force: bool = False) -> None:
        now = time.monotonic()
        fresh = []
        for record in records_for(conv):
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


@dataclass(frozen=True)
class TeamsDeps:
    config: Config
    triage: TriageService
    escalations: EscalationService
    oncall: OncallService
    client: TeamsClient
    pacer: TeamsPacer
    updates: CardUpdates
    conversations: Conversations
    clock: Clock
    wake_worker: Callable[[], None] = field(default=lambda: None)
    commands: dict[str, Command] = field(default_factory=dict)  # more text commands: runtime.teams.add_command
