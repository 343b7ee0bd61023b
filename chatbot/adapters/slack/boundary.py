"""The one error boundary for every listener (bolt's `@app.error`), so a new listener cannot be left unguarded.

Domain code raises `UserFacingError` (its message is shown, escaped for mrkdwn); a button or form from another
version of the app raises `BadPayload`; anything else is logged with a reference id that the user sees and can
quote. Whatever happened, Slack gets a proper answer: the ack the listener already sent, or one made here (field
errors on a form, an ephemeral reply to a command), and the person hears why privately.
"""

from __future__ import annotations

import logging
import uuid

import orjson
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import DBAPIError

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.dispatch import PAYLOAD
from chatbot.adapters.slack.notices import tell
from chatbot.adapters.slack.payload import SlashCommand, ViewSubmission
from chatbot.adapters.slack.refs import BadPayload
from chatbot.domain.errors import UserFacingError
from chatbot.rendering.escape import escape_mrkdwn

log = logging.getLogger(__name__)

OUTDATED = "This button or form belongs to an older session layout. Start again with the triage command."


def message_for(error: Exception, deps: SlackDeps, kind: str) -> str:
    """What the person is told (mrkdwn): the domain's own words, escaped, or a reference to quote."""
    if isinstance(error, BadPayload):
        log.warning("%s: payload this app did not write: %s", kind, error)
        deps.metrics.errors.labels("bad_payload").inc()
        return OUTDATED
    if isinstance(error, UserFacingError):
        return escape_mrkdwn(error.message)
    ref = uuid.uuid4().hex[:8]
    if isinstance(error, DBAPIError):  # busy (SQLite's write lock, waited for 2 s) or unreachable: nothing was saved
        log.warning("%s: database unavailable (ref %s): %s", kind, ref, type(error.orig).__name__)
        deps.metrics.errors.labels("database").inc()
        return f":warning: The database is busy or unreachable: that was not saved (ref `{ref}`). Try again."
    log.error("%s failed (ref %s)", kind, ref, exc_info=error)
    deps.metrics.errors.labels(kind).inc()
    return f":warning: Something went wrong (ref `{ref}`). Try again, or quote the ref to your admin."


def _json(body: object) -> BoltResponse:
    return BoltResponse(status=200, body=orjson.dumps(body).decode(), headers={"content-type": "application/json"})


def install(app: AsyncApp, deps: SlackDeps) -> None:
    @app.error
    async def boundary(error: Exception, request: AsyncBoltRequest) -> BoltResponse:
        payload = request.context.get(PAYLOAD)
        kind = type(payload).__name__ if payload is not None else "request"
        text = message_for(error, deps, kind)
        acked = request.context.ack.response
        if acked is not None:  # the listener answered Slack before failing: keep that answer
            tell(deps, payload, text)
            return BoltResponse(status=acked.status, body=acked.body, headers=acked.headers)
        if isinstance(payload, SlashCommand):
            return _json({"response_type": "ephemeral", "text": text})
        if isinstance(payload, ViewSubmission):
            first = next(iter(payload.view.state.values), None)
            if first is not None:
                return _json({"response_action": "errors", "errors": {first: text}})
        tell(deps, payload, text)
        return BoltResponse(status=200, body="")
