"""Cases in Slack: the case buttons on a ping, the modals of Resolve, Record work and `/case new`, a case shown with
`/case TS-…`, and App Home. Pure functions of records; every typed value is escaped here."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View as SlackView

from chatbot.adapters.slack import ids, kit
from chatbot.adapters.slack.blocks import MESSAGE_BLOCK_LIMIT, Message
from chatbot.adapters.slack.kit import Block
from chatbot.adapters.slack.refs import ChannelRef, EscRef, encode
from chatbot.adapters.slack.text import code_blocks, shorten, split_text
from chatbot.domain.case import Case
from chatbot.domain.escalation import Escalation
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.services.case_words import HELPFUL_DETAILS, STATUS_WORDS, WORK_CHOICES
from chatbot.services.cases import CaseView

HOME_LIMIT = 100  # blocks in a Home tab


def _sections(text: str) -> list[Block]:
    return [kit.section(p) for p in split_text(text) if p.strip()]


def case_buttons(esc: Escalation) -> list[Block]:
    """Tier II's work on the case, from the ping: the follow-up playbook, recorded work, the status update."""
    if esc.case_id is None or esc.status.final:
        return []
    value = encode(EscRef(esc.id, esc.version))
    buttons = []
    if esc.handoff.follow_up:
        title = esc.handoff.follow_up_title or esc.handoff.follow_up
        buttons.append(kit.button(shorten(f"Start {title}", 75), ids.ESC_FOLLOW_UP, value))
    buttons.append(kit.button("Record work", ids.ESC_WORK, value))
    buttons.append(kit.button("Status update reply", ids.ESC_STATUS, value))
    return [kit.actions("esc-case", buttons)]


def _text_input(block_id: str, label: str, *, optional: bool, multiline: bool, hint: str | None = None) -> InputBlock:
    element = PlainTextInputElement(action_id=ids.FIELD_ACTION, multiline=multiline, max_length=2000)
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def resolve_modal(ref: EscRef, case_number: str | None) -> SlackView:
    about = f"Case {case_number}" if case_number else "This escalation"
    return SlackView(
        type="modal",
        callback_id=ids.ESC_RESOLVE_CALLBACK,
        private_metadata=encode(ref),
        title="Resolve",
        submit="Resolve",
        close="Cancel",
        blocks=[
            kit_context(f"{about}: the closure reply and closing note are written from what you type here."),
            _text_input(ids.RESOLVE_FOUND, "What was found", optional=False, multiline=True),
            _text_input(
                ids.RESOLVE_CHANGED,
                "What changed",
                optional=True,
                multiline=True,
                hint="The customer reads both: no personal data, use user, class or child IDs.",
            ),
        ],
    )


def work_modal(ref: EscRef) -> SlackView:
    options = [Option(value=k.value, text=label) for k, label in WORK_CHOICES.items()]
    return SlackView(
        type="modal",
        callback_id=ids.ESC_WORK_CALLBACK,
        private_metadata=encode(ref),
        title="Record work",
        submit="Record",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ids.WORK_KIND,
                label="What was done",
                element=StaticSelectElement(action_id=ids.FIELD_ACTION, options=options),
            ),
            _text_input(
                ids.WORK_REFERENCE,
                "Jira key or partner ticket",
                optional=True,
                multiline=False,
                hint="e.g. DEV-1234, or Clever's ticket number",
            ),
            _text_input(ids.WORK_DETAIL, "Note", optional=True, multiline=True, hint="The agent sees it."),
        ],
    )


def new_case_modal(origin: ChannelRef, ticket: str | None) -> SlackView:
    priorities = [Option(value=p, text=p.capitalize()) for p in ("high", "normal", "low")]
    ticket_input = PlainTextInputElement(action_id=ids.FIELD_ACTION, max_length=10, initial_value=ticket or None)
    blocks: list[ContextBlock | InputBlock] = [
        kit_context(
            "Technical Services, step 1: open the case and send the customer its number. Fill in what the customer "
            "gave; the reply asks for the rest. No names, birth dates, gender or addresses: use IDs."
        ),
        InputBlock(block_id="ticket_id", label="Zendesk ticket number", element=ticket_input, optional=True),
    ]
    for field_id, label, multiline in HELPFUL_DETAILS:
        blocks.append(_text_input(field_id, label, optional=True, multiline=multiline))
    blocks.append(
        InputBlock(
            block_id=ids.CASE_PRIORITY,
            label="Priority",
            element=StaticSelectElement(action_id=ids.FIELD_ACTION, options=priorities, initial_option=priorities[1]),
        )
    )
    return SlackView(
        type="modal",
        callback_id=ids.CASE_NEW_CALLBACK,
        private_metadata=encode(origin),
        title="Open a case",
        submit="Open case",
        close="Cancel",
        blocks=list(blocks),
    )


def kit_context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=escape_mrkdwn(text), verbatim=True)])


