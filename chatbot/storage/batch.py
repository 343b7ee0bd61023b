"""Reads of one row by key that arrive while such a read is under way go together, as one statement.

A session message's newest-wins check (adapters/slack/newest.py) reads its run's stamp after every update it
sends: one small read per click, after the ack. On PostgreSQL each read costs far more of the app's CPU than its
statement (a connection out of the pool and back, the task waking when the answer comes): leaving the check out
altogether took the app from 1.86 to 1.58 ms of CPU per request at 50 agents (bench_slack). Batched, the first read
goes at once, as before (no wait when the app is idle); those asked for while it is out go together when it comes
back, so under load one statement answers many checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedReads(Generic[K, V]):
    """`await get(key)`: the value `fetch` finds for the key (None if it finds none), `fetch` taking many keys."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[dict[K, V]]]) -> None:
        self._fetch = fetch
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._reading = False

    async def get(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if not self._reading:
            self._reading = True
            # The reads run in a task of their own, so that one caller's cancellation never fails the others';
            # it copies this caller's context (an after-ack read stays one, storage/priority.py).
            asyncio.get_running_loop().create_task(self._read())
        return await future

    async def _read(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    found = await self._fetch(list(batch))
                except Exception as exc:  # each caller is told, as a read of its own would have told it
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for key, futures in batch.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(found.get(key))
        finally:
            self._reading = False
            for futures in self._waiting.values():  # only if this task itself was cancelled (shutdown)
                for future in futures:
                    future.cancel()
            self._waiting.clear()
