"""Types and small helpers shared by the method handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..records import JsonDict, Params
from ..workspace import Workspace

Handler = Callable[[Workspace, Params], JsonDict]


def public(message: JsonDict) -> JsonDict:
    """A stored message as the Web API shows it (the fake keeps "channel" inside for convenience; Slack doesn't)."""
    return {k: v for k, v in message.items() if k != "channel"}


def require_channel(params: Params) -> str:
    channel: Any = params.require("channel", "channel_not_found")
    return str(channel)
