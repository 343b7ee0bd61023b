"""`oncall` in Teams: each group, who is available, whom a ping would reach; and the away / back answers."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from chatbot.adapters.teams.kit import Element, card, container, text_block
from chatbot.adapters.teams.text import escape_text
from chatbot.services.oncall import UNTIL_HELP, Away, GroupStatus

HELP = (
    "oncall lists each escalation group, who is available now and whom a ping would reach. "
    f"oncall away [until] marks you away (pings skip you). {UNTIL_HELP} oncall back ends it."
)


def listing_card(statuses: Sequence[GroupStatus]) -> Element:
    body: list[Element] = [text_block("**On call**", size="medium")]
    for status in statuses:
        group, members, targets = status.group, status.members, status.targets
        available = ", ".join(escape_text(s.name) for s in members if s.available) or "nobody"
        lines = [text_block(f"**{escape_text(group.name)}** · available now: {available}")]
        away = [f"{escape_text(s.name)} ({escape_text(s.reason)})" for s in members if not s.available]
        if away:
            lines.append(text_block("unavailable: " + ", ".join(dict.fromkeys(away)), isSubtle=True, spacing="none"))
        who = ", ".join(escape_text(n) for n in targets.names)
        warn = " ⚠️" if targets.warning else ""
        lines.append(text_block(f"a ping now goes to: {who} ({targets.label}){warn}", spacing="none"))
        body.append(container(lines, separator=True))
    body.append(text_block(escape_text(HELP), isSubtle=True, size="small", separator=True))
    return card(body, fallback_text="On call")


def away_text(away: Away) -> str:
    if away.until is None:
        return "You are marked away until you say oncall back. Escalation pings skip you."
    local = away.until.astimezone(ZoneInfo(away.zone))
    return f"You are marked away until {local:%a %d %b %H:%M} ({away.zone}). Escalation pings skip you."
