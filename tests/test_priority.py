"""What an ack waits for gets the next database connection before work after an ack; nothing is lost to a cancel."""

from __future__ import annotations

import asyncio

from chatbot.adapters.slack.background import Background
from chatbot.storage.priority import AFTER_ACK, PriorityGate, after_ack_context


async def _queue_behind_a_holder(gate: PriorityGate, arrivals: list[tuple[str, bool]]) -> list[str]:
    """One task holds the only place while `arrivals` (name, after the ack?) queue in that order; returns the order
    they were let in."""
    served: list[str] = []
    release = asyncio.Event()
    holding = asyncio.Event()

    async def hold() -> None:
        async with gate.admitted():
            holding.set()
            await release.wait()

    async def use(name: str) -> None:
        async with gate.admitted():
            served.append(name)
            await asyncio.sleep(0)

    holder = asyncio.create_task(hold())
    await holding.wait()
    tasks = []
    for name, later in arrivals:
        context = after_ack_context() if later else None
        tasks.append(asyncio.get_running_loop().create_task(use(name), context=context))
        await asyncio.sleep(0)  # queued in this order
    assert gate.waiting == (sum(not later for _, later in arrivals), sum(later for _, later in arrivals))
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *tasks), 5)
    return served


async def test_an_acks_work_goes_before_work_after_an_ack_each_in_order_of_arrival() -> None:
    gate = PriorityGate(1)
    arrivals = [("after 1", True), ("ack 1", False), ("after 2", True), ("ack 2", False), ("ack 3", False)]
    served = await _queue_behind_a_holder(gate, arrivals)
    assert served == ["ack 1", "ack 2", "ack 3", "after 1", "after 2"]
    assert gate.waiting == (0, 0)


async def test_work_after_an_ack_that_has_waited_long_enough_goes_before_ack_work() -> None:
    """Never starved: under a steady load of starts, a posted session's ts once waited for ever (and the app grew)."""
    now = [0.0]
    gate = PriorityGate(1, later_after=0.1, clock=lambda: now[0])
    served: list[str] = []
    await gate.acquire()  # held by this test

    async def use(name: str) -> None:
        async with gate.admitted():
            served.append(name)

    context = after_ack_context()
    loop = asyncio.get_running_loop()
    waiting = [loop.create_task(use("after 1"), context=context)]
    await asyncio.sleep(0)
    now[0] = 0.05
    waiting += [loop.create_task(use("after 2"), context=context)]
    waiting += [asyncio.create_task(use(f"ack {i}")) for i in (1, 2, 3)]
    await asyncio.sleep(0)
    assert gate.waiting == (3, 2)
    now[0] = 0.12  # "after 1" has waited 0.12 s, "after 2" 0.07 s
    gate.release()
    await asyncio.wait_for(asyncio.gather(*waiting), 5)
    assert served == ["after 1", "ack 1", "ack 2", "ack 3", "after 2"]
    assert gate.waiting == (0, 0)


async def test_with_nobody_waiting_after_ack_work_goes_straight_in_up_to_the_capacity() -> None:
    gate = PriorityGate(2)
    entered = asyncio.Event()
    inside = 0

    async def use() -> None:
        nonlocal inside
        async with gate.admitted():
            inside += 1
            if inside == 2:
                entered.set()
            await entered.wait()

    context = after_ack_context()
    tasks = [asyncio.get_running_loop().create_task(use(), context=context) for _ in range(2)]
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert inside == 2


async def test_a_waiter_cancelled_in_the_queue_or_as_it_is_let_in_costs_no_place() -> None:
    gate = PriorityGate(1)

    async def use() -> None:
        async with gate.admitted():
            pass

    holding = gate.admitted()
    await holding.__aenter__()  # this task holds the one place
    queued = asyncio.create_task(use())
    handed = asyncio.create_task(use())
    await asyncio.sleep(0)
    assert gate.waiting == (2, 0)
    queued.cancel()  # cancelled while waiting
    await asyncio.sleep(0)
    assert gate.waiting == (1, 0)
    await holding.__aexit__(None, None, None)  # the place goes to `handed`, which has not run yet...
    handed.cancel()  # ...and is cancelled before it does: it must pass the place on
    await asyncio.gather(queued, handed, return_exceptions=True)
    assert queued.cancelled() and handed.cancelled()
    # The one place is free again: a newcomer gets in at once.
    await asyncio.wait_for(use(), 1)
    assert gate.waiting == (0, 0)


async def test_work_the_slack_app_starts_after_the_ack_counts_as_after_the_ack() -> None:
    seen: list[bool] = []

    async def work() -> None:
        seen.append(AFTER_ACK.get())

    background = Background()
    background.spawn(work(), what="test")
    await background.drain(5)
    assert seen == [True]
    assert AFTER_ACK.get() is False  # the ack's own context is untouched
