"""Whom each escalating outcome pings, as the procedures name them, and what every escalation carries.

"Escalate to Tier 2" is clever-tier2; Tier 2's dashboard check (step 2), 7b's supervisor escalation and Clever ticket
sharing are the TS Supervisor group; school-district associations are Eric Mack / Tech Dev via Jira (Tier 1 step 3's
VHL message and Tier 2 step 3); a returned Tier 1 escalation asks Herbert Mena by name, the TS Supervisor group as
fallback; Technical Services escalates to its Tier II; SSE to Client Services or a technical consultant.
"""

from __future__ import annotations

from chatbot.engine.schema import OutcomeKind
from tests.playbooks.walking import SEEDS, asks_ticket, config, playbook

# (playbook, outcome step): (group, person asked first, playbook whoever picks it up runs)
ROUTES = {
    ("clever-access", "escalate-district-status"): ("clever-tier2", None, "clever-tier2"),
    ("clever-access", "escalate-association"): ("clever-tier2", None, "clever-tier2"),
    ("clever-access", "escalate-association-jira"): ("school-district-associations", None, None),
    ("clever-access", "escalate-sso"): ("clever-tier2", None, "clever-tier2"),
    ("clever-access", "escalate-rostering"): ("clever-tier2", None, "clever-tier2"),
    ("clever-access", "escalate-other-content"): ("clever-tier2", None, "clever-tier2"),
    ("clever-login-triage", "escalate-association"): ("clever-tier2", None, "clever-tier2"),
    ("clever-transfers", "escalate-sso-transfer"): ("clever-tier2", None, "clever-tier2"),
    ("clever-tier2", "escalate-rostering-supervisor"): ("ts-supervisors", None, None),
    ("clever-tier2", "escalate-dashboard-check"): ("ts-supervisors", None, "clever-tier2"),
    ("clever-tier2", "share-with-clever"): ("ts-supervisors", None, None),
    ("clever-tier2", "escalate-association"): ("school-district-associations", None, None),
    ("clever-tier2", "escalate-returned"): ("ts-supervisors", "herbert-mena", None),
    ("sse-integration", "escalate-login-high"): ("sse-client-services", None, None),
    ("sse-integration", "escalate-lms-high"): ("sse-client-services", None, None),
    ("sse-integration", "escalate-sis-high"): ("sse-client-services", None, None),
    ("sse-integration", "escalate-technical-consultant"): ("sse-technical-consultants", None, None),
    ("sse-integration", "escalate-client-services-wait"): ("sse-client-services", None, None),
    ("ts-case-intake", "escalate-tier2"): ("ts-tier2", None, None),
    ("ts-case-intake", "escalate-ticket"): ("ts-tier2", None, None),
}
# Who runs the Tier 2 procedure (clever-tier2) from a ping: Tier 2, and the supervisors for the dashboard check.
RUN_CLEVER_TIER2 = {"clever-tier2", "ts-supervisors"}
ESCALATIONS = {
    (pid, step.id): step.outcome
    for pid in SEEDS
    for step in playbook(pid).spec.steps
    if step.outcome is not None and step.outcome.kind in (OutcomeKind.ESCALATED, OutcomeKind.TICKET_SHARE)
}


def test_each_escalation_pings_whom_the_procedure_names() -> None:
    routed = {where: (out.group, out.person, out.follow_up) for where, out in ESCALATIONS.items()}
    assert routed == ROUTES


def test_follow_up_is_run_by_the_group_it_is_sent_to() -> None:
    """The playbook named in `follow_up` is the one whoever picks the escalation up runs: clever-tier2 is the Tier 2
    procedure, so it goes with pings to Tier 2 (or to the supervisors for the dashboard check), and every Clever
    Tier 1 escalation to Tier 2 names it."""
    wrong = {
        where: (out.group, out.follow_up)
        for where, out in ESCALATIONS.items()
        if (out.follow_up == "clever-tier2" and out.group not in RUN_CLEVER_TIER2)
        or (out.group == "clever-tier2" and playbook(where[0]).spec.tier == 1 and out.follow_up != "clever-tier2")
    }
    assert wrong == {}


def test_every_escalation_needs_the_ticket_number() -> None:
    missing = [where for where, out in ESCALATIONS.items() if asks_ticket(where[0]) and "ticket_id" not in out.needs]
    assert missing == []
    assert sum(asks_ticket(pid) for pid, _ in ESCALATIONS) == 18


def test_the_groups_are_the_procedures_people_in_the_procedures_order() -> None:
    groups = config().groups
    names = {pid: p.name for pid, p in config().people.items()}
    # Step 2: "Herbert Mena, Edison Gomez; Julian Mantilla if Herbert or Edison are not available or, if all other
    # supervisors are unavailable, Tina Desprez."
    assert [[names[p] for p in tier] for tier in groups["ts-supervisors"].tiers] == [
        ["Herbert Mena", "Edison Gomez"],
        ["Julian Mantilla"],
        ["Tina Desprez"],
    ]
    # "Escalate to Tech Dev or Eric Mack (for updating of school and district associations) via JIRA issue."
    assert [names[p] for tier in groups["school-district-associations"].tiers for p in tier] == [
        "Eric Mack",
        "Tech Dev on-call",
    ]
    # Tier 2 is not the supervisors.
    assert not set(groups["clever-tier2"].members) & set(groups["ts-supervisors"].members)
    assert "herbert-mena" in groups["ts-supervisors"].members
