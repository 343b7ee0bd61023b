"""Show a session to the agent: post or update its message, and tell them when that fails."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack.background import OnFailure
from chatbot.adapters.slack.blocks import notice, session_message
from chatbot.adapters.slack.context import SlackDeps
from chatbot.services.triage import Session

log = logging.getLogger(__name__)

CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived"}


async def post_session(deps: SlackDeps, session: Session, response_url: str | None) -> None:
    """Post a new session message and remember where it lives (so later clicks and restarts find it)."""
    msg = session_message(session.view, session.run_id, session.owner_id, deps.groups, session.escalation)
    try:
        ts = await deps.gateway.post_message(session.channel_id, msg.text, msg.blocks)
    except SlackApiError as exc:
        if exc.response.get("error") in CANNOT_POST and response_url:
            await deps.gateway.respond(
                response_url,
                {
                    "response_type": "ephemeral",
                    "text": "I can't post in this channel. Invite me with `/invite` "
                    "and try again, or run the command in a channel I am in.",
                },
            )
            return
        raise
    await deps.triage.attach_message(session.run_id, session.channel_id, ts)


async def update_session(deps: SlackDeps, session: Session, channel: str, ts: str) -> None:
    msg = session_message(session.view, session.run_id, session.owner_id, deps.groups, session.escalation)
    await deps.gateway.update_message(channel, ts, msg.text, msg.blocks)


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


def failure_notifier(deps: SlackDeps, *, response_url: str | None, channel: str | None, user: str):  # type: ignore[no-untyped-def]
    """What the agent sees when an update fails for good: a reference id they can quote; the log has the rest."""

    async def notify(ref: str) -> None:
        deps.metrics.errors.labels("slack_update").inc()
        text = (
            f":warning: Your answer was saved, but Slack did not take the update (ref `{ref}`). "
            "Click any button on the session again to refresh it, or quote the ref to your admin."
        )
        if response_url:
            await deps.gateway.respond(
                response_url, {"response_type": "ephemeral", "replace_original": False, "text": text}
            )
        elif channel:
            await deps.gateway.post_ephemeral(channel, user, text, notice(text).blocks)

    return notify
