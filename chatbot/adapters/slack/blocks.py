"""Neutral views -> Block Kit. Pure functions: the same view always gives the same blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chatbot.adapters.slack import ids, kit
from chatbot.adapters.slack.kit import Block
from chatbot.adapters.slack.refs import RunRef, encode
from chatbot.adapters.slack.status import session_status
from chatbot.adapters.slack.text import code_blocks, shorten, split_text
from chatbot.config import Group
from chatbot.domain.escalation import Escalation
from chatbot.domain.views import OutcomeView, View
from chatbot.rendering.escape import escape_mrkdwn, markdown_to_mrkdwn

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

    def as_dicts(self) -> list[Block]:
        return self.blocks


def session_marker(run_id: str) -> str:
    """The session message's first block id: how a post whose answer was lost is found again."""
    return f"run-{run_id}"


def _sections(mrkdwn: str) -> list[Block]:
    return [kit.section(piece) for piece in split_text(mrkdwn) if piece.strip()]


def session_message(
    view: View, run_id: str, owner_id: str, groups: Mapping[str, Group], escalation: Escalation | None = None
) -> Message:
    """The one message an agent's session lives in; updated in place as they answer."""
    blocks: list[Block] = [kit.header(shorten(view.playbook_title, 150), block_id=session_marker(run_id))]
    status = {"finished": "finished", "cancelled": "cancelled"}.get(view.status, f"step {len(view.trail) + 1}")
    blocks.append(kit.context(f"Session for <@{owner_id}> · {_numbers(view)}{status} · ref `{run_id[:8]}`"))
    blocks.extend(_trail(view))
    blocks.append(kit.divider())
    ref = RunRef(run_id, view.version)
    if view.kind == "cancelled":
        blocks.append(kit.section("This session was cancelled. *Restart* walks the playbook again."))
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
        earlier = kit.context("_Earlier answers are in the internal note._")
        blocks = [blocks[0], earlier, *blocks[-keep_tail:]]
    fallback = f"{view.playbook_title}: {view.title}"
    return Message(escape_mrkdwn(fallback), blocks)


def _numbers(view: View) -> str:
    """ "Case TS-2026-000123 · Ticket #482913 · ", as far as they are known."""
    parts = [f"Case *{escape_mrkdwn(view.case_number)}*"] if view.case_number else []
    if view.ticket:
        parts.append(f"Ticket #{escape_mrkdwn(view.ticket)}")
    return "".join(f"{p} · " for p in parts)


def _trail(view: View) -> list[Block]:
    if not view.trail:
        return []
    shown = view.trail[-TRAIL_SHOWN:]
    lines = []
    if len(view.trail) > len(shown):
        lines.append(f"_{len(view.trail) - len(shown)} earlier answers (all in the internal note)_")
    for line in shown:
        lines.append(f"✓ {markdown_to_mrkdwn(line.question)} → *{escape_mrkdwn(line.answer)}*")
    return _sections("\n".join(lines))


def _step(view: View, ref: RunRef) -> list[Block]:
    blocks: list[Block] = []
    head = f"*{escape_mrkdwn(view.title)}*"
    if view.question:
        head += "\n" + markdown_to_mrkdwn(view.question)
    blocks.extend(_sections(head))
    if view.text:
        blocks.extend(_sections(markdown_to_mrkdwn(view.text)))
    if view.help:
        for piece in split_text(markdown_to_mrkdwn(view.help)):
            blocks.append(kit.context(":information_source: " + piece))
    if view.links:
        links = "\n".join(f"• <{link.url}|{escape_mrkdwn(link.title).replace('|', '/')}>" for link in view.links)
        blocks.extend(_sections(links))
    if view.kind == "question":
        buttons = [
            kit.button(c.label, f"{ids.CHOICE_PREFIX}{c.index}", encode(RunRef(ref.run_id, ref.version, c.index)))
            for c in view.choices
        ]
        for start in range(0, len(buttons), 25):
            blocks.append(kit.actions(f"choices-{start}", buttons[start : start + 25]))
    elif view.kind == "collect":
        names = ", ".join(f.label for f in view.fields)
        blocks.extend(_sections(f"Details to collect: {escape_mrkdwn(names)}"))
        blocks.append(kit.actions("form", [kit.button("Fill in the form", ids.OPEN_FORM, encode(ref), "primary")]))
    elif view.kind == "instructions":
        if view.reply:
            blocks.extend(_sections("*Customer reply* (send it now):"))
            blocks.extend(kit.section(piece) for piece in code_blocks(escape_mrkdwn(view.reply)))
        label = shorten(view.continue_label or "Continue", 75)
        blocks.append(kit.actions("continue", [kit.button(label, ids.CONTINUE, encode(ref), "primary")]))
    return blocks


def _outcome(out: OutcomeView, groups: Mapping[str, Group], escalation: Escalation | None) -> list[Block]:
    head = f"*Outcome: {KIND_LABELS.get(out.kind, out.kind)}*"
    if out.priority:
        head += f" · priority *{out.priority}*"
    head += f"\n{escape_mrkdwn(out.summary)}"
    if out.referred_to:
        head += f"\nRefer to: {escape_mrkdwn(out.referred_to)}"
    blocks: list[Block] = [*_sections(head)]
    blocks.extend(_sections("*Customer reply* (copy into the ticket):"))
    blocks.extend(kit.section(piece) for piece in code_blocks(escape_mrkdwn(out.reply)))
    blocks.extend(_sections("*Internal note* (paste as a private note):"))
    blocks.extend(kit.section(piece) for piece in code_blocks(escape_mrkdwn(out.note)))
    status = session_status(escalation, groups.get(escalation.group_id)) if escalation else None
    blocks.extend(_sections(status or _next_steps(out, groups)))
    return blocks


def _next_steps(out: OutcomeView, groups: Mapping[str, Group]) -> str:
    if out.kind in ("escalated", "ticket_share") and out.group:
        group = groups.get(out.group)
        name = escape_mrkdwn(group.name) if group else out.group
        return f":outbox_tray: *Escalated to {name}*: the first available person is being pinged."
    return ":white_check_mark: *What happens next:* send the reply, paste the note, and solve the ticket."


def _nav(ref: RunRef, *, back: bool, cancel: bool) -> Block:
    value = encode(ref)
    elements = [kit.button("Back", ids.BACK, value)] if back else []
    elements.append(kit.button("Restart", ids.RESTART, value))
    if cancel:
        sure = kit.confirm(
            "Cancel this session?", "The answers so far stay in the audit trail.", "Cancel it", "Keep going"
        )
        elements.append(kit.button("Cancel", ids.CANCEL, value, "danger", sure))
    return kit.actions("nav", elements)


def picker(playbooks: list[tuple[str, str]], intro: str) -> Message:
    """The ephemeral playbook picker for `/triage` with no text (or a search with several matches)."""
    options = [(pid, shorten(title, 75)) for pid, title in playbooks[:100]]
    select = kit.static_select(ids.PICK, "Choose a playbook", options)
    return Message("Choose a playbook", [kit.section(intro, accessory=select)])


def notice(text: str) -> Message:
    """A short ephemeral message (already escaped mrkdwn)."""
    return Message(text, [kit.section(text)])
