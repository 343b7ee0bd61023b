"""The worker: claim due jobs under a lease, run each through the handler registered for its kind, and record the
outcome: done (with what it found out, in one transaction), retried with backoff (or when the handler says), or
failed for good. It knows no surface and no domain: handlers are registered by the composition root.

An attempt that begins a side effect (a post) says so first (`JobContext.begin_attempt`), so a worker that takes
the job over after a crash or a timeout knows the effect may have happened, and since when (`previous_attempt`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.metrics import Metrics
from chatbot.services.clock import Clock, system_clock
from chatbot.storage.jobs import JobRepo, Write

log = logging.getLogger(__name__)


class Retry(Exception):
    """Try again after `after` seconds. `nothing_done`: this attempt certainly had no effect (Slack said 429),
    so the next need not look for one. `counts`: whether it counts towards giving up (waiting for a rate limit
    does not)."""

    def __init__(self, after: float, reason: str, *, nothing_done: bool = False, counts: bool = True) -> None:
        super().__init__(reason)
        self.after = after
        self.reason = reason
        self.nothing_done = nothing_done
        self.counts = counts


class Permanent(Exception):
    """Retrying cannot help: the job fails, and its kind's give-up hook says who must hear about it."""


@dataclass(frozen=True)
class Done:
    """A job's result: jobs to add and writes to make in the transaction that marks it done."""

    jobs: Sequence[NewJob] = ()
    writes: Sequence[Write] = ()


@dataclass
class JobContext:
    job: Job
    owner: str
    repo: JobRepo
    wall: Clock  # real time: what an outside service's timestamps are compared with

    @property
    def previous_attempt(self) -> datetime | None:
        """When an earlier attempt began its side effect, if it may have happened (crash, timeout)."""
        return self.job.attempt_started_at

    @property
    def marker(self) -> str:
        """The same on every attempt of this job: what a side effect carries to be recognised."""
        return f"job-{self.job.id}"

    async def begin_attempt(self) -> None:
        if not await self.repo.begin_attempt(self.job.id, self.owner, self.wall()):
            raise Retry(0, "lease lost before the attempt began", nothing_done=True, counts=False)


Handler = Callable[[Job, JobContext], Awaitable[Done]]
# (job, why, now, uncertain): `uncertain` when its last attempt may have had its effect (a post whose answer never
# came, a look-up that could not tell): who hears of it must not be told it certainly did not happen.
GiveUp = Callable[[Job, str, datetime, bool], Done]


@dataclass(frozen=True)
class Registration:
    run: Handler
    on_give_up: GiveUp | None = None  # who must hear that this job failed for good


Periodic = Callable[[datetime], Sequence[NewJob]]  # keyed jobs due by now (a key is queued once)


@dataclass
class Worker:
    repo: JobRepo
    handlers: Mapping[JobKind, Registration]
    metrics: Metrics
    clock: Clock = system_clock
    wall: Clock = system_clock
    periodic: Sequence[Periodic] = ()
    batch: int = 20
    lease: timedelta = timedelta(seconds=60)
    # A worker in its own process (the Procfile's) hears of new jobs only by looking: a ping waits for the next
    # look, so this bounds how late Tier 2 hears of an escalation (under a second, p99, with the delivery itself).
    # An idle look is one indexed read, which takes no lock on SQLite.
    poll_seconds: float = 0.5
    max_attempts: int = 12
    owner: str = field(default_factory=lambda: f"worker-{uuid.uuid4().hex[:12]}")

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._periodic_at: datetime | None = None
        self._soonest: datetime | None = None

    def wake(self) -> None:
        """New jobs were written in this process: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker %s started", self.owner)
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:  # the database went away for a moment: keep the loop alive
                log.exception("worker loop failed; retrying")
                done = 0
            if done:
                continue
            self._wake.clear()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            # A job this process put off comes due before the next poll: wake for it (a look-up waiting for the
            # history limit, a post waiting for the channel's next second).
            soonest = self._soonest
            wait = self.poll_seconds
            if soonest is not None:
                wait = min(wait, max((soonest - self.clock()).total_seconds(), 0.01))
                self._soonest = None
            try:
                await asyncio.wait(waits, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()

    async def run_once(self) -> int:
        """Queue what periodic schedules say is due, claim and run the jobs due now; returns how many ran."""
        await self._queue_periodic()
        jobs = await self.repo.claim(self.owner, self.clock(), limit=self.batch, lease=self.lease)
        if jobs:
            await asyncio.gather(*(self._run(job) for job in jobs))
        return len(jobs)

    async def drain(self, rounds: int = 100) -> int:
        """Run until nothing is due (tests, benchmarks); returns how many jobs were run."""
        total = 0
        for _ in range(rounds):
            done = await self.run_once()
            total += done
            if not done:
                break
        return total

    async def _queue_periodic(self) -> None:
        now = self.clock()
        if not self.periodic or (self._periodic_at is not None and now - self._periodic_at < timedelta(minutes=1)):
            return
        self._periodic_at = now
        due = [job for schedule in self.periodic for job in schedule(now)]
        if due:
            await self.repo.add(due, now)

    async def _run(self, job: Job) -> None:
        registration = self.handlers.get(job.kind)
        try:
            if registration is None:
                raise Permanent(f"no handler for jobs of kind {job.kind.value}")
            done = await registration.run(job, JobContext(job, self.owner, self.repo, self.wall))
            if not await self.repo.finish(job.id, self.owner, self.clock(), jobs=done.jobs, writes=done.writes):
                log.warning("job %s: lease lost before it was marked done; another worker owns it", job.id)
            self.metrics.jobs.labels(job.kind.value, "done").inc()
            if done.jobs:
                self.wake()
        except Retry as retry:
            await self._retry(job, retry)
        except Permanent as exc:
            log.error("job %s (%s) failed for good: %s", job.id, job.kind.value, exc)
            await self._give_up(job, str(exc), registration)
        except Exception as exc:
            log.exception("job %s (%s) raised", job.id, job.kind.value)
            await self._retry(job, Retry(self.backoff(job), f"{type(exc).__name__}: {exc}"))

    def backoff(self, job: Job) -> float:
        return float(min(2 ** max(job.attempts - 1, 0), 300))

    async def _retry(self, job: Job, retry: Retry) -> None:
        if retry.counts and job.attempts >= self.max_attempts:
            log.error("job %s (%s) gave up after %d attempts: %s", job.id, job.kind.value, job.attempts, retry.reason)
            await self._give_up(job, retry.reason, self.handlers.get(job.kind), uncertain=not retry.nothing_done)
            return
        self.metrics.jobs.labels(job.kind.value, "retry").inc()
        level = logging.WARNING if retry.counts else logging.INFO  # waiting for a rate limit is routine
        log.log(level, "job %s (%s) retries in %.0f s: %s", job.id, job.kind.value, retry.after, retry.reason)
        due = self.clock() + timedelta(seconds=retry.after)
        self._soonest = due if self._soonest is None else min(self._soonest, due)
        await self.repo.retry(job.id, self.owner, due, retry.reason, clear_attempt=retry.nothing_done)

    async def _give_up(
        self, job: Job, reason: str, registration: Registration | None, *, uncertain: bool = False
    ) -> None:
        self.metrics.jobs.labels(job.kind.value, "failed").inc()
        now = self.clock()
        give_up = registration.on_give_up if registration else None
        follow = give_up(job, reason, now, uncertain) if give_up else Done()
        await self.repo.fail(job.id, self.owner, now, reason, jobs=follow.jobs, writes=follow.writes)
        if follow.jobs:
            self.wake()
