"""The seed playbooks walked through the real engine, path by path.

Each case walks a playbook by choice *label*, the way an agent reads the procedure, and checks that the outcome
says what the procedure says at that point. A generic test then walks every root-to-outcome path of every seed
playbook with generated (and hostile) field values, and a coverage test makes sure every outcome step has a
procedure case of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from chatbot.adapters.slack.blocks import session_message
from chatbot.config import Config, load_config
from chatbot.domain.errors import InvalidFields
from chatbot.domain.run import Answer, Choose, Continue, RunState, RunStatus, Submit
from chatbot.domain.views import OutcomeView, View
from chatbot.engine.linter import lint
from chatbot.engine.loader import Catalog, LoadedPlaybook, load_catalog
from chatbot.engine.machine import PII_WITHHELD, Engine
from chatbot.engine.schema import FieldSpec, StepKind
from chatbot.engine.schema import Step as StepSpec
from chatbot.rendering.templates import Renderer

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (
    "clever-access",
    "clever-login-triage",
    "clever-transfers",
    "clever-tier2",
    "sse-integration",
    "ts-case-intake",
)
ACTOR = "U123"
AT = "2026-01-01T10:00:00Z"
HOSTILE = "<!here> Lincoln & <@U999> <https://evil.example|x>"

Value = str
Move = str | dict[str, Value]  # a choice label (or unique prefix of one), or a form submission


# --- the real catalog, renderer and configuration ------------------------------------------------------------


@cache
def config() -> Config:
    cfg, _ = load_config(ROOT / "config" / "example.yaml")
    return cfg


@cache
def renderer() -> Renderer:
    return Renderer(ROOT / "templates")


@cache
def catalog_and_issues() -> tuple[Catalog, tuple[str, ...]]:
    catalog, issues = load_catalog([ROOT / "playbooks"])
    found = issues + lint(catalog, renderer(), config().groups.keys())
    return catalog, tuple(str(i) for i in found if i.severity == "error")


@cache
def engine() -> Engine:
    catalog, _ = catalog_and_issues()
    return Engine(catalog, renderer(), config().group_names())


def playbook(pid: str) -> LoadedPlaybook:
    return engine().catalog.get(pid)


# --- field values ------------------------------------------------------------------------------------------

# Candidate values tried, in order, against a field's `pattern`: Clever IDs, Salesforce IDs, ticket numbers, ...
PATTERN_CANDIDATES = ("0123456789abcdef01234567", "001A000001AbCdEFGH", "001A000001AbCdE", "123456", "CASE-1", "x")


def sample_value(spec: FieldSpec, text: str | None = None) -> str:
    """A value the field accepts. Free text is `text` (default: readable, from the label)."""
    if spec.type == "select":
        return spec.options[0]
    if spec.type == "email":
        return "someone@example.org"
    if spec.type == "number":
        return "3"
    if spec.type == "date":
        return "2026-01-01"
    if spec.type == "url":
        return "https://example.org/page"
    if spec.pattern:
        for candidate in PATTERN_CANDIDATES:
            if re.fullmatch(spec.pattern, candidate):
                return candidate
        raise AssertionError(f"no sample value matches field '{spec.id}' pattern {spec.pattern!r}; add one")
    return (text if text is not None else f"sample {spec.label}")[: spec.max_length]


def form(**values: Value) -> dict[str, Value]:
    """A form submission; fields not given get a valid sample value."""
    return values


# --- walking a playbook by label ---------------------------------------------------------------------------


@dataclass
class Walk:
    state: RunState
    submitted: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, pid: str) -> Walk:
        return cls(engine().start(pid, ACTOR, AT))

    @property
    def view(self) -> View:
        return engine().view(self.state)

    def act(self, action: Choose | Submit | Continue) -> None:
        self.state = engine().step(self.state, Answer(action, self.state.version, ACTOR, AT))

    def _step(self) -> StepSpec:
        return engine().catalog.get(self.state.current).steps[self.state.step]

    def follow_instructions(self) -> None:
        while self.state.status == RunStatus.ACTIVE and self._step().kind == StepKind.INSTRUCTIONS:
            self.act(Continue())

    def choose(self, label: str) -> None:
        step = self._step()
        assert step.kind == StepKind.QUESTION, f"step '{step.id}' is a {step.kind.value}, not a question ({label!r})"
        labels = [c.label for c in step.choices]
        matches = [i for i, c in enumerate(labels) if c == label] or [
            i for i, c in enumerate(labels) if c.startswith(label)
        ]
        assert len(matches) == 1, f"step '{step.id}': {label!r} matches {len(matches)} of {labels}"
        self.act(Choose(matches[0]))

    def submit(self, values: dict[str, Value], free_text: str | None = None, fill_optional: bool = False) -> None:
        """Submit the form: `values`, plus a sample value for every other required field (and optional ones if
        `fill_optional`; otherwise they are left empty, as an agent in a hurry would)."""
        step = self._step()
        assert step.kind == StepKind.COLLECT, f"step '{step.id}' is a {step.kind.value}, not a form"
        unknown = set(values) - {f.id for f in step.fields}
        assert not unknown, f"step '{step.id}' has no fields {sorted(unknown)}"
        full = {
            f.id: values.get(f.id, sample_value(f, free_text) if f.required or fill_optional else "")
            for f in step.fields
        }
        self.submitted.update(full)
        self.act(Submit(full))

    @property
    def outcome(self) -> OutcomeView:
        view = self.view
        assert self.state.status == RunStatus.FINISHED and view.outcome is not None, f"stopped at {view.step}"
        return view.outcome


def walk(pid: str, *moves: Move, finish: bool = True) -> Walk:
    """Start `pid` and answer each step: a string picks the choice with that label (or unique label prefix),
    a dict submits the form (missing required fields get sample values). Instruction steps are continued on the
    way, and after the last move too unless `finish` is false."""
    w = Walk.start(pid)
    for move in moves:
        w.follow_instructions()
        if isinstance(move, str):
            w.choose(move)
        else:
            w.submit(move)
    if finish:
        w.follow_instructions()
    return w


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces folded, so phrases can be matched across wrapped lines."""
    return " ".join(text.split())


