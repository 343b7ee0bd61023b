"""The per-click save and read on SQLite, on the event loop's own thread, waiting for locks without blocking it.

A save is two statements on an in-process library with no fsync (WAL, synchronous=NORMAL): about 30 µs, less
than handing it to a thread costs. Handed to a thread it was much worse than that under load: the thread needs
the GIL back after every statement, and the event loop's thread holds it for up to the 5 ms switch interval each
time, so each save held SQLite's write lock for 5-20 ms and queued the others behind it: 20-40 ms a save at 50
agents, most of the ack latency, and a p99 twice the median.

Inline, nothing may wait on the thread, so the connection never lets SQLite wait (busy_timeout 0). When another
connection holds the write lock (SQLAlchemy's, writing an escalation; another process), SQLite says so at once,
and the work is tried again after an asyncio sleep, backing off as SQLite's own busy handler does, for as long
as any other connection would wait. Checkpoints stay SQLite's own (every ~1,000 log pages, run by the connection
that commits past that): about 5 ms of the loop's time on this machine's disk, four times a second at 1,000
clicks a second. A checkpoint on a thread of its own was tried: it cannot complete while writes go on, and
pausing the writes for it sent them through that thread, with the GIL waits above.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from chatbot.storage.db import SQLITE_BUSY_TIMEOUT_MS, SQLITE_SYNCHRONOUS

P = ParamSpec("P")
T = TypeVar("T")

_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
# SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms at a time.
_BACKOFF_MS = (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _BUSY_CODES


class InlineSqlite:
    """`await run(work, *args)` calls `work(connection, *args)` on the calling (event loop) thread.

    `work` is one whole transaction that leaves none open when it raises, so that when SQLite refuses it for a
    lock it can run again, whole, once the lock may be free.
    """

    def __init__(self, path: str, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._connection: sqlite3.Connection | None = None

    async def run(self, work: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        attempt = waited_ms = 0
        while True:
            try:
                return work(self._connect(), *args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or waited_ms >= self.busy_timeout_ms:
                    raise
            delay_ms = min(_BACKOFF_MS[min(attempt, len(_BACKOFF_MS) - 1)], self.busy_timeout_ms - waited_ms)
            await asyncio.sleep(delay_ms / 1000)
            waited_ms += delay_ms
            attempt += 1

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
            connection.execute("PRAGMA busy_timeout = 0")  # never wait inside SQLite: run() waits, asynchronously
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
