"""conversations.history / conversations.replies: enough to check what is in a channel or thread, and in what order."""

from __future__ import annotations

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


def history(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    if channel in ws.channel_errors:
        raise SlackError(ws.channel_errors[channel])
    limit = p.integer("limit", 100)
    # Newest first, thread replies left out (they live in conversations.replies), as on Slack.
    messages = [m for m in reversed(ws.messages.get(channel, [])) if _is_top_level(m)]
    messages = _window(messages, p)
    return {
        "messages": [public(m) for m in messages[:limit]],
        "has_more": len(messages) > limit,
        "pin_count": 0,
        "response_metadata": {"next_cursor": ""},
    }


def replies(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    ts = str(p.require("ts", "thread_not_found"))
    if ws.find_message(channel, ts) is None:
        raise SlackError("thread_not_found")
    limit = p.integer("limit", 1000)
    # Oldest first: the parent, then its replies.
    thread = [m for m in ws.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
    thread = _window(thread, p)
    return {
        "messages": [public(m) for m in thread[:limit]],
        "has_more": len(thread) > limit,
        "response_metadata": {"next_cursor": ""},
    }


METHODS: dict[str, Handler] = {
    "conversations.history": history,
    "conversations.replies": replies,
}
