"""Neutral views -> Block Kit. Pure functions: the same view always gives the same blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.status import session_status
from chatbot.adapters.slack.text import code_blocks, shorten, split_text
from chatbot.config import Group
from chatbot.domain.views import OutcomeView, View
from chatbot.rendering.escape import escape_mrkdwn, markdown_to_mrkdwn
from chatbot.storage import EscalationRecord

MESSAGE_BLOCK_LIMIT = 50
TRAIL_SHOWN = 8
KIND_LABELS = {
    "resolved": "Resolved",
    "referred": "Referred",
    "known_limitation": "Known limitation",
    "escalated": "Escalate to Tier 2",
    "ticket_share": "Share the ticket with a partner",
}


@dataclass(frozen=True)
class Message:
    text: str  # notification / accessibility fallback
    blocks: list[Block]

    def as_dicts(self) -> list[dict[str, object]]:
        return [b.to_dict() for b in self.blocks]


def _md(text: str) -> MarkdownTextObject:
    # verbatim: Slack must not auto-link or parse mentions out of what we send; we escaped it already.
    return MarkdownTextObject(text=text, verbatim=True)


def _sections(mrkdwn: str) -> list[Block]:
    return [SectionBlock(text=_md(piece)) for piece in split_text(mrkdwn) if piece.strip()]


def session_message(
    view: View, run_id: str, owner_id: str, groups: Mapping[str, Group], escalation: EscalationRecord | None = None
) -> Message:
    """The one message an agent's session lives in; updated in place as they answer."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=shorten(view.playbook_title, 150), emoji=False))]
    status = {"finished": "finished", "cancelled": "cancelled"}.get(view.status, f"step {len(view.trail) + 1}")
    blocks.append(ContextBlock(elements=[_md(f"Session for <@{owner_id}> · {status} · ref `{run_id[:8]}`")]))
    blocks.extend(_trail(view))
    blocks.append(DividerBlock())
    ref = ids.RunRef(run_id, view.version)
    if view.kind == "cancelled":
        blocks.append(SectionBlock(text=_md("This session was cancelled. *Restart* walks the playbook again.")))
        blocks.append(_nav(ref, back=False, cancel=False))
    elif view.outcome is not None:
        blocks.extend(_outcome(view.outcome, groups, escalation))
        blocks.append(_nav(ref, back=view.can_back, cancel=False))
    else:
        blocks.extend(_step(view, ref))
        blocks.append(_nav(ref, back=view.can_back, cancel=True))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        # Keep the header, the current step and the buttons; the trail is in the internal note anyway.
        keep_tail = MESSAGE_BLOCK_LIMIT - 2
        earlier = ContextBlock(elements=[_md("_Earlier answers are in the internal note._")])
        blocks = [blocks[0], earlier, *blocks[-keep_tail:]]
    fallback = f"{view.playbook_title}: {view.title}"
    return Message(escape_mrkdwn(fallback), blocks)


def _trail(view: View) -> list[Block]:
    if not view.trail:
        return []
    shown = view.trail[-TRAIL_SHOWN:]
    lines = []
    if len(view.trail) > len(shown):
        lines.append(f"_{len(view.trail) - len(shown)} earlier answers (all in the internal note)_")
    for line in shown:
        lines.append(f"✓ {markdown_to_mrkdwn(line.question)} → *{line.answer}*")
    return _sections("\n".join(lines))


