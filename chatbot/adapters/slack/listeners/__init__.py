"""Listener registration, one module per kind of Slack request. Listeners stay thin: ack, read the typed payload,
call a service, hand what to show to a renderer. Errors go to the one boundary (boundary.py)."""

from __future__ import annotations

from typing import TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.dispatch import PAYLOAD
from chatbot.adapters.slack.payload import BlockActions, SlashCommand, ViewSubmission
from chatbot.adapters.slack.refs import BadPayload

P = TypeVar("P", BlockActions, SlashCommand, ViewSubmission)


def payload(context: AsyncBoltContext, kind: type[P]) -> P:
    """The request's typed payload (checked at the edge, dispatch.py)."""
    found = context.get(PAYLOAD)
    if not isinstance(found, kind):
        raise BadPayload(f"expected {kind.__name__}, got {type(found).__name__}")
    return found


def register(app: AsyncApp, deps: SlackDeps) -> None:
    from chatbot.adapters.slack.listeners import (
        actions,
        cases,
        commands,
        digest,
        escalations,
        events,
        home,
        oncall,
        views,
    )

    # Bolt tries listeners in this order, building the injectable arguments for each one's matcher: the session
    # buttons, clicked most, go first.
    actions.register(app, deps)
    commands.register(app, deps)
    views.register(app, deps)
    events.register(app, deps)
    escalations.register(app, deps)
    oncall.register(app, deps)
    digest.register(app, deps)
    cases.register(app, deps)
    home.register(app, deps)
