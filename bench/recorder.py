"""What the agents saw: every click's finish time, latency and verdict, and the app's notices, windowed afterwards."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Window:
    latencies: list[float]  # seconds, of every click acked with 200 in the window
    http_errors: int  # clicks answered with another status, or not at all
    notices: dict[str, int]  # acked clicks the app then reported as stale or failed, by kind

    @property
    def errors(self) -> int:
        return self.http_errors + sum(self.notices.values())

    @property
    def applied(self) -> int:
        return len(self.latencies) - sum(self.notices.values())


@dataclass
class Recorder:
    """Every click's finish time, latency and verdict, and every notice; the window is chosen afterwards."""

    finished: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    notices: list[tuple[float, str]] = field(default_factory=list)
    acked_total: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def add(self, finished: float, latency: float, error: str | None) -> None:
        self.finished.append(finished)
        self.latency.append(latency)
        self.ok.append(error is None)
        if error is None:
            self.acked_total += 1
        else:
            self.error_kinds[error] = self.error_kinds.get(error, 0) + 1

    def notice(self, kind: str) -> None:
        self.notices.append((time.perf_counter(), kind))
        self.error_kinds[f"notice: {kind}"] = self.error_kinds.get(f"notice: {kind}", 0) + 1

    def notice_total(self, kind: str | None = None) -> int:
        return sum(1 for _at, k in self.notices if kind is None or k == kind)

    def window(self, start: float, end: float) -> Window:
        good, bad = [], 0
        for finished, latency, ok in zip(self.finished, self.latency, self.ok, strict=True):
            if start <= finished < end:
                if ok:
                    good.append(latency)
                else:
                    bad += 1
        notices: dict[str, int] = {}
        for at, kind in self.notices:
            if start <= at < end:
                notices[kind] = notices.get(kind, 0) + 1
        return Window(good, bad, notices)
