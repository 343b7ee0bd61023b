"""The HTTP front: `POST /slack/events` (verified, size- and shape-checked, then bolt), `/healthz`, `/metrics`."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from yarl import URL

from chatbot.adapters.slack.dispatch import dispatch
from chatbot.adapters.slack.payload import Malformed, Payload, SslCheck, UrlVerification, kind_of, parse
from chatbot.metrics import Metrics
from chatbot.services.clock import Clock
from chatbot.storage import Store

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's own payloads stay far below this
EVENTS_PATH = "/slack/events"


def classify(body: str, content_type: str) -> tuple[str, Payload, dict[str, Any]]:
    """The kind of Slack request (for metrics and dedup), its typed payload and the decoded body; Malformed if the
    body is none of Slack's shapes."""
    if content_type.startswith("application/json"):
        try:
            data = orjson.loads(body)
        except ValueError as exc:
            raise Malformed("body is not JSON") from exc
    elif content_type.startswith("application/x-www-form-urlencoded"):
        form = _form(body)
        if "payload" in form:
            try:
                data = orjson.loads(form["payload"])
            except ValueError as exc:
                raise Malformed("payload is not JSON") from exc
        elif "command" in form:
            data = form
        elif form.get("ssl_check") == "1":  # Slack checking the certificate of a slash command's URL
            return "ssl_check", SslCheck(ssl_check="1"), form
        else:
            raise Malformed("form body with neither payload nor command")
    else:
        raise Malformed(f"unsupported content type {content_type!r}")
    if not isinstance(data, dict):
        raise Malformed("body is not an object")
    return kind_of(data), parse(data), data


def _form(body: str) -> dict[str, str]:
    """A form body as a dict (first value of a repeated key, as bolt does), via yarl's C unquoting: `parse_qs`
    spent several percent of every click unquoting the 5 kB payload."""
    return dict(URL.build(query_string=body, encoded=True).query)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class SlackFront:
    def __init__(self, bolt: AsyncApp, store: Store, metrics: Metrics, signing_secret: str, clock: Clock) -> None:
        self.bolt = bolt
        self.clock = clock
        self.store = store
        self.metrics = metrics
        self.verifier = SignatureVerifier(signing_secret)

    async def events(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        kind = "unknown"
        try:
            response = await self._events(request)
            kind = response.headers.get("X-Chatbot-Kind", kind)
            return response
        finally:
            self.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - started)

    async def _events(self, request: web.Request) -> web.Response:
        raw = await read_body(request)
        if raw is None:
            return self._refuse(400, "body too large", "oversized")
        try:
            body = raw.decode("utf-8")  # Slack sends UTF-8; anything else cannot even be checked
        except UnicodeDecodeError:
            return self._refuse(400, "malformed request", "malformed")
        if not self._signed(body, request):
            return self._refuse(401, "invalid request", "unsigned")
        try:
            kind, payload, data = classify(body, request.content_type or "")
        except Malformed as exc:
            log.warning("refused a malformed Slack request: %s", exc)
            return self._refuse(400, "malformed request", "malformed")
        if isinstance(payload, SslCheck):
            return web.Response(status=200, headers={"X-Chatbot-Kind": kind})
        if isinstance(payload, UrlVerification):  # Slack checking the events URL when the app is set up
            return web.json_response({"challenge": payload.challenge}, headers={"X-Chatbot-Kind": kind})
        bolt_response = await dispatch(self.bolt, data, payload, dict(request.headers))
        response = await to_aiohttp_response(bolt_response)
        response.headers["X-Chatbot-Kind"] = kind
        self.metrics.requests.labels(kind, str(response.status)).inc()
        return response

    def _signed(self, body: str, request: web.Request) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        # ASCII first: "²".isdigit() is true but int() refuses it, and hmac.compare_digest raises on non-ASCII text;
        # either made the verifier raise (a 500) where a forged header must simply fail.
        if not timestamp or not signature or not (timestamp.isascii() and signature.isascii()):
            return False
        if not timestamp.isdigit():
            return False
        return self.verifier.is_valid(body, timestamp, signature)

    def _refuse(self, status: int, message: str, reason: str) -> web.Response:
        self.metrics.requests.labels(reason, str(status)).inc()
        response = _error(status, message)
        response.headers["X-Chatbot-Kind"] = reason
        return response


async def read_body(request: web.Request) -> bytes | None:
    """The whole body, or None once it passes MAX_BODY.

    `content.read(n)` returns only what has arrived so far: a body sent in several TCP segments was verified
    truncated, and a genuine click got 401.
    """
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def build_web_app(front: SlackFront | None, store: Store, metrics: Metrics) -> web.Application:
    """`front` is None in Socket Mode, where only the health and metrics endpoints are served."""
    app = web.Application(client_max_size=MAX_BODY * 2)
    if front is not None:
        app.router.add_post(EVENTS_PATH, front.events)

    async def healthz(_request: web.Request) -> web.Response:
        ok = await store.ping()
        return web.json_response({"ok": ok, "database": "ok" if ok else "unreachable"}, status=200 if ok else 503)

    async def metrics_endpoint(_request: web.Request) -> web.Response:
        try:
            metrics.active_runs.set(await store.count_active_runs())
            metrics.pending_jobs.set(await store.jobs.count("pending"))
        except Exception:  # the metrics page must still render when the database is down
            log.warning("could not count active runs for /metrics", exc_info=True)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app
