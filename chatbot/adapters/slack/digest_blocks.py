"""A digest in Block Kit, readable at a glance on a phone: what needs a lead now first (high priority left waiting),
then the figures with their change, a native chart of the daily volume, Slack's own tables for where escalations come
from and which outcomes are reached, and what is still open.

Two renderings of the same figures: `rich` (data_visualization and data_table blocks, since mid-2026) and `plain`
(sections only), for a workspace or client that refuses those blocks (`invalid_blocks`). The top-level text is the
notification and the fallback of both. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.adapters.slack import kit
from chatbot.adapters.slack.blocks import Message
from chatbot.adapters.slack.kit import Block
from chatbot.adapters.slack.text import shorten, split_text
from chatbot.domain.digest import Digest, Figure
from chatbot.rendering.digest_format import change, compared_with, duration, figure, number, period_line, when
from chatbot.rendering.digest_text import escalation_lines, late_line
from chatbot.rendering.escape import escape_mrkdwn

CHART_TITLE = 50  # data_visualization: title; series names, labels and categories are 20
SHORT = 20
TABLE_CHARS = 9000  # Slack allows 10,000 characters across all data_table cells of one message; keep a margin
CELL = 60
PIE_SEGMENTS = 6


def _esc(text: str) -> str:
    return escape_mrkdwn(text)


def _head(d: Digest, marker: str) -> list[Block]:
    blocks = [
        kit.header(shorten(d.title, 150), block_id=marker),
        kit.context(_esc(f"{period_line(d.period)} · {d.scope} · {compared_with(d.period)}")),
    ]
    if d.late and d.due_at is not None:
        due = when(d.due_at, d.period.timezone)
        blocks.append(
            kit.section(f":hourglass: *Posted late*: this digest fell due {due}, while the service was not running.")
        )
    if d.late_high:
        lines = [f":rotating_light: *High priority not acknowledged in time: {figure(d.late_high_count)}*"]
        for item in d.late_high:
            waited, timeout = duration(item.waited), duration(item.timeout)
            line = late_line(item.summary, item.group, waited, timeout, item.acknowledged_at is not None, None)
            who = f", {item.handled_by}" if item.handled_by else ""
            lines.append(f"• {_esc(line + who)} (raised {when(item.raised_at, d.period.timezone)})")
        blocks += [kit.section(piece) for piece in split_text("\n".join(lines))]
    fields = [kit.mrkdwn(f"*{label}*\n{value}") for label, value in escalation_lines(d)]
    fields.append(kit.mrkdwn(f"*Runs ended*\n{figure(d.runs_ended)}"))
    blocks.append({"type": "section", "fields": fields[:10]})
    return blocks


def _open_items(d: Digest) -> list[Block]:
    if not d.open_items:
        return []
    lines = ["*Still open, oldest first*"]
    for o in d.open_items:
        who = f"{o.status} by {o.handled_by}" if o.handled_by else "nobody has it yet"
        lines.append(f"• *{duration(o.age)}*: {_esc(o.summary)} ({_esc(o.group)}, {o.priority}): {_esc(who)}")
    more = int(d.still_open.now or 0) - len(d.open_items)
    if more > 0:
        lines.append(f"…and {more} more.")
    return [kit.section(piece) for piece in split_text("\n".join(lines))]


# --- rich: Slack's charts and tables -----------------------------------------------------------------------------
def _volume_chart(d: Digest) -> Block | None:
    if not d.volume:
        return None
    categories = [shorten(b.label, SHORT) for b in d.volume]

    def series(name: str, values: Sequence[int]) -> dict[str, Any]:
        return {"name": name, "data": [{"label": c, "value": v} for c, v in zip(categories, values, strict=True)]}

    return {
        "type": "data_visualization",
        "title": shorten(f"Daily volume ({d.period.timezone})", CHART_TITLE),
        "chart": {
            "type": "bar",
            "series": [
                series("Runs ended", [b.runs for b in d.volume]),
                series("Escalations", [b.escalations for b in d.volume]),
            ],
            "axis_config": {"categories": categories, "y_label": "count"},
        },
    }


def _outcome_pie(d: Digest) -> Block | None:
    counted = [(c.label, int(c.figure.now or 0)) for c in d.runs_by_outcome if (c.figure.now or 0) > 0]
    if not counted:
        return None
    if len(counted) > PIE_SEGMENTS:  # the smallest ones together
        counted.sort(key=lambda c: -c[1])
        counted = [*counted[: PIE_SEGMENTS - 1], ("Other", sum(v for _, v in counted[PIE_SEGMENTS - 1 :]))]
    segments = [{"label": shorten(label, SHORT), "value": value} for label, value in counted]
    return {"type": "data_visualization", "title": "Runs by outcome", "chart": {"type": "pie", "segments": segments}}


def _text(value: str) -> dict[str, Any]:
    return {"type": "raw_text", "text": shorten(value, CELL) or "–"}


def _count(value: float | None) -> dict[str, Any]:
    return {"type": "raw_number", "value": value or 0, "text": number(value)}


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[dict[str, Any]]]) -> Block:
    return {
        "type": "data_table",
        "caption": caption,
        "page_size": 5,
        "rows": [[{"type": "raw_text", "text": h} for h in header], *(list(r) for r in rows)],
    }


def _change_cell(f: Figure) -> dict[str, Any]:
    return {"type": "raw_text", "text": change(f) or "–"}


def _tables(d: Digest) -> list[Block]:
    tables: list[Block] = []
    if d.sources:
        rows = [[_text(s.playbook_title), _text(s.step_label), _text(s.answer), _count(s.figure.now),
                 _change_cell(s.figure)] for s in d.sources]  # fmt: skip
        header = ("Playbook", "Step", "Answer", "Escalations", "Change")
        tables.append(_table("Where escalations come from: the answer that led straight to them", header, rows))
    if d.outcomes:
        rows = [[_text(o.playbook_title), _text(o.label), _text(o.kind), _count(o.figure.now), _change_cell(o.figure)]
                for o in d.outcomes]  # fmt: skip
        header = ("Playbook", "Outcome", "Kind", "Runs", "Change")
        tables.append(_table("Outcomes reached most: where a help article may be missing", header, rows))
    if d.cases:
        rows = [[_text(c.priority), _count(c.opened.now), _change_cell(c.opened), _count(c.closed.now),
                 _change_cell(c.closed)] for c in d.cases]  # fmt: skip
        tables.append(_table("Cases by priority", ("Priority", "Opened", "Change", "Closed", "Change"), rows))
    return _within_budget(tables)


def _cells(table: Block) -> int:
    return sum(len(cell.get("text", "")) for row in table["rows"] for cell in row)


def _within_budget(tables: list[Block]) -> list[Block]:
    """Drop the last rows of the longest table until all cells fit Slack's per-message character budget."""
    while sum(_cells(t) for t in tables) > TABLE_CHARS:
        longest = max(tables, key=lambda t: len(t["rows"]))
        if len(longest["rows"]) <= 2:
            tables.remove(longest)
        else:
            longest["rows"].pop()
    return tables


