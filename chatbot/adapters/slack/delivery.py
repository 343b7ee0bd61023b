"""Escalations in Slack: the `Delivery` the escalation jobs use, with Slack's own rules.

- Slack's answers become the worker's outcomes: 429 waits for Retry-After (and certainly posted nothing), 5xx and
  timeouts back off, errors no retry can fix (not_in_channel, invalid_blocks, ...) are permanent.
- A post whose earlier attempt may have got through (a timeout, a crash) is looked for by its marker, in the
  channel's history around that attempt (lookup.py), before it is posted again; an answer that cannot be had yet
  (Slack's history limit, a missing scope) waits rather than guessing.
- After a 429 on a channel, the other posts for that channel wait their turn (pacing.py), and all of them wait
  while a post someone is waiting for holds a group's channel (holds.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack.blocks import Message
from chatbot.adapters.slack.escalation_blocks import (
    agent_notice,
    agent_update_notice,
    ping_message,
    reescalation_message,
    undeliverable_notice,
)
from chatbot.adapters.slack.gateway import SlackGateway, retry_after
from chatbot.adapters.slack.holds import RECHECK_SECONDS, ChannelHolds
from chatbot.adapters.slack.lookup import Found, PostFinder, Unknown
from chatbot.adapters.slack.newest import show_newest
from chatbot.adapters.slack.pacing import ChannelPacer
from chatbot.config import Config, Group
from chatbot.domain.escalation import AgentUpdate, Escalation, EscalationAction, PostRef, Surface
from chatbot.domain.escalation_policy import Targets
from chatbot.scheduler.worker import JobContext, Permanent, Retry
from chatbot.services.triage import Sessions

log = logging.getLogger(__name__)
T = TypeVar("T")

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
SERVER_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
RATE_LIMITED = "rate limited"
HELD = "a post someone is waiting for goes first"


class SlackDelivery:
    surface = Surface.SLACK

    def __init__(
        self,
        config: Config,
        gateway: SlackGateway,
        finder: PostFinder,
        sessions: Sessions,
        pacer: ChannelPacer,
        *,
        timeout: float,
        holds: ChannelHolds | None = None,
    ) -> None:
        self.config = config
        self.gateway = gateway
        self.finder = finder
        self.sessions = sessions
        self.pacer = pacer
        self.timeout = timeout
        self.holds = holds

    # --- the Delivery port ---------------------------------------------------------------------------------
    async def ping(self, esc: Escalation, group: Group, targets: Targets, ctx: JobContext) -> PostRef:
        channel = self._channel(group)
        permalink = None
        if esc.agent is not None and esc.agent.surface == Surface.SLACK and esc.agent.message_id:
            with contextlib.suppress(Retry, Permanent):
                permalink = await self._slack(ctx, self.gateway.permalink(esc.agent.channel, esc.agent.message_id))
        msg = ping_message(esc, group, self.config, targets, permalink, ctx.marker)
        ts = await self._post_once(ctx, channel, msg, None)
        return PostRef(Surface.SLACK, channel, ts)

    async def remind(
        self, esc: Escalation, group: Group, targets: Targets, waited_minutes: int, post: PostRef, ctx: JobContext
    ) -> None:
        msg = reescalation_message(esc, group, self.config, targets, waited_minutes, ctx.marker)
        await self._post_once(ctx, post.channel, msg, post.message_id)

    async def update_ping(self, esc: Escalation, group: Group, post: PostRef) -> None:
        msg = ping_message(esc, group, self.config, None, None, "ping")
        await self._call(self.gateway.update_message(post.channel, post.message_id, msg.text, msg.blocks))

    async def notify_agent(
        self,
        esc: Escalation,
        group: Group,
        action: EscalationAction,
        actor: str,
        reason: str | None,
        ctx: JobContext,
    ) -> None:
        msg = agent_notice(esc, group, action, actor, reason, ctx.marker)
        if esc.agent is not None and esc.agent.message_id:
            await self._post_once(ctx, esc.agent.channel, msg, esc.agent.message_id)
        else:  # an escalation by hand: tell whoever raised it, in a direct message
            await self._post_once(ctx, esc.created_by, msg, None)

    async def agent_update(self, esc: Escalation, group: Group, update: AgentUpdate, ctx: JobContext) -> None:
        msg = agent_update_notice(esc, group, update, ctx.marker)
        if esc.agent is not None and esc.agent.message_id:
            await self._post_once(ctx, esc.agent.channel, msg, esc.agent.message_id)
        else:  # an escalation by hand: whoever raised it, in a direct message
            await self._post_once(ctx, esc.created_by, msg, None)

    async def update_session(self, esc: Escalation) -> None:
        assert esc.run_id is not None and esc.agent is not None
        session = await self.sessions.load_fresh(esc.run_id)
        sending = show_newest(
            self.gateway, self.sessions, self.config.groups, session, esc.agent.channel, esc.agent.message_id
        )
        await self._call(sending)

    async def undeliverable(
        self, esc: Escalation, group: Group, *, first: bool, error: str, uncertain: bool, ctx: JobContext
    ) -> None:
        msg = undeliverable_notice(esc, group, first=first, error=error, uncertain=uncertain, marker=ctx.marker)
        if esc.agent is not None and esc.agent.surface == Surface.SLACK:
            await self._post_once(ctx, esc.agent.channel, msg, esc.agent.message_id or None)
        else:
            await self._post_once(ctx, esc.created_by, msg, None)

    async def unavailable(self, group: Group) -> set[str]:
        away: set[str] = set()
        for person_id in group.members:
            user = self.config.people[person_id].slack_user
            if user is None:
                continue
            with contextlib.suppress(SlackApiError, TimeoutError, aiohttp.ClientError):
                if await self.gateway.presence(user) == "away":
                    away.add(user)
        return away

    # --- posting once ----------------------------------------------------------------------------------------
    def _channel(self, group: Group) -> str:
        if group.channel is None:
            raise Permanent(f"{group.name} has no Slack channel")
        return group.channel

    async def _post_once(self, ctx: JobContext, channel: str, msg: Message, thread_ts: str | None) -> str:
        """Post with the job's marker, unless an earlier attempt of this job already did."""
        if ctx.previous_attempt is not None:
            found = await self._look_back(ctx, channel, thread_ts, ctx.previous_attempt)
            if found is not None:
                log.info("job %s: found its earlier post %s; not posting again", ctx.job.id, found)
                return found
        if self.holds is not None and await self.holds.held(channel):
            raise Retry(RECHECK_SECONDS, HELD, nothing_done=True, counts=False)
        wait = self.pacer.wait(channel)
        if wait > 0:
            raise Retry(wait, RATE_LIMITED, nothing_done=True, counts=False)
        await ctx.begin_attempt()
        try:
            return await self._slack(ctx, self.gateway.post_message(channel, msg.text, msg.blocks, thread_ts))
        except Retry as retry:
            if retry.reason == RATE_LIMITED:
                self.pacer.limited(channel, retry.after)
            raise

    async def _look_back(self, ctx: JobContext, channel: str, thread_ts: str | None, started: datetime) -> str | None:
        where = channel
        if channel[:1] in ("U", "W"):  # a direct message is posted to the user; its history is the DM channel's
            where = await self._slack(ctx, self.gateway.open_dm(channel))
        begun = started.timestamp()
        # A post made by that attempt reached Slack before its answer timed out (or the worker died).
        ended = begun + self.timeout
        result = await self.finder.find(where, ctx.marker, thread_ts=thread_ts, started=begun, ended=ended)
        if isinstance(result, Found):
            return result.ts
        if isinstance(result, Unknown):
            # Never "not posted" while it cannot be known: waiting for the history limit does not count as failing;
            # other reasons (a missing scope) do, so the agent is told in the end rather than left waiting forever.
            raise Retry(result.retry_after, f"earlier post not confirmed: {result.reason}", counts=not result.transient)
        return None

    # --- Slack's answers as the worker's outcomes --------------------------------------------------------------
    async def _call(self, call: Awaitable[Any]) -> None:
        await self._slack(None, call)

    async def _slack(self, ctx: JobContext | None, call: Awaitable[T]) -> T:
        return await worker_call(call, ctx.job.attempts if ctx is not None else 1)


