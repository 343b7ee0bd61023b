"""Find out whether a post whose answer was lost (a timeout, a crash) reached Slack, within Slack's history limits.

Every post the app may need to find again carries a marker as its first block's id. A look-up reads the
channel's (or thread's) history between two moments: from a little before the attempt started to a little after it
must have ended, so what it reads does not grow with how much else was posted since (the old look-up read the
newest 75 messages, and after a crash the other pending pings pushed the lost ones out of that window).

`conversations.history` and `.replies` are limited to one request a minute (15 messages a page) for commercially
distributed apps outside the Marketplace, so requests go through one gate per process, a scan continues page by
page across calls (its cursor is kept), and every marker a page shows is remembered, so the pings of one crash
share one scan. A look-up that cannot be answered now (gate closed, rate limited, a missing scope, Slack down) says
`Unknown`: never "not posted".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from chatbot.adapters.slack.gateway import SlackGateway

SKEW_SECONDS = 5.0  # our clock against Slack's, each way (both NTP-synced in practice: well under a second)
PAGE = 15  # the most a page gives apps under the 2025 history limit


@dataclass(frozen=True)
class Found:
    ts: str


@dataclass(frozen=True)
class Absent:
    pass


@dataclass(frozen=True)
class Unknown:
    retry_after: float
    reason: str
    transient: bool = True  # only waiting (for the history limit, a 429); False: something must change first


LookupResult = Found | Absent | Unknown


class HistoryGate:
    """At most `per_minute` history reads a minute from this process (internal apps may allow more)."""

    def __init__(self, per_minute: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / per_minute
        self.clock = clock
        self._next = 0.0

    def wait(self) -> float:
        return max(self._next - self.clock(), 0.0)

    def take(self) -> bool:
        now = self.clock()
        if now < self._next:
            return False
        self._next = now + self.interval
        return True

    def hold(self, seconds: float) -> None:
        """Slack answered 429: nobody asks again before its Retry-After."""
        self._next = max(self._next, self.clock() + seconds)


@dataclass
class _Scan:
    """One read of [oldest, latest] in a channel or thread, newest page first; `done` once the window is read."""

    oldest: float
    latest: float
    cursor: str | None = None
    done: bool = False
    markers: dict[str, str] = field(default_factory=dict)  # marker -> ts

    def covers(self, oldest: float, latest: float) -> bool:
        return self.oldest <= oldest and latest <= self.latest


class PostFinder:
    def __init__(self, gateway: SlackGateway, gate: HistoryGate, wall: Callable[[], float] = time.time) -> None:
        self.gateway = gateway
        self.gate = gate
        self.wall = wall
        self._scans: dict[tuple[str, str | None], list[_Scan]] = {}

    async def find(
        self, channel: str, marker: str, *, thread_ts: str | None, started: float, ended: float
    ) -> LookupResult:
        """Was a message carrying `marker` posted in `channel` (or the thread) by an attempt between `started` and
        `ended` (Unix times, our clock)?"""
        oldest, latest = started - SKEW_SECONDS, ended + SKEW_SECONDS
        if latest > self.wall():
            # Read only once the window has closed: a scan read earlier could miss a post landing after it.
            return Unknown(latest - self.wall(), "waiting for the attempt's window to close")
        scans = self._scans.setdefault((channel, thread_ts), [])
        for seen in scans:  # a marker is one job's: seen anywhere in its window, it is that job's post
            ts = seen.markers.get(marker)
            if ts is not None and oldest <= float(ts) <= latest:
                return Found(ts)
        scan = next((s for s in scans if s.covers(oldest, latest)), None)
        if scan is None:
            scan = _Scan(oldest, latest)
            scans.append(scan)
            del scans[:-8]  # a few recent windows per channel are plenty
        while marker not in scan.markers and not scan.done:
            if not self.gate.take():
                return Unknown(self.gate.wait(), "waiting for Slack's history limit")
            try:
                await self._page(channel, thread_ts, scan)
            except SlackApiError as exc:
                return self._unknown(exc)
        if marker in scan.markers:
            return Found(scan.markers[marker])
        return Absent()

    async def _page(self, channel: str, thread_ts: str | None, scan: _Scan) -> None:
        args: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{scan.oldest:.6f}",
            "latest": f"{scan.latest:.6f}",
            "inclusive": True,
            "limit": PAGE,
        }
        if scan.cursor:
            args["cursor"] = scan.cursor
        data = await self.gateway.history(thread_ts=thread_ts, **args)
        for message in data.get("messages", []):
            blocks = message.get("blocks") or []
            if blocks and isinstance(blocks[0], dict) and blocks[0].get("block_id"):
                scan.markers.setdefault(str(blocks[0]["block_id"]), str(message.get("ts")))
        cursor = (data.get("response_metadata") or {}).get("next_cursor")
        scan.cursor = cursor or None
        scan.done = not data.get("has_more") or not cursor

    def _unknown(self, exc: SlackApiError) -> Unknown:
        response = exc.response
        error = str(response.get("error", ""))
        if response.status_code == 429:
            after = float(response.headers.get("Retry-After", 60) or 60)
            self.gate.hold(after)
            return Unknown(after, "Slack rate-limited the history read")
        if error == "missing_scope":
            # The app lacks channels:history / groups:history / im:history: the post may well be there.
            return Unknown(300.0, "the app may not read this channel's history (missing_scope): outcome unknown", False)
        return Unknown(30.0, f"Slack answered {error or response.status_code} to the history read", False)