def _step(view: View, ref: ids.RunRef) -> list[Block]:
    blocks: list[Block] = []
    head = f"*{escape_mrkdwn(view.title)}*"
    if view.question:
        head += "\n" + markdown_to_mrkdwn(view.question)
    blocks.extend(_sections(head))
    if view.text:
        blocks.extend(_sections(markdown_to_mrkdwn(view.text)))
    if view.help:
        for piece in split_text(markdown_to_mrkdwn(view.help)):
            blocks.append(ContextBlock(elements=[_md(":information_source: " + piece)]))
    if view.links:
        links = "\n".join(f"• <{link.url}|{escape_mrkdwn(link.title).replace('|', '/')}>" for link in view.links)
        blocks.extend(_sections(links))
    if view.kind == "question":
        buttons = [
            ButtonElement(
                text=c.label,
                action_id=f"{ids.CHOICE_PREFIX}{c.index}",
                value=ids.RunRef(ref.run_id, ref.version, c.index).encode(),
            )
            for c in view.choices
        ]
        for start in range(0, len(buttons), 25):
            blocks.append(ActionsBlock(block_id=f"choices-{start}", elements=buttons[start : start + 25]))
    elif view.kind == "collect":
        names = ", ".join(f.label for f in view.fields)
        blocks.extend(_sections(f"Details to collect: {escape_mrkdwn(names)}"))
        blocks.append(
            ActionsBlock(
                block_id="form",
                elements=[
                    ButtonElement(text="Fill in the form", action_id=ids.OPEN_FORM, value=ref.encode(), style="primary")
                ],
            )
        )
    elif view.kind == "instructions":
        blocks.append(
            ActionsBlock(
                block_id="continue",
                elements=[
                    ButtonElement(
                        text=shorten(view.continue_label or "Continue", 75),
                        action_id=ids.CONTINUE,
                        value=ref.encode(),
                        style="primary",
                    )
                ],
            )
        )
    return blocks


def _outcome(out: OutcomeView, groups: Mapping[str, Group], escalation: EscalationRecord | None) -> list[Block]:
    head = f"*Outcome: {KIND_LABELS.get(out.kind, out.kind)}*"
    if out.priority:
        head += f" · priority *{out.priority}*"
    head += f"\n{escape_mrkdwn(out.summary)}"
    if out.referred_to:
        head += f"\nRefer to: {escape_mrkdwn(out.referred_to)}"
    blocks: list[Block] = [*_sections(head)]
    blocks.extend(_sections("*Customer reply* (copy into the ticket):"))
    blocks.extend(SectionBlock(text=_md(piece)) for piece in code_blocks(out.reply))
    blocks.extend(_sections("*Internal note* (paste as a private note):"))
    blocks.extend(SectionBlock(text=_md(piece)) for piece in code_blocks(out.note))
    status = session_status(escalation, groups.get(escalation.group_id)) if escalation else None
    blocks.extend(_sections(status or _next_steps(out, groups)))
    return blocks


def _next_steps(out: OutcomeView, groups: Mapping[str, Group]) -> str:
    if out.kind in ("escalated", "ticket_share") and out.group:
        group = groups.get(out.group)
        name = escape_mrkdwn(group.name) if group else out.group
        return f":outbox_tray: *Escalated to {name}*: the first available person is being pinged."
    return ":white_check_mark: *What happens next:* send the reply, paste the note, and solve the ticket."


def _nav(ref: ids.RunRef, *, back: bool, cancel: bool) -> ActionsBlock:
    value = ref.encode()
    elements: list[JsonObject] = []
    if back:
        elements.append(ButtonElement(text="Back", action_id=ids.BACK, value=value))
    elements.append(ButtonElement(text="Restart", action_id=ids.RESTART, value=value))
    if cancel:
        elements.append(
            ButtonElement(
                text="Cancel",
                action_id=ids.CANCEL,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Cancel this session?",
                    text="The answers so far stay in the audit trail.",
                    confirm="Cancel it",
                    deny="Keep going",
                ),
            )
        )
    return ActionsBlock(block_id="nav", elements=elements)


def picker(playbooks: list[tuple[str, str]], intro: str) -> Message:
    """The ephemeral playbook picker for `/triage` with no text (or a search with several matches)."""
    options = [Option(value=pid, text=shorten(title, 75)) for pid, title in playbooks[:100]]
    blocks: list[Block] = [
        SectionBlock(
            text=_md(intro),
            accessory=StaticSelectElement(placeholder="Choose a playbook", action_id=ids.PICK, options=options),
        )
    ]
    return Message("Choose a playbook", blocks)


def notice(text: str) -> Message:
    """A short ephemeral message (already escaped mrkdwn)."""
    return Message(text, [SectionBlock(text=_md(text))])
