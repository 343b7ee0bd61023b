"""What the Slack listeners need, built once by the runtime and passed to `register()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chatbot.adapters.slack.background import Background
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.updates import MessageUpdates
from chatbot.config import Config, Group
from chatbot.metrics import Metrics
from chatbot.services.access import AccessPolicy
from chatbot.services.clock import Clock
from chatbot.services.escalations import EscalationService
from chatbot.services.triage import TriageService
from chatbot.storage import Store


@dataclass(frozen=True)
class SlackDeps:
    config: Config
    triage: TriageService
    gateway: SlackGateway
    access: AccessPolicy
    background: Background
    updates: MessageUpdates
    metrics: Metrics
    store: Store
    clock: Clock
    escalations: EscalationService
    wake_worker: Callable[[], None] = field(default=lambda: None)  # new jobs: the in-process worker looks now

    @property
    def groups(self) -> Mapping[str, Group]:
        return self.config.groups
