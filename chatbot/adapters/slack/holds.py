"""A post someone is waiting for goes first in a group's channel, whichever process makes it.

Slack takes about one post a second per channel. In a group's channel the worker posts pings, each on its turn
after a 429 (pacing.py, one pacer per process); a session someone starts from a ping (Tier II's follow-up) is posted
there by `serve`. Both retry on Retry-After's whole seconds, so the same one arrives first every second, and the
session waited for the whole queue of pings (10-12 s in bench_slack). So the session's post holds the channel, in
the database (the worker is another process), until it is made: the worker's posts there wait meanwhile, looking
again every RECHECK_SECONDS. Only groups' channels are held or looked at (no statement for any other post); a hold
whose poster died ends by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from chatbot.services.clock import Clock
from chatbot.storage.holds import HoldRepo

log = logging.getLogger(__name__)

# A session's post takes a tenth to a quarter of a second: a ping that met the hold looks again this soon (with a
# whole second, pings in a free channel were 1.5 s late at p99 in bench_slack).
RECHECK_SECONDS = 0.25


class ChannelHolds:
    def __init__(self, repo: HoldRepo, clock: Clock, channels: Iterable[str]) -> None:
        self._repo = repo
        self._clock = clock
        self._channels = frozenset(channels)

    async def hold(self, channel: str, seconds: float) -> datetime | None:
        """Hold a group's channel for `seconds` at most; what `release` needs, or None (another channel, or the
        hold could not be written: the post goes ahead all the same, only without priority)."""
        if channel not in self._channels:
            return None
        until = self._clock() + timedelta(seconds=seconds)
        try:
            await self._repo.hold(channel, until)
        except Exception:
            log.warning("could not hold %s for a session post; posting without priority", channel, exc_info=True)
            return None
        return until

    async def release(self, channel: str, until: datetime | None) -> None:
        if until is None:
            return
        try:
            await self._repo.release(channel, until)
        except Exception:  # it ends by itself at `until`
            log.warning("could not release the hold on %s", channel, exc_info=True)

    async def held(self, channel: str) -> bool:
        """Must the worker's post in this channel wait (someone is waiting for a post there)?"""
        return channel in self._channels and await self._repo.held(channel, self._clock())
