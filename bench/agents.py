"""Simulated support agents: each starts a session once, then clicks through the playbook as fast as acks come back.

Every request is signed as Slack signs it and timed from before the POST until its answer is read (the ack round
trip as Slack would see it, plus the load generator's own scheduling delay, which shares the machine).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from bench.playbook_walk import RESTART, Click
from bench.recorder import Recorder
from tests.fakeslack import FORM, SlackBody, block_actions_body, sign, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-123-456-benchtoken"
PLAYBOOK = "clever-access"
SETUP_TIMEOUT = 30.0
_END = quote_plus("}").encode()  # how a form-encoded JSON payload ends


@dataclass
class Load:
    """What every agent shares: where to post, the fake to read messages from, and the HTTP client."""

    events_url: str
    fake_base_url: str
    http: aiohttp.ClientSession
    recorder: Recorder
    walks: Sequence[tuple[Click, ...]]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    agents: dict[str, Agent] = field(default_factory=dict)  # by response_url name

    def notice(self, name: str, kind: str) -> None:
        """The app posted a notice to an agent's response_url: one of its acked clicks was not applied."""
        self.recorder.notice(kind)
        agent = self.agents.get(name)
        if agent is not None:
            agent.desync = True

    async def post_signed(self, body: SlackBody) -> str | None:
        """POST `body` signed; None when acked with 200, else a short reason."""
        headers = {"Content-Type": body.content_type or FORM, **sign(body.body, SECRET)}
        try:
            async with self.http.post(self.events_url, data=body.body, headers=headers) as response:
                await response.read()
                return None if response.status == 200 else f"http {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return type(exc).__name__

    async def api(self, method: str, **params: Any) -> dict[str, Any]:
        """Call the fake's Web API directly (setup and resync only, never timed)."""
        async with self.http.post(
            f"{self.fake_base_url}/api/{method}", json=params, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as response:
            data: dict[str, Any] = await response.json()
            if not data.get("ok"):
                raise RuntimeError(f"fake Slack {method}: {data.get('error')}")
            return data


def _run_ref(message: dict[str, Any]) -> tuple[str, int]:
    """The run id and version the Restart button of a session message carries."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == RESTART.action_id:
                data = json.loads(element["value"])
                return str(data["r"]), int(data["v"])
    raise ValueError("no Restart button on the session message")


@dataclass
class Agent:
    index: int
    load: Load
    message: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""
    version: int = 0
    cycle: int = 0
    desync: bool = False
    _message_cache: tuple[object, bytes] = (None, b"")

    def __post_init__(self) -> None:
        self.load.agents[self.name] = self

    @property
    def name(self) -> str:
        return f"agent-{self.index}"

    @property
    def channel(self) -> str:
        return f"C0BENCH{self.index:04d}"

    @property
    def user(self) -> str:
        return f"U0AGENT{self.index:04d}"

    @property
    def response_url(self) -> str:
        # On the fake, but never bound: a post there (a stale-click or failure notice) is counted, then refused.
        return f"{self.load.fake_base_url}/response/{self.name}"

    async def start_session(self) -> None:
        """`/triage clever-access`, then wait until the app's session message is in the channel."""
        body = slash_command_body("/triage", PLAYBOOK, self.user, self.channel, response_url=self.response_url)
        error = await self.load.post_signed(body)
        if error is not None:
            raise RuntimeError(f"agent {self.index}: /triage answered {error}")
        await self.read_message(SETUP_TIMEOUT)

    async def read_message(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            history = await self.load.api("conversations.history", channel=self.channel, limit=1)
            if history["messages"]:
                self.message = history["messages"][0]
                self.run_id, self.version = _run_ref(self.message)
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"agent {self.index}: no session message after {seconds:.0f}s")
            await asyncio.sleep(0.05)

    async def shown(self) -> tuple[str, int] | None:
        """The run id and version the session message in Slack shows now (None if it shows none)."""
        history = await self.load.api("conversations.history", channel=self.channel, limit=1)
        try:
            return _run_ref(history["messages"][0]) if history["messages"] else None
        except ValueError:
            return None

    async def post_message(self, content: dict[str, Any]) -> None:
        """For the bare app: put a message shaped like the session message in the channel."""
        data = await self.load.api("chat.postMessage", channel=self.channel, **content)
        self.message = data["message"]
        self.run_id, self.version = _run_ref(self.message)

    def _body(self, click: Click) -> SlackBody:
        """The click as Slack sends it, the message it was made on included.

        The load generator shares the cores with the app and its latency counts in the figures: url-encoding the
        ~6 kB message for every click was three quarters of its work. Form encoding is character by character, so
        the message's encoded JSON is kept (it only changes on a resync) and spliced in as the payload's last key.
        """
        bare = block_actions_body(
            click.action_id,
            click.value(self.run_id, self.version),
            block_id="nav" if click is RESTART else "choices-0",
            text=click.label,
            user_id=self.user,
            user_name=f"agent.{self.index}",
            channel_id=self.channel,
            message_ts=self.message["ts"],
            response_url=self.response_url,
        )
        assert bare.body.endswith(_END)
        return SlackBody(bare.body[: -len(_END)] + self._encoded_message() + _END, bare.content_type)

    def _encoded_message(self) -> bytes:
        if self._message_cache[0] is not self.message:
            public = {key: value for key, value in self.message.items() if key != "channel"}
            encoded = quote_plus(',"message":' + json.dumps(public, separators=(",", ":"), ensure_ascii=False))
            self._message_cache = (self.message, encoded.encode())
        return self._message_cache[1]

    async def click(self, click: Click) -> bool:
        body = self._body(click)
        started = time.perf_counter()
        error = await self.load.post_signed(body)
        finished = time.perf_counter()
        self.load.recorder.add(finished, finished - started, error)
        if error is None:
            self.version += 1
        return error is None

    async def run(self, resync: bool) -> None:
        """Walk, Restart, walk the next way... until told to stop. After a failed click, start over (resync)."""
        while not self.load.stop.is_set():
            walk = self.load.walks[(self.index + self.cycle) % len(self.load.walks)]
            self.cycle += 1
            for click in (*walk, RESTART):
                if self.load.stop.is_set():
                    return
                if not await self.click(click) or self.desync:
                    if resync:
                        await self._resync()
                    break

    async def _resync(self) -> None:
        """The run's version is unknown after a failed or stale click: read the message again, Restart from it."""
        self.desync = False
        await asyncio.sleep(0.5)
        try:
            await self.read_message(5.0)
        except (RuntimeError, aiohttp.ClientError, TimeoutError):
            return
        await self.click(RESTART)
