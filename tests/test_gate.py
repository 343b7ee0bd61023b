"""Connections are handed out in order of arrival, even to a task that arrives just as one is given back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from chatbot.storage import create_engine
from chatbot.storage.gate import FairPool, pool_capacity

Connect = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


async def _served_in_order_of_arrival(connect: Connect) -> tuple[list[str], list[str]]:
    """One task holds the only connection while five queue for it; then it lets go while newcomers keep asking,
    one every turn of the loop. Returns the order they asked in and the order they were served in."""
    asked: list[str] = []
    served: list[str] = []
    release = asyncio.Event()
    holding = asyncio.Event()

    async def use(name: str, hold: asyncio.Event | None = None) -> None:
        asked.append(name)
        async with connect() as connection:
            await connection.execute(text("SELECT 1"))
            served.append(name)
            if hold is not None:
                holding.set()
                await hold.wait()

    tasks = [asyncio.create_task(use("first", release))]
    await asyncio.wait_for(holding.wait(), 10)
    tasks += [asyncio.create_task(use(f"waiter {i}")) for i in range(5)]
    await asyncio.sleep(0.1)  # all five are queued by now
    release.set()
    for i in range(40):
        tasks.append(asyncio.create_task(use(f"newcomer {i}")))
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    return asked, served


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[FairPool]:
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    try:
        yield FairPool(engine)
    finally:
        await engine.dispose()


async def test_first_come_first_served(pool: FairPool) -> None:
    assert pool_capacity(pool.engine) == 1
    asked, served = await _served_in_order_of_arrival(pool.connect)
    assert asked[:6] == ["first", *(f"waiter {i}" for i in range(5))]
    assert served == asked
