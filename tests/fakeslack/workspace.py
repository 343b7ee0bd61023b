"""The fake workspace's state (messages, ephemerals, views, users, ...) and the operations shared by the Web API
handlers and the response_url endpoint. Nothing here knows about HTTP.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from . import ids
from .records import JsonDict, SlackError, TriggerRecord
from .validation import check_message_content

# Slack opens modals only within 3 s of the interaction that produced the trigger_id, once.
TRIGGER_TTL_SECONDS = 3.0
# Modal stack depth (views.push fails with push_limit_reached beyond it).
MAX_VIEW_STACK = 3


class Workspace:
    """One team with one installed app (the bot) whose token the app under test uses."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        team_id: str = ids.DEFAULT_TEAM_ID,
        team_domain: str = ids.DEFAULT_TEAM_DOMAIN,
        app_id: str = ids.DEFAULT_APP_ID,
        bot_user_id: str = ids.DEFAULT_BOT_USER_ID,
        bot_id: str = ids.DEFAULT_BOT_ID,
        auto_users: bool = True,
    ) -> None:
        self.clock = clock
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # Unknown user ids get a synthesized profile; False makes users.info answer user_not_found like Slack.
        self.auto_users = auto_users
        self.ts_clock = ids.TsClock()
        self.id_factory = ids.IdFactory()

        # channel -> messages in ts order (thread replies included, flagged by thread_ts != ts); current content.
        self.messages: defaultdict[str, list[JsonDict]] = defaultdict(list)
        # user -> ephemeral messages shown to that user, in posting order.
        self.ephemerals: defaultdict[str, list[JsonDict]] = defaultdict(list)
        # view id -> current view (as views.open/update/push answered it, plus "user_id").
        self.views: dict[str, JsonDict] = {}
        # user -> ids of the modals currently stacked for that user (root first).
        self.view_stacks: defaultdict[str, list[str]] = defaultdict(list)
        # user -> published Home tab view.
        self.home_views: dict[str, JsonDict] = {}
        self.users: dict[str, JsonDict] = {}
        self.presence: dict[str, str] = {}
        self.usergroups: dict[str, list[str]] = {}
        # channel -> error every write to it answers (e.g. not_in_channel, is_archived, channel_not_found).
        self.channel_errors: dict[str, str] = {}
        # Block types refused with invalid_blocks, as by a workspace or client that does not have them yet.
        self.unsupported_blocks: set[str] = set()
        self.triggers: dict[str, TriggerRecord] = {}
        self._dm_ids: dict[tuple[str, ...], str] = {}

    # -- users -----------------------------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int = 0,
        is_bot: bool = False,
        deleted: bool = False,
        **extra: Any,
    ) -> JsonDict:
        name = name or user_id.lower()
        real_name = real_name or name.replace(".", " ").title()
        user: JsonDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_admin": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "email": email or f"{name}@example.com",
                "image_48": f"https://avatars.example.com/{user_id}_48.png",
                "team": self.team_id,
            },
            **extra,
        }
        self.users[user_id] = user
        return user

    def get_user(self, user_id: str) -> JsonDict:
        if user_id not in self.users:
            if not self.auto_users or user_id[:1] not in ("U", "W"):
                raise SlackError("user_not_found")
            self.add_user(user_id)
        return self.users[user_id]

    # -- channels and messages -----------------------------------------------------------------------------------
    def dm_channel(self, user_ids: list[str]) -> tuple[str, bool]:
        """Id of the (multi-person) DM between the bot and ``user_ids``; True if it already existed."""
        key = tuple(sorted(set(user_ids)))
        existed = key in self._dm_ids
        if not existed:
            self._dm_ids[key] = self.id_factory.make("D" if len(key) == 1 else "G")
        return self._dm_ids[key], existed

    def resolve_channel(self, channel: str) -> str:
        # chat.postMessage(channel=<user id>) posts in the app's DM with that user and answers with the D id.
        if channel[:1] in ("U", "W"):
            return self.dm_channel([channel])[0]
        return channel

    def check_writable(self, channel: str) -> None:
        if channel in self.channel_errors:
            raise SlackError(self.channel_errors[channel])

    def find_message(self, channel: str, ts: str) -> JsonDict | None:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None

    def add_message(self, channel: str, message: JsonDict) -> JsonDict:
        """Store a message in ts order and keep the thread parent's reply bookkeeping current."""
        stored = self.messages[channel]
        keys = [ids.ts_to_micros(m["ts"]) for m in stored]
        stored.insert(bisect.bisect(keys, ids.ts_to_micros(message["ts"])), message)
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            parent = self.find_message(channel, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if message.get("user") and message["user"] not in users:
                    users.append(message["user"])
                parent["latest_reply"] = message["ts"]
        return message

    def post_bot_message(
        self,
        channel: str,
        *,
        text: str | None,
        blocks: Any = None,
        attachments: Any = None,
        thread_ts: str | None = None,
        metadata: Any = None,
        reply_broadcast: bool = False,
    ) -> JsonDict:
        check_message_content(text, blocks, attachments, self.unsupported_blocks)
        channel = self.resolve_channel(channel)
        self.check_writable(channel)
        if thread_ts and self.find_message(channel, thread_ts) is None:
            # Slack answers thread_not_found when the parent of a reply does not exist.
            raise SlackError("thread_not_found")
        message: JsonDict = {
            "type": "message",
            "ts": self.ts_clock.next(),
            "channel": channel,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": text or "",
        }
        if blocks is not None:
            message["blocks"] = blocks
        if attachments is not None:
            message["attachments"] = attachments
        if metadata is not None:
            message["metadata"] = metadata
        if thread_ts:
            message["thread_ts"] = thread_ts
            if reply_broadcast:
                message["subtype"] = "thread_broadcast"
        return self.add_message(channel, message)

    def inject_message(
        self, channel: str, text: str, *, user: str = ids.DEFAULT_USER_ID, ts: str | None = None, **extra: Any
    ) -> JsonDict:
        """A message written by a human (so chat.update/delete on it fail with cant_update/delete_message)."""
        message: JsonDict = {
            "type": "message",
            "ts": ts or self.ts_clock.next(),
            "channel": channel,
            "user": user,
            "team": self.team_id,
            "text": text,
            **extra,
        }
        return self.add_message(channel, message)

    def is_bot_message(self, message: JsonDict) -> bool:
        return message.get("bot_id") == self.bot_id

    def replace_content(self, message: JsonDict, body: JsonDict) -> None:
        """chat.update / replace_original: fields sent replace the old ones; attachments are kept unless sent."""
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if "blocks" in body and body["blocks"] is None:
            message.pop("blocks", None)
        message["edited"] = {"user": self.bot_user_id, "ts": self.ts_clock.next()}

    def delete_message(self, channel: str, ts: str) -> None:
        self.messages[channel] = [m for m in self.messages.get(channel, []) if m["ts"] != ts]

    def post_ephemeral(
        self, channel: str, user: str, *, text: str | None, blocks: Any = None, thread_ts: str | None = None
    ) -> JsonDict:
        check_message_content(text, blocks, None, self.unsupported_blocks)
        channel = self.resolve_channel(channel)
        self.check_writable(channel)
        ephemeral: JsonDict = {
            "type": "message",
            "subtype": "ephemeral",
            "ts": self.ts_clock.next(),
            "channel": channel,
            "user": user,
            "bot_id": self.bot_id,
            "text": text or "",
        }
        if blocks is not None:
            ephemeral["blocks"] = blocks
        if thread_ts:
            ephemeral["thread_ts"] = thread_ts
        self.ephemerals[user].append(ephemeral)
        return ephemeral

    def find_ephemeral(self, user: str, ts: str) -> JsonDict | None:
        return next((e for e in self.ephemerals.get(user, []) if e["ts"] == ts), None)

    # -- trigger ids -------------------------------------------------------------------------------------------
    def issue_trigger_id(self, user_id: str = ids.DEFAULT_USER_ID, *, age: float = 0.0) -> str:
        """A trigger_id as if Slack had sent it ``age`` seconds ago with an interaction by ``user_id``."""
        trigger_id = self.id_factory.trigger_id()
        self.triggers[trigger_id] = TriggerRecord(user_id=user_id, issued_at=self.clock() - age)
        return trigger_id

    def exchange_trigger(self, trigger_id: str) -> TriggerRecord:
        record = self.triggers.get(trigger_id)
        if record is None:
            raise SlackError("invalid_trigger_id")
        if record.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - record.issued_at > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        record.used = True
        return record
