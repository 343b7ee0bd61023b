"""Fault injection: queued failures, latency, and Slack's per-channel chat.postMessage limit."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from .records import JsonDict

# Error codes Slack documents for its 5xx answers; the body is JSON so a client can log the reason.
_SERVER_ERRORS = {500: "fatal_error", 502: "bad_gateway", 503: "service_unavailable", 504: "request_timeout"}


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None
    error: str | None = None

    def body(self) -> JsonDict:
        if self.status == 429:
            return {"ok": False, "error": self.error or "ratelimited"}
        return {"ok": False, "error": self.error or _SERVER_ERRORS.get(self.status, "fatal_error")}

    def headers(self) -> dict[str, str]:
        # Retry-After is whole seconds on Slack; slack_sdk's rate-limit handler int()s it.
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


@dataclass
class Delay:
    seconds: float
    remaining: int | None  # None: every call
    # True: the call takes effect at once and only the answer is late, the case where a client times out on a
    # message that *was* posted and a naive retry duplicates it. False: nothing happens until the delay is over.
    effect_first: bool


class TokenBucket:
    """Slack allows ~1 chat.postMessage per second per channel "with short bursts": a token bucket per channel."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float]) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be > 0 and burst >= 1")
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self._updated: dict[str, float] = {}

    def try_take(self, key: str) -> int | None:
        """Take one token; on refusal return the Retry-After (whole seconds, rounded up) until one is available."""
        now = self._clock()
        tokens = self._tokens.get(key, float(self.burst))
        tokens = min(float(self.burst), tokens + (now - self._updated.get(key, now)) * self.per_second)
        self._updated[key] = now
        if tokens >= 1.0:
            self._tokens[key] = tokens - 1.0
            return None
        self._tokens[key] = tokens  # refused requests don't consume: a client honouring Retry-After gets through
        return max(1, math.ceil((1.0 - tokens) / self.per_second))


class FaultPlan:
    """What to do wrong, per method name (Web API method, or ``"response_url"`` for response_url posts)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._failures: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._delays: dict[str, Delay] = {}
        self.post_message_limiter: TokenBucket | None = None
        self.history_limiter: TokenBucket | None = None
        self.history_page: int | None = None

    def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1, error: str | None = None
    ) -> None:
        if status != 429:
            retry_after = None  # only rate limiting comes with Retry-After
        for _ in range(times):
            self._failures[method].append(Fault(status=status, retry_after=retry_after, error=error))

    def delay(self, method: str, seconds: float, times: int | None = None, effect_first: bool = True) -> None:
        if seconds <= 0:
            self._delays.pop(method, None)
        else:
            self._delays[method] = Delay(seconds=seconds, remaining=times, effect_first=effect_first)

    def rate_limit_post_message(self, per_second: float = 1.0, burst: int = 3) -> None:
        self.post_message_limiter = TokenBucket(per_second, burst, self._clock)

    def clear(self) -> None:
        self._failures.clear()
        self.history_limiter = None
        self.history_page = None
        self._delays.clear()
        self.post_message_limiter = None

    def take_failure(self, method: str) -> Fault | None:
        queue = self._failures.get(method)
        return queue.popleft() if queue else None

    def take_delay(self, method: str) -> Delay | None:
        delay = self._delays.get(method)
        if delay is None:
            return None
        if delay.remaining is not None:
            delay.remaining -= 1
            if delay.remaining <= 0:
                del self._delays[method]
        return delay

    def limit_history(self, per_minute: float = 1.0, page: int = 15) -> None:
        """Slack's 2025 limit for commercially distributed apps outside the Marketplace: conversations.history and
        .replies once a minute (for the app in the workspace), at most `page` messages a request."""
        self.history_limiter = TokenBucket(per_minute / 60.0, 1, self._clock)
        self.history_page = page

    def check_history(self) -> Fault | None:
        if self.history_limiter is None:
            return None
        retry_after = self.history_limiter.try_take("workspace")
        return None if retry_after is None else Fault(status=429, retry_after=retry_after)

    def check_post_message(self, channel: str) -> Fault | None:
        if self.post_message_limiter is None:
            return None
        retry_after = self.post_message_limiter.try_take(channel)
        return None if retry_after is None else Fault(status=429, retry_after=retry_after)
