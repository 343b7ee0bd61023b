"""Show a session to the agent: post or update its message, and tell them (only what is known) when that fails."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from functools import partial

import aiohttp
from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack.background import OnFailure
from chatbot.adapters.slack.blocks import notice, session_marker, session_message
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.gateway import retry_after
from chatbot.adapters.slack.kit import Block
from chatbot.adapters.slack.lookup import Absent, Found, Unknown
from chatbot.adapters.slack.newest import show_newest
from chatbot.adapters.slack.notices import ephemeral_payload
from chatbot.services.triage import Session

log = logging.getLogger(__name__)

CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived"}
LOOKUP_PATIENCE = 130.0  # seconds a lost session post is looked for (two history reads at one a minute)
RATE_LIMIT_PATIENCE = 20.0  # seconds a session post waits out a busy channel's 429s, the client's retries included

UPDATE_FAILED = (
    ":warning: Your answer was saved, but Slack did not take the update (ref `{ref}`). "
    "Click any button on the session again to refresh it, or quote the ref to your admin."
)
FORM_FAILED = (
    ":warning: Slack did not open the form (ref `{ref}`): it may have taken too long. "
    "Click the button again; your answers so far are saved."
)
POST_FAILED = ":warning: I could not post your session (ref `{ref}`). Run the triage command again."
POST_ABSENT = ":warning: Slack did not post your session (it timed out). Run the triage command again."
POST_UNKNOWN = (
    ":warning: Slack did not confirm that your session was posted. If you see it in the channel, carry on: "
    "your first click there links it. Otherwise run the triage command again."
)


async def _post_in_turn(deps: SlackDeps, channel: str, text: str, blocks: Sequence[Block]) -> str:
    """chat.postMessage, waiting out Slack's per-channel limit for up to RATE_LIMIT_PATIENCE in all: a session posted
    in a group's busy channel (Tier 2's follow-up) shares its one post a second with the pings, so it holds the
    channel meanwhile (holds.py) and the worker's pings wait for it."""
    deadline = time.monotonic() + RATE_LIMIT_PATIENCE
    held = await deps.holds.hold(channel, RATE_LIMIT_PATIENCE) if deps.holds is not None else None
    try:
        while True:
            try:
                return await deps.gateway.post_message(channel, text, blocks)
            except SlackApiError as exc:
                wait = retry_after(exc)
                if exc.response.get("error") != "ratelimited" or wait is None or time.monotonic() + wait > deadline:
                    raise
                await asyncio.sleep(wait)
    finally:
        if deps.holds is not None:
            await deps.holds.release(channel, held)


async def post_session(deps: SlackDeps, session: Session, response_url: str | None) -> None:
    """Post a new session message and remember where it lives (so later clicks and restarts find it)."""
    msg = session_message(session.view, session.run_id, session.owner_id, deps.groups, session.escalation)
    started = time.time()
    try:
        ts = await _post_in_turn(deps, session.channel_id, msg.text, msg.blocks)
    except SlackApiError as exc:
        if exc.response.get("error") in CANNOT_POST and response_url:
            await deps.gateway.respond(
                response_url,
                ephemeral_payload(
                    "I can't post in this channel. Invite me with `/invite` "
                    "and try again, or run the command in a channel I am in."
                ),
            )
            return
        raise
    except (TimeoutError, aiohttp.ClientError):
        # Slack may have posted it and only the answer was lost: look before saying anything.
        log.warning("posting session %s: no answer from Slack; looking for the post", session.run_id)
        await _find_lost_post(deps, session, started, response_url)
        return
    await deps.triage.attach_message(session.run_id, session.channel_id, ts)


async def _find_lost_post(deps: SlackDeps, session: Session, started: float, response_url: str | None) -> None:
    deadline = time.monotonic() + LOOKUP_PATIENCE
    ended = time.time()  # the attempt is over: whatever it posted reached Slack by now
    while True:
        found = await deps.finder.find(
            session.channel_id, session_marker(session.run_id), thread_ts=None, started=started, ended=ended
        )
        if isinstance(found, Found):
            await deps.triage.attach_message(session.run_id, session.channel_id, found.ts)
            return
        if isinstance(found, Absent) or found.retry_after > deadline - time.monotonic():
            break
        await asyncio.sleep(found.retry_after)
    text = POST_ABSENT if isinstance(found, Absent) else POST_UNKNOWN
    if isinstance(found, Unknown):
        log.warning("session %s: post outcome unknown: %s", session.run_id, found.reason)
    await _say(deps, text, response_url=response_url, channel=session.channel_id, user=session.owner_id)


async def update_session(deps: SlackDeps, session: Session, channel: str, ts: str) -> None:
    newer_waiting = partial(deps.updates.newer_waiting, channel, ts)
    await show_newest(deps.gateway, deps.triage, deps.groups, session, channel, ts, newer_waiting)


def show_session(
    deps: SlackDeps, session: Session, channel: str, ts: str, *, on_failure: OnFailure | None = None
) -> None:
    """After the ack: update the session message to show `session` (in turn, newest wins: updates.py)."""
    deps.updates.submit(
        channel,
        ts,
        lambda: update_session(deps, session, channel, ts),
        what=f"updating session {session.run_id}",
        on_failure=on_failure,
    )


def refresh_session(deps: SlackDeps, run_id: str, channel: str, ts: str) -> None:
    """After the ack: update the session message to show the run as it is in the database when the update goes."""

    async def send() -> None:
        await update_session(deps, await deps.triage.load(run_id), channel, ts)

    deps.updates.submit(channel, ts, send, what=f"refreshing session {run_id}")


def failure_notifier(
    deps: SlackDeps, *, response_url: str | None, channel: str | None, user: str, text: str = UPDATE_FAILED
) -> OnFailure:
    """What the agent sees when work after the ack fails for good: `text` with a reference id they can quote (the
    log has the rest)."""

    async def notify(ref: str) -> None:
        deps.metrics.errors.labels("slack_update").inc()
        await _say(deps, text.format(ref=ref), response_url=response_url, channel=channel, user=user)

    return notify


async def _say(deps: SlackDeps, text: str, *, response_url: str | None, channel: str | None, user: str) -> None:
    if response_url:
        await deps.gateway.respond(response_url, ephemeral_payload(text))
    elif channel:
        await deps.gateway.post_ephemeral(channel, user, text, notice(text).blocks)
