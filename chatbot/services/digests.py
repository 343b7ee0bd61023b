"""Digests for team leads: compute one for a period and scope (`/digest`, `chatbot digest`, a schedule), and post
the scheduled ones exactly once through the jobs table.

Scheduling: each worker, once a minute, offers the jobs table one DIGEST job per firing of each schedule in the
last CATCH_UP (the newest MAX_CATCH_UP of them), keyed by schedule and period; the table's unique key keeps the first
and ignores every other offer, from this worker or any other, so each period is queued once. A firing that fell due
while nothing was running is still in that window when a worker comes back: it is queued then, marked late. A
schedule only owes digests from when it was first seen (digest_schedules), so a new one does not post a week of
back numbers. Posting is the surface's (a `DigestPoster`), under the job's lease and with its marker, like pings.

A schedule posted on both Slack and Teams gets one job per surface and period (its own key, its own attempts): what
one surface refuses or loses never makes the other post twice, and each keeps its own once-only guarantee (Slack
looks for an earlier post by its marker; Teams, which a bot cannot read back, marks a second copy as one).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from chatbot.config import Config, DigestSchedule, DigestScope
from chatbot.domain.digest import Digest, Period
from chatbot.domain.escalation import Surface
from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.engine.loader import Catalog
from chatbot.runtime_errors import StartupError
from chatbot.scheduler.worker import Done, JobContext, Periodic, Registration, Retry
from chatbot.services.clock import Clock
from chatbot.services.digest_figures import build_digest, window
from chatbot.services.digest_periods import buckets, firings, parse_period, previous_firing
from chatbot.storage import Store

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=7)  # how far back a worker coming back looks for digests nobody posted
MAX_CATCH_UP = 10  # ... and at most this many per schedule (an hourly one down for a day posts ten, not 24)
LATE_AFTER = timedelta(minutes=5)  # queued this long after it fell due: it is posted marked late
NO_POSTER_WAIT = 300  # a job for a surface this worker does not post to waits for one that does (a rolling deploy)


class DigestPoster(Protocol):
    """What a surface implements to post a scheduled digest (Slack and Teams: their digest_delivery.py)."""

    async def post(self, schedule: DigestSchedule, digest: Digest, ctx: JobContext) -> None:
        """Post `digest` in the schedule's channel on this surface, once: raise the worker's Retry or Permanent
        otherwise."""
        ...


def key_prefix(schedule_id: str, surface: Surface = Surface.SLACK) -> str:
    # Slack's keys are those of before Teams had digests (jobs already queued keep theirs); Teams' prefix is one no
    # Slack key starts with (a schedule id has no `@`), so each surface's keys sort and wait among their own.
    return f"digest:{schedule_id}:" if surface == Surface.SLACK else f"digest:{schedule_id}@{surface.value}:"


def job_key(schedule_id: str, period: Period, surface: Surface = Surface.SLACK) -> str:
    """Unique per schedule, surface and period; a schedule's keys on one surface sort in the order of its periods."""
    return f"{key_prefix(schedule_id, surface)}{period.start:%Y%m%dT%H%MZ}-{period.end:%Y%m%dT%H%MZ}"


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
        """The schedule whose time zone and scope `/digest`, Teams' `digest` and `chatbot digest` use: the one
        posted in `channel` (a Slack or a Teams channel id), else the first configured; None when there is none
        (everything, in UTC)."""
        for schedule in self.config.digests:
            if channel and channel in (schedule.channel, schedule.teams_channel):
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

    def producer(self, surfaces: Collection[Surface]) -> Periodic:
        """The worker's periodic producer, for the surfaces this process posts digests to."""
        return lambda now: self.due(now, surfaces)

    def due(self, now: datetime, surfaces: Collection[Surface] = (Surface.SLACK,)) -> list[NewJob]:
        """A keyed DIGEST job for every firing of the catch-up window, per surface the schedule is posted on (of
        `surfaces`)."""
        due: list[NewJob] = []
        for schedule in self.config.digests:
            posted_on = [s for s in schedule.surfaces if s in surfaces]
            if not posted_on:
                continue
            zone = ZoneInfo(schedule.timezone)
            after = max(self._since.get(schedule.id, self._started), now - CATCH_UP)
            for end in firings(schedule.cron, zone, after, now)[-MAX_CATCH_UP:]:
                period = Period(previous_firing(schedule.cron, zone, end), end, schedule.timezone)
                for surface in posted_on:
                    payload = {
                        "digest": schedule.id,
                        "surface": surface.value,
                        "start": period.start.isoformat(),
                        "end": period.end.isoformat(),
                        "late": now - end > LATE_AFTER,
                    }
                    due.append(NewJob(JobKind.DIGEST, payload, end, key=job_key(schedule.id, period, surface)))
        return due

    def registration(self, posters: Mapping[Surface, DigestPoster]) -> Registration:
        """Post DIGEST jobs with the poster of their surface (a job queued before Teams existed is Slack's)."""
        for schedule in self.config.digests:
            for surface in schedule.surfaces:
                if surface not in posters:
                    log.warning("digest %s names a %s channel, but %s is not configured here: not posted there",
                                schedule.id, surface.value, surface.value)  # fmt: skip

        async def run(job: Job, ctx: JobContext) -> Done:
            schedule = self.schedules.get(str(job.payload["digest"]))
            surface = Surface(str(job.payload.get("surface", Surface.SLACK.value)))
            if schedule is None or surface not in schedule.surfaces:  # taken out of the configuration since
                log.info("digest %s is no longer configured on %s; job %s dropped", job.payload["digest"],
                         surface.value, job.id)  # fmt: skip
                return Done()
            poster = posters.get(surface)
            if poster is None:  # queued by a worker that posts there; this one does not (yet)
                raise Retry(NO_POSTER_WAIT, f"this worker does not post digests to {surface.value}", nothing_done=True)
            if job.key and await self.store.digests.earlier_pending(job.key, key_prefix(schedule.id, surface)):
                # Digests caught up after downtime go out in the order of their periods, one after the other.
                raise Retry(1, "an earlier digest of this schedule goes first", nothing_done=True, counts=False)
            end = datetime.fromisoformat(str(job.payload["end"]))
            period = Period(datetime.fromisoformat(str(job.payload["start"])), end, schedule.timezone)
            digest = await self.compute(period, schedule, due_at=end, late=bool(job.payload.get("late")))
            await poster.post(schedule, digest, ctx)
            return Done()

        return Registration(run)
