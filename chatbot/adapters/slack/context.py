"""What the Slack listeners need, built once by the runtime and passed to `register()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chatbot.adapters.slack.background import Background
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.holds import ChannelHolds
from chatbot.adapters.slack.lookup import PostFinder
from chatbot.adapters.slack.updates import MessageUpdates
from chatbot.config import Config, Group
from chatbot.metrics import Metrics
from chatbot.services.clock import Clock
from chatbot.services.dedup import Deliveries
from chatbot.services.digests import DigestService
from chatbot.services.escalations import EscalationService
from chatbot.services.oncall import OncallService
from chatbot.services.pii_guard import PiiGuard
from chatbot.services.triage import TriageService


@dataclass(frozen=True)
class SlackDeps:
    config: Config
    triage: TriageService
    gateway: SlackGateway
    finder: PostFinder
    background: Background
    updates: MessageUpdates
    metrics: Metrics
    clock: Clock
    escalations: EscalationService
    oncall: OncallService
    deliveries: Deliveries
    wake_worker: Callable[[], None] = field(default=lambda: None)  # new jobs: the in-process worker looks now
    digests: DigestService | None = None  # `/digest`
    pii: PiiGuard | None = None  # checks what people type into forms the app opens itself (`/case new`, Resolve)
    holds: ChannelHolds | None = None  # a session posted in a group's channel goes before the pings there

    @property
    def groups(self) -> Mapping[str, Group]:
        return self.config.groups
