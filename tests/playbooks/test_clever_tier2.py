"""clever-tier2: "Tier 2 Escalations" steps 1 to 3, the Clever ticket sharing note, and Tier 2's part of step 7b."""

from __future__ import annotations

import pytest

from tests.playbooks.walking import (
    ASSOCIATION_NEEDS,
    CLEVER_ID,
    CLEVER_ID_2,
    CLEVER_ID_3,
    SF_DISTRICT,
    SF_SCHOOL,
    TICKET_ID,
    Case,
    CaseBook,
    check_case,
    config,
    form,
    outcome_spec,
    ticket,
    walk,
)

S = "clever-tier2"
CASES = CaseBook()
case = CASES
DASHBOARD = form(
    affected="Student",
    student_user_id="5f0c0ffee",
    school_name="Lincoln High",
    district_name="Springfield USD",
    school_clever_id=CLEVER_ID,
    district_clever_id=CLEVER_ID_2,
)
LIVE = (S, ticket(), "Another Clever escalation", "Yes, approved")
CHECKED = (*LIVE, DASHBOARD, "I am a TS supervisor")
ROSTERING = (S, ticket(), "Rostering", form(student_user_ids=CLEVER_ID_3, clever_section="Period 3"))
SUPERVISORS = ("Herbert Mena", "Edison Gomez", "Julian Mantilla", "Tina Desprez")

# Step 1, No: "Not approved; refer to VHL Sales (MLS) for status of the request. Not launched or live; refer to
# district's Clever admin."
case(
    S,
    ticket(),
    "Another Clever escalation",
    "No, not approved",
    ends_at="refer-sales",
    kind="referred",
    referred_to="VHL Sales (MLS)",
    reply=("not been approved", "VHL sales representative (MLS) can tell you the status of the request"),
)
case(
    S,
    ticket(),
    "Another Clever escalation",
    "Approved, but not launched",
    ends_at="refer-clever-admin-launch",
    kind="referred",
    referred_to="district's Clever admin",
    reply="contact your district's Clever administrator",
)
# Step 2 "requires escalation to Herbert Mena, Edison Gomez; Julian Mantilla ...; Tina Desprez": the TS Supervisor
# group, who run this playbook again from the ping (follow_up).
case(
    *LIVE,
    DASHBOARD,
    "Escalate to a TS supervisor",
    ends_at="escalate-dashboard-check",
    kind="escalated",
    group="ts-supervisors",
    follow_up="clever-tier2",
    priority="normal",
    reply="checking your district's information in Clever",
    not_in_reply=("We checked",),
    note=(*SUPERVISORS, "affected: Student.", "Student user ID: 5f0c0ffee", "Lincoln High", CLEVER_ID, CLEVER_ID_2),
    checklist=("Clever's dashboard district info", "Clever_Ticket Sharing Process", "I am a TS supervisor"),
    needs=("ticket_id", *DASHBOARD),
)
# Step 2, No: "Advise user to contact their district's Clever admin/support contact for assistance in getting added
# to Clever. If the high school is not listed ..., the admin will need to add the school and notify VHL ... so that
# VHL can update the district association to include this school."
case(
    *CHECKED,
    "No, the teacher or student",
    ends_at="refer-user-not-in-clever",
    kind="referred",
    referred_to="district's Clever admin",
    reply=(
        "not included in your district's data",
        "Clever administrator or support contact",
        "getting added to Clever",
        "SIS/portal (through Clever)",
        "begin the account creation process",
    ),
)
case(
    *CHECKED,
    "No, the school is not listed",
    ends_at="refer-school-not-in-clever",
    kind="referred",
    referred_to="district's Clever admin",
    reply=(
        "Lincoln High is not listed",
        "add the school in Clever and notify VHL",
        "update your district's association to include the school",
        "begin the account creation process",
    ),
    checklist="update the district association",
)
# NOTE: "If issue requires resolution from Clever, TS Supervisor group ... may refer to the 'Clever_Ticket Sharing
# Process' attachment." Sharing is the supervisors' to-do (checklist); the reply cannot say it is done.
case(
    *CHECKED,
    "The issue requires resolution from Clever",
    form(clever_issue="Section sync stuck in Clever"),
    ends_at="share-with-clever",
    kind="ticket_share",
    group="ts-supervisors",
    partner="Clever",
    priority="normal",
    reply="Clever's support team",
    not_in_reply=("we have shared", "we shared"),
    note=("Section sync stuck in Clever", "Clever_Ticket Sharing Process"),
    checklist=(
        "Clever_Ticket Sharing Process",
        "application partner resources",
        "enterprise-support@clever.com",
        "support.clever.com",
        "7am-4pm PT",
        "5am-4pm PT",
        "800.521.6516",
    ),
    needs=("ticket_id", "school_clever_id", "district_clever_id", "clever_issue"),
)
# Step 3, Yes: "Escalate to Tech Dev or Eric Mack (for updating of school and district associations) via JIRA issue."
case(
    *CHECKED,
    "Yes, they appear",
    "Yes, it is accurate",
    form(school_salesforce_id=SF_SCHOOL, district_salesforce_id=SF_DISTRICT, association_change="Add Lincoln High"),
    ends_at="escalate-association",
    kind="escalated",
    group="school-district-associations",
    priority="normal",
    reason="Jira",
    reply="asked our development team to update the link between your school and your district",
    note=("Tech Dev", "Eric Mack via Jira", "Add Lincoln High", SF_SCHOOL, SF_DISTRICT),
    checklist="Jira issue",
    needs=(*ASSOCIATION_NEEDS, "association_change"),
)
# Step 3, No: "(If necessary, escalate to Herbert Mena to mark as a returned Tier 1 escalation and review with agent.)"
# Herbert Mena alone, by name; the TS Supervisor group only as the fallback.
case(
    *CHECKED,
    "Yes, they appear",
    "No, return it",
    form(inaccuracies="Wrong district"),
    ends_at="escalate-returned",
    kind="escalated",
    group="ts-supervisors",
    person="herbert-mena",
    priority="normal",
    reason="returned Tier 1 escalation and review with agent",
    note=("Herbert Mena", "returned Tier 1 escalation", "Wrong district"),
    not_in_note=("Edison Gomez", "Julian Mantilla", "Tina Desprez"),
    checklist=("Herbert Mena", "Tier 1 agent"),
    needs=("ticket_id", "inaccuracies"),
)
# Step 7b, Tier 2: "Check the list of students in the teacher's linked section in the Clever dashboard. If the
# student(s) are listed in the Clever section, but not in the VHL section ..., escalate to supervisor."
case(
    *ROSTERING,
    "Yes, in Clever but not in VHL",
    ends_at="escalate-rostering-supervisor",
    kind="escalated",
    group="ts-supervisors",
    priority="normal",
    reason="escalates to a supervisor",
    reply="our supervisors are looking into the sync",
    note=("Period 3", "step 7b"),
    needs=("ticket_id", "student_user_ids", "teacher_user_id", "vhl_course_code", "clever_section"),
)
case(
    *ROSTERING,
    "No, they are not in the Clever section",
    ends_at="refer-rostering-clever-section",
    kind="referred",
    referred_to="district's Clever admin",
    reply=("not in the teacher's section in Clever", "add them to the section", "up to 24 hours"),
    note="Period 3",
)


