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


class _Id(_Loose):
    id: str | None = None


class TeamRef(_Loose):
    id: str | None = None
    enterprise_id: str | None = None


class ResponseUrl(_Loose):
    response_url: str
    channel_id: str | None = None


class _FunctionData(_Loose):
    execution_id: str | None = None
    inputs: dict[str, Any] | None = None


class BoltFields(_Loose):
    """What bolt's context builder reads from a body, and recursively from its `event`, `message`,
    `previous_message`, `item` and `authorizations`, before any listener runs: each must have a shape it can read
    (it assumes one and raised on others: a list for `response_urls`, a dict or text for `user`...)."""

    user: str | _Id | None = None
    user_id: str | None = None
    team: str | TeamRef | None = None
    team_id: str | None = None
    enterprise: str | _Id | None = None
    enterprise_id: str | None = None
    channel: str | _Id | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    is_enterprise_install: bool | None = None
    is_ext_shared_channel: bool | None = None
    authorizations: list[BoltFields] | None = None
    event: BoltFields | None = None
    message: BoltFields | None = None
    previous_message: BoltFields | None = None
    item: BoltFields | None = None
    assistant_thread: BoltFields | None = None
    function_execution_id: str | None = None
    function_data: _FunctionData | None = None
    bot_access_token: str | None = None
    response_url: str | None = None
    # Present means a list (bolt takes its length), of at most one: bolt's context builder fails on several.
    response_urls: list[ResponseUrl] = Field(default_factory=list, max_length=1)
    user_team: str | None = None
    context_team_id: str | None = None
    context_enterprise_id: str | None = None


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
    type: str  # bolt reads it (workflow steps) without looking
    callback_id: str = ""
    private_metadata: str = ""
    state: ViewState = Field(default_factory=ViewState)
    team_id: str | None = None
    app_installed_team_id: str | None = None


class Event(BoltFields):
    type: str
    ts: str | None = None
    tab: str | None = None  # app_home_opened: home or messages
    text: str | None = None
    bot_id: str | None = None

    @property
    def channel_id_of(self) -> str:
        return self.channel if isinstance(self.channel, str) else ""


class _Common(BoltFields):
    """An interaction: what bolt reads, plus what every interaction carries."""

    api_app_id: str | None = None
    trigger_id: str | None = None


class BlockActions(_Common):
    type: Literal["block_actions"]
    user: Ref  # type: ignore[assignment]  # narrowed: what this interaction carries
    actions: list[Action] = Field(min_length=1)
    channel: Ref | None = None  # type: ignore[assignment]  # narrowed: what this interaction carries
    team: TeamRef | None = None
    container: Container | None = None
    view: ModalView | None = None

    @property
    def action(self) -> Action:
        return self.actions[0]

    @property
    def channel_of(self) -> str:
        """Where the click happened: the message's channel (empty for a click in a modal)."""
        if self.container is not None and self.container.channel_id:
            return self.container.channel_id
        return self.channel.id if isinstance(self.channel, Ref) else ""

    @property
    def message_ts(self) -> str:
        return (self.container.message_ts if self.container is not None else None) or ""

    @property
    def team_of(self) -> str:
        return (self.team.id if self.team is not None else None) or ""


class ViewSubmission(_Common):
    type: Literal["view_submission"]
    user: Ref  # type: ignore[assignment]  # narrowed: what this interaction carries
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
    user: Ref  # type: ignore[assignment]  # narrowed: what this interaction carries
    view: ModalView


class OtherInteraction(_Common):
    """An interaction type this app registers no listener for (bolt answers it as unhandled)."""

    type: str
    user: Ref | None = None  # type: ignore[assignment]  # an object in every interaction Slack sends
    view: ModalView | None = None
    actions: list[dict[str, Any]] | None = Field(default=None, min_length=1)  # bolt takes the first one


class EventCallback(BoltFields):
    type: Literal["event_callback"]
    event_id: str
    event: Event
    api_app_id: str | None = None


class UrlVerification(_Loose):
    type: Literal["url_verification"]
    challenge: str = ""


class SslCheck(_Loose):
    """Slack checking the certificate of a slash command's URL (answered 200, nothing else)."""

    ssl_check: str


class SlashCommand(BoltFields):
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
