"""conversations.history / conversations.replies: enough to check what is in a channel or thread, and in what order."""

from __future__ import annotations

import base64

from ..ids import ts_to_micros
from ..records import JsonDict, Params, SlackError
from ..workspace import Workspace
from .base import Handler, public, require_channel


def _window(messages: list[JsonDict], p: Params) -> list[JsonDict]:
    """Apply oldest/latest/inclusive as Slack does: bounds are exclusive unless ``inclusive`` is set."""
    oldest = ts_to_micros(p.string("oldest", "0") or "0")
    latest_ts = p.string("latest")
    latest = ts_to_micros(latest_ts) if latest_ts else None
    inclusive = p.flag("inclusive")
    selected = []
    for message in messages:
        key = ts_to_micros(message["ts"])
        if key < oldest or (key == oldest and not inclusive):
            continue
        if latest is not None and (key > latest or (key == latest and not inclusive)):
            continue
        selected.append(message)
    return selected


def _is_top_level(message: JsonDict) -> bool:
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


def _page(messages: list[JsonDict], p: Params, default_limit: int) -> tuple[list[JsonDict], bool, str]:
    """One page from the cursor on, and the cursor of the next page ("" after the last), as Slack pages."""
    limit = p.integer("limit", default_limit)
    cursor = p.string("cursor") or ""
    try:
        start = int(base64.b64decode(cursor).decode().removeprefix("next:")) if cursor else 0
    except (ValueError, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    page = messages[start : start + limit]
    more = len(messages) > start + limit
    following = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
    return page, more, following


def history(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    if channel in ws.channel_errors:
        raise SlackError(ws.channel_errors[channel])
    # Newest first, thread replies left out (they live in conversations.replies), as on Slack.
    messages = [m for m in reversed(ws.messages.get(channel, [])) if _is_top_level(m)]
    page, more, following = _page(_window(messages, p), p, 100)
    return {
        "messages": [public(m) for m in page],
        "has_more": more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": following},
    }


def replies(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    ts = str(p.require("ts", "thread_not_found"))
    if ws.find_message(channel, ts) is None:
        raise SlackError("thread_not_found")
    # Oldest first: the parent, then its replies.
    thread = [m for m in ws.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
    page, more, following = _page(_window(thread, p), p, 1000)
    return {
        "messages": [public(m) for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": following},
    }


METHODS: dict[str, Handler] = {
    "conversations.history": history,
    "conversations.replies": replies,
}