async def worker_call(
    call: Awaitable[T],
    attempts: int,
    *,
    keep: frozenset[str] = frozenset(),
    limited: Callable[[float], None] | None = None,
) -> T:
    """Slack's answer to a worker's call as the worker's outcome (`Retry` or `Permanent`), for every job that posts.
    `keep`: Slack errors re-raised for the caller to handle (a digest's `invalid_blocks`); `limited`: told the
    Retry-After of a 429 (the channel's pacing)."""
    backoff = float(min(2 ** max(attempts - 1, 0), 300))
    try:
        return await call
    except SlackApiError as exc:
        status = exc.response.status_code
        error = str(exc.response.get("error", ""))
        if error in keep:
            raise
        after = retry_after(exc)
        if after is not None:
            if limited is not None:
                limited(after)
            raise Retry(after, RATE_LIMITED, nothing_done=True, counts=False) from exc
        if status >= 500 or error in SERVER_ERRORS:
            # Slack answered: as slack_sdk's own server-error retry handler does, take it that the call did not
            # happen. Only a lost answer (a timeout, a crash) leaves the outcome unknown and worth looking for,
            # which costs a history read (one a minute for many apps).
            raise Retry(backoff, f"Slack {status} {error}", nothing_done=True) from exc
        if error in PERMANENT:
            raise Permanent(f"Slack said {error}") from exc
        raise Retry(backoff, f"Slack {status} {error}") from exc
    except (TimeoutError, aiohttp.ServerTimeoutError, aiohttp.ServerDisconnectedError) as exc:
        raise Retry(backoff, f"{type(exc).__name__} talking to Slack: outcome unknown") from exc
    except aiohttp.ClientConnectorError as exc:  # never connected: nothing can have reached Slack
        raise Retry(backoff, f"cannot reach Slack: {exc}", nothing_done=True) from exc
    except aiohttp.ClientError as exc:
        raise Retry(backoff, f"{type(exc).__name__} talking to Slack: outcome unknown") from exc
