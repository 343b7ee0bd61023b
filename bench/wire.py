"""The load generator's connections: signed requests to the server under test, and the fake's event stream.

One task reads the fake's observer (bench/fake_observer.py) and keeps, per channel, the top-level messages as the
fake shows them now; agents register what they wait for (a message newer than the one they answered, a modal
for their user, a response_url post, a direct or ephemeral message to them) *before* sending the request that
causes it, so nothing is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from bench.messages import Message
from tests.fakeslack import FORM, sign
from tests.fakeslack.ids import ts_to_micros

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-123-456-benchtoken"
KEEP_ROOTS = 60  # top-level messages kept per channel (a group channel holds the open pings)

Event = dict[str, Any]
Predicate = Callable[[Event], bool]


@dataclass
class Reply:
    status: int | None  # None: no answer (connection error or timeout)
    body: Any  # parsed JSON when the app answered JSON, else None
    error: str | None  # None when acked with 200

    @property
    def errors(self) -> dict[str, str] | None:
        """The field errors of a view submission answered with ``response_action: errors``."""
        if isinstance(self.body, dict) and self.body.get("response_action") == "errors":
            return dict(self.body.get("errors") or {})
        return None


def mint_trigger(user: str) -> str:
    """A trigger_id as Slack would send it now; the fake honours it for 3 s from now (fake_observer.py)."""
    return f"{int(time.monotonic() * 1e6)}.{user}.{secrets.token_hex(8)}"


@dataclass
class _Waiter:
    predicate: Predicate
    future: asyncio.Future[Event]


@dataclass
class Wire:
    events_url: str
    observer_url: str
    http: aiohttp.ClientSession
    roots: dict[str, dict[str, Message]] = field(default_factory=dict)  # channel -> ts -> message, oldest first
    on_post: list[Callable[[Event], None]] = field(default_factory=list)
    on_response: list[Callable[[Event], None]] = field(default_factory=list)
    skip_messages: bool = False  # a memory run needs no message contents: the fake need not send them
    # "ch:<id>", "view:<user>", "resp:<name>", "dm:<user>", "eph:<user>"
    _waiters: dict[str, list[_Waiter]] = field(default_factory=dict)
    _changed: dict[str, asyncio.Event] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None
    lag: float = 0.0  # how far behind the fake the stream was, at most (seconds)

    # -- requests to the server under test ------------------------------------------------------------------
    async def post(self, body: bytes, content_type: str = FORM) -> Reply:
        headers = {"Content-Type": content_type, **sign(body, SECRET)}
        try:
            async with self.http.post(self.events_url, data=body, headers=headers) as response:
                raw = await response.read()
                parsed = None
                if response.content_type == "application/json" and raw:
                    with contextlib.suppress(orjson.JSONDecodeError):
                        parsed = orjson.loads(raw)
                error = None if response.status == 200 else f"http {response.status}"
                return Reply(response.status, parsed, error)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Reply(None, None, type(exc).__name__)

    # -- the fake's event stream ----------------------------------------------------------------------------
    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        after = 0
        while True:
            skip = "&skip=msg" if self.skip_messages else ""
            try:
                url = f"{self.observer_url}/events?after={after}&timeout=1{skip}"
                async with self.http.get(url) as response:
                    data = orjson.loads(await response.read())
            except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError, RuntimeError):  # RuntimeError: closed
                await asyncio.sleep(0.1)
                continue
            after = data["next"]
            now = time.monotonic()
            for event in data["events"]:
                self.lag = max(self.lag, now - event["at"])
                self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        kind = event["t"]
        if kind == "msg":
            channel, message = event["ch"], event["m"]
            stored = self.roots.setdefault(channel, {})
            stored[message["ts"]] = message
            if len(stored) > KEEP_ROOTS:
                del stored[next(iter(stored))]
            key = f"ch:{channel}"
            changed = self._changed.pop(channel, None)
            if changed is not None:
                changed.set()
        elif kind == "view":
            key = f"view:{event['user']}"
        elif kind == "resp":
            key = f"resp:{event['name']}"
            for callback in self.on_response:
                callback(event)
        elif kind in ("dm", "eph", "home"):
            key = f"{kind}:{event['user']}"
        else:
            for callback in self.on_post:
                callback(event)
            return
        waiters = self._waiters.get(key)
        if not waiters:
            return
        still = []
        for waiter in waiters:
            if waiter.future.done():
                continue
            if waiter.predicate(event):
                waiter.future.set_result(event)
            else:
                still.append(waiter)
        self._waiters[key] = still

    def expect(self, key: str, predicate: Predicate = lambda _event: True) -> asyncio.Future[Event]:
        """A future for the next event under `key` that satisfies `predicate` (register before the request)."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(_Waiter(predicate, future))
        return future

    def expect_message(self, channel: str, predicate: Callable[[Message], bool]) -> asyncio.Future[Event]:
        return self.expect(f"ch:{channel}", lambda event: predicate(event["m"]))

    def changed(self, channel: str) -> asyncio.Event:
        """Set at the next change of a top-level message in `channel`."""
        return self._changed.setdefault(channel, asyncio.Event())

    def newest(self, channel: str) -> Message | None:
        stored = self.roots.get(channel)
        if not stored:
            return None
        return max(stored.values(), key=lambda m: ts_to_micros(m["ts"]))


async def wait(future: asyncio.Future[Event], seconds: float) -> Event | None:
    """The event, or None after `seconds` (the future is cancelled then)."""
    try:
        return await asyncio.wait_for(future, seconds)
    except TimeoutError:
        return None
