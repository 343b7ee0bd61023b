"""Digests for team leads: compute one for a period and scope (`/digest`, `chatbot digest`, a schedule), and post
the scheduled ones exactly once through the jobs table.

Scheduling: each worker, once a minute, offers the jobs table one DIGEST job per firing of each schedule in the
last CATCH_UP (the newest MAX_CATCH_UP of them), keyed by schedule and period; the table's unique key keeps the first
and ignores every other offer, from this worker or any other, so each period is queued once. A firing that fell due
while nothing was running is still in that window when a worker comes back: it is queued then, marked late. A
schedule only owes digests from when it was first seen (digest_schedules), so a new one does not post a week of
back numbers. Posting is the surface's (a `DigestPoster`), under the job's lease and with its marker, like pings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from chatbot.config import Config, DigestSchedule, DigestScope
from chatbot.domain.digest import Digest, Period
from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.engine.loader import Catalog
from chatbot.runtime_errors import StartupError
from chatbot.scheduler.worker import Done, JobContext, Registration, Retry
from chatbot.services.clock import Clock
from chatbot.services.digest_figures import build_digest, window
from chatbot.services.digest_periods import buckets, firings, parse_period, previous_firing
from chatbot.storage import Store

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=7)  # how far back a worker coming back looks for digests nobody posted
MAX_CATCH_UP = 10  # ... and at most this many per schedule (an hourly one down for a day posts ten, not 24)
LATE_AFTER = timedelta(minutes=5)  # queued this long after it fell due: it is posted marked late


class DigestPoster(Protocol):
    """What a surface implements to post a scheduled digest (Slack: digest_delivery.py)."""

    async def post(self, schedule: DigestSchedule, digest: Digest, ctx: JobContext) -> None:
        """Post `digest` in the schedule's channel, once: raise the worker's Retry or Permanent otherwise."""
        ...


def key_prefix(schedule_id: str) -> str:
    return f"digest:{schedule_id}:"


def job_key(schedule_id: str, period: Period) -> str:
    """Unique per schedule and period; a schedule's keys sort in the order of their periods."""
    return f"{key_prefix(schedule_id)}{period.start:%Y%m%dT%H%MZ}-{period.end:%Y%m%dT%H%MZ}"


class DigestService:
    def __init__(self, config: Config, store: Store, catalog: Catalog, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.schedules: Mapping[str, DigestSchedule] = {s.id: s for s in config.digests}
        for schedule in config.digests:
            unknown = [p for p in schedule.scope.playbooks if p not in catalog.playbooks]
            if unknown:
                raise StartupError(f"digest '{schedule.id}' counts unknown playbooks: {', '.join(unknown)}")
        self._since: dict[str, datetime] = {}
        self._started = clock()

    # --- computing ---------------------------------------------------------------------------------------------
    def default_schedule(self, channel: str | None = None) -> DigestSchedule | None:
        """The schedule whose time zone and scope `/digest` and `chatbot digest` use: the one posted in `channel`,
        else the first configured; None when there is none (everything, in UTC)."""
        for schedule in self.config.digests:
            if channel and schedule.channel == channel:
                return schedule
        return self.config.digests[0] if self.config.digests else None

    def period(self, text: str, schedule: DigestSchedule | None) -> Period:
        """A period asked for in words (`today`, `yesterday`, `week`, `since DATE`), in the schedule's time zone."""
        return parse_period(text, schedule.timezone if schedule else "UTC", self.clock())

    async def compute(
        self,
        period: Period,
        schedule: DigestSchedule | None = None,
        *,
        due_at: datetime | None = None,
        late: bool = False,
    ) -> Digest:
        """The digest of `period` for the schedule's scope (everything without one)."""
        scope = schedule.scope if schedule else DigestScope()
        boundaries, labels = buckets(period)
        rows = await self.store.digests.rows(window(self.config, scope, period, boundaries))
        title = schedule.name if schedule else "Support digest"
        return build_digest(
            self.config, self.catalog, rows, title=title, scope=scope, period=period, labels=labels,
            boundaries=boundaries, computed_at=self.clock(), due_at=due_at, late=late,
        )  # fmt: skip

    # --- scheduling --------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Record the schedules not seen before (from now on they owe digests) and learn when the others were."""
        schedules = [(s.id, s.cron, s.timezone) for s in self.config.digests]
        if schedules:
            self._since = await self.store.digests.schedules_since(schedules, self.clock())

    def due(self, now: datetime) -> list[NewJob]:
        """The worker's periodic producer: a keyed DIGEST job for every firing of the catch-up window."""
        due: list[NewJob] = []
        for schedule in self.config.digests:
            zone = ZoneInfo(schedule.timezone)
            after = max(self._since.get(schedule.id, self._started), now - CATCH_UP)
            for end in firings(schedule.cron, zone, after, now)[-MAX_CATCH_UP:]:
                period = Period(previous_firing(schedule.cron, zone, end), end, schedule.timezone)
                payload = {
                    "digest": schedule.id,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "late": now - end > LATE_AFTER,
                }
                due.append(NewJob(JobKind.DIGEST, payload, end, key=job_key(schedule.id, period)))
        return due

    def registration(self, poster: DigestPoster) -> Registration:
        async def run(job: Job, ctx: JobContext) -> Done:
            schedule = self.schedules.get(str(job.payload["digest"]))
            if schedule is None:  # taken out of the configuration since: nobody wants it any more
                log.info("digest %s is no longer configured; job %s dropped", job.payload["digest"], job.id)
                return Done()
            if job.key and await self.store.digests.earlier_pending(job.key, key_prefix(schedule.id)):
                # Digests caught up after downtime go out in the order of their periods, one after the other.
                raise Retry(1, "an earlier digest of this schedule goes first", nothing_done=True, counts=False)
            end = datetime.fromisoformat(str(job.payload["end"]))
            period = Period(datetime.fromisoformat(str(job.payload["start"])), end, schedule.timezone)
            digest = await self.compute(period, schedule, due_at=end, late=bool(job.payload.get("late")))
            await poster.post(schedule, digest, ctx)
            return Done()

        return Registration(run)
