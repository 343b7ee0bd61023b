"""The sentence an agent sees when a field holds personal information: what it looks like, and what to use instead.

It names kinds only, never the text that matched, so it can be shown in Slack, logged or stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatbot.pii.model import Finding, Kind

LABELS: dict[Kind, str] = {
    Kind.DATE_OF_BIRTH: "a date of birth",
    Kind.NAME_WITH_BIRTH_DATE: "a name with a birth date",
    Kind.AGE_WITH_GENDER: "an age with a gender",
    Kind.HOME_ADDRESS: "a home address",
    Kind.PHONE_NUMBER: "a phone number",
    Kind.CHILD_EMAIL: "a child's personal email",
}

INSTEAD = "use the user, class or child ID instead"


def advice(findings: Iterable[Finding], field: str | None = None) -> str:
    """One sentence for a field's findings, e.g. 'Notes looks like a phone number and a home address: use ...'.

    Raises ValueError without findings: there is nothing to tell the agent.
    """
    kinds = list(dict.fromkeys(Kind(f.kind) for f in findings))
    if not kinds:
        raise ValueError("advice() needs at least one finding")
    labels = [LABELS[k] for k in kinds]
    listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    return f"{field or 'This'} looks like {listed}: {INSTEAD}."
