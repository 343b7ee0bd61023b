"""The fake Slack Web API in a process of its own, for bench_slack.

Run: .venv/bin/python -m bench.fake_slack_runner
Prints ``PORTS <web api port> <observer port>`` once both listen on 127.0.0.1 (the observer, bench/fake_observer.py,
streams what the load generator watches and answers response_urls). Then reads commands on stdin, one per line:
``stats`` answers ``STATS {"calls": {"chat.update ok": n, ...}, "in_flight": n}`` (counts since start);
``ratelimit on|off`` enforces (or not) Slack's one chat.postMessage per second per channel, burst 3;
``quit`` or end of input stops it. SIGTERM and SIGINT stop it too.

The fake records every request with its body; under load that is hundreds of MB a minute, so finished calls are
counted and then forgotten (every second and before each ``stats`` answer), as are old messages and views.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter

import uvloop

from bench.fake_observer import Observer
from tests.fakeslack import FakeSlack

TRIM_EVERY_SECONDS = 1.0


class CallCounter:
    def __init__(self, slack: FakeSlack, observer: Observer) -> None:
        self.slack = slack
        self.observer = observer
        self.counts: Counter[str] = Counter()

    def trim(self) -> None:
        """Count finished calls and drop them from the fake's records."""
        pending = []
        for call in self.slack.calls:
            if call.status is None:
                pending.append(call)
            else:
                self.counts[f"{call.method} {'ok' if call.ok else call.error or call.status}"] += 1
        self.slack.calls[:] = pending
        self.slack.responses.clear()
        self.observer.trim()

    def stats(self) -> str:
        self.trim()
        in_flight = sum(1 for call in self.slack.calls if call.status is None)
        return "STATS " + json.dumps({"calls": dict(self.counts), "in_flight": in_flight})


async def trim_forever(counter: CallCounter) -> None:
    while True:
        await asyncio.sleep(TRIM_EVERY_SECONDS)
        counter.trim()


async def read_commands(slack: FakeSlack, counter: CallCounter) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = line.decode().strip()
        if command == "quit":
            return
        if command == "stats":
            print(counter.stats(), flush=True)
        elif command == "ratelimit on":
            slack.rate_limit_post_message(per_second=1.0, burst=3)  # Slack's documented per-channel limit
            print("OK", flush=True)
        elif command == "ratelimit off":
            slack.clear_faults()
            print("OK", flush=True)
        elif command:
            print(f"ERROR unknown command {command!r}", flush=True)


async def main() -> None:
    async with FakeSlack() as slack:
        observer = Observer(slack)
        observer_port = await observer.start()
        counter = CallCounter(slack, observer)
        print(f"PORTS {slack.base_url.rsplit(':', 1)[1]} {observer_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        tasks = [asyncio.create_task(read_commands(slack, counter)), asyncio.create_task(stop.wait())]
        helper = asyncio.create_task(trim_forever(counter))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [*tasks, helper]:
                task.cancel()
            await asyncio.gather(*tasks, helper, return_exceptions=True)
            await observer.stop()


if __name__ == "__main__":
    # The fake shares the cores with the server under test: uvloop leaves it more of them (the bare bolt app keeps
    # aiohttp's defaults, as the reference it is).
    uvloop.run(main())
