"""ts-case-intake: "What happens when you contact Technical Services", steps 1 to 3, the PII note and Helpful Terms."""

from __future__ import annotations

import pytest

from chatbot.engine.machine import PII_WITHHELD
from chatbot.services.triage import FREE_TEXT
from tests.playbooks.walking import (
    Case,
    CaseBook,
    case_number,
    check_case,
    engine,
    flat,
    form,
    playbook,
    walk,
)

C = "ts-case-intake"
CASES = CaseBook()
case = CASES
CASE = case_number(C)
HINTS = form(gold_id="CL-778", browser="Firefox", steps_taken="Opened the progress report")
TROUBLESHOOT = (C, HINTS, "No PII shared", "Something else")
ANSWER = "Click Forgot password on the sign-in page and follow the link in the email."
# Step 2: "They will do one or all of the following: ..." and step 3: "the Technical Services team will email you".
TIER2_REPLY = (
    "Contact you to discuss the issue",
    "Tech Development team",
    "Product Development team",
    "Resolve your issue",
    "can take a bit of time",
    "will email you",
)

# Helpful Terms, TIER I: "Tier I can help answer simple questions like 'I forgot my password, what should I do?' and
# 'How do I add documentation?'". The reply repeats the answer the agent gave, nothing made up.
case(
    C,
    HINTS,
    "No PII shared",
    "Forgotten password",
    form(answer_given=ANSWER),
    ends_at="answer-password",
    kind="resolved",
    reply=("forgotten password", ANSWER),
    note=ANSWER,
)
case(
    C,
    form(),
    "Yes, PII was shared",
    "How to add documentation",
    form(answer_given="Open the child's portfolio, then Add documentation."),
    ends_at="answer-documentation",
    kind="resolved",
    reply=("adding documentation", "Open the child's portfolio, then Add documentation."),
)
case(
    *TROUBLESHOOT,
    "Resolved at Tier I",
    form(resolution="Cleared the browser cache and signed in again."),
    ends_at="resolved-tier1",
    kind="resolved",
    reply="Cleared the browser cache and signed in again.",
    note=("Cleared the browser cache", "IDs: CL-778", "Opened the progress report"),
)
# "If necessary, ESCALATES the case to TIER II": Technical Services Tier II.
case(
    *TROUBLESHOOT,
    "Needs Tier II",
    form(tier2_reason="Needs database access"),
    ends_at="escalate-tier2",
    kind="escalated",
    group="ts-tier2",
    priority="normal",
    reply=("Tier II", *TIER2_REPLY),
    note=("Why Tier II: Needs database access", "IDs: CL-778; browser: Firefox"),
    checklist=("Contact the customer", "Tech Development", "Product Development"),
    needs=("gold_id", "browser", "account_email", "error_messages", "steps_taken", "tier2_reason"),
)
# Helpful Terms, Ticket: "a secondary way for us to track a case internally ... bugs or new feature requests". Opening
# it is Tier II's to-do (checklist): the reply cannot say it is open.
case(
    *TROUBLESHOOT,
    "Bug or new feature request",
    form(ticket_type="New feature request", ticket_summary="Export to CSV"),
    ends_at="escalate-ticket",
    kind="escalated",
    group="ts-tier2",
    priority="normal",
    reply=("Tier II", "Product Development team will determine how best to prioritize", "will email you"),
    not_in_reply=("opened an internal ticket", "have opened"),
    note=("New feature request escalated to Tier II", "Ticket: Export to CSV"),
    checklist=("Open the internal ticket", "Product Development"),
    needs=("ticket_type", "ticket_summary"),
)


@pytest.mark.parametrize("c", CASES.params())
def test_procedure_case(c: Case) -> None:
    check_case(c)


WANTED = {
    "gold_id": "the user ID, class ID or child ID",
    "browser": "the browser you are using (Chrome, Firefox, Safari, etc.)",
    "account_email": "the email used during account creation",
    "error_messages": "the error messages you encountered",
    "steps_taken": "the steps you took to get to the issue",
}


def case_opened(**given: str) -> str:
    w = walk(C, form(**given), finish=False)
    assert (w.where, w.view.kind) == ((C, "case-opened"), "instructions")
    assert w.view.reply is not None, "the case-opened step gives the reply to send now"
    return w.view.reply


def asked_for(reply: str) -> list[str]:
    lines = reply.splitlines()
    if not any("please send us" in line for line in lines):
        return []
    start = next(i for i, line in enumerate(lines) if "please send us" in line) + 1
    return [line.removeprefix("- ") for line in lines[start:] if line.startswith("- ")]


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"gold_id": "CL-778, CH-12", "browser": "Safari"},  # partial details, several IDs
        {"account_email": "director@example.org", "error_messages": "Error 500"},
        {"steps_taken": "Opened Reports"},
        {
            "gold_id": "U-1",
            "browser": "Chrome",
            "account_email": "a@example.org",
            "error_messages": "Error 500",
            "steps_taken": "Logged in",
        },
    ],
    ids=["nothing", "ids-and-browser", "email-and-errors", "steps", "everything"],
)
def test_the_case_opened_reply_asks_for_exactly_the_missing_details(given: dict[str, str]) -> None:
    reply = case_opened(**given)
    assert asked_for(reply) == [text for fid, text in WANTED.items() if not given.get(fid)]
    text = flat(reply)
    assert f"We have opened case {CASE}" in text
    assert "escalates the case to our Tier II team" in text and "we will email you and close your case" in text
    assert "Please do not share personally identifiable information (PII)" in text
    assert "no names, birth dates, gender or addresses" in text and "GOLD child ID, class ID or user ID" in text
    assert reply.endswith("Kind regards,\nTechnical Services")


def test_the_case_number_is_the_runs_never_asked() -> None:
    asked = [f.id for s in playbook(C).spec.steps for f in s.fields]
    assert "case_number" not in asked
    w = walk(*TROUBLESHOOT, "Needs Tier II", form(tier2_reason="x"))
    assert w.outcome.note.startswith(f"Case: {CASE}") and f"Your case number is {CASE}" in w.outcome.reply


def test_account_email_is_asked_at_tier1_and_reaches_tier2() -> None:
    """The helpful hint asks the customer for "the email used during account creation" at Tier I, so the field is
    not declared PII (the PII note names "names, birth dates, gender, or addresses"); the Tier I PII guard still
    scans what is typed into it. Tier II gets it with the escalation."""
    w = walk(C, {**HINTS, "account_email": "director@example.org"}, "No PII shared", "Something else", "Needs Tier II")
    w.submit({})
    out = w.outcome
    emails = [f for f in out.needs if f.label == "Email used at account creation"]
    assert len(emails) == 1 and not emails[0].pii and emails[0].value == "director@example.org"
    assert PII_WITHHELD not in out.note + out.reply
    assert "director@example.org" not in out.reply
    shown = engine().view(w.state, include_pii=True).outcome
    assert shown is not None and "director@example.org" in [f.value for f in shown.needs]
    # The Tier 1 PII guard scans free-text fields that are not declared PII: this one is among them.
    spec = next(f for f in playbook(C).steps["case-details"].fields if f.id == "account_email")
    assert spec.type in FREE_TEXT and not spec.pii


def test_pii_shared_step_says_what_to_do() -> None:
    w = walk(C, form(), "Yes, PII was shared", finish=False)
    assert (w.where, w.view.kind) == ((C, "pii-shared"), "instructions")
    text = flat(w.view.text or "")
    for phrase in ("Do **not** copy the PII", "redact", "GOLD* child ID, class ID or user ID", "Tier II"):
        assert phrase in text
