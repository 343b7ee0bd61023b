"""Request bodies as Slack sends them, built with tests/fakeslack's builders (their shape follows captured payloads).

The load generator shares the cores with the app and its own latency counts in the figures: a click carries the
~6 kB message it was made on, and form-encoding it with the builders' json + urlencode was most of the load
generator's work. Here the message is encoded apart from the rest of the click (orjson, then the fake's C form
quoting: `form_quote`), once per click, and spliced in as the payload's last key, which Slack's parsers and bolt do
not mind.
"""

from __future__ import annotations

from typing import Any

import orjson

from bench.messages import Button, Input, Message
from bench.wire import mint_trigger
from tests.fakeslack import (
    block_actions_body,
    event_body,
    selected_option,
    slash_command_body,
    view_submission_body,
)
from tests.fakeslack.payloads import SlackBody, form_quote

_END = form_quote("}").encode()  # how a form-encoded JSON payload ends


def _name(user: str) -> str:
    return user.lower().replace("u0", "user.", 1)


def command(name: str, text: str, user: str, channel: str, response_url: str) -> bytes:
    body = slash_command_body(
        name, text, user, channel, response_url=response_url, trigger_id=mint_trigger(user), user_name=_name(user)
    )
    return body.body


def home_opened(user: str) -> SlackBody:
    """The `app_home_opened` event of `user` opening the app's Home tab (JSON, as the Events API sends it)."""
    return event_body({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"})


def click(b: Button, user: str, channel: str, message: Message, response_url: str) -> bytes:
    bare = block_actions_body(
        b.action_id,
        b.value,
        block_id=b.block_id,
        text=b.text,
        user_id=user,
        user_name=_name(user),
        channel_id=channel,
        message_ts=message["ts"],
        response_url=response_url,
        trigger_id=mint_trigger(user),
    )
    assert bare.body.endswith(_END)
    public = {key: value for key, value in message.items() if key != "channel"}
    encoded = form_quote(',"message":' + orjson.dumps(public).decode()).encode()
    return bare.body[: -len(_END)] + encoded + _END


def select(action_id: str, block_id: str, value: str, user: str, channel: str, response_url: str) -> bytes:
    """A choice in a static select on an ephemeral message (the `/triage` picker)."""
    body = block_actions_body(
        action_id,
        value,
        block_id=block_id,
        action_type="static_select",
        user_id=user,
        user_name=_name(user),
        channel_id=channel,
        is_ephemeral=True,
        response_url=response_url,
        trigger_id=mint_trigger(user),
    )
    return body.body


def _state(f: Input, value: str) -> dict[str, Any]:
    if f.type == "static_select":
        return selected_option(value) if value else {"type": "static_select", "selected_option": None}
    if f.type == "datepicker":
        return {"type": "datepicker", "selected_date": value or None}
    return {"type": f.type, "value": value or None}


def submission(view: dict[str, Any], fields: list[Input], values: dict[str, str], user: str) -> bytes:
    state = {f.block_id: {f.action_id: _state(f, values.get(f.block_id, ""))} for f in fields}
    body = view_submission_body(values=state, view=view, user_id=user, user_name=_name(user))
    return body.body
