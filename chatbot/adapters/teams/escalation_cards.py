"""Escalations in Teams: the ping card in the group's channel (with Acknowledge / Claim / Return / Resolve), the
status line the agent's session shows, and the notices. Pure functions of records and configuration.

Text users typed (summary, hand-off values, a return reason) is RAW in the records and escaped here; trail
questions are author Markdown. Mentions are not in the cards (the Adaptive Card schema has no place for Teams'
`msteams.entities`) but in the message text beside the card, where Teams notifies the people they name.
"""

from __future__ import annotations

from microsoft_agents.activity import Mention

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.case_cards import case_work
from chatbot.adapters.teams.kit import (
    CARD_BUDGET,
    Element,
    card,
    card_size,
    container,
    execute,
    show_card,
    text_block,
)
from chatbot.adapters.teams.outcome import copy_box
from chatbot.adapters.teams.people import mentions, shown
from chatbot.adapters.teams.text import author_markdown, escape_text, shorten
from chatbot.config import Config, Group
from chatbot.domain.escalation import AgentUpdate, Escalation, EscalationAction, EscalationKind, EscalationStatus
from chatbot.domain.escalation_policy import PAST, Targets, allowed_actions

PRIORITY_ICONS = {"high": "🔴", "normal": "🟡", "low": "⚪"}
STATUS_TEXT = {
    EscalationStatus.ACKNOWLEDGED: "Acknowledged",
    EscalationStatus.CLAIMED: "Claimed",
    EscalationStatus.RETURNED: "Returned to Tier 1",
    EscalationStatus.RESOLVED: "Resolved",
}
BUTTONS = {
    EscalationAction.ACKNOWLEDGE: ("Acknowledge", ids.ESC_ACKNOWLEDGE, "positive"),
    EscalationAction.CLAIM: ("Claim", ids.ESC_CLAIM, None),
    EscalationAction.RESOLVE: ("Resolve", ids.ESC_RESOLVE, None),
}
RESENT = (
    "Sent again: Teams did not confirm an earlier post of this ping. If you see it twice, either copy works, and "
    "the buttons act on the same escalation."
)
RESENT_NOTICE = "Sent again: Teams did not confirm an earlier post of this message."
REASON_MAX = 2000
# Tried in turn until the ping fits the budget: (trail lines shown, cap on the note and on each fact).
_SHRINK = ((50, None), (10, 6000), (3, 2000), (0, 800))


def status_line(esc: Escalation, group: Group, config: Config) -> str:
    """Where the escalation stands, RAW (names are configured names)."""
    if esc.status == EscalationStatus.OPEN:
        if esc.tier < 0:
            return "Open · not pinged yet"
        tiers = len(group.tiers) + (1 if esc.person else 0)
        reached = "the whole group" if esc.tier >= tiers else f"tier {esc.tier + 1} of {tiers}"
        return f"Open · waiting for an acknowledgement · pinged {reached}"
    line = STATUS_TEXT[esc.status]
    if esc.handled_by:
        line += f" by {shown(config, esc.handled_by)}"
    if esc.status == EscalationStatus.RETURNED and esc.note:
        line += f": {esc.note}"
    return line


def session_status(esc: Escalation | None, config: Config) -> str | None:
    """The agent's session card line once its run escalated (RAW), or None."""
    group = config.groups.get(esc.group_id) if esc is not None else None
    if esc is None or group is None:
        return None
    if esc.status == EscalationStatus.OPEN and esc.tier < 0:
        return f"Escalated to {group.name}: pinging the first available person."
    return f"Escalation to {group.name}: {status_line(esc, group, config)}. You will be told here when it changes."


def ping_text(targets: Targets, config: Config) -> tuple[str, list[Mention]]:
    """The message text beside the ping card: who is asked, as mentions Teams notifies."""
    texts, entities, unreachable = mentions(config, targets.people)
    who = " ".join(texts + [escape_text(name) for name in unreachable]) or "Nobody in this group has a Teams identity"
    text = f"{who} ({targets.label}): a new escalation needs an owner."
    if targets.warning:
        text += f" ⚠️ {escape_text(targets.warning)}"
    return text, entities


def reminder_text(
    targets: Targets, config: Config, waited_minutes: int, *, resent: bool = False
) -> tuple[str, list[Mention]]:
    texts, entities, unreachable = mentions(config, targets.people)
    who = " ".join(texts + [escape_text(name) for name in unreachable])
    text = f"⏰ Not acknowledged after {waited_minutes} min: {who} ({targets.label}), can you take this one?"
    if targets.warning:
        text += f" ⚠️ {escape_text(targets.warning)}"
    if resent:
        text += f" ({RESENT_NOTICE})"
    return text, entities


