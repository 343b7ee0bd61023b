"""The escalation's jobs, surface-neutral: load the escalation, ask the policy, hand the posting to the delivery
of the surface the job names, and give the worker what to write with the job's completion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from chatbot.config import Config, Group
from chatbot.domain.escalation import AgentUpdate, Escalation, EscalationAction, EscalationStatus, Surface
from chatbot.domain.escalation_policy import Targets, ping_delivered, should_ping, timer_fired
from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.metrics import Metrics
from chatbot.scheduler.worker import Done, JobContext, Permanent, Registration
from chatbot.services.availability import choose_targets, member_statuses
from chatbot.services.clock import Clock
from chatbot.services.delivery import Delivery
from chatbot.services.escalations import timeout_for
from chatbot.storage import Store
from chatbot.storage.jobs import JobRepo

UNDELIVERABLE_NOTICE = (JobKind.PING, JobKind.REMIND)  # failures the agent must hear about


class EscalationJobs:
    def __init__(
        self,
        config: Config,
        store: Store,
        deliveries: Mapping[Surface, Delivery],
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.deliveries = deliveries
        self.clock = clock
        self.metrics = metrics

    def registrations(self) -> dict[JobKind, Registration]:
        return {
            JobKind.PING: Registration(self.ping, self.tell_agent_it_failed),
            JobKind.REMIND: Registration(self.remind, self.tell_agent_it_failed),
            JobKind.REESCALATE: Registration(self.reescalate),
            JobKind.PING_UPDATE: Registration(self.ping_update),
            JobKind.NOTIFY_AGENT: Registration(self.notify_agent),
            JobKind.SESSION_UPDATE: Registration(self.session_update),
            JobKind.UNDELIVERABLE: Registration(self.undeliverable),
            JobKind.AGENT_UPDATE: Registration(self.agent_update),
        }

    # --- loading -----------------------------------------------------------------------------------------------
    async def _load(self, job: Job) -> tuple[Escalation, Group]:
        esc = await self.store.escalations.get(job.escalation_id or "")
        group = self.config.groups.get(esc.group_id) if esc else None
        if esc is None or group is None:
            raise Permanent(f"escalation {job.escalation_id} or its group is gone")
        return esc, group

    def _delivery(self, job: Job) -> Delivery:
        surface = Surface(job.payload.get("surface", Surface.SLACK.value))
        delivery = self.deliveries.get(surface)
        if delivery is None:
            raise Permanent(f"{surface.value} is not set up in this process")
        return delivery

    async def targets(self, esc: Escalation, group: Group, start: int, now: datetime) -> Targets:
        away = await self.store.away.current(now)
        presence: set[str] = set()
        if group.use_slack_presence and Surface.SLACK in self.deliveries:
            presence = await self.deliveries[Surface.SLACK].unavailable(group)
        statuses = member_statuses(self.config, group, now, away, presence, person=esc.person)
        return choose_targets(group, statuses, start, person=esc.person)

    # --- handlers ----------------------------------------------------------------------------------------------
    async def ping(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        delivery = self._delivery(job)
        if not should_ping(esc, delivery.surface):
            return Done()  # handled before it was even pinged, or pinged by an earlier attempt
        now = self.clock()
        targets = await self.targets(esc, group, 0, now)
        post = await delivery.ping(esc, group, targets, ctx)
        if self.metrics is not None:
            self.metrics.ping_latency.observe(max((self.clock() - esc.created_at).total_seconds(), 0))
        change = ping_delivered(esc, post, targets, timeout_for(group, esc.priority), self.clock())
        return Done(jobs=change.jobs, writes=[self.store.escalations.job_write(esc, change)])

    async def reescalate(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        tier = int(job.payload.get("tier", esc.tier + 1))
        if esc.status != EscalationStatus.OPEN or tier <= esc.tier:
            return Done()  # acknowledged (or handled) in time, or a timer already fired: nothing to do
        now = self.clock()
        targets = await self.targets(esc, group, tier, now)
        change = timer_fired(esc, tier, targets, timeout_for(group, esc.priority), now)
        writes = [self.store.escalations.job_write(esc, change)] if change.touches_escalation else []
        return Done(jobs=change.jobs, writes=writes)

    async def remind(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        delivery = self._delivery(job)
        post = esc.post_on(delivery.surface)
        if esc.status != EscalationStatus.OPEN or post is None:
            return Done()  # taken meanwhile: nobody needs reminding
        targets = Targets.from_payload(dict(job.payload["targets"]))
        await delivery.remind(esc, group, targets, int(job.payload.get("waited", 1)), post, ctx)
        return Done()

    async def ping_update(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        delivery = self._delivery(job)
        post = esc.post_on(delivery.surface)
        if post is not None:
            await delivery.update_ping(esc, group, post)
        return Done()

    async def notify_agent(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        action = EscalationAction(str(job.payload["action"]))
        reason = job.payload.get("reason")
        await self._delivery(job).notify_agent(esc, group, action, str(job.payload["actor"]), reason, ctx)
        return Done()

    async def agent_update(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        await self._delivery(job).agent_update(esc, group, AgentUpdate.from_payload(dict(job.payload)), ctx)
        return Done()

    async def session_update(self, job: Job, ctx: JobContext) -> Done:
        esc, _group = await self._load(job)
        if esc.run_id and esc.agent is not None and esc.agent.message_id:
            await self._delivery(job).update_session(esc)
        return Done()

    async def undeliverable(self, job: Job, ctx: JobContext) -> Done:
        esc, group = await self._load(job)
        if "surface" not in job.payload:
            surface = esc.agent.surface if esc.agent else Surface(job.payload.get("on", Surface.SLACK.value))
            job = replace(job, payload={**job.payload, "surface": surface.value})
        first = job.payload.get("failed", JobKind.PING.value) == JobKind.PING.value
        error = str(job.payload.get("error", ""))
        uncertain = bool(job.payload.get("uncertain"))
        await self._delivery(job).undeliverable(esc, group, first=first, error=error, uncertain=uncertain, ctx=ctx)
        return Done()

    def tell_agent_it_failed(self, job: Job, reason: str, now: datetime, uncertain: bool) -> Done:
        """A ping or reminder failed for good: the agent hears it (durably, as a job of its own), so they are not
        left waiting for an answer that cannot come; after a reminder, the reminders stop."""
        if not job.escalation_id:
            return Done()
        failed_on = job.payload.get("surface", Surface.SLACK.value)
        notice = NewJob(
            JobKind.UNDELIVERABLE,
            # The agent's own surface is decided when the notice goes (the escalation knows it): "on" is where the
            # ping or reminder failed.
            {"failed": job.kind.value, "error": reason, "on": failed_on, "uncertain": uncertain},
            now,
            job.escalation_id,
        )
        writes = [JobRepo.cancel_write(job.escalation_id, JobKind.REESCALATE)] if job.kind == JobKind.REMIND else []
        return Done(jobs=[notice], writes=writes)
