"""Composition root: build every part from settings and configuration. Nothing lives at module level."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import orjson
from slack_bolt.async_app import AsyncApp

from chatbot.adapters.slack.app import build_app
from chatbot.adapters.slack.background import Background
from chatbot.adapters.slack.client import build_client
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.delivery import SlackDelivery
from chatbot.adapters.slack.digest_delivery import SlackDigestPoster
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.holds import ChannelHolds
from chatbot.adapters.slack.lookup import HistoryGate, PostFinder
from chatbot.adapters.slack.pacing import ChannelPacer
from chatbot.adapters.slack.updates import MessageUpdates
from chatbot.adapters.teams.digest_command import digest_command
from chatbot.adapters.teams.wiring import TeamsSide, build_teams
from chatbot.config import Config
from chatbot.domain.escalation import Surface
from chatbot.domain.jobs import JobKind
from chatbot.engine.catalog import build_engine
from chatbot.logs import quiet
from chatbot.metrics import Metrics
from chatbot.runtime_errors import StartupError
from chatbot.scheduler.worker import Periodic, Worker
from chatbot.services.access import AccessPolicy
from chatbot.services.cases import CaseService, case_close_registration
from chatbot.services.clock import Clock, system_clock
from chatbot.services.dedup import Deliveries, daily_prune, prune_registration
from chatbot.services.delivery import Delivery
from chatbot.services.digests import DigestPoster, DigestService
from chatbot.services.escalation_jobs import EscalationJobs
from chatbot.services.escalations import EscalationService
from chatbot.services.oncall import OncallService
from chatbot.services.pii_guard import PiiGuard
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


async def _no_usergroups(usergroup: str) -> frozenset[str]:
    """Without Slack there are no Slack user groups: access and escalation lists naming one match nobody."""
    return frozenset()


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
    deps: SlackDeps | None  # None without Slack
    bolt: AsyncApp | None
    worker: Worker
    worker_http: aiohttp.ClientSession
    teams: TeamsSide | None = None  # None without Teams

    @classmethod
    async def create(
        cls, settings: Settings, config: Config, clock: Clock = system_clock, *, worker_timeout: float | None = None
    ) -> Runtime:
        """`worker_timeout`: how long the worker waits for Slack (default: SLACK_TIMEOUT_SECONDS)."""
        quiet()  # whoever builds the runtime (serve, worker, tests): no library logs what agents typed
        engine = build_engine(config)  # raises PlaybookErrors with the linter's messages
        store = await open_store(settings.database_url, settings.database_pool_size)
        metrics = Metrics()
        # One HTTP session for every Web API call: a new connection per call costs more than the call itself.
        # slack_sdk ignores its own `timeout` when given a session, so the session carries it.
        http = _session(timeout=settings.slack_timeout)
        token = settings.slack_bot_token.reveal() if settings.slack_bot_token else None
        client = build_client(token, settings.slack_api_url, http, metrics) if token else None
        gateway = SlackGateway(client, http, metrics) if client else None
        members = gateway.usergroup_members if gateway else _no_usergroups
        access = AccessPolicy(config.access, members)
        cases = CaseService(config, store, engine.renderer, clock)
        pii = PiiGuard(config.pii)
        escalations = EscalationService(config, store, engine, clock, members, access, cases)
        triage = TriageService(engine, store, clock, escalations=escalations, access=access, cases=cases, pii=pii)
        history_gate = HistoryGate(settings.slack_history_per_minute)  # one per process, shared by all look-ups
        deliveries = Deliveries(store, clock)
        digests = DigestService(config, store, engine.catalog, clock)
        await digests.prepare()
        # One per process, shared by every Slack poster: a digest keeps out of a channel while pings wait there.
        pacer = ChannelPacer(clock)
        group_channels = [group.channel for group in config.groups.values() if group.channel]
        holds = ChannelHolds(store.holds, clock, group_channels)  # shared with every process through the database
        digest_posters: dict[Surface, DigestPoster] = {}  # the surfaces this process posts scheduled digests to

        # The worker's own client does not retry: it reschedules a failed job itself (durably, honouring
        # Retry-After), and a blind retry of a post whose answer was lost could post it twice.
        worker_timeout = worker_timeout or settings.slack_timeout
        worker_http = _session(timeout=worker_timeout)
        surfaces: dict[Surface, Delivery] = {}
        if token:
            worker_client = build_client(
                token, settings.slack_api_url, worker_http, metrics, worker_timeout, retries=False
            )
            worker_gateway = SlackGateway(worker_client, worker_http, metrics)
            surfaces[Surface.SLACK] = SlackDelivery(
                config,
                worker_gateway,
                PostFinder(worker_gateway, history_gate),
                triage,
                pacer,
                timeout=worker_timeout,
                holds=holds,
            )
            finder = PostFinder(worker_gateway, history_gate)
            digest_posters[Surface.SLACK] = SlackDigestPoster(worker_gateway, finder, pacer, timeout=worker_timeout)
        oncall = OncallService(config, store, clock)
        teams = None
        if settings.teams is not None:
            teams = await build_teams(
                settings.teams, config, store, triage, escalations, oncall, clock, call_timeout=worker_timeout
            )
            surfaces[Surface.TEAMS] = teams.delivery
            digest_posters[Surface.TEAMS] = teams.digests
            teams.add_command("digest", digest_command(digests, escalations))
        jobs = EscalationJobs(config, store, surfaces, clock, metrics)
        registrations = {
            **jobs.registrations(),
            JobKind.PRUNE: prune_registration(deliveries),
            JobKind.CASE_CLOSE: case_close_registration(cases),
        }
        periodic: list[Periodic] = [daily_prune]
        if digest_posters:  # one job per schedule, period and surface: each surface posts its own once
            registrations[JobKind.DIGEST] = digests.registration(digest_posters)
            periodic.append(digests.producer(digest_posters))
        worker = Worker(
            store.jobs,
            registrations,
            metrics,
            clock=clock,
            lease=timedelta(seconds=settings.job_lease_seconds),
            periodic=periodic,
        )
        deps, bolt = None, None
        if client is not None and gateway is not None:
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
                oncall=oncall,
                deliveries=deliveries,
                wake_worker=worker.wake,
                digests=digests,
                pii=pii,
                holds=holds,
            )
            bolt = build_app(client, deps)
        if teams is not None:
            teams.waker.wake = worker.wake
        log.info(
            "ready: %d playbooks, database %s, Slack API %s, Teams %s",
            len(engine.catalog),
            redact_url(normalize_url(settings.database_url)),
            client.base_url if client else "off",
            "on" if teams else "off",
        )
        return cls(settings, config, store, metrics, http, deps, bolt, worker, worker_http, teams)

    async def close(self) -> None:
        if self.deps is not None:
            await self.deps.background.drain()
        if self.teams is not None:
            await self.teams.close()
        await self.http.close()
        await self.worker_http.close()
        await self.store.close()
