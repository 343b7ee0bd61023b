"""The digest's queries, as SQLAlchemy Core statements: every figure is an aggregate the database computes (GROUP BY,
conditional sums, window functions), over an index range of its period, so a week of a busy team reads a few
thousand index entries and returns a handful of rows.

Each figure covers the period and the one of the same length before it in one pass: the WHERE takes both
([previous, end)) and a CASE splits them. Percentiles use ROW_NUMBER over the sorted durations (SQLite has no
percentile function): the nearest rank, ceil(p * n).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnClause

from chatbot.storage.tables import UTCDateTime, escalation_sources, escalations, jobs, runs

E, R, S, J = escalations.c, runs.c, escalation_sources.c, jobs.c
OPEN_STATUSES = ("open", "acknowledged", "claimed")


@dataclass(frozen=True)
class Window:
    """What one digest asks: its period ([start, end)), the one before ([previous, start)), its scope, and what the
    figures need from the configuration (the groups' high-priority timeouts, the chart's bucket boundaries)."""

    previous: datetime
    start: datetime
    end: datetime
    playbooks: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    high_timeouts: Mapping[str, float] = field(default_factory=dict)  # seconds, per group
    default_timeout: float = 300.0
    buckets: tuple[datetime, ...] = ()  # boundaries: bucket i is [buckets[i], buckets[i + 1])
    top: int = 3  # answers shown per playbook
    top_outcomes: int = 8
    open_shown: int = 5
    late_shown: int = 10


def seconds(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """`later - earlier` in seconds. SQLite keeps UTC timestamps as text, which julianday() reads."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def at(value: datetime) -> ColumnElement[datetime]:
    return literal(value, UTCDateTime())


def split(column: Any, w: Window) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """How many rows fall in the period, and how many in the one before (the WHERE keeps [previous, end))."""
    return (
        func.coalesce(func.sum(case((column >= w.start, 1), else_=0)), 0),
        func.coalesce(func.sum(case((column < w.start, 1), else_=0)), 0),
    )


def within(column: Any, w: Window) -> ColumnElement[bool]:
    return and_(column >= w.previous, column < w.end)


def escalation_scope(w: Window) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if w.groups:
        where.append(E.group_id.in_(w.groups))
    if w.priorities:
        where.append(E.priority.in_(w.priorities))
    if w.playbooks:  # the playbook the escalating run started with; one raised by hand has none
        where.append(select(R.id).where(R.id == E.run_id, R.playbook_id.in_(w.playbooks)).exists())
    return where


def run_scope(w: Window) -> list[ColumnElement[bool]]:
    return [R.playbook_id.in_(w.playbooks)] if w.playbooks else []


def runs_ended(w: Window) -> Select[Any]:
    """Runs that ended (finished or cancelled), by how: the kinds and the outcomes reached most in one grouping."""
    now, before = split(R.finished_at, w)
    return (
        select(R.status, R.outcome_kind, R.outcome_playbook, R.outcome_step, now.label("now"), before.label("before"))
        .where(within(R.finished_at, w), *run_scope(w))
        .group_by(R.status, R.outcome_kind, R.outcome_playbook, R.outcome_step)
    )


def raised(w: Window) -> Select[Any]:
    """Escalations raised, and how many of them went on to a next tier."""
    now, before = split(E.created_at, w)
    re_now = func.coalesce(func.sum(case((and_(E.created_at >= w.start, E.reescalations > 0), 1), else_=0)), 0)
    re_before = func.coalesce(func.sum(case((and_(E.created_at < w.start, E.reescalations > 0), 1), else_=0)), 0)
    return select(now, before, re_now, re_before).where(within(E.created_at, w), *escalation_scope(w))


