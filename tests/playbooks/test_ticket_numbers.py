"""The ticket number, every time: asked once (first), never again when it came with the command (`/triage
clever-access 482913`), from Tier 1, or from the playbook that handed over; quoted in the escalation's details, the
note and the reply ("Your ticket number is ..."). Every path's reply and note are checked for it in test_every_path."""

from __future__ import annotations

import pytest

from tests.playbooks.walking import (
    ASSOCIATION,
    SEEDS,
    TICKET_ID,
    Walk,
    asks_ticket,
    flat,
    form,
    playbook,
    ticket,
    walk,
)

TICKETED = [pid for pid in SEEDS if asks_ticket(pid)]
TRIAGE_ARTICLE = ("Clever Support: login triage steps", "https://support.clever.com/hc/en-us/articles/221231247")


def known(pid: str) -> dict[str, str]:
    """What the ticket form asks, all known: the ticket, and who is asking where the form asks it."""
    asked = {f.id for f in playbook(pid).steps[playbook(pid).spec.start].fields}
    return {"ticket_id": TICKET_ID, **({"requester": "Teacher"} if "requester" in asked else {})}


@pytest.mark.parametrize("pid", TICKETED)
def test_the_ticket_is_asked_first(pid: str) -> None:
    w = Walk.start(pid)
    assert (w.where, w.view.kind) == ((pid, "ticket"), "collect")
    assert w.view.fields[0].id == "ticket_id" and w.view.fields[0].required


@pytest.mark.parametrize("pid", TICKETED)
def test_a_ticket_given_with_the_command_is_not_asked_again(pid: str) -> None:
    w = Walk.start(pid, known(pid))
    after = playbook(pid).steps["ticket"].next
    assert w.where == (pid, after), "the ticket form is passed when all it asks is known"
    assert w.passed("ticket", pid) and w.state.fields["ticket_id"] == TICKET_ID


def test_a_ticket_number_alone_is_pre_filled_and_only_the_requester_is_asked() -> None:
    w = Walk.start("clever-access", {"ticket_id": TICKET_ID})
    assert w.where == ("clever-access", "ticket")
    assert {f.id: f.value for f in w.view.fields} == {"ticket_id": TICKET_ID, "requester": None}
    w.submit({"requester": "Student"})
    assert w.state.fields["ticket_id"] == TICKET_ID and w.where == ("clever-access", "in-clever-district")


def test_a_preset_ticket_reaches_the_escalation() -> None:
    w = walk("clever-access", "Yes", "No", "Yes", ASSOCIATION, preset=known("clever-access"))
    out = w.outcome
    assert ("Zendesk ticket number", TICKET_ID) in [(f.label, f.value) for f in out.needs]
    assert f"Ticket: #{TICKET_ID}" in out.note and f"Your ticket number is {TICKET_ID}" in out.reply


def test_sse_a_preset_ticket_reaches_the_escalation() -> None:
    details = form(what_happening="Sync stopped", started_when="Monday", articles_and_steps="None", screenshots="No")
    w = walk(
        "sse-integration", details, "No, it needs", "SIS integration", "No new SIS", preset=known("sse-integration")
    )
    out = w.outcome
    assert ("Support ticket number", TICKET_ID) in [(f.label, f.value) for f in out.needs]
    assert f"Your ticket number is {TICKET_ID}" in out.reply and f"Ticket: #{TICKET_ID}" in out.note


def test_a_jump_into_the_login_triage_does_not_ask_the_ticket_again() -> None:
    w = walk("clever-access", ticket(), "Yes", "Yes", "No, the Clever login fails", finish=False)
    assert w.where == ("clever-login-triage", "review-triage")
    assert TRIAGE_ARTICLE in [(x.title, x.url) for x in w.view.links]
    for move in ("Gets past Clever", ASSOCIATION):
        w.move(move)
    out = w.outcome
    assert [t.question for t in w.view.trail].count("Ticket and requester") == 2  # asked once, passed once
    assert any(t.question == "Continued in" and t.answer == "Clever login triage" for t in w.view.trail)
    assert out.group == "clever-tier2" and f"Your ticket number is {TICKET_ID}" in flat(out.reply)


def test_a_jump_from_transfers_into_clever_access_does_not_ask_the_ticket_again() -> None:
    w = walk("clever-transfers", ticket(), "No", "No, neither a transfer nor dual enrolment", finish=False)
    assert (w.where, w.view.kind) == (("clever-access", "in-clever-district"), "question")
    w.choose("No")
    w.choose("Yes, they want Clever set up")
    assert w.outcome.referred_to == "VHL Sales (MLS)"
    assert f"Your ticket number is {TICKET_ID}" in w.outcome.reply
