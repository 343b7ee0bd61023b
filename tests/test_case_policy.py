"""The case lifecycle as pure functions: open -> with Tier I -> escalated to Tier II -> returned to Tier I -> resolved
-> closed (and reopened), the changes each step makes, and the refusals. No database: the changes are applied here
the way CaseRepo.apply writes them (a field the change leaves None is not touched; `clear_resolution` clears)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.domain.case import Case, CaseStatus, Resolution
from chatbot.domain.case_policy import (
    OPEN_STATES,
    CaseChange,
    CaseRefused,
    close,
    escalated,
    record_work,
    reopen,
    resolve,
    returned,
    worked_at_tier1,
)
from chatbot.domain.errors import UserFacingError

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
NUMBER = "TS-2026-000123"
ENDED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


def case(status: CaseStatus = CaseStatus.OPEN, **overrides: object) -> Case:
    values: dict[str, object] = {
        "id": "c1",
        "number": NUMBER,
        "status": status,
        "priority": None,
        "ticket": "482913",
        "procedure": "ts",
        "owner_id": "U0AGENT1",
        "surface": "slack",
        "channel_id": "C0SUPPORT",
        "details": {},
        "version": 0,
        "opened_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Case(**values)  # type: ignore[arg-type]


def applied(c: Case, change: CaseChange, at: datetime) -> Case:
    """What CaseRepo.apply makes of the case."""
    values: dict[str, object] = {"status": change.status, "version": c.version + 1, "updated_at": at}
    for name in ("resolved_at", "closed_at", "close_due"):
        if getattr(change, name) is not None:
            values[name] = getattr(change, name)
    if change.clear_resolution:
        values.update(resolved_at=None, closed_at=None, close_due=None, resolution=None)
    return replace(c, **values)  # type: ignore[arg-type]


# --- the procedure, step by step --------------------------------------------------------------------------------


def test_a_case_walks_the_procedure_from_opened_to_closed_and_back():
    c = case()
    assert c.is_open

    change = worked_at_tier1(c)
    assert change == CaseChange(CaseStatus.TIER1, "case.tier1")
    c = applied(c, change, T0 + timedelta(minutes=1))

    change = escalated(c)
    assert change == CaseChange(CaseStatus.ESCALATED, "case.escalated")
    c = applied(c, change, T0 + timedelta(minutes=2))
    assert worked_at_tier1(c) is None  # Tier II has it: a Tier I run does not take it back

    change = returned(c)
    assert change == CaseChange(CaseStatus.RETURNED, "case.returned")
    c = applied(c, change, T0 + timedelta(minutes=3))

    change = worked_at_tier1(c)
    assert change == CaseChange(CaseStatus.TIER1, "case.tier1")
    c = applied(c, change, T0 + timedelta(minutes=4))

    c = applied(c, escalated(c), T0 + timedelta(minutes=5))
    assert c.status == CaseStatus.ESCALATED
    record_work(c)  # Tier II records work on an escalated case: allowed, changes nothing

    done = T0 + timedelta(minutes=6)
    change = resolve(c, done, close_after_days=0)
    assert change == CaseChange(CaseStatus.CLOSED, "case.resolved", resolved_at=done, closed_at=done)
    c = applied(c, change, done)
    assert (c.status, c.resolved_at, c.closed_at, c.close_due, c.is_open) == (
        CaseStatus.CLOSED,
        done,
        done,
        None,
        False,
    )
    assert c.version == 6

    change = reopen(c)
    assert change == CaseChange(CaseStatus.TIER1, "case.reopened", clear_resolution=True)
    c = applied(c, change, T0 + timedelta(minutes=7))
    assert (c.status, c.resolved_at, c.closed_at, c.close_due, c.is_open) == (CaseStatus.TIER1, None, None, None, True)


@pytest.mark.parametrize("status", [CaseStatus.TIER1, CaseStatus.ESCALATED, CaseStatus.RESOLVED, CaseStatus.CLOSED])
def test_a_tier1_run_moves_only_an_open_or_returned_case(status):
    assert worked_at_tier1(case(status)) is None


@pytest.mark.parametrize("status", [s for s in CaseStatus if s != CaseStatus.ESCALATED])
def test_only_an_escalated_case_is_returned_to_tier1(status):
    assert returned(case(status)) is None


@pytest.mark.parametrize("status", OPEN_STATES)
def test_any_open_case_can_be_escalated_and_worked(status):
    assert escalated(case(status)) == CaseChange(CaseStatus.ESCALATED, "case.escalated")
    assert record_work(case(status)) is None


# --- refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ENDED)
@pytest.mark.parametrize(
    ("what", "attempt"),
    [
        ("escalating", escalated),
        ("recording work", record_work),
        ("resolving", lambda c: resolve(c, T0, 0)),
        ("resolving", lambda c: resolve(c, T0, 3)),
    ],
)
def test_an_ended_case_refuses_work_until_it_is_reopened(status, what, attempt):
    with pytest.raises(CaseRefused) as refused:
        attempt(case(status))
    message = str(refused.value)
    assert NUMBER in message and status.value in message and what in message and "reopen" in message
    assert isinstance(refused.value, UserFacingError)  # the agent is told, nothing crashes


@pytest.mark.parametrize("status", OPEN_STATES)
def test_an_open_case_cannot_be_reopened(status):
    with pytest.raises(CaseRefused, match=f"Case {NUMBER} is still open"):
        reopen(case(status))


@pytest.mark.parametrize("status", ENDED)
def test_a_resolved_or_closed_case_reopens_with_tier1_and_forgets_its_resolution(status):
    ended = case(
        status,
        resolved_at=T0,
        closed_at=T0 if status == CaseStatus.CLOSED else None,
        close_due=T0 + timedelta(days=2),
        resolution=Resolution("found", "changed"),
    )
    c = applied(ended, reopen(ended), T0 + timedelta(hours=1))
    assert (c.status, c.resolved_at, c.closed_at, c.close_due, c.resolution) == (
        CaseStatus.TIER1,
        None,
        None,
        None,
        None,
    )


# --- resolving and closing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 2, 14])
def test_resolving_with_quiet_days_leaves_the_case_resolved_until_close_due(days):
    change = resolve(case(CaseStatus.ESCALATED), T0, close_after_days=days)
    assert change == CaseChange(
        CaseStatus.RESOLVED, "case.resolved", resolved_at=T0, close_due=T0 + timedelta(days=days)
    )
    c = applied(case(CaseStatus.ESCALATED), change, T0)
    assert not c.is_open and c.closed_at is None


def test_close_closes_a_resolved_case_and_keeps_when_it_was_resolved():
    c = applied(case(CaseStatus.TIER1), resolve(case(CaseStatus.TIER1), T0, 2), T0)
    later = T0 + timedelta(days=2, minutes=1)
    change = close(c, later)
    assert change == CaseChange(CaseStatus.CLOSED, "case.closed", resolved_at=T0, closed_at=later)
    c = applied(c, change, later)
    assert (c.status, c.resolved_at, c.closed_at) == (CaseStatus.CLOSED, T0, later)


@pytest.mark.parametrize("status", [s for s in CaseStatus if s != CaseStatus.RESOLVED])
def test_close_does_nothing_unless_the_case_is_resolved(status):
    assert close(case(status), T0 + timedelta(days=30)) is None


# --- any sequence of operations ---------------------------------------------------------------------------------

OPERATIONS = ("tier1", "escalate", "return", "work", "resolve", "close", "reopen")


def expected_refusal(operation: str, status: CaseStatus) -> bool:
    if operation in ("escalate", "work", "resolve"):
        return status not in OPEN_STATES
    if operation == "reopen":
        return status in OPEN_STATES
    return False  # tier1, return and close never refuse: they do nothing where they do not apply


def attempt(c: Case, operation: str, now: datetime, days: int) -> CaseChange | None:
    if operation == "tier1":
        return worked_at_tier1(c)
    if operation == "escalate":
        return escalated(c)
    if operation == "return":
        return returned(c)
    if operation == "work":
        record_work(c)
        return None
    if operation == "resolve":
        return resolve(c, now, days)
    if operation == "close":
        return close(c, now)
    assert operation == "reopen"
    return reopen(c)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(min_value=0, max_value=5)), max_size=40))
def test_any_sequence_of_operations_keeps_the_case_consistent(steps):
    c = case()
    now = T0
    for operation, days in steps:
        now += timedelta(hours=1)
        before = c
        try:
            change = attempt(c, operation, now, days)
        except CaseRefused:
            assert expected_refusal(operation, before.status), (operation, before.status)
            continue
        assert not expected_refusal(operation, before.status), (operation, before.status)
        if change is None:
            continue
        c = applied(c, change, now)

        assert c.status in set(CaseStatus)
        assert (c.closed_at is not None) == (c.status == CaseStatus.CLOSED)
        assert (c.resolved_at is not None) == (c.status in ENDED)
        assert c.is_open == (c.status in OPEN_STATES)
        if c.status == CaseStatus.RESOLVED:
            assert c.close_due is not None and c.close_due > c.resolved_at
        if c.status in OPEN_STATES:
            assert c.close_due is None
        if c.closed_at is not None:
            assert c.resolved_at is not None and c.resolved_at <= c.closed_at
        if operation == "resolve":
            assert c.status == (CaseStatus.CLOSED if days == 0 else CaseStatus.RESOLVED)
        if operation == "reopen":
            assert before.status in ENDED and c.status == CaseStatus.TIER1
        if operation == "close":
            assert before.status == CaseStatus.RESOLVED and c.status == CaseStatus.CLOSED
