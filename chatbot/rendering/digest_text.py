"""A digest as plain text (`chatbot digest`, for a lead without Slack) and as JSON: the same figures as in Slack."""

from __future__ import annotations

import json

from chatbot.domain.digest import Digest
from chatbot.rendering.digest_format import compared_with, duration, figure, period_line, when


def escalation_lines(d: Digest) -> list[tuple[str, str]]:
    """The escalation figures, labelled, in the order every renderer shows them."""
    return [
        ("Escalations raised", figure(d.raised)),
        ("Acknowledged", figure(d.acknowledged)),
        ("Still open at the end", figure(d.still_open)),
        ("Time to acknowledge, median", figure(d.ack_median, seconds=True)),
        ("Time to acknowledge, 90th pct", figure(d.ack_p90, seconds=True)),
        ("Re-escalated", figure(d.reescalated)),
        ("Returned to Tier 1", figure(d.returned)),
        ("Resolved", figure(d.resolved)),
        ("Pings Slack refused", figure(d.refused)),
    ]


def late_line(item_summary: str, group: str, waited: str, timeout: str, acked: bool, who: str | None) -> str:
    state = f"acknowledged after {waited}" if acked else f"not acknowledged after {waited}"
    return f"{item_summary} ({group}): {state}, timeout {timeout}" + (f", {who}" if who else "")


def digest_text(d: Digest) -> str:
    zone = d.period.timezone
    out = [d.title, period_line(d.period), f"Scope: {d.scope}; {compared_with(d.period)}."]
    if d.late and d.due_at is not None:
        out.append(f"Posted late: due {when(d.due_at, zone)}, computed {when(d.computed_at, zone)}.")
    if d.late_high:
        out += ["", f"HIGH PRIORITY NOT ACKNOWLEDGED IN TIME: {figure(d.late_high_count)}"]
        for item in d.late_high:
            out.append(
                "  - "
                + late_line(
                    item.summary,
                    item.group,
                    duration(item.waited),
                    duration(item.timeout),
                    item.acknowledged_at is not None,
                    item.handled_by,
                )
                + f", raised {when(item.raised_at, zone)}"
            )
    out += ["", "Escalations"]
    out += [f"  {label:<30} {value}" for label, value in escalation_lines(d)]
    if d.open_items:
        out += ["", "Still open, oldest first"]
        for o in d.open_items:
            who = f"{o.status} by {o.handled_by}" if o.handled_by else "nobody has it yet"
            out.append(f"  - {duration(o.age):>9}  {o.summary} ({o.group}, {o.priority}): {who}")
    out += ["", "Where escalations come from (the answer that led straight to them)"]
    if not d.sources:
        out.append("  none in this period")
    for s in d.sources:
        out.append(f"  {s.playbook_title} / {s.step_label} → {s.answer}: {figure(s.figure)}")
    out += ["", f"Runs ended: {figure(d.runs_ended)}"]
    out += [f"  {c.label:<30} {figure(c.figure)}" for c in d.runs_by_outcome]
    if d.outcomes:
        out += ["", "Outcomes reached most (a help article may be missing)"]
        out += [f"  {o.playbook_title} / {o.label} ({o.kind}): {figure(o.figure)}" for o in d.outcomes]
    if d.cases is not None:
        out += ["", "Cases by priority: opened, closed"]
        out += [f"  {c.priority:<8} {figure(c.opened):<14} {figure(c.closed)}" for c in d.cases]
    out += ["", "Volume: runs ended, escalations raised"]
    out += [f"  {b.label:<10} {b.runs:>6} {b.escalations:>6}" for b in d.volume]
    return "\n".join(out) + "\n"


def digest_json(d: Digest) -> str:
    return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"
