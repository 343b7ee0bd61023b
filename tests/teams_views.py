"""Neutral views for the Teams renderer tests: one per step kind, with hostile user text where users type."""

from __future__ import annotations

from chatbot.domain.views import ChoiceView, FieldView, LinkView, OutcomeView, TrailLine, View

HOSTILE = "<at>Everyone</at> **urgent** [click](https://evil.example) _x_ \\ 1. <b>"


def _view(**changes: object) -> View:
    base: dict[str, object] = dict(
        playbook="vpn",
        playbook_title="VPN won't connect",
        step="start",
        kind="question",
        title="Which client?",
        question="Which **VPN client** does the customer use? See [the guide](https://help.example.org/vpn).",
        text=None,
        help="Ask them to open *About* <at>Support</at>.",
        links=(LinkView("Client matrix", "https://help.example.org/matrix"),),
        choices=(ChoiceView(0, "GlobalProtect"), ChoiceView(1, "AnyConnect", help="Cisco's client")),
        fields=(),
        continue_label=None,
        trail=(TrailLine("Is the account active?", HOSTILE, "U1", "2026-01-01T10:00:00Z"),),
        version=3,
        status="active",
        can_back=True,
    )
    base.update(changes)
    return View(**base)  # type: ignore[arg-type]


def question() -> View:
    return _view()


def instructions() -> View:
    return _view(
        kind="instructions",
        step="restart",
        title="Restart the client",
        question=None,
        text="1. Quit the client\n2. Start it again",
        choices=(),
        continue_label="Done, still broken",
    )


def collect() -> View:
    fields = (
        FieldView("account", "Account ID", "text", True, "From the admin console.", "ACME-1234", (), 40, False),
        FieldView("email", "Customer email", "email", True, None, None, (), 200, True, value=HOSTILE),
        FieldView("seats", "Seats", "number", False, None, None, (), 10, False, value="12"),
        FieldView("since", "Broken since", "date", False, None, None, (), 10, False, value="2026-01-31"),
        FieldView(
            "os",
            "Operating system",
            "select",
            True,
            None,
            None,
            ("Windows", "macOS", "Linux"),
            50,
            False,
            value="macOS",
        ),
        FieldView("details", "What they tried", "textarea", False, None, None, (), 2000, False),
        FieldView("site", "Status page", "url", False, None, None, (), 200, False),
    )
    return _view(
        kind="collect",
        step="details",
        title="Collect the details",
        question=None,
        text="Tier 2 needs these.",
        choices=(),
        fields=fields,
    )


def outcome(reply: str = "Hello " + HOSTILE + "\nThanks", note: str = "Note: " + HOSTILE) -> View:
    out = OutcomeView(
        kind="escalated",
        summary="Escalate " + HOSTILE,
        priority="P2",
        group="tier2-network",
        partner=None,
        referred_to=None,
        reason=None,
        reply=reply,
        note=note,
        needs=(),
        checklist=(),
    )
    return _view(
        kind="outcome",
        step="escalate",
        title="Escalate",
        question=None,
        choices=(),
        links=(),
        outcome=out,
        status="finished",
    )


def cancelled() -> View:
    return _view(
        kind="cancelled",
        step="start",
        title="Cancelled",
        question=None,
        choices=(),
        links=(),
        status="cancelled",
        can_back=False,
    )


ALL = {
    "question": question,
    "instructions": instructions,
    "collect": collect,
    "outcome": outcome,
    "cancelled": cancelled,
}
