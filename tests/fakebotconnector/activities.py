"""Activities shaped like the ones Teams sends a bot, built from the SDK's own pydantic models.

Shapes follow Microsoft's documented Teams activities: `channelData.tenant.id`, `conversation.conversationType`
("personal" | "channel" | "groupChat") with `tenantId`, `from.aadObjectId`, a bot @mention entity in channels
(with the `<at>` tag in `text`), and `value.action` on `adaptiveCard/action` invokes (Universal Actions). The
`Action.Submit` fallback arrives as a message with `value` (the action data merged with the card's inputs), no
text, and `replyToId` naming the card's message.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import (
    Activity,
    AdaptiveCardInvokeAction,
    AdaptiveCardInvokeValue,
    ChannelAccount,
    ConversationAccount,
    Entity,
    Mention,
)

TENANT_ID = "4b2a1c9e-5d6f-4e70-9a81-b2c3d4e5f607"
USER_AAD_ID = "6a0f1b2c-3d4e-4f50-8a61-7b8c9d0e1f23"
USER_ID = "29:1Xq8mZk3Yf0pL6wQe2TnV7sRb4uJc9hGd5aK"
USER_NAME = "Ada Agent"
PERSONAL_CHAT = "a:1Sg7kR2xPq9VbN4mT8wLc3YhJ6dF0eZuA5iO"
CHANNEL = "19:3b1e0c8a9f2d4e6b8a7c5d3e1f0a9b8c@thread.tacv2"
_ids = itertools.count(1_712_000_000_000)


@dataclass(frozen=True)
class Bot:
    app_id: str
    name: str = "Support Playbooks"

    @property
    def account(self) -> ChannelAccount:
        return ChannelAccount(id=f"28:{self.app_id}", name=self.name)


def _conversation(kind: str) -> ConversationAccount:
    if kind == "personal":
        return ConversationAccount(id=PERSONAL_CHAT, conversation_type="personal", tenant_id=TENANT_ID)
    # A channel post's conversation id names the thread: the channel id plus the root message id.
    return ConversationAccount(
        id=f"{CHANNEL};messageid={next(_ids)}", conversation_type="channel", is_group=True, tenant_id=TENANT_ID
    )


def _channel_data(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {"tenant": {"id": TENANT_ID}}
    if kind == "channel":
        data |= {
            "teamsChannelId": CHANNEL,
            "teamsTeamId": "19:team0a1b2c3d4e5f@thread.tacv2",
            "channel": {"id": CHANNEL},
            "team": {"id": "19:team0a1b2c3d4e5f@thread.tacv2"},
        }
    return data


def _user() -> ChannelAccount:
    return ChannelAccount(id=USER_ID, name=USER_NAME, aad_object_id=USER_AAD_ID)


def dump(activity: Activity) -> dict[str, Any]:
    return activity.model_dump(by_alias=True, exclude_none=True, mode="json")


def message(bot: Bot, service_url: str, text: str, *, kind: str = "personal") -> dict[str, Any]:
    """A user's message to the bot; in a channel it @mentions the bot, as Teams requires there."""
    entities: list[Entity] = [Entity(type="clientInfo", locale="en-US", country="US", platform="Web")]
    if kind == "channel":
        tag = f"<at>{bot.name}</at>"
        text = f"{tag} {text}"
        entities.insert(0, Mention(type="mention", mentioned=bot.account, text=tag))
    return dump(
        Activity(
            type="message",
            id=str(next(_ids)),
            service_url=service_url,
            channel_id="msteams",
            from_property=_user(),
            conversation=_conversation(kind),
            recipient=bot.account,
            text_format="plain",
            locale="en-US",
            text=text,
            entities=entities,
            channel_data=_channel_data(kind),
        )
    )


def card_action_invoke(
    bot: Bot, service_url: str, verb: str, data: dict[str, Any], *, card_message_id: str, kind: str = "personal"
) -> dict[str, Any]:
    """What Teams sends when a user presses an `Action.Execute` button (inputs merged into `data`)."""
    value = AdaptiveCardInvokeValue(action=AdaptiveCardInvokeAction(type="Action.Execute", verb=verb, data=data))
    return dump(
        Activity(
            type="invoke",
            name="adaptiveCard/action",
            id=f"f:{next(_ids)}",
            reply_to_id=card_message_id,
            service_url=service_url,
            channel_id="msteams",
            from_property=_user(),
            conversation=_conversation(kind),
            recipient=bot.account,
            locale="en-US",
            value={**value.model_dump(by_alias=True, exclude_none=True, mode="json"), "trigger": "manual"},
            channel_data=_channel_data(kind) | {"source": {"name": "message"}},
        )
    )


def submit_message(
    bot: Bot, service_url: str, data: dict[str, Any], *, card_message_id: str, kind: str = "personal"
) -> dict[str, Any]:
    """What an older client sends for the `Action.Submit` fallback: a message carrying `value`, no text."""
    return dump(
        Activity(
            type="message",
            id=str(next(_ids)),
            reply_to_id=card_message_id,
            service_url=service_url,
            channel_id="msteams",
            from_property=_user(),
            conversation=_conversation(kind),
            recipient=bot.account,
            locale="en-US",
            value=data,
            channel_data=_channel_data(kind) | {"postBack": True, "source": {"name": "message"}},
        )
    )
