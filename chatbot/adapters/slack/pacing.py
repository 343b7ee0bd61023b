"""Slack's per-channel posting limit (about one message a second, short bursts allowed), shared by every poster in
this process: after a 429 on a channel, its other posts wait their turn, one a second, instead of each meeting a
429 of its own."""

from __future__ import annotations

from datetime import datetime, timedelta

from chatbot.services.clock import Clock


class ChannelPacer:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._quiet_until: dict[str, datetime] = {}
        self._next_slot: dict[str, datetime] = {}

    def wait(self, channel: str) -> float:
        """Seconds this post must wait (0: go now). Each post held back takes the next one-second slot."""
        now = self.clock()
        until = self._quiet_until.get(channel)
        if until is None or until <= now:
            self._quiet_until.pop(channel, None)
            self._next_slot.pop(channel, None)
            return 0.0
        slot = max(self._next_slot.get(channel, until), until)
        self._next_slot[channel] = slot + timedelta(seconds=1)
        return (slot - now).total_seconds()

    def busy(self, channel: str) -> bool:
        """Is the channel waiting out a 429 (or are posts queued for it)? Less urgent posts keep away then."""
        return self.free_in(channel) > 0

    def free_in(self, channel: str) -> float:
        """Seconds until the channel's 429 is waited out and every post queued for it has had its slot (0: now)."""
        until = self._next_slot.get(channel) or self._quiet_until.get(channel)
        return max((until - self.clock()).total_seconds(), 0.0) if until is not None else 0.0

    def limited(self, channel: str, retry_after: float) -> None:
        """Slack answered 429 on this channel."""
        self._quiet_until[channel] = self.clock() + timedelta(seconds=retry_after)
