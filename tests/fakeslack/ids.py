"""Identifiers and timestamps shaped like Slack's, shared by the fake server and the payload builders.

Defaults live here so that a request built with the payload builders (team, app, user, channel) matches what the
fake server answers from ``auth.test`` without every test having to spell the ids out.
"""

from __future__ import annotations

import itertools
import secrets
import time

DEFAULT_TEAM_ID = "T0FAKETEAM"
DEFAULT_TEAM_DOMAIN = "fakeslack"
DEFAULT_APP_ID = "A0FAKEAPP"
DEFAULT_BOT_USER_ID = "U0FAKEBOT"
DEFAULT_BOT_ID = "B0FAKEBOT"
DEFAULT_USER_ID = "U0AGENT1"
DEFAULT_USER_NAME = "agent.one"
DEFAULT_CHANNEL_ID = "C0SUPPORT"
DEFAULT_CHANNEL_NAME = "support"
# The deprecated verification token Slack still puts in every payload; Bolt ignores it.
DEFAULT_VERIFICATION_TOKEN = "fake-verification-token"


def ts_to_micros(ts: str) -> int:
    """Order Slack timestamps exactly: ``float("1700000000.000001")`` loses the last digit, integers do not."""
    seconds, _, frac = ts.partition(".")
    return int(seconds) * 1_000_000 + int((frac + "000000")[:6])


def micros_to_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


class TsClock:
    """Issues message timestamps that look like Slack's (wall-clock seconds, 6 decimals), unique and increasing.

    Kept in integer microseconds: adding 1e-6 to a float near 1.7e9 is not exact and could repeat a ts.
    """

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        self._last = max(time.time_ns() // 1000, self._last + 1)
        return micros_to_ts(self._last)


class IdFactory:
    """Sequential ids with Slack's prefixes (V for views, D for DMs, ...), distinct within one fake."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def make(self, prefix: str) -> str:
        return f"{prefix}0{next(self._counter):08d}"

    def trigger_id(self) -> str:
        # Same shape as the captured payloads: "<digits>.<digits>.<32 hex>".
        return f"{time.time_ns() // 1000}.{next(self._counter)}.{secrets.token_hex(16)}"

    def view_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_urlsafe(6)}"


def random_trigger_id() -> str:
    """A well-formed trigger_id the fake has never issued (for payloads that need one but won't open a view)."""
    return f"{time.time_ns() // 1000}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def action_ts() -> str:
    return micros_to_ts(time.time_ns() // 1000)
