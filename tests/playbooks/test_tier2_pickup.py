"""Tier 2 picks up where Tier 1 stopped: the playbook an escalation names (`follow_up`) is started with what Tier 1
collected in `preset`, as the app does from the ping, and does not ask again for what Tier 1 gave: the ticket form
is passed, and forms are skipped (`skip_when_known`) or shown pre-filled (`view.fields[i].value`)."""

from __future__ import annotations

import pytest

from tests.playbooks import test_clever_access, test_clever_login_triage, test_clever_tier2, test_clever_transfers
from tests.playbooks.walking import (
    ASSOCIATION,
    CLEVER_ID_2,
    CLEVER_ID_3,
    SF_DISTRICT,
    SF_SCHOOL,
    TICKET_ID,
    Case,
    Move,
    Walk,
    form,
    outcome_spec,
    walk,
)

S = "clever-tier2"
TIER1 = [
    c
    for book in (test_clever_access.CASES, test_clever_login_triage.CASES, test_clever_transfers.CASES)
    for c in book.cases
    if c.follow_up is not None
]


def picked_up(tier1: Walk) -> Walk:
    """Tier 2 starts the escalation's follow-up playbook with Tier 1's answers (its case number included)."""
    spec = outcome_spec(tier1.state.current, tier1.state.step)
    assert spec.follow_up is not None
    return Walk.start(spec.follow_up, tier1.state.fields)


def shown(w: Walk) -> dict[str, str | None]:
    return {f.id: f.value for f in w.view.fields}


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in TIER1])
def test_tier2_does_not_ask_the_ticket_again(c: Case) -> None:
    tier1 = walk(c.playbook, *c.path, preset=c.preset)
    w = picked_up(tier1)
    assert w.where == (S, "what-was-escalated"), "the ticket form is passed: Tier 1 gave the ticket and requester"
    assert w.state.fields["ticket_id"] == TICKET_ID
    assert w.state.fields["case_number"] == tier1.state.fields["case_number"]


def test_a_rostering_escalation_goes_straight_to_the_clever_section_check() -> None:
    w = walk(*test_clever_access.ROSTER_ESCALATION)
    w = picked_up(w)
    w.choose("Rostering")
    assert w.where == (S, "rostering-check"), "Tier 1's rostering details are not asked again"
    w.choose("Yes, in Clever but not in VHL")
    values = {fact.label: fact.value for fact in w.outcome.needs}
    assert values["Clever section"] == "Period 3" and values["Zendesk ticket number"] == TICKET_ID


def test_an_association_escalation_pre_fills_what_tier1_collected() -> None:
    w = picked_up(walk(*test_clever_access.ASSOCIATION_ESCALATION))
    w.choose("Another Clever escalation")
    w.choose("Yes, approved")
    assert w.where == (S, "dashboard-details")
    values = shown(w)
    tier1 = {k: ASSOCIATION[k] for k in ("school_name", "district_name", "school_clever_id", "district_clever_id")}
    assert {k: values[k] for k in tier1} == tier1
    assert values["affected"] is None, "Tier 1 never asked who is affected"
    w.submit({"affected": "Teacher"})
    w.choose("I am a TS supervisor")
    w.choose("Yes, they appear")
    w.choose("Yes, it is accurate")
    w.follow_instructions()
    assert shown(w) == {
        "school_salesforce_id": SF_SCHOOL,
        "district_salesforce_id": SF_DISTRICT,
        "association_change": None,
    }
    w.submit({"association_change": "Add Lincoln High to Springfield USD"})
    assert w.outcome.group == "school-district-associations"


def test_a_district_status_escalation_pre_fills_the_school_and_district() -> None:
    w = picked_up(walk(*test_clever_access.DISTRICT_STATUS_ESCALATION))
    w.choose("Another Clever escalation")
    w.choose("Yes, approved")
    values = shown(w)
    assert (values["school_name"], values["district_name"]) == ("Lincoln High", "Springfield USD")


def test_the_supervisor_picking_up_the_dashboard_check_is_not_asked_the_details_again() -> None:
    tier2 = walk(*test_clever_tier2.LIVE, test_clever_tier2.DASHBOARD, "Escalate to a TS supervisor")
    w = picked_up(tier2)
    w.choose("Another Clever escalation")
    w.choose("Yes, approved")
    assert w.where == (S, "who-checks-dashboard"), "the dashboard details are known: that form is passed"
    w.choose("I am a TS supervisor")
    w.choose("No, the school is not listed")
    assert "Lincoln High is not listed" in " ".join(w.outcome.reply.split())


# What Tier 1 gave, which Tier 2's dashboard form must not ask again under another name: both sides use the same
# field ids (7a's student, and a transfer's new school, which is "the school" from then on).
@pytest.mark.parametrize(
    ("tier1", "tier2_field", "given"),
    [
        pytest.param(test_clever_access.SSO_ESCALATION, "student_user_id", CLEVER_ID_3, id="7a-student-id"),
        pytest.param(test_clever_transfers.TRANSFER_ESCALATION, "school_name", "Lincoln High", id="transfer-school"),
        pytest.param(
            test_clever_transfers.TRANSFER_ESCALATION, "school_clever_id", CLEVER_ID_2, id="transfer-school-clever-id"
        ),
    ],
)
def test_the_dashboard_form_pre_fills_what_tier1_gave(tier1: tuple[Move, ...], tier2_field: str, given: str) -> None:
    w = picked_up(walk(*tier1))
    w.choose("Another Clever escalation")
    w.choose("Yes, approved")
    assert w.where == (S, "dashboard-details")
    assert shown(w)[tier2_field] == given, f"Tier 1 gave {given!r}; Tier 2 is asked for {tier2_field} again"


def test_a_form_with_new_fields_is_still_asked_with_the_known_ones_filled() -> None:
    w = Walk.start(S, {"ticket_id": TICKET_ID, "requester": "Teacher", "student_user_ids": CLEVER_ID_3})
    w.choose("Rostering")
    assert w.where == (S, "rostering-details")
    assert shown(w)["student_user_ids"] == CLEVER_ID_3 and shown(w)["clever_section"] is None
    w.submit(form(teacher_user_id="T-1", vhl_course_code="SPAN1", clever_section="Period 3"))
    assert w.where == (S, "rostering-check")
