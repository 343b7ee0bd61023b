"""The Slack Web API client: one shared HTTP session, retries for 429 (Retry-After), 5xx and dropped connections."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.metrics import Metrics

DEFAULT_API_URL = "https://slack.com/api/"


def _counted(handler: AsyncRetryHandler, reason: str, metrics: Metrics) -> AsyncRetryHandler:
    """Count each retry a handler decides on, so /metrics shows how often Slack pushed back."""
    original = handler.prepare_for_next_attempt_async

    async def prepare(
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        metrics.api_retries.labels(reason).inc()
        await original(state=state, request=request, response=response, error=error)

    handler.prepare_for_next_attempt_async = prepare  # type: ignore[method-assign]
    return handler


def build_client(
    token: str,
    base_url: str | None,
    session: aiohttp.ClientSession,
    metrics: Metrics,
    timeout: float = 10,
    *,
    retries: bool = True,
) -> AsyncWebClient:
    """`retries=False` is for the worker: it reschedules a failed job itself (durably, honouring Retry-After), and
    a blind retry of a post whose answer was lost could post it twice."""
    handlers = (
        [
            _counted(AsyncConnectionErrorRetryHandler(max_retry_count=2), "connection", metrics),
            _counted(AsyncRateLimitErrorRetryHandler(max_retry_count=3), "ratelimited", metrics),
            _counted(AsyncServerErrorRetryHandler(max_retry_count=2), "server_error", metrics),
        ]
        if retries
        else []
    )
    return AsyncWebClient(
        token=token,
        base_url=base_url or DEFAULT_API_URL,
        session=session,
        timeout=int(max(timeout, 1)),
        retry_handlers=handlers,
        logger=_sdk_logger(),
    )


def _sdk_logger() -> logging.Logger:
    # slack_sdk formats a debug line for every call unless its logger's own level is above DEBUG (it reads
    # `logger.level`, not the effective level), which costs a fifth of a millisecond per call.
    logger = logging.getLogger("chatbot.slack_sdk")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger
