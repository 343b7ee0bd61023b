"""`--memory-runs N`: start N runs through the server (signed `/triage <id>` commands, 50 in flight, as Slack
would send them from 50 channels) and print its resident memory (VmRSS of /proc/<pid>/status) before, every tenth
of the way, and after it has posted the session messages it owes and gone idle. The chatbot keeps recent sessions
in memory: RSS that keeps growing with the runs, rather than levelling off, is memory the app does not bound.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from bench import payloads
from bench.fake_process import FakeSlackProcess
from bench.waves import app_idle
from bench.wire import Wire

IN_FLIGHT = 50


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def _rss(pids: list[int]) -> str:
    return " + ".join(f"{rss_mb(pid):.0f}" for pid in pids) + " MB"


async def memory_runs(
    wire: Wire, fake: FakeSlackProcess, pids: list[int], runs: int, playbooks: list[str]
) -> tuple[list[str], Counter[str]]:
    """The report lines, and the requests not acked with 200 by reason."""
    lines = [f"memory: {runs} runs through `/triage <id>`, {IN_FLIGHT} in flight; RSS before: {_rss(pids)}"]
    posted_before = (await fake.stats()).get("chat.postMessage ok", 0)
    wire.skip_messages = True  # the fake need not stream 100,000 session messages to the load generator
    started = time.monotonic()
    sent = 0
    errors: Counter[str] = Counter()
    marks = {runs * k // 10 for k in range(1, 10)}

    async def one_channel(worker: int) -> None:
        nonlocal sent, errors
        user, channel = f"U0MEMORY{worker:03d}", f"C0MEMORY{worker:03d}"
        url = fake.response_url(f"m{worker}")
        while sent < runs:
            sent += 1
            if sent in marks:
                rate = sent / (time.monotonic() - started)
                lines.append(f"  after {sent} runs ({rate:.0f}/s): RSS {_rss(pids)}")
            body = payloads.command("/triage", playbooks[sent % len(playbooks)], user, channel, url)
            reply = await wire.post(body)
            if reply.error is not None:
                errors[reply.error] += 1

    try:
        await asyncio.gather(*(one_channel(i) for i in range(min(IN_FLIGHT, runs))))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the session messages the app still owes
            posted = (await fake.stats()).get("chat.postMessage ok", 0) - posted_before
            if posted >= runs - errors.total():
                break
            await asyncio.sleep(0.5)
        for pid in pids:
            await app_idle(pid)
    finally:
        wire.skip_messages = False
    elapsed = time.monotonic() - started
    lines.append(f"  after all {runs} runs ({runs / elapsed:.0f}/s, {errors.total()} not acked): RSS {_rss(pids)}")
    lines.extend(f"  not acked: {reason}: {n}" for reason, n in errors.most_common())
    return lines, errors
