"""First come, first served access to the engine's connection pool.

SQLAlchemy's async pool hands out connections through an `asyncio.Queue`, whose `get()` lets a newcomer take a
connection that was just returned ahead of the tasks already waiting for one; a waiter that loses that race goes
to the back of the line. Under load on PostgreSQL (50 agents, pool of 20) most clicks waited for nothing while a
few waited over 200 ms, which was most of the p99. A semaphore the size of the pool in front of it, fair since
Python 3.11, keeps the pool from ever having waiters, so the order is the order of arrival.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool


def pool_capacity(engine: AsyncEngine) -> int | None:
    """How many connections the pool keeps (create_engine makes fixed pools), or None when it does not limit them."""
    pool = engine.pool
    return pool.size() if isinstance(pool, QueuePool) else None


class FairPool:
    """`connect()`, `begin()`, `session()` and `session_begin()`: the engine's and session factory's own, admitted
    in order of arrival.

    With a `reader` engine (SQLite: its one writer connection is the engine's), `connect()` and `session()`, which
    only read, use the reader's connections: reads then never queue behind writes.
    """

    def __init__(self, engine: AsyncEngine, reader: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.reader = reader
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(reader or engine, expire_on_commit=False)
        capacity = pool_capacity(engine)
        self._gate = asyncio.Semaphore(capacity) if capacity else None
        read_capacity = pool_capacity(reader) if reader is not None else None
        self._read_gate = asyncio.Semaphore(read_capacity) if read_capacity else None

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self._gate is None:
            yield
            return
        async with self._gate:
            yield

    @asynccontextmanager
    async def admitted_reader(self) -> AsyncIterator[None]:
        if self.reader is None:
            async with self.admitted():
                yield
            return
        if self._read_gate is None:
            yield
            return
        async with self._read_gate:
            yield

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading."""
        async with self.admitted_reader(), (self.reader or self.engine).connect() as connection:
            yield connection

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self.admitted(), self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (writes go through `session_begin()`)."""
        async with self.admitted_reader(), self.read_sessions() as session:
            yield session

    @asynccontextmanager
    async def session_begin(self) -> AsyncIterator[AsyncSession]:
        async with self.admitted(), self.sessions.begin() as session:
            yield session
