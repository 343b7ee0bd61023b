"""Cases in Teams: Tier 2's case buttons on a ping (the follow-up playbook, Record work, the status-update reply),
what those presses answer, and the cards of the `case` command (a case shown, `case new`'s form, the case opened).
Pure functions of records and configuration; every typed value is escaped here (text.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.kit import (
    CARD_BUDGET,
    TITLE_LIMIT,
    Element,
    action_set,
    card,
    card_size,
    execute,
    show_card,
    text_block,
)
from chatbot.adapters.teams.outcome import copy_box
from chatbot.adapters.teams.people import shown
from chatbot.adapters.teams.text import escape_text, shorten
from chatbot.config import Config
from chatbot.domain.case import Case, LinkKind
from chatbot.domain.escalation import Escalation
from chatbot.services.case_words import HELPFUL_DETAILS, STATUS_WORDS, WORK_CHOICES
from chatbot.services.cases import CaseView

PRIORITIES = ("high", "normal", "low")
TEXT_MAX = 2000
TICKET_INPUT, PRIORITY_INPUT = ids.field_input_id("ticket_id"), ids.field_input_id("priority")
HELP = (
    "**case** opens and shows cases (one per customer contact).\n"
    "- **case new** (or **case new 482913** for a Zendesk ticket) opens a case and gives you the “case opened” "
    "reply to send; fill in what the customer gave, the reply asks for the rest\n"
    "- **case TS-2026-000123** shows a case: status, ticket, owner, runs, escalations, timeline\n"
    "- **case reopen TS-2026-000123** reopens a resolved or closed case\n"
    "- **triage** opens a case for its session too (or continues the ticket's open case)"
)
# Tried in turn until the case view fits the budget: (timeline events, runs and escalations shown).
_SHRINK = ((30, 30), (10, 10), (0, 5))


# --- on the ping -------------------------------------------------------------------------------------------------
def case_work(esc: Escalation) -> list[Element]:
    """Tier 2's work on the case, under the ping's status: only while the escalation is open and has a case."""
    if esc.case_id is None or esc.status.final:
        return []
    actions: list[Element] = []
    if esc.handoff.follow_up:
        title = esc.handoff.follow_up_title or esc.handoff.follow_up
        start = ids.ActionRef(ids.CASE_FOLLOW_UP, esc.id, esc.version)
        actions.append(execute(shorten(f"Start {title}", TITLE_LIMIT), start))
    actions.append(_work_button(esc))
    actions.append(execute("Status update reply", ids.ActionRef(ids.CASE_STATUS, esc.id, esc.version)))
    head = text_block("**Tier 2 work on the case**", separator=True)
    return [head, action_set(actions, spacing="small")]


def _work_button(esc: Escalation) -> Element:
    kind: Element = {
        "type": "Input.ChoiceSet",
        "id": ids.WORK_KIND,
        "label": "What was done",
        "style": "compact",
        "isRequired": True,
        "errorMessage": "Pick what was done.",
        "choices": [{"title": label, "value": k.value} for k, label in WORK_CHOICES.items()],
    }
    reference: Element = {
        "type": "Input.Text",
        "id": ids.WORK_REFERENCE,
        "label": "Jira key or partner ticket",
        "placeholder": "e.g. DEV-1234, or Clever's ticket number",
        "maxLength": 200,
    }
    note: Element = {"type": "Input.Text", "id": ids.WORK_NOTE, "label": "Note", "isMultiline": True}
    note["maxLength"] = TEXT_MAX
    hint = text_block(
        "The agent sees what you record: no personal data, use user, class or child IDs.",
        isSubtle=True,
        size="small",
        spacing="none",
    )
    send = execute("Record", ids.ActionRef(ids.CASE_WORK, esc.id, esc.version), style="positive", inputs=True)
    return show_card("Record work", [kind, reference, note, hint], [send])


def said_to_presser(text: str, *, warning: bool = False) -> Element:
    """A line (RAW) for the person who pressed, on their copy of the ping (a refusal is the ping's `notice`)."""
    return text_block(escape_text(text), color="attention" if warning else "good", weight="bolder")


def status_reply(number: str, text: str) -> list[Element]:
    """The status-update reply, on the presser's copy of the ping (see case_actions.status_update)."""
    head = (
        f"**Status update for case {escape_text(number)}**: send it to the customer (its sending is recorded on "
        "the case). Only you see it here, until the ping is next updated: press again to see it again."
    )
    return [text_block(head), copy_box(ids.COPY_REPLY, "Status update reply", text, None)]


# --- `case` ------------------------------------------------------------------------------------------------------
def help_card() -> Element:
    return card([text_block(HELP)], fallback_text="case: help")


def intake_card(
    form_id: str,
    ticket: str | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Element:
    """`case new`: the details that help, as many as the customer gave (none is required). `errors` and `values`
    (field id -> text): a refused submission, shown again with the reasons under the fields."""
    errors = errors or {}
    values = values or {}
    body: list[Element] = [
        text_block("**Open a case**", size="medium"),
        text_block(
            "Technical Services, step 1: open the case and send the customer its number. Fill in what the customer "
            "gave; the reply asks for the rest. No names, birth dates, gender or addresses: use IDs.",
            isSubtle=True,
        ),
    ]
    ticket_input: Element = {"type": "Input.Text", "id": TICKET_INPUT, "label": "Zendesk ticket number"}
    ticket_input["maxLength"] = 10
    if values.get("ticket_id", ticket):
        ticket_input["value"] = values.get("ticket_id", ticket)
    body += [ticket_input, *_error(errors, "ticket_id")]
    for field_id, label, multiline in HELPFUL_DETAILS:
        element: Element = {"type": "Input.Text", "id": ids.field_input_id(field_id), "label": label}
        element |= {"isMultiline": multiline, "maxLength": TEXT_MAX}
        if values.get(field_id):
            element["value"] = values[field_id]
        body += [element, *_error(errors, field_id)]
    priority = values.get("priority") if values.get("priority") in PRIORITIES else "normal"
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": PRIORITY_INPUT,
            "label": "Priority",
            "style": "compact",
            "value": priority,
            "choices": [{"title": p.capitalize(), "value": p} for p in PRIORITIES],
        }
    )
    send = execute("Open case", ids.ActionRef(ids.CASE_NEW, form_id, 0), style="positive", inputs=True)
    return card(body, [send], fallback_text="Open a case")


