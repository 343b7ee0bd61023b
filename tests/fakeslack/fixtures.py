"""Optional pytest fixtures; enable with ``pytest_plugins = ["tests.fakeslack.fixtures"]`` in the root conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from .server import FakeSlack

TEST_BOT_TOKEN = "xoxb-test"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> AsyncWebClient:
    """A client pointed at the fake (no retry handlers beyond slack_sdk's default connection-error one)."""
    return AsyncWebClient(token=TEST_BOT_TOKEN, base_url=fake_slack.api_url, timeout=5)
