"""`serve` and `worker` pick their event loop from CHATBOT_EVENT_LOOP: uvloop by default, asyncio on request."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from chatbot import eventloop
from chatbot.settings import SettingsError


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_default_is_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(eventloop.ENV, raising=False)
    assert eventloop.loop_factory() is uvloop.new_event_loop
    assert eventloop.run(_loop_module()).startswith("uvloop")


def test_asyncio_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(eventloop.ENV, " AsyncIO ")
    assert eventloop.loop_factory() is None
    assert eventloop.run(_loop_module()).startswith("asyncio")


def test_unknown_loop_is_a_one_line_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(eventloop.ENV, "trio")
    with pytest.raises(SettingsError, match="CHATBOT_EVENT_LOOP must be 'uvloop' or 'asyncio', not 'trio'"):
        eventloop.loop_factory()