def _error(errors: Mapping[str, str], field_id: str) -> list[Element]:
    if field_id not in errors:
        return []
    return [text_block(escape_text(errors[field_id]), color="attention", size="small", spacing="none")]


def case_opened_card(
    case: Case, reply: str, missing: Sequence[str], opener: str, *, warning: str | None = None
) -> Element:
    """The case `case new` opened, with the "case opened" reply to copy. `opener`: who opened it (RAW name);
    `warning`: the PII guard's, in warn mode, for the person who typed it only."""
    head = f"📁 Case **{escape_text(case.number)}** opened by {escape_text(opener)}"
    if case.ticket:
        head += f" · Ticket #{escape_text(case.ticket)}"
    body: list[Element] = [text_block(head, size="medium")]
    if warning:
        body.append(text_block(f"⚠️ {escape_text(warning)}", color="attention"))
    body.append(copy_box(ids.COPY_REPLY, "Customer reply (send it now)", reply, None))
    if missing:
        still = "Still missing (the reply asks for it): " + escape_text(", ".join(missing))
        body.append(text_block(still, isSubtle=True))
    return card(body, fallback_text=f"Case {escape_text(case.number)} opened")


def case_view_card(view: CaseView, config: Config) -> Element:
    """`case TS-…`: status, priority, ticket, owner, links, runs, escalations and the timeline."""
    built: Element = {}
    for events, listed in _SHRINK:
        built = _case_view(view, config, events, listed)
        if card_size(built) <= CARD_BUDGET:
            break
    return built


def _case_view(view: CaseView, config: Config, events: int, listed: int) -> Element:
    case = view.case
    status = STATUS_WORDS.get(case.status.value, case.status.value)
    head = f"📁 Case **{escape_text(case.number)}** · {status} · priority **{escape_text(case.priority or 'normal')}**"
    facts = [
        ("Ticket", f"#{escape_text(case.ticket)}" if case.ticket else "—"),
        ("Owner", escape_text(shown(config, case.owner_id))),
        ("Opened", f"{case.opened_at:%Y-%m-%d %H:%M} UTC"),
    ]
    facts += [
        (link.kind.value.capitalize(), escape_text(link.ref))
        for link in case.links
        if link.kind in (LinkKind.JIRA, LinkKind.PARTNER)
    ]
    if case.resolution is not None:
        facts.append(("Found", escape_text(case.resolution.found)))
        if case.resolution.changed:
            facts.append(("Changed", escape_text(case.resolution.changed)))
    body: list[Element] = [
        text_block(head, size="medium"),
        {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
    ]
    if view.runs:
        runs = [f"- {escape_text(pb)} · {escape_text(status)} · ref {rid[:8]}" for rid, pb, status in view.runs]
        body += _section("Runs", runs, listed)
    if view.escalations:
        escs = [
            f"- {escape_text(e.summary)} · {escape_text(config.group_names().get(e.group_id, e.group_id))}"
            f" · {e.status.value}" + (f" by {escape_text(shown(config, e.handled_by))}" if e.handled_by else "")
            for e in view.escalations
        ]
        body += _section("Escalations", escs, listed)
    if view.timeline and events:
        lines = [
            f"- {e.at:%m-%d %H:%M} {escape_text(e.action)}"
            + ("" if e.actor == "chatbot" else f" · {escape_text(shown(config, e.actor))}")
            for e in view.timeline
        ]
        body += _section("Timeline", lines, events, newest=True)
    return card(body, fallback_text=f"Case {escape_text(case.number)}")


def _section(title: str, lines: list[str], most: int, *, newest: bool = False) -> list[Element]:
    kept = lines[-most:] if newest else lines[:most]
    text = "\n".join(kept)
    if len(kept) < len(lines):
        text += f"\n\n({len(lines) - len(kept)} more not shown)"
    return [text_block(f"**{title}**", separator=True), text_block(text, spacing="none")]
