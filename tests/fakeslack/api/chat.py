"""chat.* methods."""

from __future__ import annotations

from ..records import JsonDict, Params, SlackError
from ..validation import check_message_content
from ..workspace import Workspace
from .base import Handler, public, require_channel


def post_message(ws: Workspace, p: Params) -> JsonDict:
    message = ws.post_bot_message(
        require_channel(p),
        text=p.string("text"),
        blocks=p.structured("blocks"),
        attachments=p.structured("attachments"),
        thread_ts=p.string("thread_ts"),
        metadata=p.structured("metadata"),
        reply_broadcast=p.flag("reply_broadcast"),
    )
    return {"channel": message["channel"], "ts": message["ts"], "message": public(message)}


def _own_message(ws: Workspace, channel: str, ts: str, refusal: str) -> JsonDict:
    message = ws.find_message(channel, ts)
    if message is None:
        raise SlackError("message_not_found")
    if not ws.is_bot_message(message):
        raise SlackError(refusal)  # a bot token can only edit/delete the bot's own messages
    return message


def update(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    ts = str(p.require("ts", "message_not_found"))
    message = _own_message(ws, channel, ts, "cant_update_message")
    changes = {
        "text": p.string("text"),
        "blocks": p.structured("blocks"),
        "attachments": p.structured("attachments"),
        "metadata": p.structured("metadata"),
    }
    check_message_content(changes["text"], changes["blocks"], changes["attachments"], ws.unsupported_blocks)
    ws.replace_content(message, changes)
    return {"channel": channel, "ts": ts, "text": message.get("text", ""), "message": public(message)}


def post_ephemeral(ws: Workspace, p: Params) -> JsonDict:
    ephemeral = ws.post_ephemeral(
        require_channel(p),
        str(p.require("user", "user_not_in_channel")),
        text=p.string("text"),
        blocks=p.structured("blocks"),
        thread_ts=p.string("thread_ts"),
    )
    return {"message_ts": ephemeral["ts"]}


def delete(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    ts = str(p.require("ts", "message_not_found"))
    _own_message(ws, channel, ts, "cant_delete_message")
    ws.delete_message(channel, ts)
    return {"channel": channel, "ts": ts}


def get_permalink(ws: Workspace, p: Params) -> JsonDict:
    channel = require_channel(p)
    ts = str(p.require("message_ts", "message_not_found"))
    message = ws.find_message(channel, ts)
    if message is None:
        raise SlackError("message_not_found")
    permalink = f"https://{ws.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != ts:
        permalink += f"?thread_ts={thread_ts}&cid={channel}"
    return {"channel": channel, "permalink": permalink}


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.delete": delete,
    "chat.getPermalink": get_permalink,
}
