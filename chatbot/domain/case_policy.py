"""The case lifecycle, as pure functions: open -> with Tier I -> escalated to Tier II -> returned to Tier I ->
resolved -> closed (and reopened). Each returns the new status and the audit action, or refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chatbot.domain.case import Case, CaseStatus
from chatbot.domain.errors import UserFacingError

OPEN_STATES = (CaseStatus.OPEN, CaseStatus.TIER1, CaseStatus.ESCALATED, CaseStatus.RETURNED)


class CaseRefused(UserFacingError):
    """The case is not where this change could apply (closed already, say)."""


@dataclass(frozen=True)
class CaseChange:
    status: CaseStatus
    action: str  # the audit action: case.opened, case.escalated, ...
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    close_due: datetime | None = None
    clear_resolution: bool = False


def _needs_open(case: Case, what: str) -> None:
    if case.status not in OPEN_STATES:
        raise CaseRefused(f"Case {case.number} is {case.status.value}: {what} needs it open (reopen it first).")


def worked_at_tier1(case: Case) -> CaseChange | None:
    """A Tier I run works on the case: it is with Tier I (unless Tier II has it)."""
    if case.status in (CaseStatus.OPEN, CaseStatus.RETURNED):
        return CaseChange(CaseStatus.TIER1, "case.tier1")
    return None


def escalated(case: Case) -> CaseChange:
    _needs_open(case, "escalating")
    return CaseChange(CaseStatus.ESCALATED, "case.escalated")


def returned(case: Case) -> CaseChange | None:
    """Tier II returned an escalation: back with Tier I (if Tier II had it)."""
    return CaseChange(CaseStatus.RETURNED, "case.returned") if case.status == CaseStatus.ESCALATED else None


def record_work(case: Case) -> None:
    """Tier II work is recorded on an open case only."""
    _needs_open(case, "recording work")


def resolve(case: Case, now: datetime, close_after_days: int) -> CaseChange:
    """Resolved: the closure reply goes out; the case closes now, or after `close_after_days` quiet days."""
    _needs_open(case, "resolving")
    if close_after_days <= 0:
        return CaseChange(CaseStatus.CLOSED, "case.resolved", resolved_at=now, closed_at=now)
    return CaseChange(
        CaseStatus.RESOLVED, "case.resolved", resolved_at=now, close_due=now + timedelta(days=close_after_days)
    )


def close(case: Case, now: datetime) -> CaseChange | None:
    """The quiet days are over: a resolved case closes (one reopened meanwhile stays open, and one resolved again
    since waits for its own quiet days)."""
    if case.status != CaseStatus.RESOLVED or (case.close_due is not None and now < case.close_due):
        return None
    return CaseChange(CaseStatus.CLOSED, "case.closed", resolved_at=case.resolved_at, closed_at=now)


def reopen(case: Case) -> CaseChange:
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseRefused(f"Case {case.number} is still open.")
    return CaseChange(CaseStatus.TIER1, "case.reopened", clear_resolution=True)


# --- Changes made together with a run's own write (its start, an answer's save), without reading the case first:
# each applies only if the case is in one of the statuses given, so a case someone moved meanwhile is left alone.

TIER1_FROM = (CaseStatus.OPEN, CaseStatus.RETURNED)
RESOLVE_FROM = (CaseStatus.OPEN, CaseStatus.TIER1, CaseStatus.RETURNED)  # a case Tier II holds stays with Tier II
ESCALATE_FROM = tuple(CaseStatus)  # a case resolved a moment ago (then Back, and escalated after all) reopens


def run_started() -> CaseChange:
    return CaseChange(CaseStatus.TIER1, "case.tier1")


def run_resolved(now: datetime, close_after_days: int) -> CaseChange:
    """A run ended the contact (resolved, referred, a known limitation)."""
    if close_after_days <= 0:
        return CaseChange(CaseStatus.CLOSED, "case.resolved", resolved_at=now, closed_at=now)
    return CaseChange(
        CaseStatus.RESOLVED, "case.resolved", resolved_at=now, close_due=now + timedelta(days=close_after_days)
    )


def run_escalated() -> CaseChange:
    return CaseChange(CaseStatus.ESCALATED, "case.escalated", clear_resolution=True)
