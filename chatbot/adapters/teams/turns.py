"""The neutral side of the Teams front: what the handler sees, and the protocol the services implement.

Nothing here imports the SDK: the handler (wired to the real services by the runtime) works with these
dataclasses and returns cards built by `cards.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.cards import notice_card

Card = dict[str, Any]


@dataclass(frozen=True)
class Person:
    """Who acted. `aad_object_id` is the stable Entra user id (use it to link people across Teams and Graph);
    `teams_id` ("29:...") is what Teams mentions and 1:1 chats need; `name` is a display name (RAW text)."""

    teams_id: str
    aad_object_id: str | None
    name: str | None


@dataclass(frozen=True)
class ConversationRef:
    """Where it happened. `type`: "personal" | "channel" | "groupChat". `reference`: the SDK's
    ConversationReference as JSON, to store and hand back for proactive sends (pings, digests). `team_id`: the
    team of a channel conversation (`channelData.team.id`)."""

    id: str
    type: str | None
    service_url: str
    tenant_id: str | None
    reference: Mapping[str, Any] = field(default_factory=dict)
    team_id: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    """A text message to the bot (`triage vpn`, `help`), with the bot's @mention already removed."""

    who: Person
    conversation: ConversationRef
    text: str
    activity_id: str | None


@dataclass(frozen=True)
class CardAction:
    """A button pressed on one of our cards.

    `universal`: True for `Action.Execute` (the returned card replaces the pressed one at once, via the invoke
    response); False for the `Action.Submit` fallback (the front updates the message `card_message_id` with it).
    `data`: the action data with the card's inputs merged in by the client.
    """

    who: Person
    conversation: ConversationRef
    action: ids.ActionRef
    data: Mapping[str, object]
    card_message_id: str | None
    universal: bool

    @property
    def fields(self) -> dict[str, str]:
        """Form values, {field id: text}, for a `pb.submit`."""
        return ids.submitted_fields(self.data)

    @property
    def picked_playbook(self) -> str | None:
        """The playbook chosen in the picker, for a `pb.pick`."""
        return ids.picked_playbook(self.data)


@dataclass(frozen=True)
class ConversationUpdate:
    """A `conversationUpdate` or `installationUpdate`: the bot added to (or removed from) a chat or team, a channel
    created or renamed. `event_type`: `channelData.eventType` ("teamMemberAdded", "channelCreated", ...);
    `action`: an installationUpdate's "add" / "remove"; `channel_id`: `channelData.channel.id`."""

    conversation: ConversationRef
    kind: str
    event_type: str | None = None
    action: str | None = None
    channel_id: str | None = None
    bot_added: bool = False
    bot_removed: bool = False


@dataclass(frozen=True)
class Reply:
    """A new message in the conversation (in a channel: in the thread of the message it answers).

    `on_posted` is called with the new message's id once Teams has it (a session remembers where its card lives).
    """

    card: Card
    on_posted: Callable[[str], Awaitable[None]] | None = None

    @classmethod
    def notice(cls, text: str) -> Reply:
        return cls(notice_card(text))


@dataclass(frozen=True)
class CardReply:
    """The card that replaces the one whose button was pressed."""

    card: Card


class TeamsHandler(Protocol):
    """What the Teams front needs from the services (the runtime implements it; tests use a double).

    Exceptions are caught by the front: a `UserFacingError`'s message is shown to the user, anything else is
    logged with an id the user can quote. Nothing raised ever reaches the chat as a traceback.
    """

    async def on_message(self, turn: IncomingMessage) -> Reply | None: ...

    async def on_card_action(self, action: CardAction) -> CardReply: ...

    async def on_conversation_update(self, update: ConversationUpdate) -> Reply | None: ...
