"""Hand a checked Slack request to bolt, over HTTP and Socket Mode alike."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from chatbot.adapters.slack.payload import Malformed, Payload, parse

log = logging.getLogger(__name__)

PAYLOAD = "payload"  # the context key listeners read the typed payload from


async def dispatch(bolt: AsyncApp, data: dict[str, Any], payload: Payload, headers: Mapping[str, Any]) -> BoltResponse:
    """Run bolt on a body that was verified and shape-checked already.

    Bolt takes a parsed body only in its "socket_mode", whose one other effect, skipping signature checks, is what
    the HTTP front has done itself before this.
    """
    request = AsyncBoltRequest(body=data, headers=dict(headers), context={PAYLOAD: payload}, mode="socket_mode")
    return await bolt.async_dispatch(request)


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode with the same shape check as the HTTP front: a malformed envelope is logged and acknowledged
    (Slack would only redeliver it) and never reaches bolt."""

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        data = req.payload if isinstance(req.payload, dict) else {}
        try:
            payload = parse(data)
        except Malformed as exc:
            log.warning("refused a malformed Socket Mode envelope: %s", exc)
            await send_async_response(client, req, BoltResponse(status=200, body=""), 0.0)
            return
        response = await dispatch(self.app, data, payload, build_headers(req) or {})
        await send_async_response(client, req, response, 0.0)