def acknowledgements(w: Window, dialect: str) -> Select[Any]:
    """The median and 90th percentile of the time to acknowledge, and how many, for both periods: the rows at the
    nearest ranks ceil(n/2) and ceil(9n/10) of each period's sorted durations."""
    durations = (
        select(
            case((E.acknowledged_at >= w.start, 1), else_=0).label("is_now"),
            seconds(dialect, E.acknowledged_at, E.created_at).label("secs"),
        )
        .where(within(E.acknowledged_at, w), *escalation_scope(w))
        .subquery()
    )
    ranked = select(
        durations.c.is_now,
        durations.c.secs,
        func.row_number().over(partition_by=durations.c.is_now, order_by=durations.c.secs).label("rn"),
        func.count().over(partition_by=durations.c.is_now).label("n"),
    ).subquery()
    n = ranked.c.n
    return select(ranked.c.is_now, ranked.c.rn, n, ranked.c.secs).where(
        or_(ranked.c.rn == (n * 50 + 99) // 100, ranked.c.rn == (n * 90 + 99) // 100)
    )


def closed(w: Window) -> Select[Any]:
    """Escalations that left Tier 2 in the period: returned to Tier 1, or resolved."""
    now, before = split(E.closed_at, w)
    return select(E.status, now, before).where(within(E.closed_at, w), *escalation_scope(w)).group_by(E.status)


def open_at_ends(w: Window) -> Select[Any]:
    """How many were open when the period ended, and when the one before ended: raised before that moment and not
    closed by it. Only rows still open or closed since the earlier moment can count, which the index finds."""

    def open_at(moment: datetime) -> ColumnElement[Any]:
        was_open = and_(E.created_at < moment, or_(E.closed_at.is_(None), E.closed_at >= moment))
        return func.coalesce(func.sum(case((was_open, 1), else_=0)), 0)

    return select(open_at(w.end), open_at(w.start)).where(
        or_(E.closed_at.is_(None), E.closed_at >= w.start), *escalation_scope(w)
    )


def open_items(w: Window) -> Select[Any]:
    """The oldest still open when the period ended."""
    return (
        select(E.id, E.summary, E.group_id, E.priority, E.status, E.handled_by, E.created_at)
        .where(
            or_(E.closed_at.is_(None), E.closed_at >= w.end),
            E.created_at < w.end,
            *escalation_scope(w),
        )
        .order_by(E.created_at, E.id)
        .limit(w.open_shown)
    )


def _late_high(w: Window, dialect: str) -> tuple[ColumnElement[Any], ColumnElement[Any], list[ColumnElement[bool]]]:
    timeout: ColumnElement[Any] = literal(w.default_timeout)
    if w.high_timeouts:
        timeout = case(
            *((E.group_id == gid, literal(secs)) for gid, secs in w.high_timeouts.items()), else_=w.default_timeout
        )
    waited = seconds(dialect, func.coalesce(E.acknowledged_at, at(w.end)), E.created_at)
    where = [E.priority == "high", within(E.created_at, w), waited > timeout, *escalation_scope(w)]
    return waited, timeout, where


def late_high_counts(w: Window, dialect: str) -> Select[Any]:
    """High priority raised in each period and not acknowledged within the group's timeout."""
    _waited, _timeout, where = _late_high(w, dialect)
    now, before = split(E.created_at, w)
    return select(now, before).where(*where)


def late_high_items(w: Window, dialect: str) -> Select[Any]:
    waited, timeout, where = _late_high(w, dialect)
    return (
        select(
            E.id,
            E.summary,
            E.group_id,
            E.created_at,
            E.acknowledged_at,
            E.handled_by,
            waited.label("waited"),
            timeout.label("timeout"),
        )
        .where(*where, E.created_at >= w.start)
        .order_by(E.created_at, E.id)
        .limit(w.late_shown)
    )


def refused(w: Window) -> Select[Any]:
    """Pings and reminders Slack refused for good (the job failed), in each period."""
    now, before = split(J.done_at, w)
    return (
        select(now, before)
        .select_from(jobs.join(escalations, E.id == J.escalation_id))
        .where(J.status == "failed", J.kind.in_(("ping", "remind")), within(J.done_at, w), *escalation_scope(w))
    )


def sources(w: Window) -> Select[Any]:
    """Per playbook, the answers that led straight to escalations most often (position 0: the last answer)."""
    now, before = split(E.created_at, w)
    grouped = (
        select(
            S.playbook,
            S.step,
            S.answer,
            now.label("now"),
            before.label("before"),
            func.row_number().over(partition_by=S.playbook, order_by=(now.desc(), S.step, S.answer)).label("rank"),
        )
        .select_from(escalation_sources.join(escalations, E.id == S.escalation_id))
        .where(S.position == 0, within(E.created_at, w), *escalation_scope(w))
        .group_by(S.playbook, S.step, S.answer)
        .subquery()
    )
    g = grouped.c
    return (
        select(g.playbook, g.step, g.answer, g.now, g.before)
        .where(g.rank <= w.top, g.now > 0)
        .order_by(g.now.desc(), g.playbook, g.step, g.answer)
    )


def bucket_of(column: Any, boundaries: Sequence[datetime]) -> ColumnElement[Any]:
    """Which bucket a timestamp falls in (0, 1, ...): a CASE over the boundaries, which Python computed in the
    digest's time zone, so days follow its midnights across a DST change."""
    return case(*((column < at(b), i) for i, b in enumerate(boundaries[1:])), else_=len(boundaries) - 1)


def volume(column: ColumnClause[Any], table: Any, where: list[ColumnElement[bool]], w: Window) -> Select[Any]:
    bucket = bucket_of(column, w.buckets).label("bucket")
    return (
        select(bucket, func.count())
        .select_from(table)
        .where(column >= w.buckets[0], column < w.buckets[-1], *where)
        .group_by(bucket)
    )


def runs_volume(w: Window) -> Select[Any]:
    return volume(R.finished_at, runs, run_scope(w), w)


def escalations_volume(w: Window) -> Select[Any]:
    return volume(E.created_at, escalations, escalation_scope(w), w)
