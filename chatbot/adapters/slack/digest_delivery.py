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

import aiohttp
from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack import kit
from chatbot.adapters.slack.blocks import Message
from chatbot.adapters.slack.delivery import PERMANENT, RATE_LIMITED, SERVER_ERRORS
from chatbot.adapters.slack.digest_blocks import plain_message, rich_message, summary
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.lookup import Found, PostFinder, Unknown
from chatbot.adapters.slack.pacing import ChannelPacer
from chatbot.config import DigestSchedule
from chatbot.domain.digest import Digest
from chatbot.scheduler.worker import JobContext, Permanent, Retry

log = logging.getLogger(__name__)
T = TypeVar("T")
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
        """Slack's answers as the worker's outcomes, as for pings (delivery.py); `invalid_blocks` is re-raised for
        the caller to post a plainer rendering."""
        backoff = float(min(2 ** max(ctx.job.attempts - 1, 0), 300))
        try:
            return await call
        except SlackApiError as exc:
            status, error = exc.response.status_code, str(exc.response.get("error", ""))
            if error == "invalid_blocks":
                raise
            if status == 429:
                after = float(exc.response.headers.get("Retry-After", 1) or 1)
                self.pacer.limited(channel, after)
                raise Retry(after, RATE_LIMITED, nothing_done=True, counts=False) from exc
            if status >= 500 or error in SERVER_ERRORS:
                raise Retry(backoff, f"Slack {status} {error}", nothing_done=True) from exc
            if error in PERMANENT:
                raise Permanent(f"Slack said {error}") from exc
            raise Retry(backoff, f"Slack {status} {error}") from exc
        except (TimeoutError, aiohttp.ServerTimeoutError, aiohttp.ServerDisconnectedError) as exc:
            raise Retry(backoff, f"{type(exc).__name__} talking to Slack: outcome unknown") from exc
        except aiohttp.ClientConnectorError as exc:
            raise Retry(backoff, f"cannot reach Slack: {exc}", nothing_done=True) from exc
        except aiohttp.ClientError as exc:
            raise Retry(backoff, f"{type(exc).__name__} talking to Slack: outcome unknown") from exc
