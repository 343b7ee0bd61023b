"""From the database's counts to the neutral `Digest`: step ids become the playbooks' own labels, user ids the names
the configuration gives them. A handful of rows each; every count was made by the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chatbot.config import Config, DigestScope
from chatbot.domain.digest import (
    Bucket,
    CaseCounts,
    Count,
    Digest,
    Figure,
    LateEscalation,
    OpenEscalation,
    OutcomeCount,
    Period,
    Source,
)
from chatbot.engine.loader import Catalog
from chatbot.storage.digest_sql import Window
from chatbot.storage.digests import DigestRows, Split

KIND_ORDER = ("resolved", "referred", "known_limitation", "escalated", "ticket_share", "cancelled", "unknown")
KIND_LABELS = {
    "resolved": "Resolved",
    "referred": "Referred",
    "known_limitation": "Known limitation",
    "escalated": "Escalated",
    "ticket_share": "Ticket share",
    "cancelled": "Cancelled",
    "unknown": "Unknown",  # finished before outcomes were recorded
}
PRIORITY_ORDER = ("high", "normal", "low")
FORM = "form filled in"


def window(config: Config, scope: DigestScope, period: Period, boundaries: tuple[datetime, ...]) -> Window:
    """What the queries need: the period and the one before, the scope, the groups' high-priority timeouts."""
    timeouts = {gid: g.high_priority_ack_timeout_minutes * 60.0 for gid, g in config.groups.items()}
    return Window(
        previous=period.previous.start,
        start=period.start,
        end=period.end,
        playbooks=scope.playbooks,
        groups=scope.groups,
        priorities=scope.priorities,
        high_timeouts=timeouts,
        buckets=boundaries,
    )


def describe(scope: DigestScope, config: Config) -> str:
    parts = []
    if scope.playbooks:
        parts.append("playbooks " + ", ".join(scope.playbooks))
    if scope.groups:
        parts.append("groups " + ", ".join(config.groups[g].name for g in scope.groups))
    if scope.priorities:
        parts.append(" and ".join(scope.priorities) + " priority")
    return " · ".join(parts) if parts else "all playbooks, groups and priorities"


class Labels:
    def __init__(self, config: Config, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog

    def playbook(self, playbook_id: str) -> str:
        found = self.catalog.playbooks.get(playbook_id)
        return found.spec.title if found else playbook_id

    def step(self, playbook_id: str, step_id: str) -> str:
        found = self.catalog.playbooks.get(playbook_id)
        step = found.steps.get(step_id) if found else None
        if step is None:
            return step_id  # a step since removed from its playbook
        if step.outcome is not None:
            return step.outcome.summary
        return step.title or step.question or step_id

    def group(self, group_id: str) -> str:
        group = self.config.groups.get(group_id)
        return group.name if group else group_id

    def person(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        person = self.config.person_of(user_id)
        return self.config.people[person].name if person else user_id


def _figure(split: Split) -> Figure:
    return Figure(split.now, split.before)


def _runs(rows: DigestRows, labels: Labels) -> tuple[Figure, tuple[Count, ...], tuple[OutcomeCount, ...]]:
    kinds: dict[str, list[int]] = {}
    outcomes: list[OutcomeCount] = []
    for status, kind, playbook, step, now, before in rows.runs:
        key = "cancelled" if status == "cancelled" else kind or "unknown"
        counted = kinds.setdefault(key, [0, 0])
        counted[0] += now
        counted[1] += before
        if status == "finished" and kind and playbook and step and now:
            outcomes.append(
                OutcomeCount(
                    playbook, labels.playbook(playbook), step, labels.step(playbook, step), kind, Figure(now, before)
                )
            )
    ordered = sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER))
    by_kind = tuple(Count(k, KIND_LABELS.get(k, k), Figure(*kinds[k])) for k in ordered)
    ended = Figure(sum(c[0] for c in kinds.values()), sum(c[1] for c in kinds.values()))
    outcomes.sort(key=lambda o: (-(o.figure.now or 0), o.playbook, o.step))
    return ended, by_kind, tuple(outcomes[:8])


def build_digest(
    config: Config,
    catalog: Catalog,
    rows: DigestRows,
    *,
    title: str,
    scope: DigestScope,
    period: Period,
    labels: Sequence[str],
    boundaries: Sequence[datetime],
    computed_at: datetime,
    due_at: datetime | None = None,
    late: bool = False,
) -> Digest:
    names = Labels(config, catalog)
    runs_ended, by_kind, outcomes = _runs(rows, names)
    open_items = tuple(
        OpenEscalation(
            id=eid,
            summary=summary,
            group=names.group(group),
            priority=priority,
            status=status,
            handled_by=names.person(handler),
            raised_at=raised,
            age=period.end - raised,
        )
        for eid, summary, group, priority, status, handler, raised in rows.open_items
    )
    late_high = tuple(
        LateEscalation(
            id=eid,
            summary=summary,
            group=names.group(group),
            raised_at=raised,
            acknowledged_at=acked,
            waited=timedelta(seconds=float(waited)),
            timeout=timedelta(seconds=float(timeout)),
            handled_by=names.person(handler),
        )
        for eid, summary, group, raised, acked, handler, waited, timeout in rows.late_items
    )
    sources = tuple(
        Source(pb, names.playbook(pb), step, names.step(pb, step), answer or FORM, Figure(now, before))
        for pb, step, answer, now, before in rows.sources
    )
    volume = tuple(
        Bucket(label, boundaries[i], rows.runs_volume.get(i, 0), rows.escalations_volume.get(i, 0))
        for i, label in enumerate(labels)
    )
    cases = None
    if rows.cases is not None:
        order = {p: i for i, p in enumerate(PRIORITY_ORDER)}
        cases = tuple(
            CaseCounts(priority, _figure(opened), _figure(closed))
            for priority, opened, closed in sorted(rows.cases, key=lambda c: order.get(c[0], len(order)))
        )
    returned, resolved = rows.closed.get("returned", Split(0, 0)), rows.closed.get("resolved", Split(0, 0))
    return Digest(
        title=title,
        scope=describe(scope, config),
        period=period,
        computed_at=computed_at,
        raised=_figure(rows.raised),
        acknowledged=_figure(rows.acknowledged),
        still_open=_figure(rows.open_at_ends),
        ack_median=Figure(*rows.ack_median),
        ack_p90=Figure(*rows.ack_p90),
        reescalated=_figure(rows.reescalated),
        returned=_figure(returned),
        resolved=_figure(resolved),
        refused=_figure(rows.refused),
        late_high=late_high,
        late_high_count=_figure(rows.late_count),
        open_items=open_items,
        sources=sources,
        runs_ended=runs_ended,
        runs_by_outcome=by_kind,
        outcomes=outcomes,
        volume=volume,
        cases=cases,
        due_at=due_at,
        late=late,
    )
