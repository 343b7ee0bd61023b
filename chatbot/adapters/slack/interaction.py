"""Reading an interaction payload (block_actions): where it happened, who acted, which button."""

from __future__ import annotations

from typing import Any

from chatbot.adapters.slack import ids


def where(body: dict[str, Any]) -> tuple[str, str, str, str | None]:
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    return (
        channel,
        str(container.get("message_ts") or ""),
        str((body.get("user") or {}).get("id", "")),
        body.get("response_url"),
    )


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ids.BadPayload("no action in the payload")
    return actions[0]