# --- procedure cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    playbook: str
    path: tuple[Move, ...]
    ends_at: str
    kind: str
    says: tuple[str, ...] = ()  # in the customer reply or the internal note
    reply: tuple[str, ...] = ()  # in the customer reply
    note: tuple[str, ...] = ()  # in the internal note
    not_in_reply: tuple[str, ...] = ()
    group: str | None = None
    priority: str | None = None
    partner: str | None = None
    referred_to: str | None = None  # substring
    reason: str | None = None  # substring
    checklist: tuple[str, ...] = ()  # each a substring of some checklist item
    needs: tuple[str, ...] = ()  # field ids the escalation must carry


CASES: list[Case] = []


def case(pid: str, *path: Move, ends_at: str, kind: str, **expect: object) -> None:
    for key in ("says", "reply", "note", "not_in_reply", "checklist", "needs"):
        if isinstance(expect.get(key), str):
            expect[key] = (expect[key],)
    CASES.append(Case(pid, path, ends_at, kind, **expect))  # type: ignore[arg-type]


CLEVER_ID = "0123456789abcdef01234567"
CLEVER_ID_2 = "89abcdef0123456789abcdef"
CLEVER_ID_3 = "fedcba9876543210fedcba98"
SF_SCHOOL = "001A000001AbCdE"
SF_DISTRICT = "001A000001XyZwVUTS"
ASSOCIATION = form(
    school_name="Lincoln High",
    district_name="Springfield USD",
    school_salesforce_id=SF_SCHOOL,
    district_salesforce_id=SF_DISTRICT,
    school_clever_id=CLEVER_ID,
    district_clever_id=CLEVER_ID_2,
)
ASSOCIATION_NEEDS = (
    "school_name",
    "district_name",
    "school_salesforce_id",
    "district_salesforce_id",
    "school_clever_id",
    "district_clever_id",
)
CLEVER_SUPPORT = ("enterprise-support@clever.com", "support.clever.com", "7am-4pm PT", "5am-4pm PT")

# clever-access: "Tier 1 Troubleshooting Access Issues", steps 1 to 8.
A = "clever-access"
case(
    A,
    "Yes",
    "Yes",
    "Yes, just how or where to log in",
    ends_at="send-login-instructions",
    kind="resolved",
    reply=("Clever Overview and District Information: Single Sign-On and Rostering", "instant login link"),
)
case(
    A,
    "No",
    "Yes, they want Clever set up",
    ends_at="refer-sales",
    kind="referred",
    referred_to="VHL Sales (MLS)",
    reply="sales representative (MLS)",
)
for role, advice in (
    ("Teacher", "district's Clever administrator"),
    ("Student", "check with your teacher"),
    ("Administrator", "VHL sales representative (MLS)"),
):
    case(
        A,
        "No",
        "No, they expected Clever to work",
        form(role=role, school_name="Lincoln High"),
        ends_at="escalate-district-status",
        kind="escalated",
        group="clever-tier2",
        reply=("awaiting approval", advice),
        note=("teachers to the district's Clever admin", f"Requester: {role}"),
        needs=("school_name", "district_name"),
    )
