"""The outcome part of a session card: what was decided, and the reply and note ready to copy."""

from __future__ import annotations

from collections.abc import Mapping

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.kit import Element, text_block
from chatbot.adapters.teams.text import escape_text

KIND_LABELS = {
    "resolved": "Resolved",
    "referred": "Referred",
    "known_limitation": "Known limitation",
    "escalated": "Escalate to Tier 2",
    "ticket_share": "Share the ticket with a partner",
}
CUT_MARK = "\n… (cut to fit the card: the full text is in the session record)"


def outcome_elements(
    kind: str,
    summary: str,
    priority: str | None,
    referred_to: str | None,
    reply: str,
    note: str,
    next_steps: str,
    copy_limit: int | None = None,
) -> list[Element]:
    """All strings are RAW (engine values, rendered templates): they are escaped here.

    The reply and note go into multi-line inputs rather than TextBlocks: an input shows its value verbatim (no
    Markdown, no mentions, no links), keeps line breaks, and select-all + copy takes exactly that text. Their
    values are never read back (navigation buttons send no inputs). `copy_limit` caps each, for the size budget.
    """
    head = f"**Outcome: {escape_text(KIND_LABELS.get(kind, kind))}**"
    if priority:
        head += f" · priority **{escape_text(priority)}**"
    elements: list[Element] = [text_block(head, size="medium")]
    if summary:
        elements.append(text_block(escape_text(summary)))
    if referred_to:
        elements.append(text_block(f"Refer to: {escape_text(referred_to)}"))
    elements.append(copy_box(ids.COPY_REPLY, "Customer reply (copy into the ticket)", reply, copy_limit))
    elements.append(copy_box(ids.COPY_NOTE, "Internal note (paste as a private note)", note, copy_limit))
    elements.append(text_block(escape_text(next_steps), weight="bolder"))
    return elements


def copy_box(input_id: str, label: str, text: str, limit: int | None) -> Element:
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - len(CUT_MARK))] + CUT_MARK
    return {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": True, "value": text}


def next_steps(kind: str, group: str | None, group_names: Mapping[str, str]) -> str:
    if kind in ("escalated", "ticket_share") and group:
        name = group_names.get(group, group)
        return f"Escalated to {name}: the first available person is being pinged."
    return "What happens next: send the reply, paste the note, and solve the ticket."
