"""The team leads' digest: what happened in a period, each figure beside the one for the period of the same length
just before. Plain data, computed once (services/digests.py) and rendered by each surface: Block Kit for Slack,
text and JSON for the terminal, so every view of one period shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `timezone` is where its days are counted (the chart's buckets, the labels)."""

    start: datetime
    end: datetime
    timezone: str = "UTC"

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous(self) -> Period:
        """The period of the same length just before: what every figure is compared with."""
        return Period(self.start - self.length, self.start, self.timezone)


@dataclass(frozen=True)
class Figure:
    """A figure for the period and for the one before; None where there is nothing to measure (no median of no
    acknowledgements, say)."""

    now: float | None
    before: float | None = None

    @property
    def change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return self.now - self.before


@dataclass(frozen=True)
class Count:
    """A labelled figure: runs that ended in one kind of outcome, cases of one priority, ..."""

    key: str
    label: str
    figure: Figure


@dataclass(frozen=True)
class CaseCounts:
    priority: str
    opened: Figure
    closed: Figure


@dataclass(frozen=True)
class OpenEscalation:
    """Still open when the period ended: how long it had waited and who has it (None: nobody took it yet)."""

    id: str
    summary: str
    group: str  # the group's display name
    priority: str
    status: str
    handled_by: str | None  # a person's name where the configuration knows them
    raised_at: datetime
    age: timedelta


@dataclass(frozen=True)
class LateEscalation:
    """High priority, not acknowledged within its group's timeout: named first in the digest."""

    id: str
    summary: str
    group: str
    raised_at: datetime
    acknowledged_at: datetime | None  # None: nobody had acknowledged it when the period ended
    waited: timedelta  # until acknowledged, or until the period's end
    timeout: timedelta
    handled_by: str | None


@dataclass(frozen=True)
class Source:
    """An answer that led straight to escalations: the step, its label, the answer given ("form" for a form)."""

    playbook: str
    playbook_title: str
    step: str
    step_label: str
    answer: str
    figure: Figure


@dataclass(frozen=True)
class OutcomeCount:
    """An outcome runs reached: a frequent one may be where a help article is missing."""

    playbook: str
    playbook_title: str
    step: str
    label: str
    kind: str
    figure: Figure


@dataclass(frozen=True)
class Bucket:
    """One bar of the volume chart: a day (or a week, for long periods) in the digest's time zone."""

    label: str
    start: datetime
    runs: int
    escalations: int


@dataclass(frozen=True)
class Digest:
    title: str
    scope: str  # in words, e.g. "all playbooks, groups and priorities"
    period: Period
    computed_at: datetime
    # Escalations: raised (created), acknowledged (first member press) and closed in the period; still open at its end
    raised: Figure
    acknowledged: Figure
    still_open: Figure
    ack_median: Figure  # seconds from raised to acknowledged, over those acknowledged in the period
    ack_p90: Figure
    reescalated: Figure  # of those raised in the period, how many went on to a next tier
    returned: Figure  # returned to Tier 1 in the period
    resolved: Figure
    refused: Figure  # pings and reminders Slack refused for good in the period
    late_high: tuple[LateEscalation, ...]
    late_high_count: Figure
    open_items: tuple[OpenEscalation, ...]  # the oldest first
    sources: tuple[Source, ...]
    # Runs: ended in the period, by outcome kind ("cancelled" and "unknown" included)
    runs_ended: Figure
    runs_by_outcome: tuple[Count, ...]
    outcomes: tuple[OutcomeCount, ...]
    volume: tuple[Bucket, ...]
    cases: tuple[CaseCounts, ...] | None = None  # None: this database has no cases yet
    due_at: datetime | None = None  # when a scheduled digest fell due
    late: bool = False  # it fell due while nothing was running, and is posted now

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: timestamps in ISO 8601 (UTC), durations in seconds."""
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Figure):
        return {"now": value.now, "before": value.before, "change": value.change}
    if isinstance(value, Period):
        return {"start": value.start.isoformat(), "end": value.end.isoformat(), "timezone": value.timezone}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
