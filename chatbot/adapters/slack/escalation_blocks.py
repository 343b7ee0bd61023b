"""Escalation surfaces: the ping for the supervisor group, its thread follow-ups, the agent's notices, `/oncall`,
and the modals of Return to Tier 1 and `/escalate`. Pure functions of records and configuration."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import InputBlock, Option, PlainTextInputElement, StaticSelectElement
from slack_sdk.models.views import View as SlackView

from chatbot.adapters.slack import ids, kit
from chatbot.adapters.slack.blocks import MESSAGE_BLOCK_LIMIT, Message
from chatbot.adapters.slack.case_blocks import case_buttons
from chatbot.adapters.slack.kit import Block
from chatbot.adapters.slack.refs import ChannelRef, EscRef, encode
from chatbot.adapters.slack.status import status_line, where
from chatbot.adapters.slack.text import code_blocks, split_text
from chatbot.config import Config, Group
from chatbot.domain.escalation import AgentUpdate, Escalation, EscalationAction, EscalationKind
from chatbot.domain.escalation_policy import PAST, Targets, allowed_actions
from chatbot.rendering.escape import escape_mrkdwn, markdown_to_mrkdwn, user_mention
from chatbot.services.oncall import GroupStatus

PRIORITY_ICONS = {"high": ":red_circle:", "normal": ":large_yellow_circle:", "low": ":white_circle:"}


def _sections(text: str, block_id: str | None = None) -> list[Block]:
    pieces = [p for p in split_text(text) if p.strip()]
    return [kit.section(p, block_id=block_id if i == 0 else None) for i, p in enumerate(pieces)]


BUTTONS = {
    EscalationAction.ACKNOWLEDGE: ("Acknowledge", ids.ESC_ACK, "primary"),
    EscalationAction.CLAIM: ("Claim", ids.ESC_CLAIM, None),
    EscalationAction.RETURN: ("Return to Tier 1", ids.ESC_RETURN, None),
    EscalationAction.RESOLVE: ("Resolve", ids.ESC_RESOLVE, None),
}


def mentions(targets: Targets, group: Group, config: Config) -> str:
    # Only code we control builds mention tokens, from ids in the configuration.
    if targets.everyone and group.usergroup:
        return f"<!subteam^{group.usergroup}>"
    users = [config.people[p].slack_user for p in targets.people]
    named = [f"<@{u}>" for u in users if u]
    unreachable = [
        escape_mrkdwn(n) for p, n in zip(targets.people, targets.names, strict=True) if not config.people[p].slack_user
    ]
    return " ".join(named + unreachable)


def _buttons(esc: Escalation) -> list[Block]:
    actions = allowed_actions(esc.status)
    if not actions:
        return []
    value = encode(EscRef(esc.id, esc.version))
    buttons = [kit.button(BUTTONS[a][0], BUTTONS[a][1], value, BUTTONS[a][2]) for a in actions]
    return [kit.actions("esc-actions", buttons)]


def ping_message(
    esc: Escalation,
    group: Group,
    config: Config,
    targets: Targets | None,
    permalink: str | None,
    marker: str,
) -> Message:
    """The root ping in the group's channel. `targets` is None when re-rendering it for a status change."""
    h = esc.handoff
    icon = PRIORITY_ICONS.get(esc.priority.value, "")
    kind = {EscalationKind.TICKET_SHARE: "Ticket share", EscalationKind.MANUAL: "Escalation (by hand)"}.get(
        esc.kind, "Escalation"
    )
    head = f":rotating_light: *{kind} to {escape_mrkdwn(group.name)}* · {icon} priority *{esc.priority.value}*"
    if targets is not None:
        head += f"\n{mentions(targets, group, config)} ({targets.label})"
        if targets.warning:
            head += f"\n:warning: {targets.warning}"
    blocks: list[Block] = [*_sections(head, block_id=marker)]
    about = [f"*{escape_mrkdwn(esc.summary)}*"]
    if h.reason:
        about.append(f"Why: {escape_mrkdwn(h.reason)}")
    if h.partner:
        about.append(f"Partner: {escape_mrkdwn(h.partner)}")
    about.append(f"Agent: <@{esc.agent_id}>")
    numbers = [f"Case *{escape_mrkdwn(h.case_number)}*"] if h.case_number else []
    if h.reference:
        numbers.append(f"Ticket #{escape_mrkdwn(h.reference)}")
    # The case and ticket numbers are the reference people quote; the internal id only when neither exists.
    about.append(" · ".join(numbers) if numbers else f"ref `{(esc.run_id or esc.id)[:8]}`")
    if h.tier1_agent and h.tier1_agent != esc.agent_id:
        about.append(f"Raised at Tier 1 by {user_mention(h.tier1_agent)}")
    if h.playbook:
        about.append(f"Playbook: {escape_mrkdwn(h.playbook)}")
    if permalink:
        about.append(f"<{permalink}|Open the agent's session>")
    blocks.extend(_sections("\n".join(about)))
    if h.facts:
        facts = "\n".join(f"• {escape_mrkdwn(f.label)}: {escape_mrkdwn(f.value)}" for f in h.facts)
        blocks.extend(_sections("*What Tier 2 needs*\n" + facts))
    if h.trail:
        lines = [
            f"{i}. {markdown_to_mrkdwn(t.question)} → *{escape_mrkdwn(t.answer)}*" for i, t in enumerate(h.trail, 1)
        ]
        blocks.extend(_sections("*Path taken*\n" + "\n".join(lines)))
    if h.note:
        blocks.extend(_sections("*Internal note*"))
        blocks.extend(kit.section(piece) for piece in code_blocks(escape_mrkdwn(h.note)))
    if h.checklist:
        blocks.extend(_sections("*Checklist*\n" + "\n".join(f"☐ {escape_mrkdwn(c)}" for c in h.checklist)))
    blocks.append(kit.context(status_line(esc, group)))
    blocks.extend(_buttons(esc))
    blocks.extend(case_buttons(esc))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        blocks = [
            *blocks[:2],
            kit.context("_Long hand-off shortened: see the agent's session._"),
            *blocks[-(MESSAGE_BLOCK_LIMIT - 3) :],
        ]
    return Message(f"Escalation to {escape_mrkdwn(group.name)}: {escape_mrkdwn(esc.summary)}", blocks)


