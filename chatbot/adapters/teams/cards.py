"""Neutral views -> Adaptive Cards 1.5 for Teams. Pure functions: the same view always gives the same card.

A session lives in one card, replaced in place on every answer (the invoke response to `Action.Execute`, or an
update of the message for the `Action.Submit` fallback). Escaping rules are in `text.py`: fields the engine fills
from what users typed (trail answers, reply, note, field values) are RAW and escaped here; author-written fields
(question, text, help, link titles) are trusted Markdown that only loses `<` / `>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.forms import form_elements
from chatbot.adapters.teams.kit import (
    CARD_BUDGET,
    TITLE_LIMIT,
    Element,
    action_set,
    card,
    card_size,
    container,
    execute,
    show_card,
    text_block,
)
from chatbot.adapters.teams.outcome import next_steps, outcome_elements
from chatbot.adapters.teams.text import author_markdown, escape_text, shorten
from chatbot.domain.views import View

TRAIL_SHOWN = 8
# Tried in turn until the card fits the budget: (trail lines shown, cap on reply/note, cap on authored texts).
_SHRINK_STEPS: tuple[tuple[int, int | None, int | None], ...] = (
    (TRAIL_SHOWN, None, None),
    (3, None, None),
    (0, None, None),
    (0, 8000, None),
    (0, 4000, 2000),
    (0, 2000, 1000),
)
PICKER_LIMIT = 100


def session_card(
    view: View,
    run_id: str,
    owner_name: str | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    group_names: Mapping[str, str] | None = None,
    status: str | None = None,
    notice: str | None = None,
) -> Element:
    """The card an agent's session lives in.

    `owner_name`: display name of who started it (raw). `errors` / `values`: a refused form submission (field id
    -> message / submitted text). `group_names`: group id -> display name, for the escalation line. `status`: a
    raw line about the escalation's progress that replaces the default "what happens next". `notice`: a raw line
    for the person who pressed (a refused or outdated click), shown at the top.
    """
    built: Element = {}
    for trail_shown, copy_limit, text_limit in _SHRINK_STEPS:
        shown = view if text_limit is None else _cap_texts(view, text_limit)
        built = _session(shown, run_id, owner_name, errors, values, group_names or {}, status, trail_shown, copy_limit)
        if notice:
            built["body"].insert(2, text_block(escape_text(notice), color="attention", weight="bolder"))
        if card_size(built) <= CARD_BUDGET:
            break
    return built


def _session(
    view: View,
    run_id: str,
    owner_name: str | None,
    errors: Mapping[str, str] | None,
    values: Mapping[str, str] | None,
    group_names: Mapping[str, str],
    status: str | None,
    trail_shown: int,
    copy_limit: int | None,
) -> Element:
    state = {"finished": "finished", "cancelled": "cancelled"}.get(view.status, f"step {len(view.trail) + 1}")
    who = f"Session for {escape_text(owner_name)} · " if owner_name else ""
    numbers = "".join(  # as Slack's session message: the case and ticket the agent quotes
        f"{label}{escape_text(value)} · "
        for label, value in (("Case ", view.case_number), ("Ticket #", view.ticket))
        if value
    )
    line = f"{who}{numbers}{state} · ref {escape_text(run_id[:8])}"
    body: list[Element] = [
        text_block(escape_text(view.playbook_title), style="heading", size="large", weight="bolder"),
        text_block(line, isSubtle=True, size="small", spacing="none"),
    ]
    trail = _trail(view, trail_shown)
    if trail:
        body.append(trail)
    ref = ids.ActionRef(ids.CONTINUE, run_id, view.version)
    if view.kind == "cancelled":
        body.append(text_block("This session was cancelled. **Restart** walks the playbook again.", separator=True))
        actions = _nav(ref, back=False, cancel=False)
    elif view.outcome is not None:
        out = view.outcome
        steps = status or next_steps(out.kind, out.group, group_names)
        body.append(
            container(
                outcome_elements(
                    out.kind, out.summary, out.priority, out.referred_to, out.reply, out.note, steps, copy_limit
                ),
                separator=True,
            )
        )
        actions = _nav(ref, back=view.can_back, cancel=False)
    else:
        body.append(container(_step(view, ref, errors, values), separator=True))
        actions = _nav(ref, back=view.can_back, cancel=True)
    return card(body, actions, fallback_text=f"{view.playbook_title}: {view.title}")


def _trail(view: View, shown_count: int) -> Element | None:
    if not view.trail:
        return None
    shown = view.trail[-shown_count:] if shown_count else ()
    items: list[Element] = []
    earlier = len(view.trail) - len(shown)
    if earlier:
        items.append(text_block(f"_{earlier} earlier answers (all in the internal note)_", isSubtle=True))
    for line in shown:
        answer = escape_text(line.answer)
        items.append(text_block(f"✓ {author_markdown(line.question)} → **{answer}**", spacing="none"))
    return container(items, spacing="medium")


def _step(
    view: View, ref: ids.ActionRef, errors: Mapping[str, str] | None, values: Mapping[str, str] | None
) -> list[Element]:
    elements: list[Element] = [text_block(f"**{escape_text(view.title)}**", size="medium")]
    if view.question:
        elements.append(text_block(author_markdown(view.question)))
    if view.text:
        elements.append(text_block(author_markdown(view.text)))
    if view.help:
        elements.append(text_block("ℹ️ " + author_markdown(view.help), isSubtle=True))
    if view.links:
        lines = "\n".join(f"- [{_link_title(link.title)}]({link.url})" for link in view.links)
        elements.append(text_block(lines))
    if view.kind == "question":
        for choice in view.choices:
            pick = ids.ActionRef(ids.CHOOSE, ref.run_id, ref.version, choice.index)
            # One button per row: decision labels are long, and Teams cuts a row of buttons rather than wrap it.
            elements.append(action_set([execute(shorten(choice.label, TITLE_LIMIT), pick)], spacing="small"))
            if choice.help:
                elements.append(text_block(author_markdown(choice.help), isSubtle=True, size="small", spacing="none"))
    elif view.kind == "collect":
        elements.extend(form_elements(view, ref, errors, values))
    elif view.kind == "instructions":
        label = shorten(view.continue_label or "Continue", TITLE_LIMIT)
        elements.append(action_set([execute(label, ref, style="positive")]))
    return elements


def _link_title(title: str) -> str:
    # Inside [..] a `]` would end the title early; the rest is author Markdown like any other.
    return author_markdown(title).replace("[", "(").replace("]", ")")


def _nav(ref: ids.ActionRef, *, back: bool, cancel: bool) -> list[Element]:
    actions: list[Element] = []
    if back:
        actions.append(execute("Back", ids.ActionRef(ids.BACK, ref.run_id, ref.version)))
    actions.append(execute("Restart", ids.ActionRef(ids.RESTART, ref.run_id, ref.version)))
    if cancel:
        sure = execute("Cancel it", ids.ActionRef(ids.CANCEL, ref.run_id, ref.version), style="destructive")
        confirm = [text_block("Cancel this session? The answers so far stay in the audit trail.")]
        actions.append(show_card("Cancel", confirm, [sure]))
    return actions


def _cap_texts(view: View, limit: int) -> View:
    def cap(text: str | None) -> str | None:
        return None if text is None else shorten(text, limit)

    return replace(view, question=cap(view.question), text=cap(view.text), help=cap(view.help))


def picker_card(playbooks: list[tuple[str, str]], intro: str) -> Element:
    """`triage` with no text (or a search with several matches): pick a playbook, then Start.

    `playbooks`: (id, title) pairs. `intro` is RAW (it may quote what the agent searched for).
    """
    choices = [{"title": shorten(title, TITLE_LIMIT), "value": pid} for pid, title in playbooks[:PICKER_LIMIT]]
    body: list[Element] = [
        text_block(escape_text(intro)),
        {
            "type": "Input.ChoiceSet",
            "id": ids.PICK_INPUT,
            "label": "Playbook",
            "style": "compact",
            "isRequired": True,
            "errorMessage": "Choose a playbook first.",
            "placeholder": "Choose a playbook",
            "choices": choices,
        },
    ]
    start = execute("Start", ids.ActionRef(ids.PICK), style="positive", inputs=True)
    return card(body, [start], fallback_text="Choose a playbook")


def notice_card(text: str, title: str | None = None) -> Element:
    """A short message (RAW text) as a card, e.g. a refusal or "this session moved on"."""
    body: list[Element] = []
    if title:
        body.append(text_block(f"**{escape_text(title)}**"))
    body.append(text_block(escape_text(text)))
    # Clients that cannot show the card show this instead, as Markdown: escaped like the rest.
    return card(body, fallback_text=escape_text(shorten(title or text, 200)))