case(
    A,
    "Yes",
    "No",
    "Yes",
    ASSOCIATION,
    ends_at="escalate-association",
    kind="escalated",
    group="clever-tier2",
    reply="VHL does not recognize your school",
    note="Eric Mack via Jira",
    checklist="Eric Mack via Jira",
    needs=ASSOCIATION_NEEDS,
)
case(
    A,
    "Yes",
    "No",
    "No",
    "No",
    "Yes, a VHL Central message",
    ASSOCIATION,
    ends_at="escalate-association",
    kind="escalated",
    group="clever-tier2",
    needs=ASSOCIATION_NEEDS,
    reason="Eric Mack via Jira",
)
case(
    A,
    "Yes",
    "No",
    "No",
    "No",
    "No",
    ends_at="create-account-via-clever",
    kind="referred",
    referred_to="district's support contact, Clever support",
    reply=(
        "SIS/portal (through Clever)",
        "VHL Central / Vista Higher Learning icon",
        "account creation",
        "district's support contact or Clever support",
        "ask their teacher",
    ),
)
case(
    A,
    "Yes",
    "No",
    "No",
    "Yes",
    "No",
    ends_at="non-clever-account",
    kind="referred",
    reply=(
        "cannot enrol in courses",
        "portal address or instant login link",
        "Clever support",
        "cannot be transferred",
        "created again",
    ),
)
case(
    A,
    "Yes",
    "No",
    "No",
    "Yes",
    "Yes",
    "No",
    ends_at="recreate-course",
    kind="resolved",
    reply=("Courses cannot be transferred", "create the course again"),
    note="no transfer possible",
)
case(
    A,
    "Yes",
    "No",
    "No",
    "Yes",
    "Yes",
    "Yes",
    "No",
    ends_at="create-course-via-clever",
    kind="resolved",
    reply="SIS/portal (through Clever) and create the course",
)
case(
    A,
    "Yes",
    "No",
    "No",
    "Yes",
    "Yes",
    "Yes",
    "Yes",
    "Single Sign-On",
    "No",
    form(ticket_id="4242", error_message="Course not found"),
    ends_at="escalate-sso",
    kind="escalated",
    group="clever-tier2",
    reply="screenshots",
    note=("ticket 4242", "Error: Course not found", "NOT disabled"),
    needs=("ticket_id", "student_user_id", "course_code"),
)
ROSTER = (A, "Yes", "No", "No", "Yes", "Yes", "Yes", "Yes", "Rostering", "Yes, students are missing")
case(
    *ROSTER,
    form(students_added_at="Monday 9am", sections_linked_at="Monday 10am"),
    "No, less than 24 hours",
    ends_at="wait-for-sync",
    kind="resolved",
    reply="up to 24 hours",
    note=("Monday 9am", "Monday 10am"),
)
case(
    *ROSTER,
    form(tried_sis_login="No"),
    "Yes, more than 24 hours",
    form(clever_section="Period 3"),
    ends_at="escalate-rostering",
    kind="escalated",
    group="clever-tier2",
    note="tried SIS login: No",
    checklist=("Clever dashboard", "escalate to a supervisor"),
    needs=("student_user_ids", "teacher_user_id", "vhl_course_code", "clever_section"),
)
CONTENT = (A, "Yes", "No", "No", "Yes", "Yes", "Yes", "Yes", "Rostering", "No, all are enrolled")
case(
    *CONTENT,
    "Yes, some content",
    "Yes, ©2014 eBook",
    ends_at="known-limitation-2014",
    kind="known_limitation",
    reply=("©2014 eBook and Practice Partner", "known limitation", "Clever admin", "talk to your teacher"),
)
case(
    *CONTENT,
    "Yes, some content",
    "No, other content",
    form(),
    ends_at="escalate-other-content",
    kind="escalated",
    group="clever-tier2",
    needs=("content_description", "student_user_id"),
    note='"8 b" is undefined',
)
case(
    A,
    "Yes",
    "No",
    "No",
    "Yes",
    "Yes",
    "Yes",
    "Yes",
    "Single Sign-On",
    "Yes",
    "No, privileges do not match",
    ends_at="site-licence",
    kind="referred",
    referred_to="Site licence troubleshooting",
    note="site licence issue",
)

