"""Who gets the next database connection when they are all busy: what an ack waits for goes before work after it.

Measured on PostgreSQL at 50 agents: three in five statements ran after the ack (a session message's newest-wins
check, storing a posted message's ts), and every click's save queued behind them for a connection, 45 ms at the
median. Work after the ack marks itself (`after_ack_context`, set where the surfaces start their background tasks;
a task inherits it from the task that started it), and the gate lets it in only when nothing on an ack's way is
waiting. Within each class the order is the order of arrival (a fair semaphore, as gate.py explains).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

AFTER_ACK: contextvars.ContextVar[bool] = contextvars.ContextVar("after_ack", default=False)


def after_ack_context() -> contextvars.Context:
    """A copy of the current context in which database work counts as after the ack (for `create_task(context=)`)."""
    context = contextvars.copy_context()
    context.run(AFTER_ACK.set, True)
    return context


class PriorityGate:
    """A semaphore of `capacity` whose waiters on an ack's way are admitted before those after an ack."""

    def __init__(self, capacity: int) -> None:
        self._free = capacity
        self._first: deque[asyncio.Future[None]] = deque()  # on an ack's way
        self._later: deque[asyncio.Future[None]] = deque()  # after an ack

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
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a place just as it was cancelled: pass it on
            elif waiter in queue:  # a release may have dropped it already
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._first, self._later):
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
