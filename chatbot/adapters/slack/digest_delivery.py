"""Scheduled digests in Slack: the `DigestPoster` the digest jobs use.

- Once: the post carries the job's marker, and an attempt whose outcome is unknown (a timeout, a crash) is looked
  for in the channel before posting again, as escalation pings are (lookup.py).
- Never lost to a rendering problem: when Slack refuses the charts or tables (`invalid_blocks`: a workspace or
  client without them, a limit missed), the same figures go again as plain sections; as a last resort, the summary.
- Behind pings: while a channel waits out Slack's per-channel limit (pacing.py, shared with the ping delivery), a
  digest for it waits until the pings queued there have had their turn, so a ping is never held up by a digest.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack import kit
from chatbot.adapters.slack.blocks import Message
from chatbot.adapters.slack.delivery import worker_call
from chatbot.adapters.slack.digest_blocks import plain_message, rich_message, summary
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.lookup import Found, PostFinder, Unknown
from chatbot.adapters.slack.pacing import ChannelPacer
from chatbot.config import DigestSchedule
from chatbot.domain.digest import Digest
from chatbot.scheduler.worker import JobContext, Permanent, Retry

log = logging.getLogger(__name__)
T = TypeVar("T")
INVALID_BLOCKS = frozenset({"invalid_blocks"})
PINGS_FIRST = "pings first: the channel is waiting out Slack's limit"


def renderings(digest: Digest, marker: str) -> list[tuple[str, Message]]:
    """What to post, best first: each next one is what a refusal (`invalid_blocks`) of the one before leaves."""
    last_resort = Message(summary(digest), [kit.section(summary(digest), block_id=marker)])
    return [("rich", rich_message(digest, marker)), ("plain", plain_message(digest, marker)), ("summary", last_resort)]


class SlackDigestPoster:
    def __init__(self, gateway: SlackGateway, finder: PostFinder, pacer: ChannelPacer, *, timeout: float) -> None:
        self.gateway = gateway
        self.finder = finder
        self.pacer = pacer
        self.timeout = timeout

    async def post(self, schedule: DigestSchedule, digest: Digest, ctx: JobContext) -> None:
        channel = schedule.channel
        if channel is None:  # only Slack jobs come here, and only for schedules with a Slack channel
            raise Permanent(f"digest {schedule.id} has no Slack channel")
        if ctx.previous_attempt is not None and await self._posted_before(ctx, channel):
            log.info("digest job %s: found its earlier post; not posting again", ctx.job.id)
            return
        wait = self.pacer.free_in(channel)
        if wait > 0:
            raise Retry(wait + 1, PINGS_FIRST, nothing_done=True, counts=False)
        await ctx.begin_attempt()
        for name, msg in renderings(digest, ctx.marker):
            try:
                await self._slack(ctx, channel, self.gateway.post_message(channel, msg.text, msg.blocks))
                return
            except SlackApiError as exc:  # only a refusal of the blocks gets here: nothing was posted
                log.warning("digest %s: Slack refused the %s rendering (%s); posting it plainer", schedule.id, name,
                            exc.response.get("response_metadata") or exc.response.get("error"))  # fmt: skip
        raise Permanent("Slack refused every rendering of the digest (invalid_blocks)")

    async def _posted_before(self, ctx: JobContext, channel: str) -> bool:
        assert ctx.previous_attempt is not None
        begun = ctx.previous_attempt.timestamp()
        found = await self.finder.find(channel, ctx.marker, thread_ts=None, started=begun, ended=begun + self.timeout)
        if isinstance(found, Unknown):
            raise Retry(found.retry_after, f"earlier post not confirmed: {found.reason}", counts=not found.transient)
        return isinstance(found, Found)

    async def _slack(self, ctx: JobContext, channel: str, call: Awaitable[T]) -> T:
        """Slack's answers as the worker's outcomes, as for pings; `invalid_blocks` is re-raised for the caller to
        post a plainer rendering, and a 429 holds the channel for every poster (pacing.py)."""
        return await worker_call(
            call, ctx.job.attempts, keep=INVALID_BLOCKS, limited=lambda after: self.pacer.limited(channel, after)
        )
