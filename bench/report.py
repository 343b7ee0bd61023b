"""Figures for bench_slack: per-kind tables for each target, the side-by-side summary, the targets, the checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.pings import ChannelStats
from bench.recorder import AGENT_KINDS, DERIVED, KINDS, PING_FREE, KindWindow
from bench.waves import KindCpu

ACK_P99_TARGET_MS = 100.0
PING_P99_TARGET_S = 1.0


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
    bare: bool
    database: str | None  # the bare app's: None for the stateless one
    agents: int
    supervisors: int
    seconds: float
    kinds: dict[str, KindWindow]
    derived: dict[str, list[float]]  # name -> sorted seconds
    walks: int
    cpu: dict[str, float]  # process -> percent of one core during the window
    kind_cpu: dict[str, KindCpu] = field(default_factory=dict)
    channels: dict[str, ChannelStats] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def requests(self, kinds: Sequence[str] = KINDS) -> int:
        return sum(len(w.latencies) for k, w in self.kinds.items() if k in kinds)

    def rate(self, kinds: Sequence[str] = KINDS) -> float:
        return self.requests(kinds) / self.seconds if self.seconds > 0 else 0.0

    @property
    def walk_rate(self) -> float:
        return self.walks / self.seconds if self.seconds > 0 else 0.0

    @property
    def app_cpu_ms(self) -> float:
        """Milliseconds of app CPU per acked request in the window (all kinds mixed)."""
        rate = self.rate()
        return self.cpu.get("app", 0.0) * 10 / rate if rate > 0 else math.nan


def merge(rounds: Sequence[Result]) -> Result:
    """One result for a target measured in several rounds: pooled latencies, summed counts, CPU averaged over time."""
    first = rounds[0]
    seconds = sum(r.seconds for r in rounds)
    kinds: dict[str, KindWindow] = {}
    derived: dict[str, list[float]] = {}
    kind_cpu: dict[str, KindCpu] = {}
    channels: dict[str, ChannelStats] = {}
    for r in rounds:
        for kind, window in r.kinds.items():
            entry = kinds.setdefault(kind, KindWindow([], 0))
            entry.latencies.extend(window.latencies)
            entry.errors += window.errors
        for name, values in r.derived.items():
            derived.setdefault(name, []).extend(values)
        for kind, cpu in r.kind_cpu.items():
            total = kind_cpu.setdefault(kind, KindCpu())
            total.requests += cpu.requests
            total.waves += cpu.waves
            total.app_ns += cpu.app_ns
            total.pg_ns += cpu.pg_ns
            total.seconds += cpu.seconds
        for channel, stats in r.channels.items():
            c = channels.setdefault(channel, ChannelStats())
            c.pings += stats.pings
            c.queued += stats.queued
            c.http_429 += stats.http_429
            c.max_backlog = max(c.max_backlog, stats.max_backlog)
    for values in [*derived.values(), *(w.latencies for w in kinds.values())]:
        values.sort()
    merged = Result(
        label=first.label + (f" ({len(rounds)} rounds)" if len(rounds) > 1 else ""),
        bare=first.bare,
        database=first.database,
        agents=first.agents,
        supervisors=first.supervisors,
        seconds=seconds,
        kinds=kinds,
        derived=derived,
        walks=sum(r.walks for r in rounds),
        cpu={name: sum(r.cpu.get(name, 0.0) * r.seconds for r in rounds) / seconds for name in first.cpu},
        kind_cpu=kind_cpu,
        channels=channels,
    )
    for index, r in enumerate(rounds, 1):
        prefix = f"round {index}: " if len(rounds) > 1 else ""
        merged.checks.extend(Check(prefix + c.what, c.expected, c.got, c.at_most) for c in r.checks)
        merged.notes.extend(prefix + note for note in r.notes)
    return merged


def _ms(values: Sequence[float], fraction: float) -> str:
    value = percentile(values, fraction) * 1e3
    return f"{value:.1f}" if not math.isnan(value) else "-"


def _num(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


KIND_HEADER = (
    f"  {'kind':<32} {'count':>6} {'per s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}"
    f" {'cpu app ms':>10} {'pg ms':>6} {'(waves)':>8}"
)


def table(result: Result) -> str:
    lines = [f"{result.label}: {result.agents} agents, {result.supervisors} supervisors, {result.seconds:.0f} s"]
    lines.append(KIND_HEADER)
    for kind in KINDS:
        window = result.kinds.get(kind, KindWindow([], 0))
        cpu = result.kind_cpu.get(kind, KindCpu())
        if not window.latencies and not window.errors and not cpu.requests:
            continue
        n = window.latencies
        rate = len(n) / result.seconds if result.seconds else 0.0
        lines.append(
            f"  {kind:<32} {len(n):>6} {rate:>7.1f} {_ms(n, 0.5):>7} {_ms(n, 0.9):>7} {_ms(n, 0.99):>7}"
            f" {_ms(n, 1.0):>7} {window.errors:>6} {_num(cpu.app_ms):>10} {_num(cpu.pg_ms):>6}"
            f" {f'{cpu.requests}/{cpu.waves}' if cpu.requests else '':>8}"
        )
    agents = result.rate(AGENT_KINDS)
    whole = "whole walk (agents' requests)"
    lines.append(
        f"  {whole:<32} {result.requests(AGENT_KINDS):>6} {agents:>7.1f}"
        f"   ({result.walk_rate:.1f} walks/s; all requests {result.rate():.1f}/s, app {result.app_cpu_ms:.2f} ms each)"
    )
    lines.append(
        f"  {'after the ack':<32} {'count':>6} {'':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for name in DERIVED:
        values = result.derived.get(name, [])
        if values:
            lines.append(
                f"  {name:<32} {len(values):>6} {'':>7} {_ms(values, 0.5):>7} {_ms(values, 0.9):>7}"
                f" {_ms(values, 0.99):>7} {_ms(values, 1.0):>7}"
            )
    if any(stats.pings or stats.http_429 for stats in result.channels.values()):
        lines.append("  per-channel queue (Slack: 1 chat.postMessage/s per channel, burst 3):")
        for channel, stats in sorted(result.channels.items()):
            lines.append(
                f"    {channel}: {stats.pings} pings, {stats.queued} waited for the channel, "
                f"{stats.http_429} answered 429, longest queue {stats.max_backlog}"
            )
    shares = " ".join(f"{name} {value:.0f}%" for name, value in result.cpu.items())
    lines.append(f"  cpu in the window (percent of one core): {shares}")
    verdict = "all ok" if all(check.ok for check in result.checks) else "FAILED"
    lines.append(f"  sanity {verdict}:")
    lines.extend(f"    {check}" for check in result.checks)
    lines.extend(f"  {note}" for note in result.notes)
    return "\n".join(lines)


def summary(results: Sequence[Result]) -> str:
    """Kinds down, targets across: ack p99, rate and app CPU per request; then the issue's targets, as verdicts."""
    widths = [max(26, len(r.label)) for r in results]

    def row(name: str, cells: Sequence[tuple[str, str, str]]) -> str:
        return f"{name:<32}" + "".join(
            f" {a:>{w - 18}} {b:>7} {c:>9}" for w, (a, b, c) in zip(widths, cells, strict=True)
        )

    lines = [f"{'':<32}" + "".join(f" {r.label:>{w}}" for w, r in zip(widths, results, strict=True))]
    lines.append(row("kind", [("p99 ms", "per s", "cpu ms")] * len(results)))
    for kind in KINDS:
        if not any(kind in r.kinds or kind in r.kind_cpu for r in results):
            continue
        cells = []
        for r in results:
            n = r.kinds.get(kind, KindWindow([], 0)).latencies
            rate = len(n) / r.seconds if r.seconds else 0.0
            cells.append((_ms(n, 0.99), f"{rate:.1f}", _num(r.kind_cpu.get(kind, KindCpu()).app_ms)))
        lines.append(row(kind, cells))
    lines.append(row("whole walk, agents' requests/s", [("", f"{r.rate(AGENT_KINDS):.1f}", "") for r in results]))
    lines.append(row("whole walk, walks/s", [("", f"{r.walk_rate:.1f}", "") for r in results]))
    lines.append(
        row("ping p99 (channel free), ms", [(_ms(r.derived.get(PING_FREE, []), 0.99), "", "") for r in results])
    )
    lines.append("")
    lines.extend(targets(results))
    return "\n".join(lines)


