"""Sampling profile of the server under test with py-spy (``.venv/bin/pip install py-spy``; not a dependency).

py-spy attaches to the server's pid for the measured window (non-blocking, so the server is not paused) and writes
collapsed stacks; ``summarize`` turns them into the top costs by leaf function, by inclusive function, and by area.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bench.procs import Child, Children

RATE = 250
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Areas, first match wins: where a sample's innermost frame from this list lives.
AREAS: list[tuple[str, str]] = [
    ("jinja2 / rendering", "jinja2/"),
    ("chatbot rendering", "chatbot/rendering/"),
    ("chatbot engine", "chatbot/engine/"),
    ("chatbot Block Kit", "chatbot/adapters/slack/blocks"),
    ("chatbot domain (state JSON)", "chatbot/domain/"),
    ("prometheus_client", "prometheus_client/"),
    ("slack_sdk (Web API client, models)", "slack_sdk/"),
    ("slack_bolt (dispatch, middleware)", "slack_bolt/"),
    ("sqlalchemy", "sqlalchemy/"),
    ("aiosqlite", "aiosqlite/"),
    ("asyncpg", "asyncpg/"),
    ("sqlite3", "sqlite3/"),
    ("aiohttp (client and server)", "aiohttp/"),
    ("json", "json/"),
    ("asyncio event loop", "asyncio/"),
]


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for part in stack.split(";"):
        match = _FRAME.match(part)
        if match:
            frames.append((match["function"], match["file"]))
    return frames


def _area(frames: list[tuple[str, str]]) -> str:
    for _function, file in reversed(frames):  # innermost first
        for name, marker in AREAS:
            if marker in file:
                return name
    return "other"


def summarize(lines: Iterable[str], top: int = 15) -> list[str]:
    """Top leaf functions, top inclusive functions (below the event loop) and areas, as % of busy samples."""
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        thread, _, rest = stack.partition(";")
        frames = _frames(rest)
        if not frames:
            continue
        total += count
        threads[thread] += count
        function, file = frames[-1]
        leaf[f"{function} ({file})"] += count
        for name in {f"{function} ({file})" for function, file in frames}:
            inclusive[name] += count
        areas[_area(frames)] += count
    if not total:
        return ["profile: no samples"]

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f}%"

    out = [f"profile: {total} busy samples at {RATE}/s (idle time excluded), by thread:"]
    out += [f"  {pct(n)}  {name}" for name, n in threads.most_common(4)]
    out.append("by area (innermost frame of a listed package):")
    out += [f"  {pct(n)}  {name}" for name, n in areas.most_common()]
    out.append(f"top {top} functions by own time:")
    out += [f"  {pct(n)}  {name}" for name, n in leaf.most_common(top)]
    out.append(f"top {2 * top} functions by inclusive time (below 90%):")
    below = [(name, n) for name, n in inclusive.most_common() if n < 0.9 * total]
    out += [f"  {pct(n)}  {name}" for name, n in below[: 2 * top]]
    return out


class Profiler:
    def __init__(self, pid: int, output: Path) -> None:
        self.pid = pid
        self.output = output
        self.child: Child | None = None

    async def start(self, children: Children, seconds: float) -> None:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
        argv = [exe, "record", "--pid", str(self.pid), "--duration", str(max(1, round(seconds)))]
        argv += ["--rate", str(RATE), "--format", "raw", "--nonblocking", "--threads", "--output", str(self.output)]
        self.child = await children.start(f"py-spy {self.pid}", argv)

    async def finish(self) -> list[str]:
        if self.child is None:
            return []
        try:
            await asyncio.wait_for(self.child.process.wait(), 30)
        except TimeoutError:
            await self.child.stop()
        if not self.output.exists():
            return [f"profile: py-spy wrote nothing: {self.child.stderr_tail()}"]
        return [f"raw profile: {self.output}", *summarize(self.output.read_text().splitlines())]
