"""Composition root: build every part from settings and configuration. Nothing lives at module level."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
import orjson
from slack_bolt.async_app import AsyncApp

from chatbot.adapters.slack.app import build_app
from chatbot.adapters.slack.background import Background
from chatbot.adapters.slack.client import build_client
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.delivery import SlackDelivery
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.lookup import HistoryGate, PostFinder
from chatbot.adapters.slack.pacing import ChannelPacer
from chatbot.adapters.slack.updates import MessageUpdates
from chatbot.config import Config
from chatbot.domain.escalation import Surface
from chatbot.domain.jobs import JobKind
from chatbot.engine.catalog import build_engine
from chatbot.metrics import Metrics
from chatbot.runtime_errors import StartupError
from chatbot.scheduler.worker import Worker
from chatbot.services.access import AccessPolicy
from chatbot.services.clock import Clock, system_clock
from chatbot.services.dedup import Deliveries, daily_prune, prune_registration
from chatbot.services.escalation_jobs import EscalationJobs
from chatbot.services.escalations import EscalationService
from chatbot.services.oncall import OncallService
from chatbot.services.triage import TriageService
from chatbot.settings import Settings
from chatbot.storage import Store, create_engine, current_revision, head_revision, normalize_url, redact_url, upgrade

log = logging.getLogger(__name__)


async def open_store(database_url: str, pool_size: int = 20) -> Store:
    """Connect; migrate SQLite automatically, and refuse a PostgreSQL database that `chatbot migrate` has not run on.

    On PostgreSQL `pool_size` connections serve the per-click save and half as many everything else.
    """
    url = normalize_url(database_url)
    if url.startswith("sqlite"):
        await upgrade(url)
        return Store(create_engine(url))
    current, head = await current_revision(url), head_revision()
    if current != head:
        raise StartupError(
            f"database {redact_url(url)} is at revision {current or 'none'}, not {head}: run `chatbot migrate`"
        )
    return Store(create_engine(url, pool_size=max(1, pool_size // 2)), save_pool_size=pool_size)


def _json(data: object) -> str:
    return orjson.dumps(data).decode()


def _session(timeout: float) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(total=timeout),
        # slack_sdk posts Block Kit as JSON through this session: the stdlib encoder was ~5% of a click.
        json_serialize=_json,
    )


@dataclass
class Runtime:
    settings: Settings
    config: Config
    store: Store
    metrics: Metrics
    http: aiohttp.ClientSession
    deps: SlackDeps
    bolt: AsyncApp
    worker: Worker
    worker_http: aiohttp.ClientSession

    @classmethod
    async def create(
        cls, settings: Settings, config: Config, clock: Clock = system_clock, *, worker_timeout: int = 10
    ) -> Runtime:
        engine = build_engine(config)  # raises PlaybookErrors with the linter's messages
        store = await open_store(settings.database_url, settings.database_pool_size)
        metrics = Metrics()
        # One HTTP session for every Web API call: a new connection per call costs more than the call itself.
        # slack_sdk ignores its own `timeout` when given a session, so the session carries it.
        http = _session(timeout=settings.slack_timeout)
        token = settings.slack_bot_token.reveal()
        client = build_client(token, settings.slack_api_url, http, metrics)
        gateway = SlackGateway(client, http, metrics)
        access = AccessPolicy(config.access, gateway.usergroup_members)
        escalations = EscalationService(config, store, engine, clock, gateway.usergroup_members, access)
        triage = TriageService(engine, store, clock, escalations=escalations, access=access)
        history_gate = HistoryGate(settings.slack_history_per_minute)  # one per process, shared by all look-ups
        deliveries = Deliveries(store, clock)

        # The worker's own client does not retry: it reschedules a failed job itself (durably, honouring
        # Retry-After), and a blind retry of a post whose answer was lost could post it twice.
        worker_http = _session(timeout=worker_timeout)
        worker_client = build_client(token, settings.slack_api_url, worker_http, metrics, worker_timeout, retries=False)
        worker_gateway = SlackGateway(worker_client, worker_http, metrics)
        slack_delivery = SlackDelivery(
            config,
            worker_gateway,
            PostFinder(worker_gateway, history_gate),
            triage.load_fresh,
            ChannelPacer(clock),
            timeout=worker_timeout,
        )
        jobs = EscalationJobs(config, store, {Surface.SLACK: slack_delivery}, clock, metrics)
        worker = Worker(
            store.jobs,
            {**jobs.registrations(), JobKind.PRUNE: prune_registration(deliveries)},
            metrics,
            clock=clock,
            periodic=[daily_prune],
        )
        background = Background()
        deps = SlackDeps(
            config=config,
            triage=triage,
            gateway=gateway,
            finder=PostFinder(gateway, history_gate),
            background=background,
            updates=MessageUpdates(background),
            metrics=metrics,
            clock=clock,
            escalations=escalations,
            oncall=OncallService(config, store, clock),
            deliveries=deliveries,
            wake_worker=worker.wake,
        )
        bolt = build_app(client, deps)
        log.info(
            "ready: %d playbooks, database %s, Slack API %s",
            len(engine.catalog),
            redact_url(normalize_url(settings.database_url)),
            client.base_url,
        )
        return cls(settings, config, store, metrics, http, deps, bolt, worker, worker_http)

    async def close(self) -> None:
        await self.deps.background.drain()
        await self.http.close()
        await self.worker_http.close()
        await self.store.close()