def _max_p99(result: Result) -> float:
    return max((percentile(w.latencies, 0.99) * 1e3 for w in result.kinds.values() if w.latencies), default=math.nan)


def targets(results: Sequence[Result]) -> list[str]:
    """The issue's targets, checked against these figures (printed, not asserted)."""
    bare = next((r for r in results if r.bare and r.database is None), None)
    out = ["targets (at 50 agents on 2 cores; smoke runs say little):"]
    for r in results:
        if r.bare:
            continue
        slow = [
            k for k in KINDS if percentile(r.kinds.get(k, KindWindow([], 0)).latencies, 0.99) * 1e3 >= ACK_P99_TARGET_MS
        ]
        out.append(
            f"  {r.label}: ack p99 < {ACK_P99_TARGET_MS:.0f} ms for every kind: "
            + ("yes" if not slow else "NO: " + ", ".join(slow))
        )
        if bare is not None:
            ok = r.rate(AGENT_KINDS) >= bare.rate(AGENT_KINDS)
            out.append(
                f"  {r.label}: whole walk {r.rate(AGENT_KINDS):.0f}/s vs {bare.label} {bare.rate(AGENT_KINDS):.0f}/s: "
                + ("at least the bare app's" if ok else "BELOW the bare app's")
            )
        floor = next((b for b in results if b.bare and b.database is not None and b.database == r.database), None)
        if floor is not None:
            ok = r.rate(AGENT_KINDS) >= floor.rate(AGENT_KINDS)
            out.append(
                f"    (not a target) vs {floor.label}, committing each step before its ack: "
                f"{floor.rate(AGENT_KINDS):.0f}/s, its max kind p99 {_max_p99(floor):.0f} ms: "
                + ("at least the durable bare app's" if ok else "below the durable bare app's")
            )
        free = r.derived.get(PING_FREE, [])
        p99 = percentile(free, 0.99)
        verdict = "no pings" if not free else ("yes" if p99 < PING_P99_TARGET_S else "NO")
        out.append(
            f"  {r.label}: ping p99 < {PING_P99_TARGET_S:.0f} s (channel free): {verdict} ({_num(p99 * 1e3, 0)} ms)"
        )
    return out