def ping_card(
    esc: Escalation,
    group: Group,
    config: Config,
    *,
    resent: bool = False,
    notice: str | None = None,
    extra: list[Element] | None = None,
) -> Element:
    """The ping; `notice` (RAW) is a line for the person who pressed a button (a refusal, say); `extra`: elements
    for them too, under it (what Tier 2's case work answered: case_cards.py)."""
    built: Element = {}
    for trail_shown, cap in _SHRINK:
        built = _ping(esc, group, config, resent, notice, trail_shown, cap, extra or [])
        if card_size(built) <= CARD_BUDGET:
            break
    return built


def _ping(
    esc: Escalation,
    group: Group,
    config: Config,
    resent: bool,
    notice: str | None,
    trail_shown: int,
    cap: int | None,
    extra: list[Element],
) -> Element:
    h = esc.handoff
    kind = {EscalationKind.TICKET_SHARE: "Ticket share", EscalationKind.MANUAL: "Escalation (by hand)"}.get(
        esc.kind, "Escalation"
    )
    icon = PRIORITY_ICONS.get(esc.priority.value, "")
    head = f"🚨 {kind} to {escape_text(group.name)} · {icon} priority **{esc.priority.value}**"
    body: list[Element] = [text_block(head, weight="bolder", size="medium")]
    if notice:
        body.append(text_block(escape_text(notice), color="attention"))
    body += extra
    if resent:
        body.append(text_block(RESENT, isSubtle=True, size="small"))
    body.append(text_block(f"**{escape_text(esc.summary)}**"))
    about = []
    if h.reason:
        about.append(f"Why: {escape_text(h.reason)}")
    if h.partner:
        about.append(f"Partner: {escape_text(h.partner)}")
    agent = shown(config, esc.agent_id, "the agent")
    surface = f" (on {esc.agent.surface.value.capitalize()})" if esc.agent else ""
    about.append(f"Agent: {escape_text(agent)}{surface}")
    numbers = [f"Case **{escape_text(h.case_number)}**"] if h.case_number else []
    if h.reference:
        numbers.append(f"Ticket #{escape_text(h.reference)}")
    if not numbers:  # the case and ticket numbers are the reference people quote; else the internal id
        numbers.append(f"ref {escape_text((esc.run_id or esc.id)[:8])}")
    about.append(" · ".join(numbers))
    if h.tier1_agent and h.tier1_agent != esc.agent_id:
        about.append(f"Raised at Tier 1 by {escape_text(shown(config, h.tier1_agent, h.tier1_agent))}")
    if h.playbook:
        about.append(f"Playbook: {escape_text(h.playbook)}")
    body.append(text_block("\n\n".join(about), spacing="small"))
    if h.facts:
        facts = [text_block("**What Tier 2 needs**", separator=True)]
        facts += [
            text_block(f"{escape_text(f.label)}: {escape_text(_cap(f.value, cap))}", spacing="none") for f in h.facts
        ]
        body.append(container(facts))
    if h.trail and trail_shown:
        shown_trail = h.trail[-trail_shown:]
        first = len(h.trail) - len(shown_trail) + 1
        lines = [text_block("**Path taken**", separator=True)]
        lines += [
            text_block(f"{i}\\. {author_markdown(t.question)} → **{escape_text(t.answer)}**", spacing="none")
            for i, t in enumerate(shown_trail, first)
        ]
        body.append(container(lines))
    if h.note:
        body.append(
            {
                "type": "Input.Text",
                "id": ids.COPY_NOTE,
                "label": "Internal note",
                "isMultiline": True,
                "value": _cap(h.note, cap),
                "separator": True,
            }
        )
    if h.checklist:
        items = "\n\n".join(f"☐ {escape_text(c)}" for c in h.checklist)
        body.append(container([text_block("**Checklist**"), text_block(items, spacing="none")], separator=True))
    body.append(text_block(escape_text(status_line(esc, group, config)), isSubtle=True, separator=True))
    body += case_work(esc)
    fallback = escape_text(shorten(f"Escalation to {group.name}: {esc.summary}", 200))
    return card(body, _buttons(esc), fallback_text=fallback)


def _cap(text: str, cap: int | None) -> str:
    return text if cap is None or len(text) <= cap else text[: cap - 1] + "…"


def _buttons(esc: Escalation) -> list[Element]:
    actions: list[Element] = []
    for action in allowed_actions(esc.status):
        if action == EscalationAction.RETURN:
            actions.append(_return_button(esc))
            continue
        if action == EscalationAction.RESOLVE:
            actions.append(_resolve_button(esc))
            continue
        title, verb, style = BUTTONS[action]
        actions.append(execute(title, ids.ActionRef(verb, esc.id, esc.version), style=style))
    return actions


