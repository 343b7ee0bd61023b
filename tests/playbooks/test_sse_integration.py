"""sse-integration: the SSE integration support escalation procedure: ticket details, then severity by area and the
services plan (Client Services, or a technical consultant)."""

from __future__ import annotations

import pytest

from tests.playbooks.paths import all_paths
from tests.playbooks.walking import (
    TICKET_ID,
    Case,
    CaseBook,
    check_case,
    flat,
    form,
    link,
    playbook,
    walk,
)

E = "sse-integration"
CASES = CaseBook()
case = CASES
TICKET = form(ticket_id=TICKET_ID)
# "summarize the issue, including: What is happening; When it started; How many people are affected; Which articles
# were used and what steps were taken already; Error messages; Screenshots". How many are affected is each area's
# scope question.
DETAILS = form(
    what_happening="Nobody can sign in",
    started_when="Monday 8am",
    articles_and_steps="SSO setup article; re-uploaded the IdP metadata",
    error_messages="SAML response invalid",
    screenshots="Yes",
)
ESCALATE = (E, TICKET, DETAILS, "No, it needs escalation")
HIGH = {"kind": "escalated", "group": "sse-client-services", "priority": "high"}
IMMEDIATELY = ("high-priority issue", "Client Services", "addressed immediately", "whether or not your institution")

case(
    E,
    TICKET,
    DETAILS,
    "Yes, resolved by Support",
    ends_at="resolved-by-support",
    kind="resolved",
    reply=("Submit A Request", "all relevant technical staff", "how many people are affected", "screenshots"),
    note=("Nobody can sign in", "Monday 8am", "re-uploaded the IdP metadata"),
)
# "If no one on campus can log in / no new LMS data syncing ... and the LMS Integration Jobs are completing / no new
# SIS data importing: high priority ... addressed immediately for customers with or without a subscription services
# package."
for area, scope, end, said in (
    ("Login", "No one on campus can log in", "escalate-login-high", "no one on your campus can log in"),
    ("LMS integration", "No new LMS data syncing", "escalate-lms-high", "LMS Integration Jobs are completing"),
    ("SIS integration", "No new SIS data", "escalate-sis-high", "no new SIS data is importing into SSE"),
):
    case(
        *ESCALATE,
        area,
        scope,
        ends_at=end,
        **HIGH,
        reply=(said, *IMMEDIATELY),
        not_in_reply="credits",
        note=("Priority: HIGH", "Route: Client Services", "Errors: SAML response invalid", "Screenshots attached: Yes"),
        needs="ticket_id",
    )
# Issues for some people, courses or feeds: "resolved based on the wait time schedule for customers without
# subscription services packages. Institutions with services packages may have their work transitioned directly to a
# technical consultant." Without a plan: "referred to the Watermark Academy to engage with our Client Services team".
for area, scope in (
    ("Login", "Isolated to a few people"),
    ("LMS integration", "Other LMS issues"),
    ("SIS integration", "Only some data feeds"),
):
    case(
        *ESCALATE,
        area,
        scope,
        "Yes, it has a services package",
        form(credits_permission="Yes, credits may be used"),
        ends_at="escalate-technical-consultant",
        kind="escalated",
        group="sse-technical-consultants",
        priority="normal",
        reply=(
            "normal priority",
            "services package",
            "may be transitioned directly to one of our technical consultants",
        ),
        not_in_reply=("will be transitioned", "has been transitioned"),
        note=("Priority: normal", "Route: technical consultant", "Permission to use credits if further escalated: Yes"),
        needs=("ticket_id", "credits_permission"),
    )
    case(
        *ESCALATE,
        area,
        scope,
        "No services plan",
        ends_at="escalate-client-services-wait",
        kind="escalated",
        group="sse-client-services",
        priority="normal",
        reply=(
            "normal priority",
            "wait-time schedule",
            "Watermark Academy",
            "Client Services",
            link("watermark_academy"),
        ),
        not_in_reply=("credits", "technical consultant"),
        note=("Priority: normal", "Route: Client Services via the Watermark Academy", "wait-time schedule"),
        not_in_note="credits",
        needs="ticket_id",
    )


@pytest.mark.parametrize("c", CASES.params())
def test_procedure_case(c: Case) -> None:
    check_case(c)


def test_no_field_counts_people_apart_from_the_scope_answer() -> None:
    """How many are affected is answered once, by the area's scope question; a separate count could contradict it."""
    labels = [(f.id, f.label.lower()) for s in playbook(E).spec.steps for f in s.fields]
    assert [x for x in labels if "people" in x[0] or "people" in x[1] or "how many" in x[1]] == []
    w = walk(*ESCALATE, "Login", "Isolated to a few people", "No services plan")
    assert "Isolated to a few people" in [t.answer for t in w.view.trail]
    assert "affects only some people" in flat(w.outcome.reply)


def test_credits_are_asked_only_after_yes_it_has_a_services_package() -> None:
    services = playbook(E).steps["services-plan"]
    yes = [i for i, c in enumerate(services.choices) if c.label.startswith("Yes")]
    asking = {s.id for s in playbook(E).spec.steps if any(f.id == "credits_permission" for f in s.fields)}
    assert asking, "the credits question exists"
    for path in all_paths(E):
        steps = [step for step, _ in path.moves]
        for step in asking & set(steps):
            assert steps[steps.index(step) - 1] == "services-plan", path.id
            assert path.moves[steps.index(step) - 1][1] in yes, path.id
    w = walk(*ESCALATE, "Login", "Isolated to a few people", finish=False)
    assert "credits_permission" not in [f.id for f in w.view.fields]
    w.choose("Yes, it has a services package")
    assert [f.id for f in w.view.fields] == ["credits_permission"]


def test_optional_error_messages_may_stay_empty() -> None:
    w = walk(*ESCALATE[:2], {**DETAILS, "error_messages": ""}, *ESCALATE[3:], "SIS integration", "Only some data")
    w.choose("No services plan")
    assert "Errors:" not in w.outcome.note
