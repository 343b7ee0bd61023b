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


def test_a_trailing_number_is_a_ticket_only_when_the_whole_text_finds_no_playbook():
    from chatbot.services.references import playbook_and_reference

    titles = {"clever-access": "clever access", "error-500": "login error 500"}

    def search(text: str) -> list[str]:
        return [pid for pid, title in titles.items() if text.lower() in title or text == pid]

    assert playbook_and_reference("clever access 482913", search) == (
        ["clever-access"],
        "clever access",
        "482913",
        None,
    )
    assert playbook_and_reference("clever-access ts-2026-000123", search) == (
        ["clever-access"],
        "clever-access",
        None,
        "TS-2026-000123",
    )
    # a number that is part of a playbook's words is searched with them, not taken for a ticket
    assert playbook_and_reference("error 500", search) == (["error-500"], "error 500", None, None)
    assert playbook_and_reference("nothing 482913", search) == ([], "nothing", "482913", None)
    assert playbook_and_reference("482913", search) == ([], "482913", None, None)
