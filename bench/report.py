"""Figures for bench_slack: percentiles, the results table, and the sanity checks under it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN for none)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Check:
    what: str
    expected: int
    got: int
    at_most: bool = False  # `got` may be below `expected`

    @property
    def ok(self) -> bool:
        return self.got <= self.expected if self.at_most else self.expected == self.got

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return f"{self.what}: {self.got} ({'at most' if self.at_most else 'expected'} {self.expected}) {verdict}"


@dataclass
class Result:
    label: str
    agents: int
    seconds: float
    latencies: list[float]  # seconds, of the clicks acked with 200 in the window, sorted
    applied: int  # acked clicks the app did not then report as stale or failed
    errors: int  # clicks not acked with 200, and acked clicks reported as stale or failed
    updates: int  # chat.update calls the fake answered ok in the window
    cpu: dict[str, float]  # process -> percent of one core during the window
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.applied / self.seconds if self.seconds > 0 else 0.0

    @property
    def app_cpu_ms(self) -> float:
        """Milliseconds of app CPU per applied interaction: the cost of a click, steadier than the rate, which
        also depends on what else got the cores."""
        return self.cpu.get("app", 0.0) * 10 / self.rate if self.rate > 0 else math.nan

    def ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1e3


def merge(rounds: Sequence[Result]) -> Result:
    """One result for a target measured in several rounds: pooled latencies, summed counts, CPU averaged over time."""
    first = rounds[0]
    seconds = sum(r.seconds for r in rounds)
    cpu = {name: sum(r.cpu.get(name, 0.0) * r.seconds for r in rounds) / seconds for name in first.cpu}
    merged = Result(
        label=first.label + (f" ({len(rounds)} rounds)" if len(rounds) > 1 else ""),
        agents=first.agents,
        seconds=seconds,
        latencies=sorted(latency for r in rounds for latency in r.latencies),
        applied=sum(r.applied for r in rounds),
        errors=sum(r.errors for r in rounds),
        updates=sum(r.updates for r in rounds),
        cpu=cpu,
    )
    for index, r in enumerate(rounds, 1):
        prefix = f"round {index}: " if len(rounds) > 1 else ""
        merged.checks.extend(Check(prefix + c.what, c.expected, c.got, c.at_most) for c in r.checks)
        merged.notes.extend(prefix + note for note in r.notes)
    return merged


HEADER = (
    f"{'target':<34} {'agents':>6} {'inter/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
    f"{'errors':>6} {'updates':>8} {'cpu app':>7} {'fake':>5} {'load':>5} {'pg':>5} {'app ms/i':>8}"
)


CPU_COLUMNS = (("app", 7), ("fake", 5), ("load", 5), ("postgres", 5))


def row(result: Result) -> str:
    cpu = result.cpu
    return (
        f"{result.label:<34} {result.agents:>6} {result.rate:>8.0f} {result.ms(0.50):>7.1f} {result.ms(0.90):>7.1f} "
        f"{result.ms(0.99):>7.1f} {result.ms(1.0):>7.1f} {result.errors:>6} {result.updates:>8}"
        + "".join(f"{cpu.get(name, 0):>{width}.0f}%" for name, width in CPU_COLUMNS)
        + f" {result.app_cpu_ms:>8.2f}"
    )


def table(results: Sequence[Result]) -> str:
    lines = [HEADER, *(row(r) for r in results)]
    lines.append("")
    lines.append("cpu: percent of one core during the window (2 cores = 200%): app = the server under test, fake = the")
    lines.append("fake Slack Web API, load = this load generator, pg = every PostgreSQL server process (its backends")
    lines.append("for the app, and anything else using that server). All of them share the machine's cores.")
    lines.append("app ms/i: milliseconds of the app's CPU per interaction (all its processes together).")
    for result in results:
        lines.append("")
        verdict = "all ok" if all(check.ok for check in result.checks) else "FAILED"
        lines.append(f"{result.label}: sanity {verdict}")
        lines.extend(f"  {check}" for check in result.checks)
        lines.extend(f"  {note}" for note in result.notes)
    return "\n".join(lines)