def case_opened(case: Case, reply: str, missing: Sequence[str]) -> Message:
    """Posted in the channel `/case new` ran in: the number and the reply to send."""
    head = f":file_folder: Case *{escape_mrkdwn(case.number)}* opened by <@{case.owner_id}>"
    if case.ticket:
        head += f" · Ticket #{escape_mrkdwn(case.ticket)}"
    blocks: list[Block] = [*_sections(head)]
    blocks.extend(_sections("*Customer reply* (send it now):"))
    blocks.extend(kit.section(p) for p in code_blocks(escape_mrkdwn(reply)))
    if missing:
        blocks.append(kit.context("Still missing (the reply asks for it): " + escape_mrkdwn(", ".join(missing))))
    return Message(f"Case {escape_mrkdwn(case.number)} opened", blocks)


def case_details(view: CaseView) -> Message:
    """`/case TS-…`: status, priority, ticket, owner, runs, escalations and the timeline."""
    case = view.case
    lines = [
        f"*Case {escape_mrkdwn(case.number)}* · {STATUS_WORDS.get(case.status.value, case.status.value)}"
        f" · priority {escape_mrkdwn(case.priority or 'normal')}",
        f"Ticket: {escape_mrkdwn(case.ticket) if case.ticket else '—'} · owner <@{case.owner_id}>"
        f" · opened {case.opened_at:%Y-%m-%d %H:%M} UTC",
    ]
    for link in case.links:
        if link.kind.value in ("jira", "partner"):
            lines.append(f"{link.kind.value.capitalize()}: {escape_mrkdwn(link.ref)}")
    if case.resolution is not None:
        lines.append(f"Found: {escape_mrkdwn(case.resolution.found)}")
        if case.resolution.changed:
            lines.append(f"Changed: {escape_mrkdwn(case.resolution.changed)}")
    blocks: list[Block] = [*_sections("\n".join(lines))]
    if view.runs:
        runs = "\n".join(f"• {escape_mrkdwn(pb)} · {status} · ref `{rid[:8]}`" for rid, pb, status in view.runs)
        blocks.extend(_sections("*Runs*\n" + runs))
    if view.escalations:
        escs = "\n".join(
            f"• {escape_mrkdwn(e.summary)} · {escape_mrkdwn(e.group_id)} · {e.status.value}"
            + (f" by <@{e.handled_by}>" if e.handled_by else "")
            for e in view.escalations
        )
        blocks.extend(_sections("*Escalations*\n" + escs))
    if view.timeline:
        events = "\n".join(
            f"{e.at:%m-%d %H:%M} {escape_mrkdwn(e.action)} <@{e.actor}>"
            if e.actor != "chatbot"
            else f"{e.at:%m-%d %H:%M} {escape_mrkdwn(e.action)}"
            for e in view.timeline[-30:]
        )
        blocks.extend(_sections("*Timeline*\n" + events))
    return Message(f"Case {escape_mrkdwn(case.number)}", blocks[:MESSAGE_BLOCK_LIMIT])


def home_view(
    cases: Sequence[Case], runs: Sequence[tuple[str, str, str]], escalations: Sequence[Escalation]
) -> dict[str, object]:
    """App Home: an agent's open cases and runs; a supervisor's groups' open escalations, oldest first."""
    blocks: list[Block] = [kit.header("Your open cases")]
    if cases:
        for case in cases[:30]:
            ticket = f" · Ticket #{escape_mrkdwn(case.ticket)}" if case.ticket else ""
            blocks.append(
                kit.section(
                    f"*{escape_mrkdwn(case.number)}* · {STATUS_WORDS.get(case.status.value, case.status.value)}"
                    f"{ticket} · opened {case.opened_at:%Y-%m-%d}"
                )
            )
    else:
        blocks.append(kit.context("No open cases. `/triage` or `/case new` opens one."))
    blocks.append(kit.header("Your sessions in progress"))
    if runs:
        listed = "\n".join(f"• {escape_mrkdwn(pb)} · ref `{rid[:8]}` · {status}" for rid, pb, status in runs[:30])
        blocks.extend(_sections(listed))
    else:
        blocks.append(kit.context("None."))
    if escalations:
        blocks.append(kit.header("Open escalations in your groups"))
        for esc in escalations[:30]:
            on_case = f" · case {escape_mrkdwn(esc.handoff.case_number)}" if esc.handoff.case_number else ""
            who = f" · {esc.status.value} by <@{esc.handled_by}>" if esc.handled_by else f" · {esc.status.value}"
            blocks.append(
                kit.section(
                    f"*{escape_mrkdwn(esc.summary)}* · {escape_mrkdwn(esc.group_id)} · {esc.priority.value}"
                    f"{on_case}{who} · since {esc.created_at:%Y-%m-%d %H:%M} UTC"
                )
            )
    return {"type": "home", "blocks": blocks[:HOME_LIMIT]}
