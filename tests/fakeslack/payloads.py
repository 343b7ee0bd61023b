"""Request bodies exactly as Slack sends them to an app: field names, nesting, key order and encoding follow the
captured payloads in shared/fixtures/slack-payloads (tests/test_fakeslack.py checks that they keep doing so).

Every builder returns a ``SlackBody(body, content_type)``; sign ``body`` with ``signing.sign`` (or post it with
``SlackSender``). Defaults (team, app, user, channel) match the ids ``FakeSlack`` answers in ``auth.test``.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from yarl import URL

from . import ids
from .records import JsonDict

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_SELECT_TYPES = ("static_select", "external_select", "users_select", "conversations_select", "channels_select")


# {block_id: {action_id: "typed text" | element state}}, see state_values().
StateInput = Mapping[str, Mapping[str, str | Mapping[str, Any] | None]]


class SlackBody(NamedTuple):
    body: bytes
    content_type: str


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# What yarl's (C) query quoting leaves as it is and quote_plus does not: after it, each can only be itself.
_YARL_LEAVES = {c: f"%{ord(c):02X}" for c in "!$'()*,/:?@"}


def form_quote(text: str) -> str:
    """`urllib.parse.quote_plus(text)`, three times faster: yarl's C quoting, then the few characters it leaves that
    quote_plus encodes. quote_plus walks the bytes in Python, and a click carries its ~6 kB message: it was a fifth
    of bench_slack's load generator, which shares the cores with the app it measures."""
    quoted = URL.build(query={"q": text}).raw_query_string[2:]
    for char, code in _YARL_LEAVES.items():
        quoted = quoted.replace(char, code)
    return quoted


def form_encode(fields: list[tuple[str, str]]) -> bytes:
    """`urllib.parse.urlencode(fields)`, for text fields."""
    return "&".join(f"{form_quote(name)}={form_quote(value)}" for name, value in fields).encode()


def _form_payload(payload: JsonDict) -> SlackBody:
    # Interactive payloads arrive as one form field, payload=<url-encoded JSON>.
    return SlackBody(form_encode([("payload", _json(payload))]), FORM)


def _plain_text(text: str) -> JsonDict:
    return {"type": "plain_text", "text": text, "emoji": True}


def _user(user_id: str, user_name: str, team_id: str) -> JsonDict:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def _public_message(message: Mapping[str, Any]) -> JsonDict:
    # Messages from FakeSlack.messages carry "channel"; the ones inside Slack's payloads don't.
    return {key: value for key, value in message.items() if key != "channel"}


def default_response_url(kind: str = "actions", team_id: str = ids.DEFAULT_TEAM_ID) -> str:
    """A realistic but unreachable response_url; use ``FakeSlack.response_url()`` when the app will post to it."""
    return f"https://hooks.slack.com/{kind}/{team_id}/{secrets.randbelow(10**13)}/{secrets.token_urlsafe(18)}"


# -- input values (state.values) -------------------------------------------------------------------------------
def text_input(value: str | None) -> JsonDict:
    return {"type": "plain_text_input", "value": value}


def selected_option(value: str, text: str | None = None, element_type: str = "static_select") -> JsonDict:
    return {"type": element_type, "selected_option": {"text": _plain_text(text or value), "value": value}}


def state_values(values: StateInput | None) -> JsonDict:
    """``{block_id: {action_id: "typed text" | element_state}}`` -> Slack's ``state.values``; a plain string is a
    plain_text_input value, a mapping is used as is (see ``text_input`` / ``selected_option``)."""
    result: JsonDict = {}
    for block_id, actions in (values or {}).items():
        result[block_id] = {
            action_id: dict(state) if isinstance(state, Mapping) else text_input(state)
            for action_id, state in actions.items()
        }
    return result


# -- builders -----------------------------------------------------------------------------------------------------
def slash_command_body(
    command: str = "/playbook",
    text: str = "",
    user_id: str = ids.DEFAULT_USER_ID,
    channel_id: str = ids.DEFAULT_CHANNEL_ID,
    team_id: str = ids.DEFAULT_TEAM_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    *,
    user_name: str = ids.DEFAULT_USER_NAME,
    channel_name: str = ids.DEFAULT_CHANNEL_NAME,
    team_domain: str = ids.DEFAULT_TEAM_DOMAIN,
    api_app_id: str = ids.DEFAULT_APP_ID,
    token: str = ids.DEFAULT_VERIFICATION_TOKEN,
) -> SlackBody:
    fields = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url or default_response_url("commands", team_id)),
        ("trigger_id", trigger_id or ids.random_trigger_id()),
    ]
    return SlackBody(form_encode(fields), FORM)


def _action(
    action_type: str, action_id: str, block_id: str, value: str | None, text: str | None, action_ts: str
) -> JsonDict:
    if action_type == "button":
        action: JsonDict = {"action_id": action_id, "block_id": block_id, "text": _plain_text(text or "Button")}
        if value is not None:
            action["value"] = value
        action.update({"type": "button", "action_ts": action_ts})
        return action
    action = {"type": action_type, "action_id": action_id, "block_id": block_id}
    if value is not None:
        action["selected_option"] = selected_option(value, text)["selected_option"]
    if action_type in _SELECT_TYPES:
        action["placeholder"] = _plain_text("Select an item")
    action["action_ts"] = action_ts
    return action


