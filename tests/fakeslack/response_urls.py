"""What a post to a response_url does to the workspace (Bolt's ``respond()`` posts there).

Semantics (docs.slack.dev/interactivity/handling-user-interaction):
- ``delete_original: true`` deletes the message the interaction came from;
- ``replace_original: true`` replaces it in place (same ts), ephemeral or not; for a slash command, whose
  response_url has no message, it replaces the last ephemeral this response_url posted;
- otherwise a new message: ``response_type: "in_channel"`` visible to all, else (default) ephemeral to the user.
A response_url works at most 5 times within 30 minutes.

Only the app's own messages can be replaced or deleted. Slack's error codes for a spent/expired response_url are not
documented; ``used_url``/``expired_url`` with HTTP 404 are what Slack has been seen to answer.
"""

from __future__ import annotations

from typing import Any

from .records import JsonDict, ResponseUrlBinding, SlackError
from .validation import check_message_content
from .workspace import Workspace

MAX_USES = 5
LIFETIME_SECONDS = 30 * 60


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def _target(ws: Workspace, binding: ResponseUrlBinding) -> tuple[JsonDict | None, bool]:
    """The message replace/delete acts on, and whether it is an ephemeral one."""
    if binding.ephemeral and binding.user_id and binding.message_ts:
        return ws.find_ephemeral(binding.user_id, binding.message_ts), True
    if binding.channel and binding.message_ts:
        return ws.find_message(binding.channel, binding.message_ts), False
    if binding.user_id and binding.last_posted_ts:
        return ws.find_ephemeral(binding.user_id, binding.last_posted_ts), True
    return None, False


def check_usable(binding: ResponseUrlBinding, now: float) -> None:
    if now - binding.created_at > LIFETIME_SECONDS:
        raise SlackError("expired_url")
    if binding.uses >= MAX_USES:
        raise SlackError("used_url")


def apply_response(ws: Workspace, binding: ResponseUrlBinding, body: JsonDict) -> str:
    """Apply ``body`` and return a short outcome for ``slack.responses``; raise SlackError when Slack would refuse."""
    if _flag(body.get("delete_original")):
        target, is_ephemeral = _target(ws, binding)
        if target is None:
            raise SlackError("message_not_found")
        if is_ephemeral:
            ws.ephemerals[target["user"]].remove(target)
            return "deleted_ephemeral"
        if not ws.is_bot_message(target):
            raise SlackError("cant_delete_message")
        ws.delete_message(target["channel"], target["ts"])
        return "deleted"

    text, blocks, attachments = body.get("text"), body.get("blocks"), body.get("attachments")
    check_message_content(text, blocks, attachments, ws.unsupported_blocks)
    if _flag(body.get("replace_original")):
        target, is_ephemeral = _target(ws, binding)
        if target is not None:
            if not is_ephemeral and not ws.is_bot_message(target):
                raise SlackError("cant_update_message")
            ws.replace_content(target, {"text": text, "blocks": blocks, "attachments": attachments})
            return "replaced_ephemeral" if is_ephemeral else "replaced"
        if binding.message_ts:
            raise SlackError("message_not_found")
        # A command's response_url that has not posted yet: replacing nothing posts a new ephemeral.

    if body.get("response_type") == "in_channel":
        if not binding.channel:
            raise SlackError("channel_not_found")
        ws.post_bot_message(
            binding.channel, text=text, blocks=blocks, attachments=attachments, thread_ts=body.get("thread_ts")
        )
        return "posted_in_channel"
    if not binding.user_id or not binding.channel:
        raise SlackError("user_not_found")
    ephemeral = ws.post_ephemeral(
        binding.channel, binding.user_id, text=text, blocks=blocks, thread_ts=body.get("thread_ts")
    )
    binding.last_posted_ts = ephemeral["ts"]
    return "posted_ephemeral"
