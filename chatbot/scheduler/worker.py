"""Claim due jobs, do them against Slack, and record the result; several workers may share one database.

A delivery that failed is retried with backoff (Slack's Retry-After on 429); one whose outcome is unknown (a
timeout, a crash before it was marked done) is looked for in Slack before it is posted again, by the marker every
post carries as its first block id, so a ping is never posted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack.blocks import session_message
from chatbot.adapters.slack.escalation_blocks import (
    agent_notice,
    ping_message,
    reescalation_message,
    undeliverable_notice,
)
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.config import Config, Group
from chatbot.metrics import Metrics
from chatbot.services.availability import Targets, choose_targets, member_statuses
from chatbot.services.clock import Clock
from chatbot.services.escalations import timeout_for
from chatbot.services.triage import TriageService
from chatbot.storage import EscalationRecord, JobRecord, NewJob, Store

log = logging.getLogger(__name__)

# Errors that will not go away by retrying: the job fails, and the log says why.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "invalid_blocks",
    "msg_too_long",
    "no_text",
    "message_not_found",
    "cant_update_message",
    "thread_not_found",
    "restricted_action",
}


RATE_LIMITED = "rate limited"
UNDELIVERABLE_NOTICE = {"ping", "reescalate"}  # kinds whose failure the agent must hear about


class Retry(Exception):
    def __init__(self, after: float, reason: str) -> None:
        super().__init__(reason)
        self.after = after
        self.reason = reason


class Permanent(Exception):
    pass


class Worker:
    def __init__(
        self,
        config: Config,
        store: Store,
        gateway: SlackGateway,
        triage: TriageService,
        clock: Clock,
        metrics: Metrics,
        *,
        batch: int = 20,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 1.0,
        max_attempts: int = 12,
    ) -> None:
        self.config = config
        self.store = store
        self.gateway = gateway
        self.triage = triage
        self.clock = clock
        self.metrics = metrics
        self.batch = batch
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._quiet_until: dict[str, datetime] = {}
        self._next_slot: dict[str, datetime] = {}
        self.handlers: dict[str, Callable[[JobRecord, EscalationRecord, Group], Awaitable[None]]] = {
            "ping": self._ping,
            "reescalate": self._reescalate,
            "ping_update": self._ping_update,
            "notify_agent": self._notify_agent,
            "session_update": self._session_update,
            "undeliverable": self._undeliverable,
        }

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
            try:
                await asyncio.wait(waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()

    async def run_once(self) -> int:
        """Claim and run the jobs due now; returns how many were claimed."""
        jobs = await self.store.work.claim_jobs(self.owner, self.clock(), limit=self.batch, lease=self.lease)
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

    # --- one job -------------------------------------------------------------------------------------------
    async def _run(self, job: JobRecord) -> None:
        try:
            esc = await self.store.work.get_escalation(job.escalation_id or "")
            group = self.config.groups.get(esc.group_id) if esc else None
            if esc is None or group is None:
                raise Permanent(f"escalation {job.escalation_id} or its group is gone")
            await self.handlers[job.kind](job, esc, group)
            self.metrics.jobs.labels(job.kind, "done").inc()
        except Retry as retry:
            await self._retry(job, retry.after, retry.reason)
        except Permanent as exc:
            log.error("job %s (%s) failed for good: %s", job.id, job.kind, exc)
            await self._give_up(job, str(exc))
        except Exception as exc:
            log.exception("job %s (%s) raised", job.id, job.kind)
            await self._retry(job, self._backoff(job), f"{type(exc).__name__}: {exc}")

    async def _retry(self, job: JobRecord, after: float, reason: str) -> None:
        # Slack saying "later" (429) is no failure: only other trouble counts towards giving up.
        if reason != RATE_LIMITED and job.attempts >= self.max_attempts:
            log.error("job %s (%s) gave up after %d attempts: %s", job.id, job.kind, job.attempts, reason)
            await self._give_up(job, reason)
            return
        self.metrics.jobs.labels(job.kind, "retry").inc()
        level = logging.INFO if reason == RATE_LIMITED else logging.WARNING  # 429s are routine under bursts
        log.log(level, "job %s (%s) retries in %.0f s: %s", job.id, job.kind, after, reason)
        await self.store.work.retry_job(job.id, self.owner, self.clock() + timedelta(seconds=after), reason)

    async def _give_up(self, job: JobRecord, reason: str) -> None:
        """Fail the job; when it was a ping or reminder, the agent is told (durably, as a job of its own) that Tier 2
        has not heard of their escalation, so it is not left waiting for an answer that cannot come."""
        self.metrics.jobs.labels(job.kind, "failed").inc()
        now = self.clock()
        follow = (
            [NewJob("undeliverable", {"failed": job.kind, "error": reason}, now, job.escalation_id)]
            if job.kind in UNDELIVERABLE_NOTICE and job.escalation_id
            else []
        )
        await self.store.work.fail_job(job.id, self.owner, now, reason, jobs=follow)
        if follow:
            self.wake()

    def _backoff(self, job: JobRecord) -> float:
        return float(min(2 ** max(job.attempts - 1, 0), 300))

    async def _slack(self, job: JobRecord, call: Awaitable[str | None]) -> str | None:
        """Run a Web API call, turning Slack's answers into Retry / Permanent."""
        try:
            return await call
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error", ""))
            if status == 429:
                raise Retry(float(exc.response.headers.get("Retry-After", 1) or 1), RATE_LIMITED) from exc
            if status >= 500 or error in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
                raise Retry(self._backoff(job), f"Slack {status} {error}") from exc
            if error in PERMANENT:
                raise Permanent(f"Slack said {error}") from exc
            raise Retry(self._backoff(job), f"Slack {status} {error}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Retry(self._backoff(job), f"{type(exc).__name__} talking to Slack: outcome unknown") from exc

    async def _post_once(self, job: JobRecord, channel: str, text: str, blocks: list, thread_ts: str | None) -> str:
        """Post with the job's marker, unless an earlier attempt of this job already did."""
        marker = f"job-{job.id}"
        # Only a 429 says for sure that nothing was posted; after anything else (a timeout, a 5xx, a worker that
        # died) the earlier attempt may have got through.
        if job.attempts > 1 and job.last_error != RATE_LIMITED:
            found = await self._slack(job, self.gateway.find_marked(channel, marker, thread_ts=thread_ts))
            if found:
                log.info("job %s: found its earlier post %s; not posting again", job.id, found)
                return found
        self._wait_for_channel(channel)
        try:
            ts = await self._slack(job, self.gateway.post_message(channel, text, blocks, thread_ts=thread_ts))
        except Retry as retry:
            if retry.reason == RATE_LIMITED:
                self._quiet_until[channel] = self.clock() + timedelta(seconds=retry.after)
            raise
        assert ts is not None
        return ts

    def _wait_for_channel(self, channel: str) -> None:
        """After a 429 on a channel, its other posts wait their turn instead of each meeting a 429 of its own.

        Slack allows about one message per second per channel: posts held back are given one-second slots.
        """
        now = self.clock()
        until = self._quiet_until.get(channel)
        if until is None or until <= now:
            self._quiet_until.pop(channel, None)
            self._next_slot.pop(channel, None)
            return
        slot = max(self._next_slot.get(channel, until), until)
        self._next_slot[channel] = slot + timedelta(seconds=1)
        raise Retry((slot - now).total_seconds(), RATE_LIMITED)

    async def _finish(self, job: JobRecord, **kwargs: object) -> None:
        if not await self.store.work.finish_job(job.id, self.owner, self.clock(), **kwargs):  # type: ignore[arg-type]
            log.warning("job %s: lease lost before it was marked done; another worker owns it", job.id)

    # --- targets ---------------------------------------------------------------------------------------------
    async def targets(self, group: Group, start: int, now: datetime) -> Targets:
        away = await self.store.work.away(now)
        presence_away: set[str] = set()
        if group.use_slack_presence:
            for person_id in group.members:
                user = self.config.people[person_id].slack_user
                with contextlib.suppress(SlackApiError, TimeoutError, aiohttp.ClientError):
                    if await self.gateway.presence(user) == "away":
                        presence_away.add(user)
        return choose_targets(group, member_statuses(self.config, group, now, away, presence_away), start)

    # --- handlers --------------------------------------------------------------------------------------------
    async def _ping(self, job: JobRecord, esc: EscalationRecord, group: Group) -> None:
        if esc.status != "open" or esc.ping_ts:
            await self._finish(job)  # handled before it was even pinged, or pinged by an earlier attempt
            return
        now = self.clock()
        targets = await self.targets(group, 0, now)
        permalink = None
        if esc.agent_channel and esc.agent_message_ts:
            with contextlib.suppress(Retry, Permanent):
                permalink = await self._slack(job, self.gateway.permalink(esc.agent_channel, esc.agent_message_ts))
        shown = replace(esc, tier=targets.tier)
        msg = ping_message(shown, group, targets, permalink, f"job-{job.id}")
        ts = await self._post_once(job, group.channel, msg.text, msg.blocks, None)
        self.metrics.ping_latency.observe(max((self.clock() - esc.created_at).total_seconds(), 0))
        follow = self._session_follow_up(esc, now)
        if not targets.everyone:
            follow.append(
                NewJob("reescalate", {"tier": targets.tier + 1}, now + timeout_for(group, esc.priority), esc.id)
            )
        await self._finish(
            job,
            jobs=follow,
            escalation_id=esc.id,
            escalation_changes={"ping_channel": group.channel, "ping_ts": ts, "tier": targets.tier},
        )

    async def _reescalate(self, job: JobRecord, esc: EscalationRecord, group: Group) -> None:
        if esc.status != "open" or not esc.ping_ts or not esc.ping_channel:
            await self._finish(job)  # acknowledged (or handled) in time: the timer has nothing to do
            return
        now = self.clock()
        targets = await self.targets(group, int(job.payload.get("tier", esc.tier + 1)), now)
        waited = max(int((now - esc.created_at).total_seconds() // 60), 1)
        msg = reescalation_message(esc, group, targets, waited, f"job-{job.id}")
        await self._post_once(job, esc.ping_channel, msg.text, msg.blocks, esc.ping_ts)
        follow = [NewJob("ping_update", {}, now, esc.id), *self._session_follow_up(esc, now)]
        if not targets.everyone:
            follow.append(
                NewJob("reescalate", {"tier": targets.tier + 1}, now + timeout_for(group, esc.priority), esc.id)
            )
        await self._finish(job, jobs=follow, escalation_id=esc.id, escalation_changes={"tier": targets.tier})

    async def _ping_update(self, job: JobRecord, esc: EscalationRecord, group: Group) -> None:
        if esc.ping_channel and esc.ping_ts:
            msg = ping_message(esc, group, None, None, "ping")
            await self._slack(job, self.gateway.update_message(esc.ping_channel, esc.ping_ts, msg.text, msg.blocks))
        await self._finish(job)

    async def _notify_agent(self, job: JobRecord, esc: EscalationRecord, group: Group) -> None:
        action = str(job.payload["action"])
        msg = agent_notice(esc, group, action, str(job.payload["actor"]), job.payload.get("reason"), f"job-{job.id}")
        if esc.agent_channel and esc.agent_message_ts:
            await self._post_once(job, esc.agent_channel, msg.text, msg.blocks, esc.agent_message_ts)
        else:  # an escalation by hand: tell whoever raised it, in a direct message
            await self._post_once(job, esc.created_by, msg.text, msg.blocks, None)
        await self._finish(job)

    async def _undeliverable(self, job: JobRecord, esc: EscalationRecord, group: Group) -> None:
        failed, error = str(job.payload.get("failed", "ping")), str(job.payload.get("error", ""))
        msg = undeliverable_notice(esc, group, first=failed == "ping", error=error, marker=f"job-{job.id}")
        await self._post_once(job, esc.agent_channel or esc.created_by, msg.text, msg.blocks, esc.agent_message_ts)
        await self._finish(job)

    async def _session_update(self, job: JobRecord, esc: EscalationRecord, group: Group) -> None:
        if esc.run_id and esc.agent_channel and esc.agent_message_ts:
            session = await self.triage.load(esc.run_id)
            msg = session_message(
                session.view, session.run_id, session.owner_id, self.config.groups, session.escalation
            )
            await self._slack(
                job, self.gateway.update_message(esc.agent_channel, esc.agent_message_ts, msg.text, msg.blocks)
            )
        await self._finish(job)

    def _next_timer(self, esc: EscalationRecord, group: Group, targets: Targets, now: datetime) -> list[NewJob]:
        """Unless the whole group was pinged, the next tier is pinged if nobody acknowledges in time."""
        if targets.everyone:
            return []
        return [NewJob("reescalate", {"tier": targets.tier + 1}, now + timeout_for(group, esc.priority), esc.id)]

    def _session_follow_up(self, esc: EscalationRecord, now: datetime) -> list[NewJob]:
        return [NewJob("session_update", {}, now, esc.id)] if esc.agent_message_ts else []
