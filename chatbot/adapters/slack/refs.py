"""The small typed payloads buttons and modals carry (button `value`, modal `private_metadata`), through one codec.

Every ref is a frozen dataclass whose fields map to short JSON keys; `decode` checks the payload version and each
field's type, so a value this app did not write (or an older layout wrote) is refused as BadPayload.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import orjson

PAYLOAD_VERSION = 1


class BadPayload(ValueError):
    """A button value or private_metadata that this app did not write (or wrote in an older format)."""


@dataclass(frozen=True)
class RunRef:
    """Which run, at which version, a button or form belongs to; a form also knows the message it came from."""

    KEYS: ClassVar[dict[str, str]] = {"run_id": "r", "version": "v", "choice": "c", "channel": "ch", "ts": "ts"}

    run_id: str
    version: int
    choice: int | None = None
    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class EscRef:
    """Which escalation, at which version, a ping button or the return form belongs to."""

    KEYS: ClassVar[dict[str, str]] = {"escalation_id": "e", "version": "v"}

    escalation_id: str
    version: int


@dataclass(frozen=True)
class ChannelRef:
    """The channel a modal opened from a slash command (`/escalate`) was started in."""

    KEYS: ClassVar[dict[str, str]] = {"channel": "ch"}

    channel: str


R = TypeVar("R", RunRef, EscRef, ChannelRef)
_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "str | None": (str,), "int | None": (int,)}


def encode(ref: RunRef | EscRef | ChannelRef) -> str:
    data: dict[str, Any] = {"p": PAYLOAD_VERSION}
    for name, key in ref.KEYS.items():
        value = getattr(ref, name)
        if value is not None:
            data[key] = value
    return orjson.dumps(data).decode()


def decode(kind: type[R], text: str | None) -> R:
    try:
        data = orjson.loads(text or "")
    except orjson.JSONDecodeError as exc:
        raise BadPayload(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("p") != PAYLOAD_VERSION:
        raise BadPayload("payload from another version of the app")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        key = kind.KEYS[field.name]
        value = data.get(key)
        optional = "None" in str(field.type)
        if value is None:
            if not optional:
                raise BadPayload(f"payload without {key!r}")
            continue
        wanted = _TYPES[str(field.type)]
        if not isinstance(value, wanted) or isinstance(value, bool):
            raise BadPayload(f"payload field {key!r} has the wrong type")
        values[field.name] = value
    return kind(**values)
