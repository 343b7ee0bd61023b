"""Adaptive Card 1.5 element builders (plain dicts), and the card size Teams counts."""

from __future__ import annotations

from typing import Any

import orjson

from chatbot.adapters.teams.ids import ActionRef

Element = dict[str, Any]

CARD_VERSION = "1.5"  # Teams' ceiling; Action.Execute (Universal Actions) needs 1.4+
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
# Bots may post ~100 KB per activity (413 MessageSizeTooBig above), but Incoming Webhooks and Workflows stop at
# 28 KB: budgeting every card at 28 KB keeps one renderer for all of them.
CARD_BUDGET = 28 * 1024
TITLE_LIMIT = 80  # Teams truncates longer button titles anyway


def card(body: list[Element], actions: list[Element] | None = None, fallback_text: str = "") -> Element:
    out: Element = {"type": "AdaptiveCard", "$schema": SCHEMA_URL, "version": CARD_VERSION, "body": body}
    if actions:
        out["actions"] = actions
    if fallback_text:
        out["fallbackText"] = fallback_text
    return out


def card_size(content: Element) -> int:
    """Bytes of the card as compact UTF-8 JSON: what counts against Teams' limits."""
    return len(orjson.dumps(content))


def text_block(text: str, **props: Any) -> Element:
    """`text` must already be Teams-safe (see `text.py`): this does no escaping."""
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def container(items: list[Element], **props: Any) -> Element:
    return {"type": "Container", "items": items, **props}


def action_set(actions: list[Element], **props: Any) -> Element:
    return {"type": "ActionSet", "actions": actions, **props}


def execute(title: str, ref: ActionRef, *, style: str | None = None, inputs: bool = False) -> Element:
    """`Action.Execute` (Universal Actions: the bot answers the invoke with the card that replaces this one), with
    an `Action.Submit` fallback carrying the same data for clients without Universal Actions.

    `inputs=False` sends none of the card's inputs: navigation must not carry a half-filled form along.
    """
    data = ref.encode()
    submit: Element = {"type": "Action.Submit", "title": title, "data": data}
    action: Element = {"type": "Action.Execute", "title": title, "verb": ref.verb, "data": data}
    for item in (submit, action):
        if style:
            item["style"] = style
        if not inputs:
            item["associatedInputs"] = "none"
    action["fallback"] = submit
    return action


def show_card(title: str, body: list[Element], actions: list[Element]) -> Element:
    """A button that unfolds a small card under it: our confirmation step (Adaptive Cards have no confirm)."""
    inner: Element = {"type": "AdaptiveCard", "body": body, "actions": actions}
    return {"type": "Action.ShowCard", "title": title, "card": inner}
