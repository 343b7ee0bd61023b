"""App CPU per interaction of each kind, measured in kind-homogeneous waves after the timed window.

In the timed window every agent does what its walk needs next, so at any moment clicks, commands, submits and
pings interleave and the app's CPU cannot be split by kind. Here the same agents and supervisors go on walking,
but each stops at the gate (``Gate.before``) with the kind of its next request. A coordinator picks one kind (the one
with the most agents waiting for it, or one that has waited three waves), reads the app's CPU, lets exactly those
agents go (up to all 50 at once: the app works under concurrency, as in the window), waits until each is back at
the gate (its request acked *and* its effect seen at the fake: message updated, modal opened, ping updated, ...)
and then until the app is idle (no CPU for two 25 ms samples, so work it does after the ack, the escalation
worker's included, belongs to the wave), and reads the CPU again. CPU per interaction of that kind = (CPU used -
idle baseline x wave duration) / requests in the wave, over all waves of the kind.

CPU is read from /proc/<pid>/task/*/schedstat (nanoseconds on the CPU, every thread of the server), not from the
10 ms ticks of /proc/<pid>/stat; PostgreSQL's CPU (every process named postgres) is reported beside it. Slack's
per-channel rate limit is lifted at the fake during the waves, so no ping sits out a Retry-After in a later wave.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

IDLE_SAMPLE = 0.025
IDLE_FRACTION = 0.1  # "idle": under 10% of a core for two samples in a row
WAVE_TIMEOUT = 15.0
STARVE_WAVES = 3


def thread_cpu_ns(pid: int) -> int:
    """CPU time of every live thread of `pid` (schedstat, ns); 0 once the process is gone."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
    return total


def named_cpu_ns(command: str) -> int:
    """CPU time (schedstat, ns) of every process called `command`, e.g. all of PostgreSQL's."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == command:
                total += int((proc / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError, IndexError):
            continue
    return total


@dataclass
class KindCpu:
    requests: int = 0
    waves: int = 0
    app_ns: float = 0.0
    pg_ns: float = 0.0
    seconds: float = 0.0

    @property
    def app_ms(self) -> float:
        return self.app_ns / 1e6 / self.requests if self.requests else float("nan")

    @property
    def pg_ms(self) -> float:
        return self.pg_ns / 1e6 / self.requests if self.requests else float("nan")


@dataclass
class Gate:
    """Where agents wait for their kind's wave. Open (a no-op) in the timed window."""

    waves: bool = False
    waiting: dict[str, list[tuple[str, asyncio.Future[None]]]] = field(default_factory=dict)
    idle: set[str] = field(default_factory=set)  # supervisors with nothing to do
    gone: set[str] = field(default_factory=set)
    released: set[str] = field(default_factory=set)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def before(self, who: str, kind: str) -> None:
        if not self.waves:
            return
        self.idle.discard(who)
        self.released.discard(who)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(kind, []).append((who, future))
        self._changed.set()
        await future

    def rest(self, who: str) -> None:
        """`who` has nothing to do until something changes (a supervisor without pings)."""
        if self.waves:
            self.idle.add(who)
            self.released.discard(who)
            self._changed.set()

    def leave(self, who: str) -> None:
        self.gone.add(who)
        self.released.discard(who)
        self._changed.set()

    def open_all(self) -> None:
        self.waves = False
        for entries in self.waiting.values():
            for _who, future in entries:
                if not future.done():
                    future.set_result(None)
        self.waiting.clear()

    def _settled(self, participants: int) -> bool:
        waiting = sum(len(entries) for entries in self.waiting.values())
        return not self.released and waiting + len(self.idle) + len(self.gone) >= participants

    async def until(self, condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))
            except TimeoutError:
                continue
        return True


async def app_idle(pid: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    quiet, last = 0, thread_cpu_ns(pid)
    while quiet < 2 and time.monotonic() < deadline:
        await asyncio.sleep(IDLE_SAMPLE)
        now = thread_cpu_ns(pid)
        quiet = quiet + 1 if now - last < IDLE_SAMPLE * IDLE_FRACTION * 1e9 else 0
        last = now


async def run_waves(gate: Gate, participants: int, pids: list[int], seconds: float, pg: bool) -> dict[str, KindCpu]:
    """Kind-homogeneous waves for `seconds`; the caller has started the participants' tasks with `gate.waves` on."""
    await asyncio.sleep(1.0)  # the idle baseline: what the app spends doing nothing (the worker's polling)
    b0, t0 = sum(thread_cpu_ns(pid) for pid in pids), time.monotonic()
    await asyncio.sleep(1.0)
    baseline = (sum(thread_cpu_ns(pid) for pid in pids) - b0) / (time.monotonic() - t0)
    results: dict[str, KindCpu] = {}
    starved: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await gate.until(lambda: gate._settled(participants), WAVE_TIMEOUT)
        await asyncio.sleep(0.05)  # supervisors see the pings the last wave caused, and join the gate
        ready = {kind: len(entries) for kind, entries in gate.waiting.items() if entries}
        if not ready:
            if len(gate.gone) >= participants:
                break
            await asyncio.sleep(0.1)
            continue
        hungry = [kind for kind in ready if starved[kind] >= STARVE_WAVES]
        kind = hungry[0] if hungry else max(ready, key=lambda k: ready[k])
        for other in ready:
            starved[other] = 0 if other == kind else starved[other] + 1
        batch = gate.waiting.pop(kind)
        app0, pg0, start = (
            sum(thread_cpu_ns(pid) for pid in pids),
            named_cpu_ns("postgres") if pg else 0,
            time.monotonic(),
        )
        gate.released.update(who for who, _future in batch)
        for _who, future in batch:
            if not future.done():
                future.set_result(None)
        await gate.until(lambda: not gate.released, WAVE_TIMEOUT)
        for pid in pids:
            await app_idle(pid)
        elapsed = time.monotonic() - start
        entry = results.setdefault(kind, KindCpu())
        entry.requests += len(batch)
        entry.waves += 1
        entry.seconds += elapsed
        entry.app_ns += sum(thread_cpu_ns(pid) for pid in pids) - app0 - baseline * elapsed
        entry.pg_ns += (named_cpu_ns("postgres") - pg0) if pg else 0.0
    gate.open_all()
    return results
