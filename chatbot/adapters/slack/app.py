"""Build the slack-bolt AsyncApp: no module-level app; listeners attach through `register()`."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.listeners import register


def build_app(client: AsyncWebClient, deps: SlackDeps) -> AsyncApp:
    app = AsyncApp(
        client=client,
        # The HTTP front (server.py) verifies signatures itself, so that a forged request is refused (401) before
        # any parsing; Socket Mode has no signatures at all.
        request_verification_enabled=False,
        # Listeners ack and hand Slack API calls to background tasks themselves; running them inline spares
        # bolt's 10 ms ack polling on every request.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("chatbot.bolt"),
    )
    register(app, deps)
    return app
