"""The fake Slack Web API in a process of its own, for bench_slack.

Run: .venv/bin/python -m bench.fake_slack_runner
Prints ``PORT <n>`` once it listens on 127.0.0.1. Then reads commands on stdin, one per line:
``stats`` answers ``STATS {"calls": {"chat.update ok": n, ...}, "in_flight": n}`` (counts since start);
``quit`` or end of input stops it. SIGTERM and SIGINT stop it too.
Every post to a response_url (the app's notice of a stale or failed click) is printed at once, within
``NOTICE_EVERY_SECONDS``, as ``NOTICE <response_url name> stale|other``, so the agent it was for can resync.

The fake records every request with its body; under load that is hundreds of MB a minute, so finished calls are
counted and then forgotten (every second and before each ``stats`` answer).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter

import uvloop

from tests.fakeslack import FakeSlack

TRIM_EVERY_SECONDS = 1.0
NOTICE_EVERY_SECONDS = 0.02
STALE_PREFIX = "Someone (maybe you"  # chatbot/adapters/slack/listeners/actions.py STALE


class CallCounter:
    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.counts: Counter[str] = Counter()

    def trim(self) -> None:
        """Count finished calls and drop them (and the response_url posts) from the fake's records."""
        pending = []
        for call in self.slack.calls:
            if call.status is None:
                pending.append(call)
            else:
                self.counts[f"{call.method} {'ok' if call.ok else call.error or call.status}"] += 1
        self.slack.calls[:] = pending

    def stats(self) -> str:
        self.trim()
        in_flight = sum(1 for call in self.slack.calls if call.status is None)
        return "STATS " + json.dumps({"calls": dict(self.counts), "in_flight": in_flight})

    def notices(self) -> list[str]:
        lines = []
        for post in self.slack.responses:
            kind = "stale" if str(post.body.get("text", "")).startswith(STALE_PREFIX) else "other"
            lines.append(f"NOTICE {post.name} {kind}")
        self.slack.responses.clear()
        return lines


async def trim_forever(counter: CallCounter) -> None:
    while True:
        await asyncio.sleep(TRIM_EVERY_SECONDS)
        counter.trim()


async def report_notices(counter: CallCounter) -> None:
    while True:
        await asyncio.sleep(NOTICE_EVERY_SECONDS)
        lines = counter.notices()
        if lines:
            print("\n".join(lines), flush=True)


async def read_commands(counter: CallCounter) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = line.decode().strip()
        if command == "quit":
            return
        if command == "stats":
            print(counter.stats(), flush=True)
        elif command:
            print(f"ERROR unknown command {command!r}", flush=True)


async def main() -> None:
    async with FakeSlack() as slack:
        counter = CallCounter(slack)
        print(f"PORT {slack.base_url.rsplit(':', 1)[1]}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        tasks = [asyncio.create_task(read_commands(counter)), asyncio.create_task(stop.wait())]
        helpers = [asyncio.create_task(trim_forever(counter)), asyncio.create_task(report_notices(counter))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [*tasks, *helpers]:
                task.cancel()
            await asyncio.gather(*tasks, *helpers, return_exceptions=True)


if __name__ == "__main__":
    # The fake shares the cores with the server under test: uvloop leaves it more of them (the bare bolt app keeps
    # aiohttp's defaults, as the reference it is).
    uvloop.run(main())
