"""A digest as an Adaptive Card 1.5 for Teams: the same figures, in the same order and words, as Slack's
(slack/digest_blocks.py) and the terminal's (rendering/digest_text.py). Pure functions.

Adaptive Cards 1.5 in Teams have no chart element (nothing like Slack's data_visualization), so the daily volume is
a small Table with a text bar beside each count, and runs by outcome are a FactSet. Slack's data_table tables are
Tables here, each with a `fallback` of the same rows as text for a client that cannot draw a Table: as in Slack, a
rendering problem never costs the figures.

Escaping: the figures and labels the app makes are plain text; everything from the configuration or from people
(the digest's title, group and person names, playbook and step labels, answers, escalation summaries) goes through
`escape_text`, as on every other card, so a summary typed as `<at>Everyone</at>` or `[x](https://evil)` stays text.
Fact titles and values are Markdown in Teams too, and follow the same rule.

Size: a card must fit CARD_BUDGET (28 KB). A typical digest is far below it; a period with many sources, outcomes
or open escalations loses table rows and list lines from the end, step by step, and says how many are not shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.adapters.teams.kit import CARD_BUDGET, Element, card, card_size, container, text_block
from chatbot.adapters.teams.text import escape_text, shorten
from chatbot.domain.digest import Digest, Figure
from chatbot.rendering.digest_format import change, compared_with, duration, figure, number, period_line, when
from chatbot.rendering.digest_text import escalation_lines, late_line

BAR = "▮"
BAR_WIDTH = 8  # glyphs for the busiest day: readable on a phone beside the number
CELL = 60  # characters of a label in a table cell (Slack's cells are cut at the same length)
SUMMARY = 150  # characters of an escalation summary in a list line
RESENT = (
    "Sent again: Teams did not confirm an earlier post of this digest. If you see it twice, the copies are the same."
)
FOOTER = "Any period, in a chat with me: **digest today**, **yesterday**, **week** or **since 2026-11-02**."
# Tried in turn until the card fits: (rows per table, open escalations listed, late ones listed).
_SHRINK_STEPS: tuple[tuple[int | None, int | None, int | None], ...] = (
    (None, None, None),
    (15, 15, None),
    (8, 8, 8),
    (5, 5, 5),
    (3, 3, 3),
    (1, 1, 1),
)


def digest_card(d: Digest, *, resent: bool = False) -> Element:
    """The digest's card. `resent`: a second copy of a post whose answer was lost (delivery.py's rule)."""
    built: Element = {}
    for rows, open_shown, late_shown in _SHRINK_STEPS:
        built = _card(d, resent, rows, open_shown, late_shown)
        if card_size(built) <= CARD_BUDGET:
            break
    return built


def summary(d: Digest) -> str:
    """The headline figures, raw: the notification text and the card's fallback (escaped where it is used)."""
    late = f", {number(d.late_high_count.now)} high priority not acknowledged in time" if d.late_high else ""
    return (
        f"{d.title}: {figure(d.raised)} escalations raised{late}, {figure(d.still_open)} still open, "
        f"{figure(d.runs_ended)} runs ended."
    )


def _card(d: Digest, resent: bool, rows: int | None, open_shown: int | None, late_shown: int | None) -> Element:
    zone = d.period.timezone
    body: list[Element] = [
        text_block(escape_text(d.title), style="heading", size="large", weight="bolder"),
        text_block(
            escape_text(f"{period_line(d.period)} · {d.scope} · {compared_with(d.period)}"),
            isSubtle=True,
            size="small",
            spacing="none",
        ),
    ]
    if resent:
        body.append(text_block(escape_text(RESENT), color="attention", weight="bolder"))
    if d.late and d.due_at is not None:
        due = when(d.due_at, zone)
        body.append(text_block(f"⏳ **Posted late**: this digest fell due {due}, while the service was not running."))
    if d.late_high:
        body.append(_late_high(d, late_shown))
    facts = [*escalation_lines(d), ("Runs ended", figure(d.runs_ended))]
    body.append(_facts(facts, separator=True))
    body += _volume(d)
    body.append(text_block("**Runs by outcome**", separator=True))
    kinds = [(escape_text(c.label), figure(c.figure)) for c in d.runs_by_outcome]
    body.append(_facts(kinds) if kinds else text_block("none", isSubtle=True, spacing="none"))
    body += _tables(d, rows)
    body += _open_items(d, open_shown)
    body.append(text_block(FOOTER, isSubtle=True, size="small", separator=True))
    return card(body, fallback_text=escape_text(shorten(summary(d), 200)))


def _facts(pairs: Sequence[tuple[str, str]], **props: object) -> Element:
    """Labels and values already Teams-safe (the app's own, or escaped)."""
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs], **props}


def _more(shown: int, total: int) -> list[Element]:
    if total <= shown:
        return []
    return [text_block(f"…and {total - shown} more.", isSubtle=True, size="small", spacing="none")]


