"""Scheduled digests in Teams: the `DigestPoster` the Teams digest jobs use (one job per schedule and period, beside
Slack's own job when a schedule names both; services/digests.py).

- Where: a new thread in the schedule's `teams_channel`, posted proactively from the stored conversation reference
  (or any reference in the tenant, for its service URL), as escalation pings are (delivery.py).
- Once, as far as Teams lets anything be checked: a bot cannot read a channel back, so an attempt whose answer was
  lost (a timeout, a crash after the post) is followed by a second post marked as a second copy, as pings are.
  What Teams refused (429, 412) or never received (no connection, no token) is retried without that mark.
- Teams' answers become the worker's outcomes through errors.py: 429 and 412 wait for Retry-After (a 429 does not
  count towards giving up), 5xx and lost answers back off, a channel that is gone or a card too big fail for good.
- Behind pings: while the channel has no free slot in Teams' rates (pacing.py, shared with the ping delivery),
  the digest waits a second longer than the pings held there, so they go first; a ping never waits for a digest.
"""

from __future__ import annotations

import logging

import aiohttp

from chatbot.adapters.teams.client import TeamsClient, message
from chatbot.adapters.teams.delivery import PACED, channel_conversation
from chatbot.adapters.teams.digest_cards import digest_card, summary
from chatbot.adapters.teams.errors import as_outcome
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.adapters.teams.text import shorten
from chatbot.config import DigestSchedule
from chatbot.domain.digest import Digest
from chatbot.scheduler.worker import JobContext, Permanent, Retry
from chatbot.storage import Store

log = logging.getLogger(__name__)
PINGS_FIRST = "pings first: the Teams channel is waiting for a free slot in Teams' rates"


class TeamsDigestPoster:
    def __init__(self, store: Store, client: TeamsClient, pacer: TeamsPacer, *, tenant_id: str | None) -> None:
        self.store = store
        self.client = client
        self.pacer = pacer
        self.tenant_id = tenant_id

    async def post(self, schedule: DigestSchedule, digest: Digest, ctx: JobContext) -> None:
        if schedule.teams_channel is None:  # only Teams jobs come here, and only for schedules with a Teams channel
            raise Permanent(f"digest {schedule.id} has no Teams channel")
        where = await channel_conversation(self.store, schedule.teams_channel, self.tenant_id)
        conversation = where.conversation_id
        # An earlier attempt that may have posted stays on record whatever this one does (never `nothing_done`).
        earlier = ctx.previous_attempt is not None
        wait = self.pacer.free_in(conversation, where.tenant_id)
        if wait > 0:
            raise Retry(wait + 1, PINGS_FIRST, nothing_done=not earlier, counts=False)
        wait = self.pacer.take(conversation, where.tenant_id)
        if wait > 0:
            raise Retry(wait, PACED, nothing_done=not earlier, counts=False)
        await ctx.begin_attempt()
        # No text beside the card (it would repeat the headline); `summary` is what a notification previews.
        activity = message(card=digest_card(digest, resent=earlier), summary=shorten(summary(digest), 200))
        try:
            await self.client.send(where.service_url, conversation, activity)
        except Exception as exc:
            outcome = as_outcome(exc, ctx.job.attempts, earlier_unknown=earlier)
            if outcome is None:
                raise
            if isinstance(exc, aiohttp.ClientResponseError) and exc.status == 429 and isinstance(outcome, Retry):
                self.pacer.limited(conversation, outcome.after)
            raise outcome from exc
        if earlier:
            log.info("digest job %s: posted again in Teams, marked as a second copy", ctx.job.id)
