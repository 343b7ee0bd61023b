"""Build the slack-bolt AsyncApp: no module-level app; listeners attach through `register()`."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.listeners import register


class _DropTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN "will be unused" when it also gets a client; that is how we build it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(client: AsyncWebClient, deps: SlackDeps) -> AsyncApp:
    logger = logging.getLogger("chatbot.bolt")
    if not any(isinstance(f, _DropTokenWarning) for f in logger.filters):
        logger.addFilter(_DropTokenWarning())
    app = AsyncApp(
        client=client,
        # The HTTP front (server.py) verifies signatures itself, so that a forged request is refused (401) before
        # any parsing; Socket Mode has no signatures at all.
        request_verification_enabled=False,
        # Listeners ack and hand Slack API calls to background tasks themselves; running them inline spares
        # bolt's 10 ms ack polling on every request.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        logger=logger,
    )
    register(app, deps)
    return app
