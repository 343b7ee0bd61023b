"""One line saying where an escalation stands, for the ping and for the agent's session."""

from __future__ import annotations

from chatbot.config import Group
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.storage import EscalationRecord


def status_line(esc: EscalationRecord, group: Group) -> str:
    if esc.status == "open":
        if esc.tier < 0:
            return "Open · not pinged yet"
        reached = "the whole group" if esc.tier >= len(group.tiers) else f"tier {esc.tier + 1} of {len(group.tiers)}"
        return f"Open · waiting for an acknowledgement · pinged {reached}"
    by = f" by <@{esc.handled_by}>" if esc.handled_by else ""
    text = {
        "acknowledged": "Acknowledged",
        "claimed": "Claimed",
        "returned": "Returned to Tier 1",
        "resolved": "Resolved",
    }[esc.status]
    line = f"{text}{by}"
    if esc.status == "returned" and esc.note:
        line += f": {escape_mrkdwn(esc.note)}"
    return line


def session_status(esc: EscalationRecord | None, group: Group | None) -> str | None:
    """The "what happens next" line in the agent's session once an escalation exists."""
    if esc is None or group is None:
        return None
    where = f" in <#{group.channel}>"
    if esc.status == "open" and esc.tier < 0:
        return f":outbox_tray: *Escalated to {escape_mrkdwn(group.name)}*: pinging the first available person{where}."
    return (
        f":bell: *Escalation to {escape_mrkdwn(group.name)}*{where}: {status_line(esc, group)}. "
        "You will be told here when it changes."
    )
