"""Build the slack-bolt AsyncApp: no module-level app; listeners attach through `register()`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.adapters.slack.boundary import install
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
        # Answered by the HTTP front before bolt (and never sent over Socket Mode); the app defines no custom
        # workflow functions. Each built-in middleware left on runs for every click.
        ssl_check_enabled=False,
        url_verification_enabled=False,
        attaching_function_token_enabled=False,
        logger=logger,
    )
    app.use(OncePerEvent(deps))
    install(app, deps)
    register(app, deps)
    return app


class OncePerEvent(AsyncMiddleware):
    """Slack redelivers an event it thinks was lost (X-Slack-Retry-Num); handle each event id once.

    A bolt middleware rather than the HTTP front, so Socket Mode (whose envelopes carry retries too) gets it as well.
    A class rather than a function: bolt builds every injectable argument for a function middleware on each request,
    clicks included, which this only needs to look at.
    """

    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.deps.deliveries.first_time(f"event:{event_id}"):
            self.deps.metrics.requests.labels("event_callback", "duplicate").inc()
            return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
        return await next()
