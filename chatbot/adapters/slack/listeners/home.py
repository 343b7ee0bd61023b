"""App Home: opening the app's Home tab shows an agent their open cases and sessions, and a supervisor their
groups' open escalations, oldest first."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack.case_blocks import home_view
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.dispatch import PAYLOAD
from chatbot.adapters.slack.payload import EventCallback
from chatbot.adapters.slack.refs import BadPayload


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def publish(user: str) -> None:
        await deps.gateway.publish_home(user, home_view(*await deps.escalations.home_of(user)))

    @app.event("app_home_opened")
    async def home_opened(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = context.get(PAYLOAD)
        if not isinstance(p, EventCallback):
            raise BadPayload("app_home_opened without an event")
        await ack()
        user = p.event.user if isinstance(p.event.user, str) else ""
        if user and (p.event.tab or "home") == "home":
            deps.background.spawn(publish(user), what="app home")
