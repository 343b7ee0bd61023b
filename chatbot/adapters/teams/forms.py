"""Collect steps as inputs in the session card, with the server's per-field errors under each field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.kit import Element, action_set, execute, text_block
from chatbot.adapters.teams.text import author_markdown, escape_text
from chatbot.domain.views import FieldView, View

PII_HINT = "May hold personal data: it is withheld from Tier 1 views and only reaches Tier 2."
REQUIRED_MESSAGE = "This field is required."


def form_elements(
    view: View, ref: ids.ActionRef, errors: Mapping[str, str] | None = None, values: Mapping[str, str] | None = None
) -> list[Element]:
    """The inputs of a collect step and its Save button.

    `errors` ({field id: message}) come from the server refusing a submission; `values` are what was submitted
    then, so the agent fixes one field instead of retyping all (they win over the view's earlier values).
    """
    errors = errors or {}
    values = values or {}
    elements: list[Element] = []
    for f in view.fields:
        value = values.get(f.id, f.value)
        elements.append(_input(f, value))
        hint = " ".join(x for x in (f.help and author_markdown(f.help), PII_HINT if f.pii else None) if x)
        if hint:
            elements.append(text_block(hint, isSubtle=True, size="small", spacing="none"))
        if f.id in errors:
            # Adaptive Cards show `errorMessage` only for the client's own checks; a server refusal is a TextBlock.
            elements.append(text_block(escape_text(errors[f.id]), color="attention", size="small", spacing="none"))
    save = ids.ActionRef(ids.SUBMIT, ref.run_id, ref.version)
    elements.append(action_set([execute("Save", save, style="positive", inputs=True)]))
    return elements


def _input(f: FieldView, value: str | None) -> Element:
    # Input labels and choice titles are plain text in Teams (never Markdown), so they go in as written.
    base: Element = {"id": ids.field_input_id(f.id), "label": f.label, "isRequired": f.required}
    if f.required:
        base["errorMessage"] = REQUIRED_MESSAGE
    if f.placeholder:
        base["placeholder"] = f.placeholder
    if f.type == "select":
        element: Element = {
            "type": "Input.ChoiceSet",
            **base,
            "style": "compact",
            "choices": [{"title": o, "value": o} for o in f.options],
        }
        if value in f.options:
            element["value"] = value
        return element
    if f.type == "number":
        element = {"type": "Input.Number", **base}
        number = _number(value)
        if number is not None:
            element["value"] = number
        return element
    if f.type == "date":
        element = {"type": "Input.Date", **base}
        if value and _is_date(value):
            element["value"] = value
        return element
    element = {"type": "Input.Text", **base, "maxLength": f.max_length}
    if f.type == "textarea":
        element["isMultiline"] = True
    elif f.type in ("email", "url"):
        element["style"] = f.type
    if value:
        element["value"] = value
    return element


def _number(value: str | None) -> int | float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):  # "nan" parses, but is not JSON
        return None
    return int(number) if number.is_integer() and "." not in value else number


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
