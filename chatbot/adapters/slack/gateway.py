"""Every Slack Web API call the services need, counted in metrics, through one retrying client."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View as SlackView
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.adapters.slack.kit import Block
from chatbot.metrics import Metrics

log = logging.getLogger(__name__)

USERGROUP_TTL = 300.0  # usergroups.users.list is Tier 2 (20/min): cache membership


def retry_after(exc: SlackApiError) -> float | None:
    """The seconds a 429 asks to wait (whole seconds on Slack; 1 when the header is missing); None if not a 429."""
    if exc.response.status_code != 429:
        return None
    try:
        return max(float(exc.response.headers.get("Retry-After", 1) or 1), 0.0)
    except ValueError:
        return 1.0


class SlackGateway:
    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession, metrics: Metrics) -> None:
        self.client = client
        self.session = session
        self.metrics = metrics
        self._usergroups: dict[str, tuple[float, frozenset[str]]] = {}

    async def _call(self, method: str, *, form: bool = False, **kwargs: Any) -> dict[str, Any]:
        # Slack takes JSON bodies on write methods only; read methods get form fields.
        try:
            if form:
                response = await self.client.api_call(method, params=kwargs)
            else:
                response = await self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            self.metrics.api_calls.labels(method, str(exc.response.get("error", "error"))).inc()
            raise
        except Exception:
            self.metrics.api_calls.labels(method, "exception").inc()
            raise
        self.metrics.api_calls.labels(method, "ok").inc()
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def post_message(self, channel: str, text: str, blocks: Sequence[Block], thread_ts: str | None = None) -> str:
        args: dict[str, Any] = {"channel": channel, "text": text, "blocks": list(blocks)}
        if thread_ts:
            args["thread_ts"] = thread_ts
        data = await self._call("chat.postMessage", **args)
        return str(data["ts"])

    async def update_message(self, channel: str, ts: str, text: str, blocks: Sequence[Block]) -> None:
        await self._call("chat.update", channel=channel, ts=ts, text=text, blocks=list(blocks))

    async def post_ephemeral(self, channel: str, user: str, text: str, blocks: Sequence[Block] | None = None) -> None:
        args: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks:
            args["blocks"] = list(blocks)
        await self._call("chat.postEphemeral", **args)

    async def open_view(self, trigger_id: str, view: SlackView) -> None:
        await self._call("views.open", trigger_id=trigger_id, view=view.to_dict())

    async def publish_home(self, user: str, view: dict[str, Any]) -> None:
        await self._call("views.publish", user_id=user, view=view)

    async def respond(self, response_url: str, payload: dict[str, Any]) -> bool:
        """Post to an interaction's response_url (works 5 times in 30 minutes; used for ephemeral notices).
        False when Slack refused it (a block it does not take, say)."""
        started = time.perf_counter()
        async with self.session.post(response_url, json=payload, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            ok = resp.status < 300
            self.metrics.api_calls.labels("response_url", "ok" if ok else f"http_{resp.status}").inc()
            if not ok:
                log.warning(
                    "response_url answered %s after %.0f ms", resp.status, (time.perf_counter() - started) * 1e3
                )
            return ok

    async def permalink(self, channel: str, ts: str) -> str | None:
        data = await self._call("chat.getPermalink", form=True, channel=channel, message_ts=ts)
        return str(data["permalink"]) if data.get("permalink") else None

    async def presence(self, user: str) -> str:
        data = await self._call("users.getPresence", form=True, user=user)
        return str(data.get("presence", "active"))

    async def history(self, *, thread_ts: str | None, **args: Any) -> dict[str, Any]:
        """One page of a channel's history, or of a thread's replies when `thread_ts` is given."""
        if thread_ts:
            return await self._call("conversations.replies", form=True, ts=thread_ts, **args)
        return await self._call("conversations.history", form=True, **args)

    async def open_dm(self, user: str) -> str:
        """The id of the app's direct-message channel with `user` (to read it back)."""
        data = await self._call("conversations.open", users=user)
        return str(data["channel"]["id"])

    async def find_marked(self, channel: str, marker: str, *, thread_ts: str | None) -> str | None:
        """The ts of a message we posted carrying `marker` as a block id, if an earlier attempt got through.

        Only called when an earlier attempt's outcome is unknown (timeout, crash), so the stricter rate limits of
        these read methods do not matter. It reads the newest messages (75 at most) rather than asking from a time,
        so a clock that differs from Slack's cannot hide the post.
        """
        cursor = None
        for _ in range(5):  # pages of 15: the most conversations.history gives new apps at once
            args: dict[str, Any] = {"channel": channel, "limit": 15}
            if cursor:
                args["cursor"] = cursor
            if thread_ts:
                data = await self._call("conversations.replies", form=True, ts=thread_ts, **args)
            else:
                data = await self._call("conversations.history", form=True, **args)
            for message in data.get("messages", []):
                if any(block.get("block_id") == marker for block in message.get("blocks") or []):
                    return str(message["ts"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not data.get("has_more") or not cursor:
                break
        return None

    async def usergroup_members(self, usergroup: str) -> frozenset[str]:
        cached = self._usergroups.get(usergroup)
        now = time.monotonic()
        if cached and now - cached[0] < USERGROUP_TTL:
            return cached[1]
        data = await self._call("usergroups.users.list", form=True, usergroup=usergroup)
        members = frozenset(str(u) for u in data.get("users", []))
        self._usergroups[usergroup] = (now, members)
        return members
