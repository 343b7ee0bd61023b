"""What the load generator needs from the fake Slack beyond its Web API, served on a port of its own.

Runs inside the fake's process (bench/fake_slack_runner.py) and hooks the ``FakeSlack`` instance there:

- an event stream, ``GET /events?after=N&timeout=S[&skip=msg]``: every change to a top-level message
  (``msg``), every ``views.open`` (``view``: who, when it reached the fake, the view or the error), every
  ``chat.postMessage`` carrying the worker's marker (``post``: channel, arrival time, HTTP status, who it mentions;
  429s included, so the per-channel queue can be told apart from the app's own delay), every chat.postMessage to a
  user id (``dm``: a direct message, e.g. the notice after a modal submitted from a ping), every ``views.publish``
  (``home``: whose Home tab, when, whether it was taken), every chat.postEphemeral
  (``eph``: whom, where, when) and every post to a response_url (``resp``). One consumer (the load generator) reads
  it; what it has read is forgotten.
- response_urls, ``POST /response/{name}``: answered 200 as Slack does, and reported as ``resp`` events.
- Slack's limit of one chat.postMessage per second per channel (when on) applies to the groups' channels only.
- trigger_ids minted by the load generator: ``<issued monotonic µs>.<user id>.<hex>``. Slack's trigger expires 3 s
  after the interaction it came with; the fake's clock is CLOCK_MONOTONIC, shared by every process on the machine,
  so a trigger minted just before the POST expires exactly as Slack's would (the fake still enforces once, 3 s).

Times are the fake's clock (``time.monotonic``) at arrival, comparable with the load generator's monotonic clock.
Hooks replace bound methods on the one FakeSlack instance (tests/fakeslack stays untouched).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from typing import Any

import orjson
from aiohttp import web

from tests.fakeslack import FakeSlack
from tests.fakeslack.records import JsonDict, RecordedCall, TriggerRecord
from tests.fakeslack.serving import start_site

MENTION = re.compile(rb"<@(U[A-Z0-9]+)>")
MAX_EVENTS = 200_000  # a consumer that stopped reading must not grow the fake without bound
UNLIMITED = ("C0AGENT", "C0MEMORY", "C0SETUP")  # channels exempt from the per-channel posting limit
KEEP_MESSAGES = 100  # per channel: a memory run posts 100,000 session messages into a few channels


def _is_root(message: JsonDict) -> bool:
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message.get("ts")


def _public(message: JsonDict) -> JsonDict:
    # A shallow copy: an update replaces "blocks" with a new list rather than changing the old one in place.
    return {key: value for key, value in message.items() if key != "channel"}


class Observer:
    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.ws = slack.workspace
        self.events: deque[JsonDict] = deque()
        self.first = 0  # index of events[0] in the stream
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._hook()

    # -- hooks on the fake ----------------------------------------------------------------------------------------
    def _hook(self) -> None:
        ws, slack = self.ws, self.slack
        add_message, replace_content = ws.add_message, ws.replace_content
        exchange, finish = ws.exchange_trigger, slack._finish

        def on_add(channel: str, message: JsonDict) -> JsonDict:
            stored = add_message(channel, message)
            if _is_root(stored):
                self._emit({"t": "msg", "ch": channel, "new": True, "at": slack.clock(), "m": _public(stored)})
            return stored

        def on_replace(message: JsonDict, body: JsonDict) -> None:
            replace_content(message, body)
            if _is_root(message):
                ch = message.get("channel", "")
                self._emit({"t": "msg", "ch": ch, "new": False, "at": slack.clock(), "m": _public(message)})

        def on_exchange(trigger_id: str) -> TriggerRecord:
            if trigger_id not in ws.triggers:
                minted = _minted(trigger_id)
                if minted is not None:
                    ws.triggers[trigger_id] = minted
            return exchange(trigger_id)

        def on_finish(call: RecordedCall, status: int, body: JsonDict, headers: dict[str, str] | None = None) -> Any:
            response = finish(call, status, body, headers)
            self._on_call(call)
            return response

        check_post_message = slack.faults.check_post_message

        def on_check(channel: str) -> Any:
            # Slack's per-channel limit is kept where it matters, the groups' channels. An agent's own channel gets
            # a session message per walk it starts, far faster than a person would: the bench compresses time.
            return None if channel.startswith(UNLIMITED) else check_post_message(channel)

        slack.faults.check_post_message = on_check  # type: ignore[method-assign]
        ws.add_message = on_add  # type: ignore[method-assign]
        ws.replace_content = on_replace  # type: ignore[method-assign]
        ws.exchange_trigger = on_exchange  # type: ignore[method-assign]
        slack._finish = on_finish  # type: ignore[method-assign]

    def _on_call(self, call: RecordedCall) -> None:
        if call.method == "views.open":
            trigger = str(call.params.get("trigger_id", ""))
            record = self.ws.triggers.get(trigger)
            user = record.user_id if record else (trigger.split(".")[1] if trigger.count(".") == 2 else "")
            view = (call.response or {}).get("view") if call.ok else None
            self._emit({"t": "view", "user": user, "at": call.time, "view": view, "err": None if view else call.error})
        elif call.method == "views.publish":
            self._emit({"t": "home", "user": str(call.params.get("user_id", "")), "at": call.time, "ok": call.ok})
        elif call.method == "chat.postEphemeral":
            self._emit(
                {
                    "t": "eph",
                    "user": str(call.params.get("user", "")),
                    "ch": str(call.params.get("channel", "")),
                    "at": call.time,
                    "ok": call.ok,
                    "text": str(call.params.get("text", ""))[:200],
                }
            )
        elif call.method == "chat.postMessage":
            channel = str(call.params.get("channel", ""))
            if channel[:1] in ("U", "W"):  # a direct message: the fake posts it in the app's DM with that user
                said = str(call.params.get("text", ""))[:200]
                self._emit({"t": "dm", "user": channel, "at": call.time, "ok": call.ok, "text": said})
            blocks = call.params.get("blocks")
            first = blocks[0].get("block_id", "") if isinstance(blocks, list) and blocks else ""
            if not str(first).startswith("job-"):
                return  # only the worker's posts carry a marker: pings, reminders, notices to agents
            text = orjson.dumps(blocks)
            self._emit(
                {
                    "t": "post",
                    "ch": str(call.params.get("channel", "")),
                    "at": call.time,
                    "status": call.status,
                    "ok": call.ok,
                    "marker": first,
                    "thread": bool(call.params.get("thread_ts")),
                    "mentions": [m.decode() for m in MENTION.findall(text)],
                }
            )

    def _emit(self, event: JsonDict) -> None:
        self.events.append(event)
        if len(self.events) > MAX_EVENTS:
            self.events.popleft()
            self.first += 1
        self._arrived.set()

    # -- housekeeping ----------------------------------------------------------------------------------------------
    def trim(self) -> None:
        """Forget old messages, views and triggers, so long runs keep the fake small (and its answers fast)."""
        for messages in self.ws.messages.values():
            if len(messages) > 2 * KEEP_MESSAGES:
                del messages[:-KEEP_MESSAGES]
        for ephemerals in self.ws.ephemerals.values():
            if len(ephemerals) > 2 * KEEP_MESSAGES:
                del ephemerals[:-KEEP_MESSAGES]
        if len(self.ws.views) > 2000:
            for view_id in list(self.ws.views)[:-1000]:
                del self.ws.views[view_id]
        if len(self.ws.triggers) > 2000:
            now = self.slack.clock()
            for trigger_id, record in list(self.ws.triggers.items()):
                if now - record.issued_at > 10:
                    del self.ws.triggers[trigger_id]

    # -- HTTP ----------------------------------------------------------------------------------------------------
    async def start(self) -> int:
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_get("/events", self._events)
        app.router.add_post("/response/{name}", self._response)
        self._runner, self.port = await start_site(app)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _events(self, request: web.Request) -> web.Response:
        after = int(request.query.get("after", "0"))
        timeout = float(request.query.get("timeout", "1"))
        skip = set(request.query.get("skip", "").split(","))
        if after >= self.first + len(self.events) and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        while self.events and self.first < after:  # the one consumer has these already
            self.events.popleft()
            self.first += 1
        start = max(after - self.first, 0)
        chosen = [e for i, e in enumerate(self.events) if i >= start and e["t"] not in skip]
        body = orjson.dumps({"next": self.first + len(self.events), "events": chosen})
        return web.Response(body=body, content_type="application/json")

    async def _response(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            body = {}
        text = str(body.get("text", "")) if isinstance(body, dict) else ""
        name = request.match_info["name"]
        self._emit({"t": "resp", "name": name, "at": self.slack.clock(), "text": text[:200]})
        return web.json_response({"ok": True})


def _minted(trigger_id: str) -> TriggerRecord | None:
    """A trigger_id the load generator minted: ``<issued monotonic µs>.<user>.<hex>``."""
    parts = trigger_id.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].startswith(("U", "W")):
        return None
    return TriggerRecord(user_id=parts[1], issued_at=int(parts[0]) / 1e6)