def reescalation_message(
    esc: Escalation, group: Group, config: Config, targets: Targets, waited_minutes: int, marker: str
) -> Message:
    text = (
        f":alarm_clock: Not acknowledged after {waited_minutes} min: {mentions(targets, group, config)} "
        f"({targets.label}), can you take this one?"
    )
    if targets.warning:
        text += f"\n:warning: {targets.warning}"
    return Message(f"Re-escalation: {escape_mrkdwn(esc.summary)}", [*_sections(text, block_id=marker)])


def agent_notice(
    esc: Escalation, group: Group, action: EscalationAction, actor: str, reason: str | None, marker: str
) -> Message:
    past = PAST[action]
    text = f"<@{esc.agent_id}> your escalation to *{escape_mrkdwn(group.name)}* was *{past}* by <@{actor}>."
    if action == EscalationAction.RETURN and reason:
        text += f"\nReason: {escape_mrkdwn(reason)}"
    return Message(f"Escalation {past}", [*_sections(text, block_id=marker)])


def agent_update_notice(esc: Escalation, group: Group, update: AgentUpdate, marker: str) -> Message:
    """Work Tier 2 recorded on the agent's case, or the closure reply and note once it is resolved."""
    case = f" (case *{escape_mrkdwn(update.case_number)}*)" if update.case_number else ""
    if update.reply is None:
        text = f"<@{esc.agent_id}> on your escalation{case}: <@{update.actor}> {escape_mrkdwn(update.line or '')}."
        return Message("Tier 2 update", [*_sections(text, block_id=marker)])
    head = f":white_check_mark: <@{esc.agent_id}> <@{update.actor}> resolved your escalation{case}."
    blocks: list[Block] = [*_sections(head, block_id=marker)]
    blocks.extend(_sections("*Closure reply* (send it to the customer):"))
    blocks.extend(kit.section(piece) for piece in code_blocks(escape_mrkdwn(update.reply)))
    if update.note:
        blocks.extend(_sections("*Closing note* (paste it as a private note):"))
        blocks.extend(kit.section(piece) for piece in code_blocks(escape_mrkdwn(update.note)))
    return Message("Escalation resolved: closure reply ready", blocks[:MESSAGE_BLOCK_LIMIT])


