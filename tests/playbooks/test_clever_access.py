"""clever-access: "Tier 1 Troubleshooting Access Issues", steps 1 to 8 of the Clever procedure, walked by label."""

from __future__ import annotations

import pytest

from tests.playbooks.walking import (
    ASSOCIATION,
    ASSOCIATION_NEEDS,
    CLEVER_ID_3,
    INSTANT,
    LOGIN,
    PORTAL,
    Case,
    CaseBook,
    check_case,
    form,
    link,
    ticket,
    walk,
)

A = "clever-access"
CASES = CaseBook()
case = CASES
TEACHER, STUDENT, ADMIN = ticket("Teacher"), ticket("Student"), ticket("Administrator")
TIER2 = {"group": "clever-tier2", "follow_up": "clever-tier2", "priority": "normal"}  # "Escalate to Tier 2"
NO_VHL_ACCOUNT = (A, TEACHER, "Yes", "No", "No", "No")  # steps 1, 2a, 2b, 3
USERNAME = ("Yes", "No", "No", "Yes")  # steps 1, 2a, 2b, 3: an account exists
COURSE_OK = (*USERNAME, "Yes", "Yes", "Yes")  # steps 4, 5, 6
SSO_FAILS = (*COURSE_OK, "Single Sign-On", "No")  # step 7a
ROSTER = (*COURSE_OK, "Rostering", "Yes, students are missing")  # step 7b
CONTENT = (*COURSE_OK, "Rostering", "No, all are enrolled", "Yes, some content")  # step 8
SYNC = form(students_added_at="Monday 9am", sections_linked_at="Monday 10am", tried_sis_login="No")
SSO_DETAILS = form(student_user_id=CLEVER_ID_3, course_code="SPAN1-P3", error_message="Course not found")
# Tier 1 escalations that Tier 2 picks up (test_tier2_pickup).
DISTRICT_STATUS_ESCALATION = (
    A,
    TEACHER,
    "No",
    "No, they expected Clever to work",
    form(school_name="Lincoln High", district_name="Springfield USD"),
)
ASSOCIATION_ESCALATION = (A, TEACHER, "Yes", "No", "Yes", ASSOCIATION)
SSO_ESCALATION = (A, TEACHER, *SSO_FAILS, {**SSO_DETAILS, "reproduced": "Yes, with screenshots in the ticket"})
ROSTER_ESCALATION = (A, TEACHER, *ROSTER, SYNC, "Yes, more than 24 hours", form(clever_section="Period 3"))

# Step 1, No: "Escalate to Tier 2 for confirmation of district's Clever integration status (you may also refer
# teachers to the district's Clever admin, students to their teacher, admins to the VHL MLS)."
for who, start, advice in (
    ("Teacher", TEACHER, "your district's Clever administrator can tell you where the integration stands"),
    ("Student", STUDENT, "you, their teacher, are their contact"),
    ("Administrator", ADMIN, "your VHL sales representative (MLS)"),
):
    case(
        A,
        start,
        "No",
        "No, they expected Clever to work",
        form(school_name="Lincoln High", district_name="Springfield USD"),
        ends_at="escalate-district-status",
        kind="escalated",
        **TIER2,
        reply=("awaiting approval", "asked our Tier 2 team to confirm its status", advice),
        note=(
            "teachers to the district's Clever admin, students to their teacher, admins to the VHL MLS",
            f"Requester: {who}",
        ),
        needs=("ticket_id", "school_name", "district_name"),
    )
