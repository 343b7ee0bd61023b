"""clever-transfers: "Tier 1 Troubleshooting School Transfers / Dual Enrollments", steps 1 and 2."""

from __future__ import annotations

import pytest

from tests.playbooks.walking import (
    CLEVER_ID,
    CLEVER_ID_2,
    CLEVER_ID_3,
    Case,
    CaseBook,
    check_case,
    form,
    link,
    ticket,
)

X = "clever-transfers"
CASES = CaseBook()
case = CASES
MOVED = (X, ticket(), "Yes, transferred", "Yes, the Clever profile is updated")

# "confirm with the district's Clever admin that the user's Clever profile has been updated to the correct school and
# correct teacher's course": not updated yet goes back to the Clever admin.
case(
    X,
    ticket(),
    "Yes, transferred",
    "No, not updated yet",
    ends_at="refer-update-clever-profile",
    kind="referred",
    referred_to="district's Clever admin",
    reply=("update the student's Clever profile", "new teacher's course"),
)
# SSO: "Confirm that the new school is listed, then send directions on how to change the school and enroll in a new
# course." The directions are the configured article.
case(
    *MOVED,
    "Single Sign-On",
    "Yes, the new school is listed",
    ends_at="sso-send-directions",
    kind="resolved",
    reply=(
        "new school is now listed",
        "changes their school to the new school",
        "enrolls in the new teacher's course",
        link("change_school_and_enroll"),
    ),
    note="Sent directions on how to change the school and enrol in a new course",
)
# "record in ZD internal notes the student's VHL Central account details and details about the old and new school
# and the district (Clever ID, VHL ID) ... Escalate to Tier 2."
TRANSFER_ESCALATION = (
    *MOVED,
    "Single Sign-On",
    "No, the new school is not listed",
    form(
        student_user_id=CLEVER_ID_3,
        old_school_name="Adams Middle",
        old_school_clever_id=CLEVER_ID,
        old_school_vhl_id="VHL-111",
        school_name="Lincoln High",
        school_clever_id=CLEVER_ID_2,
        school_vhl_id="VHL-222",
        district_name="Springfield USD",
        district_clever_id=CLEVER_ID_3,
        district_vhl_id="VHL-9",
    ),
)
case(
    *TRANSFER_ESCALATION,
    ends_at="escalate-sso-transfer",
    kind="escalated",
    group="clever-tier2",
    follow_up="clever-tier2",
    priority="normal",
    reply="our Tier 2 team",
    note=(
        f"Student: {CLEVER_ID_3}",
        f"Old school: Adams Middle (Clever ID {CLEVER_ID}, VHL ID VHL-111)",
        f"New school: Lincoln High (Clever ID {CLEVER_ID_2}, VHL ID VHL-222)",
        f"District: Springfield USD (Clever ID {CLEVER_ID_3}, VHL ID VHL-9)",
    ),
    needs=(
        "ticket_id",
        "student_user_id",
        "old_school_clever_id",
        "old_school_vhl_id",
        "school_clever_id",
        "school_vhl_id",
        "district_clever_id",
        "district_vhl_id",
    ),
)
# Rostering: "auto-enrolled in the correct teacher's course as long as the teacher's course has been linked ...
# Enrollment changes on VHL Central are processed once daily, overnight. Advise admin to check student's account the
# following day and contact us back if the enrollment update did not complete."
case(
    *MOVED,
    "Rostering",
    "Yes, the course is linked",
    ends_at="rostering-auto-enrol",
    kind="resolved",
    reply=(
        "enrolled in it automatically",
        "once daily, overnight",
        "check the student's account tomorrow",
        "contact us again if the enrollment update did not complete",
    ),
)
case(
    *MOVED,
    "Rostering",
    "No, the course is not linked",
    ends_at="rostering-link-course",
    kind="referred",
    referred_to="new teacher",
    reply=("ask the teacher to link it", "once daily, overnight"),
)
# Step 2: dual enrolment is not possible with one account and Clever ID; the workaround is one Clever profile per
# school, created by the Clever district admin.
case(
    X,
    ticket(),
    "No",
    "Yes, courses at more than one school",
    ends_at="dual-enrolment-limitation",
    kind="known_limitation",
    reply=(
        "not possible",
        "same VHL Central account and the same Clever ID",
        "workaround",
        "Unique Clever profiles must be created for each school",
        "The Clever district admin must create the unique Clever profile",
        "via the appropriate Clever user profile",
    ),
)


@pytest.mark.parametrize("c", CASES.params())
def test_procedure_case(c: Case) -> None:
    check_case(c)