def undeliverable_notice(
    esc: Escalation, group: Group, *, first: bool, error: str, marker: str, uncertain: bool = False
) -> Message:
    """The ping (or a reminder) could not be posted in the group's channel, for good: the agent must know. When it
    may have been posted after all (`uncertain`), say only that."""
    if uncertain:
        what = "may not have been posted" if first else "was posted, but a reminder may not have been"
        text = (
            f":warning: <@{esc.agent_id}> your escalation to *{escape_mrkdwn(group.name)}* {what}{where(group)}: "
            f"{escape_mrkdwn(error)}.\nSlack did not confirm the post and the app could not look for it. Check the"
            " channel: if it is not there, reach the group another way, and ask an admin to check the app's access"
            " to that channel (its history scopes)."
        )
        return Message("Escalation not confirmed", [*_sections(text, block_id=marker)])
    what = "could not be posted" if first else "was posted, but a reminder to the next people in line could not be"
    text = (
        f":warning: <@{esc.agent_id}> your escalation to *{escape_mrkdwn(group.name)}* {what}{where(group)}: "
        f"{escape_mrkdwn(error)}."
    )
    if first:
        text += "\nNobody in that group has been told. Reach them another way, and ask an admin to check the app's"
        text += " access to that channel (`/invite` the app there)."
    else:
        text += "\nThe people pinged first were told; nobody else will be reminded automatically."
    return Message("Escalation not delivered", [*_sections(text, block_id=marker)])


def oncall_listing(statuses: Sequence[GroupStatus]) -> Message:
    lines = []
    for status in statuses:
        group, members, targets = status.group, status.members, status.targets
        available = ", ".join(escape_mrkdwn(s.name) for s in members if s.available) or "nobody"
        lines.append(f"*{escape_mrkdwn(group.name)}*{where(group)} · available now: {available}")
        away = [f"{escape_mrkdwn(s.name)} ({s.reason})" for s in members if not s.available]
        if away:
            lines.append(f"    unavailable: {', '.join(dict.fromkeys(away))}")
        who = ", ".join(escape_mrkdwn(n) for n in targets.names)
        lines.append(f"    a ping now goes to: {who} ({targets.label})" + (" :warning:" if targets.warning else ""))
    lines.append(
        "_`/oncall away [until]` marks you away (e.g. `away 17:00`, `away 2h`, `away 2026-12-01`); "
        "`/oncall back` ends it._"
    )
    return Message("On call", [*_sections("\n".join(lines))])


def return_modal(ref: EscRef) -> SlackView:
    return SlackView(
        type="modal",
        callback_id=ids.ESC_RETURN_CALLBACK,
        private_metadata=encode(ref),
        title="Return to Tier 1",
        submit="Return",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ids.ESC_REASON_BLOCK,
                label="Why does it go back to Tier 1?",
                element=PlainTextInputElement(action_id=ids.FIELD_ACTION, multiline=True, max_length=2000),
                hint="The agent sees this in their session.",
            )
        ],
    )


def manual_modal(groups: Sequence[tuple[str, str]], origin: ChannelRef) -> SlackView:
    priorities = [Option(value=p, text=p.capitalize()) for p in ("high", "normal", "low")]
    return SlackView(
        type="modal",
        callback_id=ids.MANUAL_CALLBACK,
        private_metadata=encode(origin),
        title="Escalate",
        submit="Escalate",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ids.MANUAL_GROUP,
                label="Group",
                element=StaticSelectElement(
                    action_id=ids.FIELD_ACTION, options=[Option(value=g, text=name[:75]) for g, name in groups[:100]]
                ),
            ),
            InputBlock(
                block_id=ids.MANUAL_SUMMARY,
                label="What is wrong, and what Tier 2 needs",
                element=PlainTextInputElement(action_id=ids.FIELD_ACTION, multiline=True, max_length=3000),
                hint="No personal data: use user, class or child IDs.",
            ),
            InputBlock(
                block_id=ids.MANUAL_PRIORITY,
                label="Priority",
                element=StaticSelectElement(
                    action_id=ids.FIELD_ACTION, options=priorities, initial_option=priorities[1]
                ),
            ),
            InputBlock(
                block_id=ids.MANUAL_REFERENCE,
                label="Case or ticket number",
                optional=True,
                element=PlainTextInputElement(action_id=ids.FIELD_ACTION, max_length=100),
            ),
        ],
    )
