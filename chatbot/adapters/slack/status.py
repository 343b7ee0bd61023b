"""One line saying where an escalation stands, for the ping and for the agent's session."""

from __future__ import annotations

from chatbot.config import Group
from chatbot.domain.escalation import Escalation, EscalationStatus
from chatbot.rendering.escape import escape_mrkdwn

STATUS_TEXT = {
    EscalationStatus.ACKNOWLEDGED: "Acknowledged",
    EscalationStatus.CLAIMED: "Claimed",
    EscalationStatus.RETURNED: "Returned to Tier 1",
    EscalationStatus.RESOLVED: "Resolved",
}


def status_line(esc: Escalation, group: Group) -> str:
    if esc.status == EscalationStatus.OPEN:
        if esc.tier < 0:
            return "Open · not pinged yet"
        tiers = len(group.tiers) + (1 if esc.person else 0)
        reached = "the whole group" if esc.tier >= tiers else f"tier {esc.tier + 1} of {tiers}"
        return f"Open · waiting for an acknowledgement · pinged {reached}"
    by = f" by <@{esc.handled_by}>" if esc.handled_by else ""
    line = f"{STATUS_TEXT[esc.status]}{by}"
    if esc.status == EscalationStatus.RETURNED and esc.note:
        line += f": {escape_mrkdwn(esc.note)}"
    return line


def where(group: Group) -> str:
    return f" in <#{group.channel}>" if group.channel else ""


def session_status(esc: Escalation | None, group: Group | None) -> str | None:
    """The "what happens next" line in the agent's session once an escalation exists."""
    if esc is None or group is None:
        return None
    if esc.status == EscalationStatus.OPEN and esc.tier < 0:
        return (
            f":outbox_tray: *Escalated to {escape_mrkdwn(group.name)}*: pinging the first available person"
            f"{where(group)}."
        )
    return (
        f":bell: *Escalation to {escape_mrkdwn(group.name)}*{where(group)}: {status_line(esc, group)}. "
        "You will be told here when it changes."
    )
