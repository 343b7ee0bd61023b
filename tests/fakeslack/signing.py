"""Signing requests exactly as Slack does, and ``SlackSender`` to post them to the app over HTTP.

The body builders live in ``payloads`` and are re-exported here, so a test needs one import.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with HMAC-SHA256 under the app's signing secret and sends
``X-Slack-Signature: v0=<hex>``; Bolt rejects a wrong signature or a timestamp more than 300 s off with HTTP 401.
Implemented here independently of slack_sdk so the tests cross-check the two.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from .payloads import (
    FORM,
    JSON,
    SlackBody,
    block_actions_body,
    event_body,
    message_event,
    selected_option,
    slash_command_body,
    state_values,
    text_input,
    url_verification_body,
    view_submission_body,
)

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


def signature(body: bytes, secret: str, timestamp: int) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to ``body``; ``timestamp`` defaults to now (pass an old one to test staleness)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(body, secret, ts)}


@dataclass(frozen=True)
class SlackReply:
    """The app's answer. Unpacks as ``status, body = reply``; ``body`` is parsed JSON when the app answered JSON
    (an ack with a response_action, url_verification), else the text (Bolt's plain ack is an empty text body)."""

    status: int
    body: Any
    text: str
    headers: Mapping[str, str]
    elapsed: float

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.body))


class SlackSender:
    """Posts signed requests to the app like Slack does. Use as ``async with SlackSender(secret) as sender``."""

    def __init__(
        self, secret: str | None = None, *, session: aiohttp.ClientSession | None = None, timeout: float = 10.0
    ) -> None:
        self.secret = secret
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> SlackSender:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def post(
        self,
        url: str,
        body: bytes | SlackBody,
        content_type: str | None = None,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        signed: bool = True,
    ) -> SlackReply:
        """Post ``body`` (bytes + ``content_type``, or a ``SlackBody``) signed with ``secret`` (default: the
        sender's) at ``timestamp`` (default now). ``retry_num`` adds Slack's Events API retry headers; ``headers``
        are applied last, so they can override the signature to test rejection."""
        if isinstance(body, SlackBody):
            content_type = content_type or body.content_type
            body = body.body
        request_headers = {
            "Content-Type": content_type or FORM,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if signed:
            key = secret if secret is not None else self.secret
            if key is None:
                raise ValueError("no signing secret: pass secret= here or to SlackSender()")
            request_headers.update(sign(body, key, timestamp))
        if retry_num is not None:
            request_headers["X-Slack-Retry-Num"] = str(retry_num)
            request_headers["X-Slack-Retry-Reason"] = retry_reason
        request_headers.update(headers or {})
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        started = time.monotonic()
        async with self._session.post(url, data=body, headers=request_headers) as response:
            text = await response.text()
            elapsed = time.monotonic() - started
            parsed: Any = text
            if response.content_type == "application/json" and text:
                parsed = json.loads(text)
            return SlackReply(response.status, parsed, text, dict(response.headers), elapsed)


__all__ = [
    "FORM",
    "JSON",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SlackBody",
    "SlackReply",
    "SlackSender",
    "block_actions_body",
    "event_body",
    "message_event",
    "selected_option",
    "sign",
    "signature",
    "slash_command_body",
    "state_values",
    "text_input",
    "url_verification_body",
    "view_submission_body",
]
