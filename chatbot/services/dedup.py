"""Deliveries handled once: Slack (and Teams) redeliver what they think was lost; each delivery key is claimed once.

The keys are kept for a day (Slack's retries come within minutes) and pruned by the worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chatbot.domain.jobs import Job, JobKind, NewJob
from chatbot.scheduler.worker import Done, JobContext, Registration
from chatbot.services.clock import Clock
from chatbot.storage import Store

KEEP = timedelta(days=1)


class Deliveries:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def first_time(self, key: str) -> bool:
        """True the first time `key` is seen, False for a redelivery (even a concurrent one)."""
        return await self.store.claim_event(key, self.clock())

    async def prune(self) -> int:
        """Forget keys older than KEEP; returns how many."""
        return await self.store.prune(self.clock() - KEEP)


def daily_prune(now: datetime) -> list[NewJob]:
    """Once a day (the key makes it once, however many workers ask)."""
    return [NewJob(JobKind.PRUNE, {}, now, key=f"prune:{now.date().isoformat()}")]


def prune_registration(deliveries: Deliveries) -> Registration:
    async def run(job: Job, ctx: JobContext) -> Done:
        await deliveries.prune()
        return Done()

    return Registration(run)