# "Any expressed interest by a non-Clever school in setting up a Clever integration should be referred to VHL Sales."
case(
    A,
    TEACHER,
    "No",
    "Yes, they want Clever set up",
    ends_at="refer-sales",
    kind="referred",
    referred_to="VHL Sales (MLS)",
    reply="VHL sales representative (MLS)",
)
# Step 2a: "login instructions for each district linked in the article ... which can be sent to users".
case(
    A,
    TEACHER,
    "Yes",
    "Yes",
    "Yes, just how or where to log in",
    LOGIN,
    ends_at="send-login-instructions",
    kind="resolved",
    reply=(PORTAL, INSTANT, link("clever_district_info"), "VHL Central / Vista Higher Learning icon"),
    note=(PORTAL, INSTANT, "district information article"),
)
case(
    A,
    STUDENT,
    "Yes",
    "Yes",
    "Yes, just how or where to log in",
    form(portal_url=PORTAL, instant_login_link=""),
    ends_at="send-login-instructions",
    kind="resolved",
    reply=("Your students log in", PORTAL, link("clever_district_info")),
    not_in_reply="instant login link",
    note="instant login link (none listed)",
)
# Step 2b: "escalated to Tier 2 so it can be reported to Eric Mack via Jira (school and district names as well as
# Salesforce ids and Clever ids will be needed)".
case(
    *ASSOCIATION_ESCALATION,
    ends_at="escalate-association",
    kind="escalated",
    **TIER2,
    reply=('"VHL does not recognize your school"', "passed this to our Tier 2 team"),
    note="Eric Mack via Jira",
    reason="Eric Mack via Jira",
    checklist="Eric Mack via Jira",
    needs=ASSOCIATION_NEEDS,
)
# Step 3, No, with a VHL Central message: "this issue needs to be escalated to Eric Mack via Jira with school and
# district names as well as Clever ids". The procedure names Eric Mack here, not Tier 2, and Eric Mack does not run
# the Tier 2 procedure: no follow_up. Step 3 names no Salesforce IDs (2b does), so its form does not ask them.
case(
    *NO_VHL_ACCOUNT,
    "Yes, a VHL Central message",
    {k: v for k, v in ASSOCIATION.items() if "salesforce" not in k},
    ends_at="escalate-association-jira",
    kind="escalated",
    group="school-district-associations",
    priority="normal",
    reply="link between your school and your district needs to be updated",
    not_in_reply="Tier 2",
    note="Eric Mack via Jira",
    reason="Eric Mack via Jira",
    checklist="Jira issue",
    needs=("ticket_id", "school_name", "district_name", "school_clever_id", "district_clever_id"),
)
# Step 3, No: "login via their SIS/portal (through Clever), click on the VHL Central / Vista Higher Learning icon ...
# You may need to provide portal or instant login link ... refer them to their district's support contact, Clever
# support, or to their teacher (if a student)."
case(
    *NO_VHL_ACCOUNT,
    "No",
    LOGIN,
    ends_at="create-account-via-clever",
    kind="referred",
    referred_to="district's support contact, Clever support",
    reply=(
        "You create your VHL Central account",
        PORTAL,
        INSTANT,
        "VHL Central / Vista Higher Learning icon",
        "account creation",
        "district's support contact or Clever support",
    ),
    note=(PORTAL, INSTANT),
)
case(
    A,
    STUDENT,
    *NO_VHL_ACCOUNT[2:],
    "No",
    LOGIN,
    ends_at="create-account-via-clever",
    kind="referred",
    referred_to="the student's teacher",
    reply=("Your student creates their VHL Central account", PORTAL, "as the student's teacher, you can also help"),
)
# Step 4, No: "Direct the user to log into VHL Central ... via their SIS/portal (through Clever) ... provide the user
# with their portal url and/or instant login link ... if a teacher set-up courses in a non-Clever account, they will
# need to recreate those courses".
case(
    A,
    TEACHER,
    *USERNAME,
    "No",
    LOGIN,
    ends_at="non-clever-account",
    kind="referred",
    referred_to="district's support contact",
    reply=(
        "You are logging in with an account that is not connected to Clever",
        "cannot enroll in courses",
        PORTAL,
        INSTANT,
        "district's support contact or Clever support",
        "cannot be transferred",
        "created again",
    ),
    note=(PORTAL, "recreated (no transfer)"),
)
case(
    A,
    ADMIN,
    *USERNAME,
    "No",
    LOGIN,
    ends_at="non-clever-account",
    kind="referred",
    referred_to="district's support contact",
    reply=(PORTAL, INSTANT),
    not_in_reply="cannot be transferred",
)
# A student cannot be emailed: the teacher reads this reply, so it asks the teacher to have the student log in.
case(
    A,
    STUDENT,
    *USERNAME,
    "No",
    LOGIN,
    ends_at="non-clever-account",
    kind="referred",
    referred_to="the student's teacher",
    reply=("Your student is logging in", PORTAL),
    not_in_reply="Please log in to VHL Central",
)
# Step 5, No: the course was made in a non-Clever account; courses cannot be transferred and must be recreated.
# Replies are addressed to the requester: a teacher reads "you", an administrator reads about "the teacher".
case(
    A,
    ADMIN,
    *USERNAME,
    "Yes",
    "No",
    ends_at="recreate-course",
    kind="resolved",
    reply=("Courses cannot be transferred", "the teacher needs to log in through Clever", "create the course again"),
    note="no transfer possible",
)
case(
    A,
    TEACHER,
    *USERNAME,
    "Yes",
    "No",
    ends_at="recreate-course",
    kind="resolved",
    reply=("Courses cannot be transferred", "create the course again"),
    not_in_reply="the teacher needs to",
)
# Step 6, No: "Advise the teacher to create the course after logging to VHL Central via their district's SIS/portal".
case(
    A,
    ADMIN,
    *USERNAME,
    "Yes",
    "Yes",
    "No",
    ends_at="create-course-via-clever",
    kind="resolved",
    reply=("please have the teacher log in", "SIS/portal (through Clever) and create the course"),
    note="Advised the teacher to create the course",
)
case(
    A,
    TEACHER,
    *USERNAME,
    "Yes",
    "Yes",
    "No",
    ends_at="create-course-via-clever",
    kind="resolved",
    reply="SIS/portal (through Clever) and create the course",
    not_in_reply="please have the teacher",
)
# Step 7a, No: "Replicate problem, take screenshots, and record in ZD ticket. Escalate to Tier 2. DO NOT try to
# disable the account or recreate the account". The reply says it was reproduced only when the agent said so.
case(
    *SSO_ESCALATION,
    ends_at="escalate-sso",
    kind="escalated",
    **TIER2,
    reply=("We were able to reproduce the problem", "with screenshots", "Tier 2 team"),
    note=("Reproduced: Yes", "Error: Course not found", "Account NOT disabled or recreated"),
    needs=("ticket_id", "reproduced", "student_user_id", "course_code"),
)
case(
    A,
    TEACHER,
    *SSO_FAILS,
    {**SSO_DETAILS, "reproduced": "No, it did not happen for me", "error_message": ""},
    ends_at="escalate-sso",
    kind="escalated",
    **TIER2,
    reply="passed the details of the problem to our Tier 2 team",
    not_in_reply=("reproduce", "screenshot", "we sent", "walked through"),
    note=("Reproduced: No", "Account NOT disabled or recreated"),
    not_in_note="Error:",
    needs=("ticket_id", "reproduced", "student_user_id", "course_code"),
)
# Step 7b: "synching on linked courses can take up to 24 hours ... If updates/linking were done more than 24 hours
# ago, escalate to Tier 2 with details about the student(s), teacher, and courses in VHL Central and Clever."
case(
    A,
    TEACHER,
    *ROSTER,
    SYNC,
    "No, less than 24 hours",
    ends_at="wait-for-sync",
    kind="resolved",
    reply="can take up to 24 hours",
    note=("Monday 9am", "Monday 10am"),
)
case(
    *ROSTER_ESCALATION,
    ends_at="escalate-rostering",
    kind="escalated",
    **TIER2,
    reply="our Tier 2 team",
    note=("Monday 9am", "Monday 10am", "tried SIS login: No"),
    checklist="Clever dashboard",
    # 7b's "escalate to supervisor" is Tier 2's step (clever-tier2), not a line asking supervisors to escalate to
    # themselves.
    not_in_checklist=("supervisor",),
    needs=("ticket_id", "student_user_ids", "teacher_user_id", "vhl_course_code", "clever_section"),
)
# Step 8: the ©2014 eBook / Practice Partner are a known limitation: "Refer teachers to Clever admin and students to
# teacher."
for start, advice in ((TEACHER, "Your district's Clever administrator"), (STUDENT, "As your students' teacher")):
    case(
        A,
        start,
        *CONTENT,
        "Yes, ©2014 eBook",
        ends_at="known-limitation-2014",
        kind="known_limitation",
        reply=("©2014 eBook and Practice Partner", "known limitation", advice),
    )