def block_actions_body(
    action_id: str,
    value: str | None = None,
    *,
    block_id: str = "actions",
    action_type: str = "button",
    text: str | None = None,
    user_id: str = ids.DEFAULT_USER_ID,
    user_name: str = ids.DEFAULT_USER_NAME,
    team_id: str = ids.DEFAULT_TEAM_ID,
    team_domain: str = ids.DEFAULT_TEAM_DOMAIN,
    api_app_id: str = ids.DEFAULT_APP_ID,
    channel_id: str = ids.DEFAULT_CHANNEL_ID,
    channel_name: str = ids.DEFAULT_CHANNEL_NAME,
    message_ts: str | None = None,
    message: Mapping[str, Any] | None = None,
    is_ephemeral: bool = False,
    response_url: str | None = None,
    trigger_id: str | None = None,
    state: StateInput | None = None,
    action_ts: str | None = None,
    token: str = ids.DEFAULT_VERIFICATION_TOKEN,
) -> SlackBody:
    """A click on ``action_id`` in a message. ``message`` (e.g. ``slack.messages[ch][-1]``) supplies the message
    and its ts; for selects/overflow ``value`` becomes ``selected_option``. ``state`` as for ``state_values``."""
    if message_ts is None:
        message_ts = message["ts"] if message is not None else ids.action_ts()
    payload: JsonDict = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id or ids.random_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
    }
    if message is not None:
        payload["message"] = _public_message(message)
    payload["state"] = {"values": state_values(state)}
    payload["response_url"] = response_url or default_response_url("actions", team_id)
    payload["actions"] = [_action(action_type, action_id, block_id, value, text, action_ts or ids.action_ts())]
    return _form_payload(payload)


def view_submission_body(
    callback_id: str | None = None,
    values: StateInput | None = None,
    *,
    view: Mapping[str, Any] | None = None,
    view_id: str | None = None,
    private_metadata: str | None = None,
    view_hash: str | None = None,
    user_id: str = ids.DEFAULT_USER_ID,
    user_name: str = ids.DEFAULT_USER_NAME,
    team_id: str = ids.DEFAULT_TEAM_ID,
    team_domain: str = ids.DEFAULT_TEAM_DOMAIN,
    api_app_id: str = ids.DEFAULT_APP_ID,
    trigger_id: str | None = None,
    response_urls: list[JsonDict] | None = None,
    token: str = ids.DEFAULT_VERIFICATION_TOKEN,
) -> SlackBody:
    """Submission of a modal. Pass ``view=slack.views[view_id]`` to submit a view the app opened on the fake
    (id, callback_id, private_metadata, hash and blocks come from it); explicit arguments win."""
    base: Mapping[str, Any] = view or {}
    own_id = view_id or base.get("id") or f"V0{secrets.token_hex(4).upper()}"
    submitted: JsonDict = {
        "id": own_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": base.get("blocks", []),
        "private_metadata": private_metadata if private_metadata is not None else base.get("private_metadata", ""),
        "callback_id": callback_id if callback_id is not None else base.get("callback_id", ""),
        "state": {"values": state_values(values)},
        "hash": view_hash or base.get("hash") or f"{int(time.time())}.{secrets.token_urlsafe(6)}",
        "title": base.get("title") or _plain_text("Modal"),
        "clear_on_close": base.get("clear_on_close", False),
        "notify_on_close": base.get("notify_on_close", False),
        "close": base.get("close"),
        "submit": base.get("submit") or _plain_text("Submit"),
        "previous_view_id": base.get("previous_view_id"),
        "root_view_id": base.get("root_view_id") or own_id,
        "app_id": api_app_id,
        "external_id": base.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": base.get("bot_id", ids.DEFAULT_BOT_ID),
    }
    payload: JsonDict = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or ids.random_trigger_id(),
        "view": submitted,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _form_payload(payload)


def message_event(
    text: str,
    *,
    user: str = ids.DEFAULT_USER_ID,
    channel: str = ids.DEFAULT_CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = ids.DEFAULT_TEAM_ID,
    channel_type: str = "channel",
) -> JsonDict:
    """The ``event`` of a human's message, for ``event_body``."""
    ts = ts or ids.action_ts()
    event: JsonDict = {
        "client_msg_id": secrets.token_hex(16),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": team_id,
        "blocks": [
            {
                "type": "rich_text",
                "block_id": secrets.token_urlsafe(3),
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def new_event_id() -> str:
    return "Ev" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))


def event_body(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    event_time: int | None = None,
    team_id: str = ids.DEFAULT_TEAM_ID,
    api_app_id: str = ids.DEFAULT_APP_ID,
    bot_user_id: str = ids.DEFAULT_BOT_USER_ID,
    token: str = ids.DEFAULT_VERIFICATION_TOKEN,
) -> SlackBody:
    """An Events API ``event_callback``. Reuse ``event_id`` to simulate Slack's retries of the same event."""
    payload: JsonDict = {
        "token": token,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"1-{event.get('type', 'event')}-{team_id}-{event.get('channel', '')}",
    }
    return SlackBody(_json(payload).encode(), JSON)


def url_verification_body(challenge: str, token: str = ids.DEFAULT_VERIFICATION_TOKEN) -> SlackBody:
    return SlackBody(_json({"token": token, "type": "url_verification", "challenge": challenge}).encode(), JSON)
