"""KeyedReads (storage/batch.py): the first read goes at once; reads asked for while it is out go together."""

from __future__ import annotations

import asyncio

import pytest

from chatbot.storage.batch import KeyedReads


async def settled() -> None:
    """Let the tasks started so far run as far as they can."""
    for _ in range(5):
        await asyncio.sleep(0)


class Table:
    """A fetch that records each call's keys and can be held until released."""

    def __init__(self, rows: dict[str, int]) -> None:
        self.rows = rows
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None

    async def fetch(self, keys: list[str]) -> dict[str, int]:
        self.calls.append(sorted(keys))
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return {k: self.rows[k] for k in keys if k in self.rows}


async def test_reads_asked_for_while_one_is_out_go_together_and_each_caller_gets_its_own() -> None:
    table = Table({"a": 1, "b": 2, "c": 3})
    reads = KeyedReads(table.fetch)
    table.release.clear()
    first = asyncio.create_task(reads.get("a"))
    await settled()
    assert table.calls == [["a"]]  # the first read did not wait for company
    later = [asyncio.create_task(reads.get(k)) for k in ("b", "c", "b", "missing")]
    await settled()
    assert table.calls == [["a"]]
    table.release.set()
    assert await first == 1
    assert [await t for t in later] == [2, 3, 2, None]
    assert table.calls == [["a"], ["b", "c", "missing"]]
    assert await reads.get("c") == 3  # idle again: at once, alone
    assert table.calls[-1] == ["c"]


async def test_a_failed_read_fails_its_callers_and_the_next_ones_are_read_again() -> None:
    table = Table({"a": 1, "b": 2})
    reads = KeyedReads(table.fetch)
    table.release.clear()
    table.fail = OSError("connection lost")
    first = asyncio.create_task(reads.get("a"))
    await settled()
    second = asyncio.create_task(reads.get("b"))
    await settled()
    table.release.set()
    with pytest.raises(OSError, match="connection lost"):
        await first
    with pytest.raises(OSError, match="connection lost"):
        await second
    table.fail = None
    assert await reads.get("b") == 2


async def test_a_caller_that_gives_up_leaves_the_others_their_answers() -> None:
    table = Table({"a": 1, "b": 2})
    reads = KeyedReads(table.fetch)
    table.release.clear()
    impatient = asyncio.create_task(reads.get("a"))
    patient = asyncio.create_task(reads.get("a"))
    await settled()
    impatient.cancel()
    table.release.set()
    assert await patient == 1
    with pytest.raises(asyncio.CancelledError):
        await impatient
