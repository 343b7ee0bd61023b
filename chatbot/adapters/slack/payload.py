"""The shape of what Slack sends, checked once at the edge: a typed model per kind of request.

Bolt reads `user`, `team`, `channel`, `actions`, `view` and `event` from every body without checking their types,
and a signed body with `"actions": []` or `"user": "U1"` made it raise (HTTP 500). Every body is validated here
first; what does not fit is answered 400 before bolt or a listener sees it, and listeners read the typed model
(`context["payload"]`) instead of walking dicts.

Models allow extra keys: Slack adds fields over time, and bolt still gets the original body.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Malformed(Exception):
    """The body is not a Slack request this app can read; the message says why (for logs, never user text)."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Ref(_Loose):
    id: str


class TeamRef(_Loose):
    id: str | None = None
    enterprise_id: str | None = None


class Container(_Loose):
    type: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    is_ephemeral: bool | None = None


class SelectedOption(_Loose):
    value: str


class Action(_Loose):
    action_id: str
    block_id: str | None = None
    type: str | None = None
    value: str | None = None
    selected_option: SelectedOption | None = None


class InputValue(_Loose):
    """One input element's state in a submitted modal."""

    type: str | None = None
    value: str | None = None
    selected_option: SelectedOption | None = None
    selected_date: str | None = None

    def text(self) -> str:
        if self.selected_option is not None:
            return self.selected_option.value
        return self.selected_date or self.value or ""


class ViewState(_Loose):
    values: dict[str, dict[str, InputValue]] = Field(default_factory=dict)


class ModalView(_Loose):
    id: str | None = None
    type: str | None = None
    callback_id: str = ""
    private_metadata: str = ""
    state: ViewState = Field(default_factory=ViewState)
    team_id: str | None = None
    app_installed_team_id: str | None = None


class Event(_Loose):
    type: str
    user: str | dict[str, Any] | None = None  # an object in user_change / team_join events
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    text: str | None = None
    bot_id: str | None = None


class _Common(_Loose):
    """Fields bolt reads from any body, whatever its type: when present they must have the right shape."""

    team: TeamRef | None = None
    enterprise: TeamRef | None = None
    authorizations: list[dict[str, Any]] | None = None
    api_app_id: str | None = None
    is_enterprise_install: bool | None = None
    response_url: str | None = None
    trigger_id: str | None = None


class BlockActions(_Common):
    type: Literal["block_actions"]
    user: Ref
    actions: list[Action] = Field(min_length=1)
    channel: Ref | None = None
    container: Container | None = None
    message: dict[str, Any] | None = None
    view: ModalView | None = None

    @property
    def action(self) -> Action:
        return self.actions[0]

    @property
    def channel_id(self) -> str:
        """Where the click happened: the message's channel (empty for a click in a modal)."""
        if self.container is not None and self.container.channel_id:
            return self.container.channel_id
        return self.channel.id if self.channel is not None else ""

    @property
    def message_ts(self) -> str:
        return (self.container.message_ts if self.container is not None else None) or ""

    @property
    def team_id(self) -> str:
        return (self.team.id if self.team is not None else None) or ""


class ViewSubmission(_Common):
    type: Literal["view_submission"]
    user: Ref
    view: ModalView

    def values(self) -> dict[str, str]:
        """{block id: text} of the modal's inputs (each block holds one element); empty inputs as ""."""
        out: dict[str, str] = {}
        for block_id, elements in self.view.state.values.items():
            for element in elements.values():
                out[block_id] = element.text()
                break
        return out


class ViewClosed(_Common):
    type: Literal["view_closed"]
    user: Ref
    view: ModalView


class OtherInteraction(_Common):
    """An interaction type this app registers no listener for (bolt answers it as unhandled)."""

    type: str
    user: Ref | None = None
    channel: Ref | None = None
    view: ModalView | None = None
    message: dict[str, Any] | None = None


class EventCallback(_Loose):
    type: Literal["event_callback"]
    event_id: str
    event: Event
    team_id: str | None = None
    enterprise_id: str | None = None
    authorizations: list[dict[str, Any]] | None = None
    api_app_id: str | None = None
    is_ext_shared_channel: bool | None = None


class UrlVerification(_Loose):
    type: Literal["url_verification"]
    challenge: str = ""


class SslCheck(_Loose):
    """Slack checking the certificate of a slash command's URL (answered 200, nothing else)."""

    ssl_check: str


class SlashCommand(_Loose):
    command: str
    text: str = ""
    user_id: str
    channel_id: str
    team_id: str = ""
    response_url: str | None = None
    trigger_id: str | None = None


Payload = (
    BlockActions
    | ViewSubmission
    | ViewClosed
    | OtherInteraction
    | EventCallback
    | UrlVerification
    | SslCheck
    | SlashCommand
)
_BY_TYPE: dict[str, type[BaseModel]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "view_closed": ViewClosed,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
}


def kind_of(data: dict[str, Any]) -> str:
    """The request's kind for metrics and routing: `slash_command`, or the body's `type`."""
    if "command" in data and "type" not in data:
        return "slash_command"
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise Malformed("body without a type")
    return kind


def parse(data: dict[str, Any]) -> Payload:
    """The typed payload of a decoded Slack body; Malformed when a field has the wrong shape."""
    kind = kind_of(data)
    model = SlashCommand if kind == "slash_command" else _BY_TYPE.get(kind, OtherInteraction)
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise Malformed(f"{kind} with malformed {', '.join(fields[:5])}") from None
