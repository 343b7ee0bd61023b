"""Events API: a mention gets the usage help in a thread. Retried deliveries are processed once (see app.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from chatbot.adapters.slack.blocks import notice
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.guard import guarded
from chatbot.adapters.slack.listeners.commands import help_text


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_mention")
    @guarded(deps, "event")
    async def mention(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        event = body.get("event") or {}
        channel = str(event.get("channel", ""))
        thread = str(event.get("thread_ts") or event.get("ts") or "") or None
        msg = notice(help_text(deps.config.commands.triage))
        deps.background.spawn(_post(deps, channel, thread, msg.blocks), what="mention help")


async def _post(deps: SlackDeps, channel: str, thread: str | None, blocks: list[Any]) -> None:
    await deps.gateway.post_message(channel, "How to use the triage bot", blocks, thread_ts=thread)
