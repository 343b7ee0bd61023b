"""Teams' posting limits, kept by this process before Teams has to refuse anything.

Microsoft's limits for a bot (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit): per
thread (conversation), sends and creates at most 7 a second, 8 in 2 s, 60 in 30 s and 1800 an hour; per app and
tenant, 50 a second. A post takes a slot in every window it falls in, or is told how long to wait for one. After a
429 on a conversation, nothing more goes there until its Retry-After has passed.

Several processes share those limits without knowing of each other: Teams' 429 (with Retry-After) remains the
last word, and the worker waits it out without counting it as a failure.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

from chatbot.services.clock import Clock

Window = tuple[float, int]  # (seconds, most posts in them)
THREAD_WINDOWS: tuple[Window, ...] = ((1, 7), (2, 8), (30, 60), (3600, 1800))
TENANT_WINDOWS: tuple[Window, ...] = ((1, 50),)
FORGET_AFTER = 10_000  # conversations tracked before those with nothing in their windows are dropped


class _Windows:
    def __init__(self, windows: Sequence[Window]) -> None:
        self.windows = tuple(windows)
        self.longest = max(seconds for seconds, _ in self.windows)
        self.sent: deque[datetime] = deque()

    def wait(self, now: datetime) -> float:
        """Seconds until a post fits every window (0: now)."""
        while self.sent and (now - self.sent[0]).total_seconds() >= self.longest:
            self.sent.popleft()
        wait = 0.0
        for seconds, most in self.windows:
            inside = [t for t in self.sent if (now - t).total_seconds() < seconds]
            if len(inside) >= most:
                # The window frees a slot when the oldest post that keeps it full leaves it.
                oldest = inside[len(inside) - most]
                wait = max(wait, seconds - (now - oldest).total_seconds())
        return wait


class TeamsPacer:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._threads: dict[str, _Windows] = {}
        self._tenants: dict[str, _Windows] = {}
        self._quiet_until: dict[str, datetime] = {}

    def free_in(self, conversation: str, tenant: str | None) -> float:
        """Seconds until a post to `conversation` could go (0: now), taking nothing: a digest asks this first and
        lets the pings waiting there go before it (digest_delivery.py)."""
        now = self.clock()
        quiet = self._quiet_until.get(conversation)
        if quiet is not None and quiet > now:
            return (quiet - now).total_seconds()
        thread, tenant_windows = self._threads.get(conversation), self._tenants.get(tenant or "")
        return max(thread.wait(now) if thread else 0.0, tenant_windows.wait(now) if tenant_windows else 0.0)

    def take(self, conversation: str, tenant: str | None) -> float:
        """Take a slot for a post to `conversation` now and return 0, or return the seconds to wait (nothing taken)."""
        now = self.clock()
        quiet = self._quiet_until.get(conversation)
        if quiet is not None and quiet > now:
            return (quiet - now).total_seconds()
        self._quiet_until.pop(conversation, None)
        if len(self._threads) > FORGET_AFTER:
            self._forget_idle(now)
        thread = self._threads.setdefault(conversation, _Windows(THREAD_WINDOWS))
        tenant_windows = self._tenants.setdefault(tenant or "", _Windows(TENANT_WINDOWS))
        wait = max(thread.wait(now), tenant_windows.wait(now))
        if wait > 0:
            return wait
        thread.sent.append(now)
        tenant_windows.sent.append(now)
        return 0.0

    def _forget_idle(self, now: datetime) -> None:
        for windows in (self._threads, self._tenants):
            for key in [k for k, w in windows.items() if w.wait(now) == 0 and not w.sent]:
                del windows[key]

    def record(self, conversation: str, tenant: str | None) -> None:
        """A post made without asking (a card update after a click, which must not wait): it still fills windows."""
        now = self.clock()
        self._threads.setdefault(conversation, _Windows(THREAD_WINDOWS)).sent.append(now)
        self._tenants.setdefault(tenant or "", _Windows(TENANT_WINDOWS)).sent.append(now)

    def limited(self, conversation: str, retry_after: float) -> None:
        """Teams answered 429 for this conversation."""
        until = self.clock() + timedelta(seconds=retry_after)
        self._quiet_until[conversation] = max(until, self._quiet_until.get(conversation, until))
