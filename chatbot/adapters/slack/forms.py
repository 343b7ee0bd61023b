"""Collect steps as modals: build the form from the neutral view, read the submitted values back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    EmailInputElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View as SlackView

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.refs import RunRef, encode
from chatbot.adapters.slack.text import shorten, split_text
from chatbot.domain.views import FieldView, View
from chatbot.rendering.escape import markdown_to_mrkdwn

PII_HINT = "May hold personal data: it is withheld from Tier 1 views and only reaches Tier 2."


def form_modal(view: View, ref: RunRef) -> SlackView:
    blocks: list[Block] = []
    if view.text:
        blocks.extend(
            SectionBlock(text=MarkdownTextObject(text=p, verbatim=True))
            for p in split_text(markdown_to_mrkdwn(view.text))
        )
    for f in view.fields:
        hint = " ".join(x for x in (f.help, PII_HINT if f.pii else None) if x)
        blocks.append(
            InputBlock(
                block_id=f.id,
                label=shorten(f.label, 2000),
                element=_element(f),
                hint=shorten(hint, 2000) if hint else None,
                optional=not f.required,
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"_{view.playbook_title}_", verbatim=True)]))
    return SlackView(
        type="modal",
        callback_id=ids.FORM_CALLBACK,
        private_metadata=encode(ref),
        title=shorten(view.title, 24),
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def _element(f: FieldView) -> InputInteractiveElement:
    action = ids.FIELD_ACTION
    placeholder = f.placeholder
    if f.type == "select":
        options = [Option(value=o, text=o) for o in f.options]
        initial = next((o for o in options if o.value == f.value), None)
        return StaticSelectElement(action_id=action, options=options, initial_option=initial, placeholder=placeholder)
    if f.type == "email":
        return EmailInputElement(action_id=action, initial_value=f.value or None, placeholder=placeholder)
    if f.type == "url":
        return UrlInputElement(action_id=action, initial_value=f.value or None, placeholder=placeholder)
    if f.type == "number":
        return NumberInputElement(
            action_id=action, is_decimal_allowed=True, initial_value=f.value or None, placeholder=placeholder
        )
    if f.type == "date":
        return DatePickerElement(action_id=action, initial_date=f.value or None, placeholder=placeholder)
    return PlainTextInputElement(
        action_id=action,
        multiline=f.type == "textarea",
        max_length=f.max_length,
        initial_value=f.value or None,
        placeholder=placeholder,
    )


def submitted_values(state_values: Mapping[str, Any]) -> dict[str, str]:
    """`view.state.values` -> {field id: text}; empty inputs come back as ""."""
    values: dict[str, str] = {}
    for block_id, actions in state_values.items():
        if not isinstance(actions, Mapping):
            continue
        element = actions.get(ids.FIELD_ACTION)
        if not isinstance(element, Mapping):
            continue
        if element.get("type") == "static_select":
            selected = element.get("selected_option") or {}
            values[block_id] = str(selected.get("value") or "")
        elif element.get("type") == "datepicker":
            values[block_id] = str(element.get("selected_date") or "")
        else:
            values[block_id] = str(element.get("value") or "")
    return values
