"""What the Teams handler needs, built once by the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from chatbot.adapters.teams.client import TeamsClient
from chatbot.adapters.teams.kit import Element
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.adapters.teams.refs import records_for
from chatbot.adapters.teams.turns import ConversationRef, IncomingMessage, Person, Reply
from chatbot.adapters.teams.updates import CardUpdates
from chatbot.config import Config
from chatbot.services.clock import Clock
from chatbot.services.conversations import ConversationBook, ConversationRecord
from chatbot.services.escalations import EscalationService
from chatbot.services.oncall import OncallService
from chatbot.services.triage import TriageService

# A text command another part of the app adds (`digest`, `case`): the message, and the words after the command.
Command = Callable[[IncomingMessage, str], Awaitable[Reply | None]]


def actor_of(who: Person) -> str:
    """The id the services know a Teams user by: their Entra object id (what the configuration's `teams_user`
    holds), or the Teams id when an activity has none (the Agents Playground sends none)."""
    return who.aad_object_id.lower() if who.aad_object_id else who.teams_id


class Conversations:
    """Remembers the reference of every conversation the bot hears from (through the service's book)."""

    def __init__(self, book: ConversationBook) -> None:
        self.book = book

    async def remember(self, conv: ConversationRef, *, force: bool = False) -> None:
        await self.book.remember(records_for(conv), force=force)

    async def keep(self, records: Sequence[ConversationRecord]) -> None:
        """References learnt otherwise (a team's channels, listed when the app is installed there)."""
        await self.book.keep(records)


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
    # `case new` forms this process took: form id -> the case-opened card (None while being sent); case_command.py
    intakes: dict[str, Element | None] = field(default_factory=dict)