def _late_high(d: Digest, shown: int | None) -> Element:
    items = list(d.late_high[:shown] if shown is not None else d.late_high)
    lines = []
    for item in items:
        waited, timeout = duration(item.waited), duration(item.timeout)
        acked = item.acknowledged_at is not None
        line = late_line(escape_text(shorten(item.summary, SUMMARY)), escape_text(item.group), waited, timeout, acked,
                         escape_text(item.handled_by) if item.handled_by else None)  # fmt: skip
        lines.append(f"- {line} (raised {when(item.raised_at, d.period.timezone)})")
    head = f"🚨 **High priority not acknowledged in time: {figure(d.late_high_count)}**"
    elements = [text_block(head, color="attention"), text_block("\n".join(lines), spacing="small")]
    elements += _more(len(items), len(d.late_high))
    return container(elements, style="attention", separator=True)


def _bar(value: int, most: int) -> str:
    if value <= 0 or most <= 0:
        return ""
    return BAR * max(1, round(value / most * BAR_WIDTH))


def _volume(d: Digest) -> list[Element]:
    if not d.volume:
        return []
    most = max(max(b.runs, b.escalations) for b in d.volume)
    rows = [[b.label, f"{b.runs} {_bar(b.runs, most)}", f"{b.escalations} {_bar(b.escalations, most)}"]
            for b in d.volume]  # fmt: skip
    caption = f"**Daily volume** ({escape_text(d.period.timezone)})"
    return [text_block(caption, separator=True), _table(("Day", "Runs ended", "Escalations"), rows, numeric=())]


def _change(f: Figure) -> str:
    return change(f) or "–"


def _cell(label: str) -> str:
    return escape_text(shorten(label, CELL)) or "–"


def _tables(d: Digest, rows: int | None) -> list[Element]:
    out: list[Element] = [text_block("**Where escalations come from**: the answer that led straight to them",
                                     separator=True)]  # fmt: skip
    if d.sources:
        found = [[_cell(s.playbook_title), _cell(s.step_label), _cell(s.answer), number(s.figure.now),
                  _change(s.figure)] for s in d.sources]  # fmt: skip
        out += _capped(("Playbook", "Step", "Answer", "Escalations", "Change"), found, rows)
    else:
        out.append(text_block("No escalation came from a playbook in this period.", isSubtle=True, spacing="none"))
    if d.outcomes:
        out.append(text_block("**Outcomes reached most**: where a help article may be missing", separator=True))
        found = [[_cell(o.playbook_title), _cell(o.label), _cell(o.kind), number(o.figure.now), _change(o.figure)]
                 for o in d.outcomes]  # fmt: skip
        out += _capped(("Playbook", "Outcome", "Kind", "Runs", "Change"), found, rows)
    if d.cases:
        out.append(text_block("**Cases by priority**", separator=True))
        found = [[_cell(c.priority), number(c.opened.now), _change(c.opened), number(c.closed.now), _change(c.closed)]
                 for c in d.cases]  # fmt: skip
        out += _capped(("Priority", "Opened", "Change", "Closed", "Change"), found, rows, numeric=(1, 2, 3, 4))
    return out


def _capped(
    header: Sequence[str], rows: list[list[str]], shown: int | None, numeric: Sequence[int] = (3, 4)
) -> list[Element]:
    kept = rows[:shown] if shown is not None else rows
    return [_table(header, kept, numeric=numeric), *_more(len(kept), len(rows))]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int]) -> Element:
    """A Table of Teams-safe cell texts, the header row first; numeric columns narrow and right-aligned. Its
    fallback, for a client without Tables, is the same rows as lines of text."""
    columns: list[Element] = []
    for i in range(len(header)):
        column: Element = {"type": "TableColumnDefinition", "width": 1 if i in numeric else 2}
        if i in numeric:
            column["horizontalCellContentAlignment"] = "right"
        columns.append(column)

    def row(cells: Sequence[str], *, head: bool = False) -> Element:
        items = [{"type": "TableCell", "items": [text_block(c, weight="bolder") if head else text_block(c)]}
                 for c in cells]  # fmt: skip
        return {"type": "TableRow", "cells": items}

    as_text = "\n".join(" · ".join(cells) for cells in rows)
    return {
        "type": "Table",
        "columns": columns,
        "rows": [row(header, head=True), *(row(r) for r in rows)],
        "firstRowAsHeader": True,
        "showGridLines": False,
        "spacing": "small",
        "fallback": text_block(as_text or "–", spacing="small"),
    }


def _open_items(d: Digest, shown: int | None) -> list[Element]:
    if not d.open_items:
        return []
    items = d.open_items[:shown] if shown is not None else d.open_items
    lines = []
    for o in items:
        who = f"{o.status} by {escape_text(o.handled_by)}" if o.handled_by else "nobody has it yet"
        what = escape_text(shorten(o.summary, SUMMARY))
        lines.append(f"- **{duration(o.age)}**: {what} ({escape_text(o.group)}, {escape_text(o.priority)}): {who}")
    more = int(d.still_open.now or 0) - len(items)
    out = [text_block("**Still open, oldest first**", separator=True), text_block("\n".join(lines), spacing="small")]
    if more > 0:
        out.append(text_block(f"…and {more} more.", isSubtle=True, size="small", spacing="none"))
    return out
