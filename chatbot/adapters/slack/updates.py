"""One chat.update at a time per message, always with the newest content.

Message updates run after the ack, in the background, and two for the same message could overtake each other: an
update refused with a 429 is sent again after Retry-After, by which time a newer one may have gone through, and
the old step came back. So each message has one sender. An update submitted while another is on its way (or
waiting out a Retry-After) waits for it, and replaces any update still waiting before it: those are never sent,
since the message only needs to show the newest state (and chat.update is a Tier 3 method, 50+ a minute).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatbot.adapters.slack.background import Background, OnFailure

Send = Callable[[], Awaitable[None]]
MessageKey = tuple[str, str]  # channel, ts


@dataclass(frozen=True, slots=True)
class _Update:
    send: Send
    what: str
    on_failure: OnFailure | None


class MessageUpdates:
    def __init__(self, background: Background) -> None:
        self._background = background
        self._waiting: dict[MessageKey, _Update | None] = {}  # a key is here while its sender runs

    def submit(self, channel: str, ts: str, send: Send, *, what: str, on_failure: OnFailure | None = None) -> None:
        """Run `send()` once the update on its way for this message, if any, is done; a newer submit replaces it."""
        key = (channel, ts)
        update = _Update(send, what, on_failure)
        if key in self._waiting:
            self._waiting[key] = update
            return
        self._waiting[key] = None
        self._background.spawn(self._send_in_turn(key, update), what=what)

    async def _send_in_turn(self, key: MessageKey, update: _Update | None) -> None:
        try:
            while update is not None:
                notify = self._unless_superseded(key, update.on_failure)
                await self._background.guard(update.send(), update.what, notify)
                update, self._waiting[key] = self._waiting[key], None
        finally:
            del self._waiting[key]

    def newer_waiting(self, channel: str, ts: str) -> bool:
        """Is a newer update of this message waiting to go after the one on its way? Then that one need not check
        it showed the newest state: the newer one will (newest.py)."""
        return self._waiting.get((channel, ts)) is not None

    def _unless_superseded(self, key: MessageKey, on_failure: OnFailure | None) -> OnFailure | None:
        if on_failure is None:
            return None

        async def notify(ref: str) -> None:
            if self._waiting.get(key) is None:  # nothing newer on its way to show the agent where things are
                await on_failure(ref)

        return notify

    def __len__(self) -> int:
        """Messages with an update on its way."""
        return len(self._waiting)
