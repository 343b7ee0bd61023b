"""Listener registration, one module per kind of Slack request. Listeners stay thin: ack, parse, call a service."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.listeners import actions, commands, escalations, events, oncall, views


def register(app: AsyncApp, deps: SlackDeps) -> None:
    # Bolt tries listeners in this order, building the injectable arguments for each one's matcher: the session
    # buttons, clicked most, go first.
    actions.register(app, deps)
    commands.register(app, deps)
    views.register(app, deps)
    events.register(app, deps)
    escalations.register(app, deps)
    oncall.register(app, deps)