def _return_button(esc: Escalation) -> Element:
    reason: Element = {
        "type": "Input.Text",
        "id": ids.REASON_INPUT,
        "label": "Why does it go back to Tier 1?",
        "isMultiline": True,
        "isRequired": True,
        "errorMessage": "Say why, so the agent knows.",
        "maxLength": REASON_MAX,
    }
    send = execute("Return", ids.ActionRef(ids.ESC_RETURN, esc.id, esc.version), style="destructive", inputs=True)
    hint = text_block("The agent sees this in their session.", isSubtle=True, size="small", spacing="none")
    return show_card("Return to Tier 1", [reason, hint], [send])


def _resolve_button(esc: Escalation) -> Element:
    """Resolve asks what was found and what changed: the closure reply and note are written from them."""
    found: Element = {
        "type": "Input.Text",
        "id": ids.FOUND_INPUT,
        "label": "What was found",
        "isMultiline": True,
        "isRequired": True,
        "errorMessage": "Say what was found: the closure reply is written from it.",
        "maxLength": REASON_MAX,
    }
    changed: Element = {
        "type": "Input.Text",
        "id": ids.CHANGED_INPUT,
        "label": "What changed",
        "isMultiline": True,
        "maxLength": REASON_MAX,
    }
    hint = text_block(
        "The customer reads both: no personal data, use user, class or child IDs.",
        isSubtle=True,
        size="small",
        spacing="none",
    )
    send = execute("Resolve", ids.ActionRef(ids.ESC_RESOLVE, esc.id, esc.version), style="positive", inputs=True)
    return show_card("Resolve", [found, changed, hint], [send])


def agent_notice(
    esc: Escalation,
    group: Group,
    config: Config,
    action: EscalationAction,
    actor: str,
    reason: str | None,
    *,
    resent: bool = False,
) -> Element:
    """What the agent is told when Tier 2 acts."""
    who = escape_text(shown(config, actor))
    body = [text_block(f"Your escalation to **{escape_text(group.name)}** was **{PAST[action]}** by {who}.")]
    if resent:
        body.append(text_block(RESENT_NOTICE, isSubtle=True, size="small"))
    if action == EscalationAction.RETURN and reason:
        body.append(text_block(f"Reason: {escape_text(reason)}"))
    body.append(text_block(f"ref {escape_text((esc.run_id or esc.id)[:8])}", isSubtle=True, size="small"))
    return card(body, fallback_text=f"Escalation {PAST[action]}")


def agent_update_card(esc: Escalation, config: Config, update: AgentUpdate, *, resent: bool = False) -> Element:
    """Work Tier 2 recorded on the agent's case, or the closure reply and note once it is resolved."""
    who = escape_text(shown(config, update.actor))
    case = f" (case **{escape_text(update.case_number)}**)" if update.case_number else ""
    if update.reply is None:
        body = [text_block(f"On your escalation{case}: {who} {escape_text(update.line or '')}.")]
    else:
        body = [text_block(f"✅ {who} resolved your escalation{case}.")]
        body.append(copy_box(ids.COPY_REPLY, "Closure reply (send it to the customer)", update.reply, None))
        if update.note:
            body.append(copy_box(ids.COPY_NOTE, "Closing note (paste it as a private note)", update.note, None))
    if resent:
        body.append(text_block(RESENT_NOTICE, isSubtle=True, size="small"))
    body.append(text_block(f"ref {escape_text((esc.run_id or esc.id)[:8])}", isSubtle=True, size="small"))
    return card(body, fallback_text="Escalation resolved" if update.reply else "Tier 2 update")


def undeliverable_card(
    group: Group, *, first: bool, error: str, resent: bool = False, uncertain: bool = False
) -> Element:
    if uncertain:
        what = "may not have been posted" if first else "was posted, but a reminder may not have been"
    else:
        what = "could not be posted" if first else "was posted, but a reminder to the next people in line could not be"
    body = [text_block(f"⚠️ Your escalation to **{escape_text(group.name)}** {what} in Teams: {escape_text(error)}.")]
    if resent:
        body.append(text_block(RESENT_NOTICE, isSubtle=True, size="small"))
    if uncertain:
        body.append(text_block("Teams did not confirm the post. Check the channel: if it is not there, reach the group "
                               "another way."))  # fmt: skip
    elif first:
        body.append(
            text_block(
                "Nobody in that group has been told. Reach them another way, and ask an admin to check that the app "
                "is installed in the team of that channel."
            )
        )
    else:
        body.append(text_block("The people pinged first were told; nobody else will be reminded automatically."))
    return card(body, fallback_text="Escalation not delivered")
