"""Teams conversations as the app stores them: a short stable key per conversation, and the references to keep.

Runs, escalations and their posts keep the conversation in a 255-character column. Teams' ids are usually shorter
(a channel thread is `19:…@thread.tacv2;messageid=…`, a personal chat `a:1…` of ~130 characters) but nothing
bounds them, so an id that does not fit is stored as a hash of it; the full id is in `teams_conversations`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from chatbot.adapters.teams.turns import ConversationRef
from chatbot.services.conversations import ConversationRecord

KEY_LIMIT = 200
HASH_PREFIX = "teams-h:"
THREAD = ";messageid="


def conversation_key(conversation_id: str) -> str:
    if len(conversation_id) <= KEY_LIMIT and not conversation_id.startswith(HASH_PREFIX):
        return conversation_id
    return HASH_PREFIX + hashlib.sha256(conversation_id.encode()).hexdigest()


def channel_of(conversation_id: str) -> str:
    """The channel a channel thread belongs to (other conversations are their own)."""
    return conversation_id.split(THREAD, 1)[0]


def thread_of(channel_id: str, root_message_id: str) -> str:
    """The conversation id of a channel post's thread, where replies to it go."""
    return f"{channel_of(channel_id)}{THREAD}{root_message_id}"


def records_for(conv: ConversationRef) -> list[ConversationRecord]:
    """What to remember about a conversation an activity came from: the conversation itself and, for a channel
    thread, its channel too (where new pings start new threads)."""
    team = conv.team_id
    found = [
        ConversationRecord(
            conversation_key(conv.id), conv.id, conv.type, conv.service_url, conv.tenant_id, team, dict(conv.reference)
        )
    ]
    channel = channel_of(conv.id)
    if conv.type == "channel" and channel != conv.id:
        found.append(channel_record(channel, conv.service_url, conv.tenant_id, team, conv.reference))
    return found


def channel_record(
    channel_id: str, service_url: str, tenant_id: str | None, team_id: str | None, like: Mapping[str, Any]
) -> ConversationRecord:
    """A channel's own reference, built from another reference in the same team (the bot and service URL)."""
    reference = {
        key: value for key, value in like.items() if key in ("bot", "agent", "channelId", "serviceUrl", "locale")
    }
    reference["conversation"] = {
        "id": channel_id,
        "conversationType": "channel",
        "isGroup": True,
        **({"tenantId": tenant_id} if tenant_id else {}),
    }
    reference["serviceUrl"] = service_url
    return ConversationRecord(
        conversation_key(channel_id), channel_id, "channel", service_url, tenant_id, team_id, reference
    )
