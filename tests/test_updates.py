"""Message updates go one at a time per message, and only the newest of those waiting is sent."""

from __future__ import annotations

import asyncio

from chatbot.adapters.slack.background import Background
from chatbot.adapters.slack.updates import MessageUpdates


class Slack:
    """Records what reaches each message, in order; `gate` holds every send until the test opens it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.gate = asyncio.Event()
        self.failing: set[str] = set()

    def update(self, ts: str, content: str):  # type: ignore[no-untyped-def]
        async def send() -> None:
            await self.gate.wait()
            if content in self.failing:
                raise RuntimeError(f"Slack refused {content}")
            self.sent.append((ts, content))

        return send


async def test_updates_waiting_behind_one_on_its_way_collapse_to_the_newest() -> None:
    background, slack = Background(), Slack()
    updates = MessageUpdates(background)
    for step in range(1, 6):
        updates.submit("C1", "100.1", slack.update("100.1", f"step {step}"), what="update")
    updates.submit("C1", "200.2", slack.update("200.2", "other message"), what="update")
    await asyncio.sleep(0)
    assert len(updates) == 2
    slack.gate.set()
    await background.drain()
    assert [c for ts, c in slack.sent if ts == "100.1"] == ["step 1", "step 5"]  # 2-4 were never sent
    assert ("200.2", "other message") in slack.sent
    assert len(updates) == 0


async def test_only_a_failure_nothing_newer_will_repair_is_reported() -> None:
    background, slack = Background(), Slack()
    updates = MessageUpdates(background)
    reported: list[str] = []

    async def report(ref: str) -> None:
        reported.append(ref)

    slack.failing = {"step 1", "step 3"}
    updates.submit("C1", "100.1", slack.update("100.1", "step 1"), what="update", on_failure=report)
    updates.submit("C1", "100.1", slack.update("100.1", "step 2"), what="update", on_failure=report)
    await asyncio.sleep(0)
    slack.gate.set()
    await background.drain()
    assert slack.sent == [("100.1", "step 2")] and reported == []  # step 1 failed, but step 2 showed the agent

    updates.submit("C1", "100.1", slack.update("100.1", "step 3"), what="update", on_failure=report)
    await background.drain()
    assert len(reported) == 1 and len(reported[0]) == 8  # the reference id the agent is shown
    updates.submit("C1", "100.1", slack.update("100.1", "step 4"), what="update")
    await background.drain()
    assert slack.sent[-1] == ("100.1", "step 4")  # a failure does not stop the message's later updates


async def test_an_update_knows_whether_a_newer_one_waits_behind_it() -> None:
    """So that only the last of them checks the message ended on the run's newest state (newest.py)."""
    background = Background()
    updates = MessageUpdates(background)
    gate = asyncio.Event()
    seen: list[tuple[str, bool]] = []

    def update(name: str):  # type: ignore[no-untyped-def]
        async def send() -> None:
            await gate.wait()
            seen.append((name, updates.newer_waiting("C1", "100.1")))

        return send

    updates.submit("C1", "100.1", update("first"), what="update")
    await asyncio.sleep(0)
    updates.submit("C1", "100.1", update("second"), what="update")
    assert not updates.newer_waiting("C1", "200.2")
    gate.set()
    await background.drain()
    assert seen == [("first", True), ("second", False)]
