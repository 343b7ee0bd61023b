"""Events API: a mention gets the usage help in a thread. Retried deliveries are processed once (see app.py)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack.blocks import notice
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.dispatch import PAYLOAD
from chatbot.adapters.slack.listeners.commands import help_text
from chatbot.adapters.slack.payload import EventCallback
from chatbot.adapters.slack.refs import BadPayload


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_mention")
    async def mention(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = context.get(PAYLOAD)
        if not isinstance(p, EventCallback):
            raise BadPayload("app_mention without an event")
        await ack()
        thread = p.event.thread_ts or p.event.ts
        msg = notice(help_text(deps.config.commands.triage))
        deps.background.spawn(
            deps.gateway.post_message(p.event.channel_id_of, "How to use the triage bot", msg.blocks, thread_ts=thread),
            what="mention help",
        )
