"""clever-login-triage: step 2a ("Clever Login Triage"), 2b, and the Clever Support contacts (Tier 2 only)."""

from __future__ import annotations

import pytest

from chatbot.domain.errors import InvalidFields
from tests.playbooks.walking import (
    ASSOCIATION,
    ASSOCIATION_NEEDS,
    CLEVER_ID_2,
    INSTANT,
    LOGIN,
    PORTAL,
    SF_SCHOOL,
    Case,
    CaseBook,
    check_case,
    link,
    playbook,
    ticket,
    walk,
)

T = "clever-login-triage"
CASES = CaseBook()
case = CASES
TRIAGE_ARTICLE = "https://support.clever.com/hc/en-us/articles/221231247"

case(
    T,
    ticket(),
    "Just needs to know how or where",
    LOGIN,
    ends_at="send-login-instructions",
    kind="resolved",
    reply=(PORTAL, INSTANT, link("clever_district_info"), "VHL Central / Vista Higher Learning icon"),
    note=("login triage article", PORTAL),
)
# "refer them to their district's support contact, Clever support, or to their teacher (if a student)". Clever's
# enterprise contacts are a "NOTE FOR Tier 2": in the note, never in the reply.
for start, extra in ((ticket("Teacher"), ()), (ticket("Student"), ("As your student's teacher",))):
    case(
        T,
        start,
        "The Clever login itself fails",
        ends_at="refer-clever-login",
        kind="referred",
        referred_to="district's Clever admin",
        reply=("district's Clever administrator or support contact", "Clever support", *extra),
        not_in_reply=("support.clever.com", "enterprise-support", "800.521.6516", "7am-4pm PT", "5am-4pm PT"),
        note=(TRIAGE_ARTICLE, "enterprise-support@clever.com", "800.521.6516", "2/1/2017", "do not give it out"),
    )
# 2b: "escalated to Tier 2 so it can be reported to Eric Mack via Jira (school and district names as well as
# Salesforce ids and Clever ids will be needed)".
case(
    T,
    ticket(),
    "Gets past Clever",
    ASSOCIATION,
    ends_at="escalate-association",
    kind="escalated",
    group="clever-tier2",
    follow_up="clever-tier2",
    priority="normal",
    reply=('"VHL does not recognize your school"', "our Tier 2 team"),
    reason="Eric Mack via Jira",
    note=("Lincoln High", SF_SCHOOL, CLEVER_ID_2, "Eric Mack via Jira"),
    checklist="Eric Mack via Jira",
    needs=ASSOCIATION_NEEDS,
)


@pytest.mark.parametrize("c", CASES.params())
def test_procedure_case(c: Case) -> None:
    check_case(c)


def test_the_triage_article_is_linked_for_the_agent() -> None:
    w = walk(T, ticket(), finish=False)
    assert w.where == (T, "review-triage")
    assert TRIAGE_ARTICLE in [x.url for x in w.view.links]


def test_login_triage_never_jumps_back() -> None:
    assert [s.jump for s in playbook(T).spec.steps if s.jump] == []


def test_clever_ids_are_checked_with_a_hint() -> None:
    w = walk(T, ticket(), "Gets past Clever")
    with pytest.raises(InvalidFields) as err:
        w.submit({**ASSOCIATION, "school_clever_id": "Lincoln"})
    assert err.value.errors == {"school_clever_id": "A Clever ID is 24 characters, digits and the letters a to f."}
