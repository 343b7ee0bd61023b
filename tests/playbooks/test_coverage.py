"""Every outcome step of every shipped playbook has a procedure case of its own, and every case ends on an outcome."""

from __future__ import annotations

from chatbot.engine.schema import StepKind
from tests.playbooks import (
    test_clever_access,
    test_clever_login_triage,
    test_clever_tier2,
    test_clever_transfers,
    test_sse_integration,
    test_ts_case_intake,
)
from tests.playbooks.walking import SEEDS, playbook

BOOKS = (
    test_clever_access.CASES,
    test_clever_login_triage.CASES,
    test_clever_transfers.CASES,
    test_clever_tier2.CASES,
    test_sse_integration.CASES,
    test_ts_case_intake.CASES,
)


def test_every_outcome_has_a_procedure_case() -> None:
    covered = set().union(*(book.ends() for book in BOOKS))
    outcomes = {(pid, s.id) for pid in SEEDS for s in playbook(pid).spec.steps if s.kind == StepKind.OUTCOME}
    assert outcomes - covered == set(), "outcomes without a procedure case"
    assert covered - outcomes == set(), "cases pointing at steps that are not outcomes"


def test_every_escalating_case_states_its_routing() -> None:
    loose = [c.id for book in BOOKS for c in book.cases if c.kind in ("escalated", "ticket_share") and not c.group]
    assert loose == []
