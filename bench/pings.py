"""Escalation pings: from the ack of the answer that escalated to the ping's chat.postMessage at the fake.

An agent whose answer ended in an escalating outcome reports (itself, the group's channel, when its answer was
acked). The fake reports every chat.postMessage the worker makes (``post`` events: arrival time, status, marker,
whom the text mentions). A top-level post in a group channel that mentions an agent is that agent's ping; pings
and escalations are matched first-in first-out per (agent, channel).

Slack takes one message per second per channel (a burst of 3; the fake enforces it and answers 429 beyond). A ping
counts as "channel free" when its channel met no 429 from ``QUIET`` seconds before the escalation's ack until the
ping was delivered: no post of it was refused, and the app was not holding that channel's posts back after a 429.
Only then is its latency the app's own. The others waited in the per-channel queue; they are reported apart, with
the 429s per channel and the longest queue (escalations of the channel acked and not yet pinged) seen.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from bench.recorder import PING_DELIVERED, PING_FREE, Recorder
from bench.wire import Event

# After a 429 the app holds that channel's posts for the Retry-After and then gives them one-second slots
# (scheduler/worker.py): a ping escalated within this long of a 429 in its channel waited on the limit too.
QUIET = 3.0


@dataclass(frozen=True)
class Ping:
    channel: str
    acked_at: float
    delivered_at: float


@dataclass
class ChannelStats:
    pings: int = 0
    queued: int = 0
    http_429: int = 0
    max_backlog: int = 0


@dataclass
class PingTracker:
    agent_prefix: str
    channels: set[str]
    expected: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    arrived: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    refused_at: dict[str, list[float]] = field(default_factory=dict)  # channel -> times of its 429s
    matched: list[Ping] = field(default_factory=list)
    http_429: Counter[str] = field(default_factory=Counter)
    unmatched_posts: int = 0
    expected_total: int = 0

    def expect(self, agent: str, channel: str, acked_at: float) -> None:
        self.expected_total += 1
        self.expected.setdefault((agent, channel), deque()).append(acked_at)
        self._match((agent, channel))

    def on_post(self, event: Event) -> None:
        channel = event["ch"]
        if channel not in self.channels or event["thread"]:
            return  # notices to agents (their channels) and reminders (threads) are not pings
        if event["status"] == 429:
            self.http_429[channel] += 1
            self.refused_at.setdefault(channel, []).append(event["at"])
            return
        if not event["ok"]:
            return
        agents = [m for m in event["mentions"] if m.startswith(self.agent_prefix)]
        if not agents:
            self.unmatched_posts += 1
            return
        key = (agents[0], channel)
        self.arrived.setdefault(key, deque()).append(event["at"])
        self._match(key)

    def _match(self, key: tuple[str, str]) -> None:
        expected, arrived = self.expected.get(key), self.arrived.get(key)
        while expected and arrived:
            self.matched.append(Ping(key[1], expected.popleft(), arrived.popleft()))

    @property
    def waiting(self) -> int:
        """Escalations whose ping has not arrived yet."""
        return sum(len(q) for q in self.expected.values())

    def finish(self, recorder: Recorder, start: float, end: float) -> dict[str, ChannelStats]:
        """Record every matched ping's latency (and the channel-free ones apart); the per-channel queue figures of
        the pings escalated in [start, end) (all pings count for whether the channel was free)."""
        stats: dict[str, ChannelStats] = {}
        by_channel: dict[str, list[Ping]] = {}
        for ping in self.matched:
            by_channel.setdefault(ping.channel, []).append(ping)
        for channel in sorted(self.channels):
            refusals = [t for t in self.refused_at.get(channel, []) if start <= t < end]
            entry = stats.setdefault(channel, ChannelStats(http_429=len(refusals)))
            pings = sorted(by_channel.get(channel, []), key=lambda p: p.acked_at)
            refused = sorted(self.refused_at.get(channel, []))
            for i, ping in enumerate(pings):
                backlog = sum(1 for earlier in pings[:i] if earlier.delivered_at > ping.acked_at)
                throttled = any(ping.acked_at - QUIET <= t <= ping.delivered_at for t in refused)
                free = not throttled
                recorder.derive(PING_DELIVERED, ping.acked_at, ping.delivered_at - ping.acked_at)
                if free:
                    recorder.derive(PING_FREE, ping.acked_at, ping.delivered_at - ping.acked_at)
                if not start <= ping.acked_at < end:
                    continue
                entry.pings += 1
                entry.queued += 0 if free else 1
                entry.max_backlog = max(entry.max_backlog, backlog + 1)
        return stats
