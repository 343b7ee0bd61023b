"""Web API method handlers: ``(workspace, params) -> answer``; the server adds ``"ok": true`` to the answer."""

from __future__ import annotations

from . import chat, conversations, people, views
from .base import Handler

METHODS: dict[str, Handler] = {
    **chat.METHODS,
    **conversations.METHODS,
    **people.METHODS,
    **views.METHODS,
}

__all__ = ["METHODS", "Handler"]
