"""Run the long-lived processes (`serve`, `worker`) on uvloop where it exists.

uvloop is the event loop aiohttp and asyncpg are tuned for; here it cut the CPU a click costs by about a fifth
(bench/bench_slack.py). `CHATBOT_EVENT_LOOP=asyncio` falls back to the standard loop, e.g. to debug with asyncio's
own tools; on Windows, which uvloop does not support, that is the only loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from chatbot.settings import SettingsError

log = logging.getLogger(__name__)

T = TypeVar("T")
ENV = "CHATBOT_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, or None for asyncio's default; an unknown `CHATBOT_EVENT_LOOP` is a SettingsError."""
    choice = os.environ.get(ENV, "").strip().lower() or "auto"
    if choice not in ("auto", "uvloop", "asyncio"):
        raise SettingsError(f"{ENV} must be 'uvloop' or 'asyncio', not {choice!r}")
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise SettingsError(f"{ENV}=uvloop, but uvloop is not installed") from None
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    factory = loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        log.debug("event loop: %s", type(runner.get_loop()).__module__)
        return runner.run(main)