# "If there is an issue with any other content access, go to 8 b": no 8 b exists, so it goes to Tier 2.
case(
    A,
    TEACHER,
    *CONTENT,
    "No, other content",
    form(content_description="Lesson 3 flashcards do not open", student_user_id=CLEVER_ID_3),
    ends_at="escalate-other-content",
    kind="escalated",
    **TIER2,
    reply="our Tier 2 team",
    reason='"8 b"',
    needs=("ticket_id", "content_description", "student_user_id"),
)
# Step 8, No: "This is a site license issue. Review troubleshooting for site license".
case(
    A,
    TEACHER,
    *COURSE_OK,
    "Single Sign-On",
    "Yes",
    "No, privileges do not match",
    ends_at="site-licence",
    kind="referred",
    referred_to="Site licence troubleshooting",
    note="site licence issue",
)


@pytest.mark.parametrize("c", CASES.params())
def test_procedure_case(c: Case) -> None:
    check_case(c)


def test_the_7a_note_keeps_the_error_and_the_account_line_apart() -> None:
    w = walk(*SSO_ESCALATION)
    assert "Error: Course not found\nAccount NOT disabled or recreated" in w.outcome.note
    w = walk(A, TEACHER, *SSO_FAILS, {**SSO_DETAILS, "reproduced": "No, it did not happen for me", "error_message": ""})
    assert "Reproduced: No, it did not happen for me.\nAccount NOT disabled or recreated" in w.outcome.note
    pasted = {**SSO_DETAILS, "error_message": "Error: course not found"}  # pasted with its own label
    w = walk(A, TEACHER, *SSO_FAILS, pasted)
    assert "\nError: course not found\n" in w.outcome.note and "Error: Error:" not in w.outcome.note
