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
from chatbot.domain.case import Case


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def publish(user: str) -> None:
        cases = deps.escalations.cases

        async def open_cases() -> list[Case]:
            return await cases.open_cases_of(user) if cases is not None else []

        found = await deps.escalations.store.side_by_side(  # at once on PostgreSQL
            open_cases,
            lambda: deps.triage.active_runs_of(user),
            lambda: deps.escalations.open_for_member(user),
        )
        await deps.gateway.publish_home(user, home_view(*found))

    @app.event("app_home_opened")
    async def home_opened(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = context.get(PAYLOAD)
        if not isinstance(p, EventCallback):
            raise BadPayload("app_home_opened without an event")
        await ack()
        user = p.event.user if isinstance(p.event.user, str) else ""
        if user and (p.event.tab or "home") == "home":
            deps.background.spawn(publish(user), what="app home")
