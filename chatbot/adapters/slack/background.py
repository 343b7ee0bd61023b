"""Work that runs after `ack()`: Slack API calls that update what the user sees.

It is a UI nicety, not a durable queue: the state change it shows is already committed before the ack, so a
restart in between loses nothing but one message update (the next click refreshes the message).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from chatbot.storage.priority import after_ack_context

log = logging.getLogger(__name__)

OnFailure = Callable[[str], Awaitable[None]]


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, object], *, what: str, on_failure: OnFailure | None = None) -> None:
        # Its database work waits behind any on an ack's way (storage/priority.py).
        task = asyncio.get_running_loop().create_task(self.guard(work, what, on_failure), context=after_ack_context())
        self._tasks.add(task)  # keep a reference: the loop only holds weak ones
        task.add_done_callback(self._tasks.discard)

    async def guard(self, work: Awaitable[object], what: str, on_failure: OnFailure | None) -> None:
        """Await `work` (its result is not used); if it fails, log it with a reference id and hand that id to
        `on_failure`."""
        try:
            await work
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("%s failed (ref %s)", what, ref)
            if on_failure is not None:
                try:
                    await on_failure(ref)
                except Exception:
                    log.exception("telling the user about ref %s failed too", ref)

    async def drain(self, seconds: float = 10.0) -> None:
        """Let in-flight updates finish at shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)

    def __len__(self) -> int:
        return len(self._tasks)