# clever-login-triage: step 2a "Clever Login Triage" and 2b, plus the Clever Support contacts.
T = "clever-login-triage"
case(
    T,
    "Just needs to know how or where",
    ends_at="send-login-instructions",
    kind="resolved",
    reply=("Clever Overview and District Information: Single Sign-On and Rostering", "VHL Central / Vista"),
    note="login triage article",
)
case(
    T,
    "The Clever login itself fails",
    ends_at="refer-clever-login",
    kind="referred",
    referred_to="district's Clever admin",
    reply=("district's Clever administrator or support contact", *CLEVER_SUPPORT, "August and September"),
    note=("https://support.clever.com/hc/en-us/articles/221231247", "800.521.6516", "2/1/2017"),
    not_in_reply="800.521.6516",
)
case(
    T,
    "Gets past Clever",
    ASSOCIATION,
    ends_at="escalate-association",
    kind="escalated",
    group="clever-tier2",
    priority="normal",
    reply="VHL does not recognize your school",
    reason="Eric Mack via Jira",
    note=("Lincoln High", SF_SCHOOL, CLEVER_ID_2, "Eric Mack via Jira"),
    needs=ASSOCIATION_NEEDS,
)

# clever-transfers: "Tier 1 Troubleshooting School Transfers / Dual Enrollments".
X = "clever-transfers"
MOVED = (X, "Yes, transferred", "Yes, the Clever profile is updated")
case(
    X,
    "Yes, transferred",
    "No, not updated yet",
    ends_at="refer-update-clever-profile",
    kind="referred",
    referred_to="district's Clever admin",
    reply=("update the student's Clever profile", "new teacher's course"),
)
case(
    *MOVED,
    "Single Sign-On",
    "Yes, the new school is listed",
    ends_at="sso-send-directions",
    kind="resolved",
    reply=("new school is now listed", "Change your school", "Enroll in your new teacher's course"),
    note="Sent directions on how to change the school and enrol in a new course",
)
case(
    *MOVED,
    "Single Sign-On",
    "No, the new school is not listed",
    form(
        old_school_name="Adams Middle",
        old_school_clever_id=CLEVER_ID,
        old_school_vhl_id="VHL-111",
        new_school_name="Lincoln High",
        new_school_clever_id=CLEVER_ID_2,
        new_school_vhl_id="VHL-222",
        district_name="Springfield USD",
        district_clever_id=CLEVER_ID_3,
        district_vhl_id="VHL-9",
    ),
    ends_at="escalate-sso-transfer",
    kind="escalated",
    group="clever-tier2",
    note=(
        "Old school: Adams Middle",
        f"Clever ID {CLEVER_ID}",
        "VHL ID VHL-111",
        "New school: Lincoln High",
        "VHL ID VHL-222",
        "District: Springfield USD",
        f"Clever ID {CLEVER_ID_3}",
        "VHL ID VHL-9",
    ),
    needs=(
        "student_user_id",
        "old_school_clever_id",
        "old_school_vhl_id",
        "new_school_clever_id",
        "new_school_vhl_id",
        "district_clever_id",
        "district_vhl_id",
    ),
)
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
case(
    X,
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

# clever-tier2: "Tier 2 Escalations", steps 1 to 3, and the Clever ticket sharing note.
S = "clever-tier2"
DASHBOARD = form(
    ticket_id="98765",
    affected="Student",
    affected_user_ids="5f0c0ffee",
    school_name="Lincoln High",
    district_name="Springfield USD",
    school_clever_id=CLEVER_ID,
    district_clever_id=CLEVER_ID_2,
)
CHECKED = (S, "Yes, approved", DASHBOARD, "I am a TS supervisor")
case(
    S,
    "No, not approved",
    ends_at="refer-sales",
    kind="referred",
    referred_to="VHL Sales (MLS)",
    reply="status of the request",
)
case(
    S,
    "Approved, but not launched",
    ends_at="refer-clever-admin-launch",
    kind="referred",
    referred_to="district's Clever admin",
    reply="district's Clever administrator",
)
case(
    S,
    "Yes, approved",
    DASHBOARD,
    "Escalate to a TS supervisor",
    ends_at="escalate-dashboard-check",
    kind="escalated",
    group="clever-tier2",
    priority="normal",
    note=(
        "Herbert Mena",
        "Edison Gomez",
        "Julian Mantilla",
        "Tina Desprez",
        "Ticket 98765",
        "affected: Student",
        "5f0c0ffee",
        "Lincoln High",
        CLEVER_ID,
        CLEVER_ID_2,
    ),
    checklist=("Clever's dashboard district info", "Clever_Ticket Sharing Process"),
    needs=(
        "ticket_id",
        "affected",
        "affected_user_ids",
        "school_name",
        "district_name",
        "school_clever_id",
        "district_clever_id",
    ),
)
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
case(
    *CHECKED,
    "The issue requires resolution from Clever",
    form(clever_issue="Section sync stuck in Clever"),
    ends_at="share-with-clever",
    kind="ticket_share",
    group="ts-supervisors",
    partner="Clever",
    reply="shared your ticket with Clever",
    note=("Section sync stuck in Clever", "Clever_Ticket Sharing Process"),
    checklist=("Clever_Ticket Sharing Process", "application partner resources", *CLEVER_SUPPORT, "800.521.6516"),
    needs=("ticket_id", "school_clever_id", "district_clever_id", "clever_issue"),
)
case(
    *CHECKED,
    "Yes, they appear",
    "Yes, it is accurate",
    form(association_change="Add Lincoln High to district"),
    ends_at="escalate-association",
    kind="escalated",
    group="school-district-associations",
    reason="Jira",
    note=("Tech Dev", "Eric Mack via Jira", "Add Lincoln High to district"),
    checklist="Jira issue",
    needs=(*ASSOCIATION_NEEDS, "ticket_id", "association_change"),
)
case(
    *CHECKED,
    "Yes, they appear",
    "No, return it",
    form(tier1_agent="Sam Agent", inaccuracies="Wrong district"),
    ends_at="escalate-returned",
    kind="escalated",
    group="clever-tier2",
    reason="mark as returned Tier 1 escalation and review with agent",
    note=("Herbert Mena", "returned Tier 1 escalation", "Sam Agent", "Wrong district"),
    checklist=("Herbert Mena", "Review the escalation with the Tier 1 agent"),
    needs=("ticket_id", "tier1_agent", "inaccuracies"),
)

# sse-integration: ticket details, then severity per area and services plan.
E = "sse-integration"
DETAILS = form(what_happening="Nobody can sign in", people_affected="everyone", screenshots="Yes")
case(
    E,
    DETAILS,
    "Yes, resolved by Support",
    ends_at="resolved-by-support",
    kind="resolved",
    note="Nobody can sign in",
    reply=("Submit A Request", "all relevant technical staff", "how many people are affected", "screenshots"),
)
case(
    E,
    DETAILS,
    "No, it needs escalation",
    "Login",
    "No one on campus can log in",
    ends_at="escalate-login-high",
    kind="escalated",
    group="sse-client-services",
    priority="high",
    reply=(
        "no one on your campus can log in",
        "high-priority issue",
        "Client Services",
        "addressed immediately",
        "whether or not your institution has a subscription services package",
    ),
    note=("Priority: HIGH", "Route: Client Services", "Screenshots attached: Yes", "not given"),
)
case(
    E,
    DETAILS,
    "No, it needs escalation",
    "LMS integration",
    "No new LMS data syncing",
    ends_at="escalate-lms-high",
    kind="escalated",
    group="sse-client-services",
    priority="high",
    reply=(
        "no new LMS data is syncing with SSE",
        "LMS Integration Jobs are completing",
        "high-priority issue",
        "addressed immediately",
    ),
    note="Priority: HIGH",
)
case(
    E,
    DETAILS,
    "No, it needs escalation",
    "SIS integration",
    "No new SIS data",
    ends_at="escalate-sis-high",
    kind="escalated",
    group="sse-client-services",
    priority="high",
    reply=("no new SIS data is importing into SSE", "high-priority issue", "addressed immediately"),
    note="Priority: HIGH",
)
for area, scope in (
    ("Login", "Isolated to a few people"),
    ("LMS integration", "Other LMS issues"),
    ("SIS integration", "Only some data feeds"),
):
    case(
        E,
        form(credits_permission="Yes, credits may be used"),
        "No, it needs escalation",
        area,
        scope,
        "Yes, it has a services package",
        ends_at="escalate-technical-consultant",
        kind="escalated",
        group="sse-technical-consultants",
        priority="normal",
        reply=("normal priority", "services package", "technical consultants"),
        note=("Priority: normal", "Route: technical consultant", "Yes, credits may be used"),
    )
    case(
        E,
        DETAILS,
        "No, it needs escalation",
        area,
        scope,
        "No services plan",
        ends_at="escalate-client-services-wait",
        kind="escalated",
        group="sse-client-services",
        priority="normal",
        reply=("normal priority", "wait-time schedule", "Watermark Academy", "Client Services"),
        note=("Priority: normal", "Route: Client Services via the Watermark Academy", "wait-time schedule"),
    )
case(
    E,
    form(credits_permission=""),
    "No, it needs escalation",
    "Login",
    "Isolated",
    "Yes, it has a services",
    ends_at="escalate-technical-consultant",
    kind="escalated",
    group="sse-technical-consultants",
    note="Permission to use credits was not recorded",
)

# ts-case-intake: Technical Services steps 1 to 3, the PII note and the helpful terms.
C = "ts-case-intake"
CASE_NO = form(case_number="CS-20417")
TIER2_REPLY = (
    "Contact you to discuss the issue",
    "Tech Development team",
    "Product Development team",
    "Resolve your issue",
    "can take a bit of time",
    "will email you",
)
case(
    C,
    CASE_NO,
    "No PII shared",
    "Forgotten password",
    ends_at="answer-password",
    kind="resolved",
    reply=("forgotten password", "CS-20417", "resolved and closed"),
)
case(
    C,
    CASE_NO,
    "Yes, PII was shared",
    "How to add documentation",
    ends_at="answer-documentation",
    kind="resolved",
    reply=("adding documentation", "CS-20417"),
)
DETAILS_TS = form(id_kind="Class ID", gold_id="CL-778", browser="Firefox", steps_taken="Opened the report")
case(
    C,
    CASE_NO,
    "No PII shared",
    "Something else",
    DETAILS_TS,
    "Resolved at Tier I",
    ends_at="resolved-tier1",
    kind="resolved",
    reply="CS-20417",
    note=("Class ID: CL-778", "browser: Firefox", "Opened the report"),
)
case(
    C,
    CASE_NO,
    "No PII shared",
    "Something else",
    DETAILS_TS,
    "Needs Tier II",
    form(tier2_reason="Needs DB access"),
    ends_at="escalate-tier2",
    kind="escalated",
    group="ts-tier2",
    reply=("CS-20417", "Tier II", *TIER2_REPLY),
    note=("Needs DB access", "CL-778"),
    checklist=("Tech Development", "Email the customer"),
    needs=("case_number", "gold_id", "browser", "account_email", "error_messages", "steps_taken"),
)
case(
    C,
    CASE_NO,
    "No PII shared",
    "Something else",
    DETAILS_TS,
    "Bug or new feature request",
    form(ticket_type="New feature request", ticket_summary="Export to CSV"),
    ends_at="escalate-ticket",
    kind="escalated",
    group="ts-tier2",
    reply=("internal ticket", "Product Development team will determine how best to prioritize", "will email you"),
    note=("New feature request escalated to Tier II", "Ticket: Export to CSV"),
    checklist=("Open the internal ticket", "Product Development"),
    needs=("case_number", "ticket_type", "ticket_summary"),
)


def _case_id(c: Case) -> str:
    return f"{c.playbook}:{c.ends_at}:" + ">".join(p if isinstance(p, str) else "form" for p in c.path)


@pytest.mark.parametrize("c", CASES, ids=[_case_id(c) for c in CASES])
def test_procedure_case(c: Case) -> None:
    w = walk(c.playbook, *c.path)
    out = w.outcome
    assert (w.view.playbook, w.view.step) == (c.playbook, c.ends_at)
    assert out.kind == c.kind
    reply, note = flat(out.reply), flat(out.note)
    for phrase in c.reply:
        assert flat(phrase) in reply, f"reply lacks {phrase!r}:\n{out.reply}"
    for phrase in c.note:
        assert flat(phrase) in note, f"note lacks {phrase!r}:\n{out.note}"
    for phrase in c.says:
        assert flat(phrase) in reply or flat(phrase) in note, f"neither reply nor note says {phrase!r}"
    for phrase in c.not_in_reply:
        assert phrase not in reply, f"reply must not say {phrase!r}"
    if c.group is not None or c.kind in ("escalated", "ticket_share"):
        assert out.group == c.group
        assert config().group_names()[c.group] in out.note
    if c.priority is not None:
        assert out.priority == c.priority
        assert f"priority {c.priority}" in out.note
    if c.partner is not None:
        assert out.partner == c.partner
    if c.referred_to is not None:
        assert out.referred_to is not None and c.referred_to in out.referred_to
    if c.reason is not None:
        assert out.reason is not None and c.reason.lower() in out.reason.lower()
    for item in c.checklist:
        assert any(item in line for line in out.checklist), f"checklist lacks {item!r}: {out.checklist}"
    spec = playbook(c.playbook).steps[c.ends_at].outcome
    assert spec is not None
    assert set(c.needs) <= set(spec.needs), f"outcome needs {spec.needs}, expected at least {c.needs}"
    submitted = w.submitted
    for fact, need in zip(out.needs, spec.needs, strict=True):
        given = submitted.get(need, "")
        # PII is withheld from Tier 1 views; an empty PII field stays visibly empty
        assert fact.value == (PII_WITHHELD if fact.pii and given else given)


def test_every_outcome_has_a_procedure_case() -> None:
    covered = {(c.playbook, c.ends_at) for c in CASES}
    outcomes = {(pid, s.id) for pid in SEEDS for s in playbook(pid).spec.steps if s.kind == StepKind.OUTCOME}
    assert outcomes - covered == set(), "outcomes without a procedure case"
    assert covered - outcomes == set(), "cases pointing at steps that are not outcomes"


# --- jumps between playbooks --------------------------------------------------------------------------------


def test_clever_access_hands_clever_login_failures_to_the_triage() -> None:
    w = walk("clever-access", "Yes", "Yes", "No, the Clever login fails", finish=False)
    assert (w.view.playbook, w.view.step) == ("clever-login-triage", "review-triage")
    links = [(link.title, link.url) for link in w.view.links]
    assert ("Clever Support: login triage steps", "https://support.clever.com/hc/en-us/articles/221231247") in links
    w.follow_instructions()
    w.choose("Gets past Clever")
    w.submit(ASSOCIATION)
    assert w.view.playbook == "clever-login-triage"
    assert w.outcome.group == "clever-tier2"
    assert any(t.question == "Continued in" and t.answer == "Clever login triage" for t in w.view.trail)
    assert "Clever login triage" in w.outcome.note


def test_login_triage_never_jumps_back() -> None:
    jumps = [s.jump for s in playbook("clever-login-triage").spec.steps if s.jump]
    assert jumps == []


def test_neither_transfer_nor_dual_enrolment_continues_in_clever_access() -> None:
    w = walk("clever-transfers", "No", "No, neither a transfer nor dual enrolment")
    assert (w.view.playbook, w.view.step, w.view.kind) == ("clever-access", "in-clever-district", "question")
    w.choose("No")
    w.choose("Yes, they want Clever set up")
    assert w.outcome.referred_to == "VHL Sales (MLS)"


def test_tier2_inaccurate_info_reruns_tier1_troubleshooting_with_the_details_kept() -> None:
    w = walk(*CHECKED, "Yes, they appear", "No, I will update it and rerun")
    assert (w.view.playbook, w.view.step) == ("clever-access", "in-clever-district")
    assert w.state.fields["ticket_id"] == "98765"
    assert [t.answer for t in w.view.trail][-2:] == ["Updated, rerun troubleshooting", "Clever access troubleshooting"]


# --- fields and PII -----------------------------------------------------------------------------------------


def test_clever_ids_are_checked_with_a_hint() -> None:
    w = walk("clever-login-triage", "Gets past Clever")
    with pytest.raises(InvalidFields) as err:
        w.submit({**ASSOCIATION, "school_clever_id": "Lincoln"})
    assert err.value.errors == {"school_clever_id": "A Clever ID is 24 characters, digits and the letters a to f."}


def test_account_email_is_pii_and_withheld_from_tier1_views() -> None:
    w = walk(
        C,
        CASE_NO,
        "No PII shared",
        "Something else",
        form(**DETAILS_TS, account_email="parent@example.org"),
        "Needs Tier II",
    )
    w.submit({})
    out = w.outcome
    emails = [f for f in out.needs if f.label == "Email used at account creation"]
    assert len(emails) == 1 and emails[0].pii and emails[0].value == PII_WITHHELD
    assert "parent@example.org" not in out.note + out.reply
    assert all("parent@example.org" not in t.answer for t in w.view.trail)
    shown = engine().view(w.state, include_pii=True).outcome
    assert shown is not None and "parent@example.org" in [f.value for f in shown.needs]


def test_pii_shared_step_says_what_to_do() -> None:
    w = walk(C, CASE_NO, "Yes, PII was shared", finish=False)
    assert w.view.step == "pii-shared" and w.view.kind == "instructions"
    text = flat(w.view.text or "")
    for phrase in ("Do **not** copy the PII", "redact", "GOLD* child ID, class ID or user ID", "Tier II"):
        assert phrase in text


def test_optional_fields_may_stay_empty() -> None:
    w = walk(
        E,
        form(error_messages="", credits_permission=""),
        "No, it needs escalation",
        "SIS integration",
        "Only some data feeds",
        "No services plan",
    )
    assert "Errors:" not in w.outcome.note


# --- every path, generically --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookPath:
    playbook: str
    moves: tuple[tuple[str, int | None], ...]  # (step id, choice index for a question)
    end: str

    @property
    def id(self) -> str:
        return f"{self.playbook}:{'>'.join(s if i is None else f'{s}[{i}]' for s, i in self.moves)}>{self.end}"


def all_paths(pid: str) -> Iterator[PlaybookPath]:
    """Every root-to-end path of a playbook (ends are outcomes and jumps), one per choice taken."""
    pb = playbook(pid)

    def go(step_id: str, moves: tuple[tuple[str, int | None], ...]) -> Iterator[PlaybookPath]:
        step = pb.steps[step_id]
        if step.kind in (StepKind.OUTCOME, StepKind.JUMP):
            yield PlaybookPath(pid, moves, step_id)
        elif step.kind == StepKind.QUESTION:
            for i, choice in enumerate(step.choices):
                yield from go(choice.next, (*moves, (step_id, i)))
        else:
            assert step.next is not None
            yield from go(step.next, (*moves, (step_id, None)))

    yield from go(pb.spec.start, ())


PATHS = [p for pid in SEEDS for p in all_paths(pid)]


@pytest.mark.parametrize("path", PATHS, ids=[p.id for p in PATHS])
def test_every_path_renders_safely(path: PlaybookPath) -> None:
    w = Walk.start(path.playbook)
    free_text_given = False
    for step_id, choice in path.moves:
        assert (w.state.current, w.state.step) == (path.playbook, step_id)
        step = playbook(path.playbook).steps[step_id]
        if step.kind == StepKind.QUESTION:
            assert choice is not None
            w.act(Choose(choice))
        elif step.kind == StepKind.COLLECT:
            w.submit({}, free_text=HOSTILE, fill_optional=True)
            free_text_given |= any(f.type in ("text", "textarea") and not f.pattern and not f.pii for f in step.fields)
        else:
            w.act(Continue())
    end = playbook(path.playbook).steps[path.end]
    if end.kind == StepKind.JUMP:
        assert end.jump is not None
        assert (w.state.current, w.state.step) == (end.jump, playbook(end.jump).spec.start)
        assert w.state.status == RunStatus.ACTIVE
        return
    out = w.outcome
    assert w.state.step == path.end
    assert out.reply.strip() and out.note.strip()
    assert out.summary in out.note
    for text in (out.reply, out.note):
        for code in ("{{", "{%", "}}"):
            assert code not in text, f"{code!r}: template code reached the rendered text"
    # The engine holds what was typed; Slack shows it escaped, so it can never become a mention or a link there.
    shown = json.dumps(session_message(w.view, "r" * 32, ACTOR, config().groups).blocks)
    for raw in ("<!here>", "<@U999>", "<https://evil"):
        assert raw not in shown, f"{raw!r} reached Slack unescaped"
    if free_text_given:
        assert HOSTILE in out.note, "the note should show what the agent typed"
        assert "&lt;!here&gt;" in shown, "Slack should show what the agent typed, escaped"
    if out.kind in ("escalated", "ticket_share"):
        assert out.group in config().groups and out.reply.strip()
    if out.kind == "referred":
        assert out.referred_to
    for fact in out.needs:
        assert fact.value == w.submitted.get(fact.label, fact.value) or fact.value in w.submitted.values()


def test_paths_reach_every_outcome_and_jump() -> None:
    ends = {(p.playbook, p.end) for p in PATHS}
    for pid in SEEDS:
        for step in playbook(pid).spec.steps:
            if step.kind in (StepKind.OUTCOME, StepKind.JUMP):
                assert (pid, step.id) in ends, f"{pid}:{step.id} is never reached"


# --- the playbooks as files ---------------------------------------------------------------------------------


def test_seed_playbooks_load_and_lint_without_errors() -> None:
    catalog, errors = catalog_and_issues()
    assert set(SEEDS) <= set(catalog.playbooks)
    seed_files = {Path(catalog.get(pid).path).name for pid in SEEDS}
    assert [e for e in errors if any(name in e for name in seed_files)] == []


@pytest.mark.parametrize("pid", SEEDS)
def test_replies_and_notes_are_block_scalars_and_urls_are_known(pid: str) -> None:
    text = (ROOT / "playbooks" / f"{pid}.yaml").read_text(encoding="utf-8")
    for line in text.splitlines():
        m = re.match(r"^\s+(reply|note):\s*(.*)$", line)
        if m:
            # Block scalars (or a quoted string) only: a plain scalar holding ": " is not what the author meant.
            value = m.group(2)
            assert value in ("|", ">-", ">", "|-") or value[:1] in ("'", '"'), f"{pid}: plain {m.group(1)}: {line}"
    urls = set(re.findall(r"https?://[^\s\"')]+", text))
    assert urls <= {"https://support.clever.com/hc/en-us/articles/221231247"}, urls
