"""`/triage <words>` in Slack finds playbooks as `chatbot try <words>` does: the words as a phrase of an id or title
come before playbooks that merely hold each word somewhere."""

from __future__ import annotations

import pytest

from tests.fakeslack import FakeSlack
from tests.slackapp import message_text, running_app


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


async def test_triage_clever_login_starts_the_login_triage(slack, db_url):
    async with running_app(slack, db_url) as app:
        catalog = app.runtime.deps.triage.engine.catalog
        assert [pb.id for pb in catalog.search("clever login")] == ["clever-login-triage"]
        reply = await app.command("clever login")
        assert reply.status == 200
        assert "Clever login triage" in message_text(app.session())
        # Words that only appear together in keywords still offer a choice, as before.
        reply = await app.command("clever sso")
        assert "playbooks match" in reply.body["blocks"][0]["text"]["text"]
