"""The Teams side of the runtime: the bot's Entra connection, the outbound client, the delivery the worker uses,
and the handler and front `chatbot serve` mounts on `/api/messages`. Built only when Teams is configured."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from chatbot.adapters.teams.client import TeamsClient
from chatbot.adapters.teams.context import Command, Conversations, TeamsDeps
from chatbot.adapters.teams.delivery import TeamsDelivery
from chatbot.adapters.teams.digest_delivery import TeamsDigestPoster
from chatbot.adapters.teams.front import TeamsFront, connection_manager
from chatbot.adapters.teams.handler import ServicesHandler
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.adapters.teams.settings import TeamsSettings
from chatbot.adapters.teams.updates import CardUpdates
from chatbot.config import Config
from chatbot.services.clock import Clock
from chatbot.services.conversations import ConversationBook
from chatbot.services.escalations import EscalationService
from chatbot.services.oncall import OncallService
from chatbot.services.triage import TriageService
from chatbot.storage import Store

log = logging.getLogger(__name__)


@dataclass
class Waker:
    """Wakes the in-process worker; set once the worker exists (it needs the delivery first)."""

    wake: Callable[[], None] = field(default=lambda: None)

    def __call__(self) -> None:
        self.wake()


@dataclass
class TeamsSide:
    settings: TeamsSettings
    client: TeamsClient
    delivery: TeamsDelivery
    handler: ServicesHandler
    front: TeamsFront
    updates: CardUpdates
    waker: Waker
    digests: TeamsDigestPoster  # scheduled digests in Teams channels (the worker's DIGEST jobs for Teams)

    def add_command(self, name: str, command: Command) -> None:
        """`digest`, `case`, ...: answered in Teams through the same services as their Slack commands."""
        self.handler.add_command(name, command)

    async def settle(self) -> None:
        """Wait for the card updates sent after clicks (tests, shutdown)."""
        await self.updates.drain()

    async def close(self) -> None:
        await self.updates.drain()
        await self.client.close()


async def build_teams(
    settings: TeamsSettings,
    config: Config,
    store: Store,
    triage: TriageService,
    escalations: EscalationService,
    oncall: OncallService,
    clock: Clock,
    *,
    call_timeout: float,
) -> TeamsSide:
    connections = connection_manager(settings) if settings.app_id else None
    client = TeamsClient(settings, connections, timeout=call_timeout)
    if not await client.warm_up():
        log.warning("Teams: starting without a token; the first call to Teams will try again (off the event loop)")
    pacer = TeamsPacer(clock)
    delivery = TeamsDelivery(config, store, client, triage, pacer, tenant_id=settings.tenant_id)
    updates = CardUpdates(client, pacer)
    waker = Waker()
    deps = TeamsDeps(
        config=config,
        triage=triage,
        escalations=escalations,
        oncall=oncall,
        client=client,
        pacer=pacer,
        updates=updates,
        conversations=Conversations(ConversationBook(store, clock)),
        clock=clock,
        wake_worker=waker,
    )
    handler = ServicesHandler(deps)
    front = TeamsFront(settings, handler, connections)
    digests = TeamsDigestPoster(store, client, pacer, tenant_id=settings.tenant_id)  # the pings' pacer: they go first
    return TeamsSide(settings, client, delivery, handler, front, updates, waker, digests)