def rich_message(d: Digest, marker: str) -> Message:
    blocks = _head(d, marker)
    charts = [c for c in (_volume_chart(d), _outcome_pie(d)) if c is not None]  # Slack allows two per message
    blocks += charts[:2]
    blocks += _tables(d)
    if not d.sources:
        blocks.append(kit.section("*Where escalations come from*\nNo escalation came from a playbook in this period."))
    blocks += _open_items(d)
    blocks.append(kit.context("Any period, privately: `/digest today`, `yesterday`, `week` or `since 2026-11-02`."))
    return Message(summary(d), blocks)


# --- plain: sections only -----------------------------------------------------------------------------------------
def _lines(title: str, lines: Sequence[str]) -> list[Block]:
    return [kit.section(piece) for piece in split_text("\n".join([f"*{title}*", *lines]))]


def plain_message(d: Digest, marker: str) -> Message:
    """The same figures without data_visualization or data_table blocks."""
    blocks = _head(d, marker)
    sources = [f"• {_esc(s.playbook_title)} / {_esc(s.step_label)} → _{_esc(s.answer)}_: {figure(s.figure)}"
               for s in d.sources] or ["No escalation came from a playbook in this period."]  # fmt: skip
    blocks += _lines("Where escalations come from (the answer that led straight to them)", sources)
    kinds = " · ".join(f"{c.label} {figure(c.figure)}" for c in d.runs_by_outcome) or "none"
    blocks += _lines("Runs by outcome", [kinds])
    if d.outcomes:
        blocks += _lines(
            "Outcomes reached most (a help article may be missing)",
            [f"• {_esc(o.playbook_title)} / {_esc(o.label)} ({o.kind}): {figure(o.figure)}" for o in d.outcomes],
        )
    if d.cases:
        blocks += _lines(
            "Cases by priority",
            [f"• {c.priority}: opened {figure(c.opened)}, closed {figure(c.closed)}" for c in d.cases],
        )
    volume = [f"`{b.label:<7}` runs {b.runs}, escalations {b.escalations}" for b in d.volume]
    blocks += _lines(f"Daily volume ({d.period.timezone})", volume)
    blocks += _open_items(d)
    return Message(summary(d), blocks)


def summary(d: Digest) -> str:
    """The notification and fallback text: the headline figures."""
    late = f", {number(d.late_high_count.now)} high priority not acknowledged in time" if d.late_high else ""
    return (
        f"{d.title}: {figure(d.raised)} escalations raised{late}, {figure(d.still_open)} still open, "
        f"{figure(d.runs_ended)} runs ended."
    )