@pytest.mark.parametrize("c", CASES.params())
def test_procedure_case(c: Case) -> None:
    check_case(c)


def test_a_returned_escalation_names_the_tier1_agent() -> None:
    """The issue: "A returned Tier 1 escalation goes to Herbert Mena alone ... with the agent named". Tier 2 knows the
    agent from the hand-over (`tier1_agent` in preset); the ping's note and details must name them."""
    w = walk(
        *CHECKED,
        "Yes, they appear",
        "No, return it",
        form(inaccuracies="Wrong district"),
        preset={"tier1_agent": "Sam Agent"},
    )
    out = w.outcome
    assert "Sam Agent" in out.note, out.note
    assert "Sam Agent" in [fact.value for fact in out.needs]


def test_herbert_mena_is_asked_first_and_the_supervisor_group_is_the_fallback() -> None:
    group = config().groups["ts-supervisors"]
    assert group.tiers == (("herbert-mena", "edison-gomez"), ("julian-mantilla",), ("tina-desprez",))
    assert config().people["herbert-mena"].name == "Herbert Mena"
    assert outcome_spec(S, "escalate-returned").person == "herbert-mena"


def test_inaccurate_information_reruns_tier1_troubleshooting_with_the_details_kept() -> None:
    w = walk(*CHECKED, "Yes, they appear", "No, I will update it and rerun")
    assert (w.where, w.view.kind) == (("clever-access", "in-clever-district"), "question")
    assert w.state.fields["ticket_id"] == TICKET_ID and w.state.fields["school_name"] == "Lincoln High"
    answers = [t.answer for t in w.view.trail]
    assert answers.index("Updated, rerun troubleshooting") < answers.index("Clever access troubleshooting")
