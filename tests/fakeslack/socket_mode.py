"""Socket Mode, as Slack serves it: `apps.connections.open` (app-level `xapp-` token) hands out a WebSocket URL; on
connecting the app gets `hello`, then envelopes (`slash_commands`, `interactive`, `events_api`) it must acknowledge
with their `envelope_id`, optionally with a response payload.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from aiohttp import WSMsgType, web

from .payloads import FORM, SlackBody
from .records import JsonDict

SOCKET_PATH = "/socket-mode/link"


def socket_payload(body: SlackBody) -> JsonDict:
    """What Socket Mode carries for the request that HTTP mode would POST as `body`: the form's fields for a slash
    command, the decoded `payload` field for an interaction, the JSON itself for an event."""
    text = body.body.decode()
    if body.content_type != FORM:
        decoded: JsonDict = json.loads(text)
        return decoded
    if text.startswith("payload="):
        interaction: JsonDict = json.loads(parse_qs(text)["payload"][0])
        return interaction
    return dict(parse_qsl(text, keep_blank_values=True))


class SocketModeHub:
    """The WebSocket end of Socket Mode for one fake workspace."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.tickets: set[str] = set()
        self.connections: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[JsonDict]] = {}
        self._connected = asyncio.Event()

    def attach(self, app: web.Application) -> None:
        app.router.add_get(SOCKET_PATH, self._handle)

    def open_connection(self, base_url: str) -> JsonDict:
        """The answer to `apps.connections.open`: a one-use URL."""
        ticket = secrets.token_hex(8)
        self.tickets.add(ticket)
        ws_base = base_url.replace("http://", "ws://", 1)
        return {"url": f"{ws_base}{SOCKET_PATH}?ticket={ticket}"}

    async def wait_connected(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - short in tests
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send(
        self,
        kind: str,
        payload: JsonDict,
        *,
        retry_attempt: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JsonDict:
        """Send an envelope on the newest connection and return the app's acknowledgement (TimeoutError if none)."""
        await self.wait_connected(timeout)
        envelope_id = secrets.token_hex(12)
        envelope: JsonDict = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        acked: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acked
        try:
            await self.connections[-1].send_str(json.dumps(envelope))
            return await asyncio.wait_for(acked, timeout)
        finally:
            self._acks.pop(envelope_id, None)

    async def close(self) -> None:
        for ws in list(self.connections):
            await ws.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            raise web.HTTPUnauthorized(text="unknown or used ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.connections),
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        self._connected.set()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._acknowledged(json.loads(message.data))
        finally:
            self.connections.remove(ws)
            if not self.connections:
                self._connected.clear()
        return ws

    def _acknowledged(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        waiting = self._acks.get(str(data.get("envelope_id", "")))
        if waiting is not None and not waiting.done():
            waiting.set_result(data)
