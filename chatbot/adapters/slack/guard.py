"""The one error boundary for listeners: every request is acknowledged, and the user hears what went wrong.

Domain code raises `UserFacingError` (its message is shown as is); a button or form from another version of the
app raises `BadPayload`; anything else is logged with a reference id that the user sees and can quote.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.ids import BadPayload
from chatbot.domain.errors import UserFacingError

log = logging.getLogger(__name__)

Listener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]
OUTDATED = "This button or form belongs to an older session layout. Start again with the triage command."


class TrackedAck:
    """Remembers whether the listener acknowledged, so the boundary never acks twice or not at all."""

    def __init__(self, ack: AsyncAck) -> None:
        self._ack = ack
        self.done = False

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.done = True
        return await self._ack(*args, **kwargs)


def guarded(deps: SlackDeps, kind: str) -> Callable[[Listener], Callable[..., Awaitable[None]]]:
    def wrap(listener: Listener) -> Callable[..., Awaitable[None]]:
        async def run(ack: AsyncAck, body: dict[str, Any]) -> None:
            tracked = TrackedAck(ack)
            try:
                await listener(tracked, body)  # type: ignore[arg-type]
            except BadPayload as exc:
                log.warning("%s: payload this app did not write: %s", kind, exc)
                deps.metrics.errors.labels("bad_payload").inc()
                await _tell(deps, tracked, body, OUTDATED)
            except UserFacingError as exc:
                await _tell(deps, tracked, body, exc.message)
            except Exception:
                ref = uuid.uuid4().hex[:8]
                log.exception("%s failed (ref %s)", kind, ref)
                deps.metrics.errors.labels(kind).inc()
                await _tell(
                    deps,
                    tracked,
                    body,
                    f":warning: Something went wrong (ref `{ref}`). Try again, or quote the ref to your admin.",
                )

        # bolt injects arguments by the parameter names of `run` (ack, body) and logs by its name
        run.__name__ = run.__qualname__ = listener.__name__
        return run

    return wrap


async def _tell(deps: SlackDeps, ack: TrackedAck, body: dict[str, Any], text: str) -> None:
    if not ack.done:
        errors = _first_block_error(body, text) if body.get("type") == "view_submission" else {}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        if body.get("command"):
            await ack(response_type="ephemeral", text=text)
            return
        await ack()
    response_url = body.get("response_url")
    user = str((body.get("user") or {}).get("id", "") or body.get("user_id", ""))
    channel = str((body.get("channel") or {}).get("id", "") or body.get("channel_id", ""))
    if response_url:
        payload = {"response_type": "ephemeral", "replace_original": False, "text": text}
        deps.background.spawn(deps.gateway.respond(str(response_url), payload), what="error notice")
    elif channel and user:
        deps.background.spawn(deps.gateway.post_ephemeral(channel, user, text), what="error notice")


def _first_block_error(body: dict[str, Any], text: str) -> dict[str, str]:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    block = next(iter(values), None) if isinstance(values, dict) else None
    return {str(block): text} if block else {}
