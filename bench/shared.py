"""What every simulated agent and supervisor shares, and the one way they send a request and record it."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.library import Budget, Library
from bench.pings import PingTracker
from bench.recorder import Recorder
from bench.waves import Gate
from bench.wire import Event, Reply, Wire
from tests.fakeslack import FORM

UPDATE_TIMEOUT = 10.0  # a message update, a modal or a ping update not seen by then is a problem (and a resync)


class Lost(Exception):
    """The agent no longer knows where its session stands (an error, a notice, an effect that never came)."""


@dataclass
class Shared:
    wire: Wire
    response_base: str  # the fake's response_url prefix (answered 200 and reported back as events)
    recorder: Recorder
    library: Library
    budget: Budget
    pings: PingTracker
    groups: dict[int, str]  # bench group number -> its channel
    playbooks: list[str]
    supervisors: list[str]  # Slack user ids of the group members
    group_ids: dict[int, str] = field(default_factory=dict)  # bench group number -> its id in the configuration
    gate: Gate = field(default_factory=Gate)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    picker_share: float = 1 / 3  # session starts through `/triage` + the picker rather than `/triage <id>`
    ticket_share: float = 1 / 3  # of the `/triage <id>` starts, those that give a ticket (`/triage <id> <ticket>`)
    case_new_share: float = 1 / 15  # walks an agent begins with `/case new` (the modal, then the submit)
    case_show_share: float = 1 / 15  # walks an agent begins with `/case NUMBER`, the last case it saw
    escalate_share: float = 1 / 30  # walks an agent begins with `/escalate` (the modal, then the submit)
    home_share: float = 1 / 15  # walks an agent begins by opening the app's Home tab
    new_session_share: float = 1 / 3  # walks that start a new session rather than Restart the last one
    scouting: bool = False  # every walk chooses at random (the library learns the playbooks before the load)
    read_seconds: float = 0.0  # how long a supervisor reads a new ping before the first press on it
    oncall_every: float = 2.0  # seconds between a supervisor's `/oncall` while it has no ping to handle
    listeners: dict[str, Callable[[Event], None]] = field(default_factory=dict)  # response_url name -> callback

    def __post_init__(self) -> None:
        self.wire.on_response.append(self._on_response)

    def _on_response(self, event: Event) -> None:
        callback = self.listeners.get(event["name"])
        if callback is not None:
            callback(event)

    def response_url(self, name: str) -> str:
        return f"{self.response_base}/response/{name}"

    async def send(
        self, kind: str | Callable[[Reply], str], body: bytes, content_type: str = FORM
    ) -> tuple[Reply, float, int]:
        """POST `body`, timed from before the request until its answer is read (the ack round trip as Slack
        would see it, plus the load generator's own scheduling delay), and record it as `kind` (or as what
        `kind(reply)` says, for a submit whose kind the answer tells). Returns the reply, when the answer was
        read, and the record's index."""
        started = time.monotonic()
        reply = await self.wire.post(body, content_type)
        finished = time.monotonic()
        name = kind if isinstance(kind, str) else kind(reply)
        return reply, finished, self.recorder.add(name, finished, finished - started, reply.error)


def agent_rng(index: int) -> random.Random:
    return random.Random(1000 + index)
