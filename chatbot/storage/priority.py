"""Who gets the next database connection when they are all busy: what an ack waits for goes before work after it.

Measured on PostgreSQL at 50 agents: three in five statements ran after the ack (a session message's newest-wins
check, storing a posted message's ts), and every click's save queued behind them for a connection, 45 ms at the
median. Work after the ack marks itself (`after_ack_context`, set where the surfaces start their background tasks;
a task inherits it from the task that started it), and the gate lets it in before ack work once it has waited
`LATER_AFTER` seconds. Not never: under a steady load of starts (bench_slack --memory-runs, 50 in flight) there
always was ack work waiting, so storing each posted session's ts waited for ever and the waiting tasks grew the app
by 12 kB a run (1.3 GB after 100,000 runs on PostgreSQL); a fixed share (one place in five) halved that, since
such work was a third of the statements. A bound on the wait holds whatever the mix: when work after the ack
backs up, acks slow down, which slows whoever sends them. Within each class the order is the order of arrival
(a fair semaphore, as gate.py explains).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

AFTER_ACK: contextvars.ContextVar[bool] = contextvars.ContextVar("after_ack", default=False)


def after_ack_context() -> contextvars.Context:
    """A copy of the current context in which database work counts as after the ack (for `create_task(context=)`)."""
    context = contextvars.copy_context()
    context.run(AFTER_ACK.set, True)
    return context


LATER_AFTER = 0.1  # seconds work after an ack waits at most before it goes ahead of ack work


class PriorityGate:
    """A semaphore of `capacity` whose waiters on an ack's way are admitted before those after an ack, unless one
    of those has waited `later_after` seconds (so work after an ack is never starved)."""

    def __init__(
        self, capacity: int, *, later_after: float = LATER_AFTER, clock: Callable[[], float] | None = None
    ) -> None:
        self._free = capacity
        self._first: deque[asyncio.Future[None]] = deque()  # on an ack's way
        self._later: deque[asyncio.Future[None]] = deque()  # after an ack
        self._since: dict[asyncio.Future[None], float] = {}  # when each waiter after an ack began to wait
        self._later_after = later_after
        self._clock = clock or time.monotonic

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    async def acquire(self) -> None:
        """Wait for a place, in this task's class (AFTER_ACK); `release()` gives it back."""
        await self._acquire(later=AFTER_ACK.get())

    async def _acquire(self, *, later: bool) -> None:
        if self._free > 0 and not self._first and not self._later:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._later if later else self._first
        queue.append(waiter)
        if later:
            self._since[waiter] = self._clock()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a place just as it was cancelled: pass it on
            elif waiter in queue:  # a release may have dropped it already
                queue.remove(waiter)
            raise
        finally:
            self._since.pop(waiter, None)

    def release(self) -> None:
        overdue = bool(self._later) and self._clock() - self._since.get(self._later[0], 0.0) >= self._later_after
        for queue in (self._later, self._first) if overdue else (self._first, self._later):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the place goes straight to the waiter: `_free` stays as it is
                    return
        self._free += 1

    @property
    def waiting(self) -> tuple[int, int]:
        """(on an ack's way, after an ack) waiting for a place."""
        return len(self._first), len(self._later)
