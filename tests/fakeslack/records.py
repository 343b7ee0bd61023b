"""Plain data kept by the fake: recorded calls, response_url posts, trigger ids, and the error type handlers raise."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

# Parameters that Slack accepts as JSON text inside form fields; the fake decodes them so tests can inspect
# ``call.params["blocks"]`` as lists/dicts whatever encoding the client used.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


class SlackError(Exception):
    """Raised by method handlers; becomes ``{"ok": false, "error": error, **extra}`` with HTTP 200, as on Slack."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JsonDict:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass
class RecordedCall:
    """One request the fake received.

    ``time`` is the fake's clock (monotonic by default) at arrival. ``status``/``response`` stay ``None`` until the
    request has been processed (effects applied); the HTTP answer may still be held back by an injected delay.
    Response-URL posts are recorded too, with ``method == "response_url"``.
    """

    method: str
    params: JsonDict
    headers: dict[str, str]
    time: float
    http_method: str = "POST"
    content_type: str = ""
    raw_body: bytes = b""
    status: int | None = None
    response: JsonDict | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass
class ResponsePost:
    """A body posted to one of the fake's response_urls, and what the fake did with it (``outcome``)."""

    name: str
    body: JsonDict
    time: float
    status: int = 200
    outcome: str = ""


@dataclass
class TriggerRecord:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrlBinding:
    """Where a response_url points: the message an interaction happened on, or just a channel+user (commands)."""

    name: str
    channel: str | None = None
    message_ts: str | None = None
    user_id: str | None = None
    ephemeral: bool = False
    created_at: float = 0.0
    uses: int = 0
    # Slash-command response_urls have no message; replace_original then targets the last ephemeral they posted.
    last_posted_ts: str | None = None


@dataclass
class Params:
    """Request parameters merged from query string, form and JSON body, with typed, Slack-like accessors."""

    values: JsonDict = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def require(self, name: str, error: str = "invalid_arguments") -> Any:
        value = self.get(name)
        if value is None:
            raise SlackError(error)
        return value

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        return default if value is None else str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def integer(self, name: str, default: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None

    def structured(self, name: str) -> Any:
        """A JSON field that failed to decode stays a string; Slack answers ``invalid_<field>_format`` for those."""
        value = self.get(name)
        if isinstance(value, str):
            raise SlackError(f"invalid_{name}_format")
        return value


def decode_json_fields(values: Mapping[str, Any]) -> JsonDict:
    decoded = dict(values)
    for name in JSON_FIELDS:
        raw = decoded.get(name)
        if isinstance(raw, str) and raw:
            # Undecodable text is kept: the handler then reports invalid_<field>_format like Slack would.
            with contextlib.suppress(ValueError):
                decoded[name] = json.loads(raw)
    return decoded
