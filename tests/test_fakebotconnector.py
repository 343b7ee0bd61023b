"""The fake Bot Connector checks what the real one checks, so tests against it mean something."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.fakebotconnector import FakeBotConnector
from tests.fakebotconnector.connector import MESSAGE_SIZE_LIMIT

AUTH = {"Authorization": "Bearer good"}


async def _call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body, headers=headers) as r:
        return r.status, r.headers, await r.json()


@pytest.fixture
async def connector():  # type: ignore[no-untyped-def]
    async with FakeBotConnector(accept_token=lambda token: token == "good") as fake:
        fake.conversation("a:1chat", members=[{"id": "29:1", "name": "Ada"}])
        yield fake


async def test_reply_send_update_and_members_answer_like_the_real_service(connector) -> None:  # type: ignore[no-untyped-def]
    base = connector.service_url + "v3/conversations/a:1chat"
    status, _, sent = await _call("POST", base + "/activities", {"type": "message", "text": "hi"}, AUTH)
    assert status == 201 and sent["id"].isdigit()
    status, _, replied = await _call("POST", f"{base}/activities/{sent['id']}", {"type": "message"}, AUTH)
    assert status == 201 and replied["id"] != sent["id"]
    status, _, updated = await _call("PUT", f"{base}/activities/{sent['id']}", {"type": "message", "text": "v2"}, AUTH)
    assert status == 200 and updated == {"id": sent["id"]}
    assert connector.conversations["a:1chat"].activities[sent["id"]]["text"] == "v2"
    status, _, members = await _call("GET", base + "/members", headers=AUTH)
    assert status == 200 and members == [{"id": "29:1", "name": "Ada"}]
    assert [c.operation for c in connector.calls] == ["send", "reply", "update", "members"]


async def test_create_conversation_returns_new_ids_that_can_be_posted_to(connector) -> None:  # type: ignore[no-untyped-def]
    body = {"bot": {"id": "28:bot"}, "members": [{"id": "29:1"}], "activity": {"type": "message", "text": "ping"}}
    status, _, created = await _call("POST", connector.service_url + "v3/conversations", body, AUTH)
    assert status == 201 and created["id"].startswith("a:1") and created["activityId"]
    url = f"{connector.service_url}v3/conversations/{created['id']}/activities"
    assert (await _call("POST", url, {"type": "message"}, AUTH))[0] == 201


async def test_refusals_auth_unknown_conversation_unknown_activity_and_size(connector) -> None:  # type: ignore[no-untyped-def]
    base = connector.service_url + "v3/conversations"
    assert (await _call("POST", base + "/a:1chat/activities", {"type": "message"}))[0] == 401
    assert (await _call("POST", base + "/a:1chat/activities", {"type": "message"}, {"Authorization": "Bearer x"}))[
        0
    ] == 401
    status, _, body = await _call("POST", base + "/a:1other/activities", {"type": "message"}, AUTH)
    assert status == 404 and body["error"]["code"] == "ConversationNotFound"
    status, _, body = await _call("PUT", base + "/a:1chat/activities/999", {"type": "message"}, AUTH)
    assert status == 404 and body["error"]["code"] == "ActivityNotFound"
    big = {"type": "message", "text": "x" * MESSAGE_SIZE_LIMIT}
    status, _, body = await _call("POST", base + "/a:1chat/activities", big, AUTH)
    assert status == 413 and body["error"]["code"] == "MessageSizeTooBig"
    assert connector.posted() == []


async def test_injected_faults_come_back_with_retry_after_then_stop(connector) -> None:  # type: ignore[no-untyped-def]
    connector.fail_next(429, retry_after=7, times=2)
    connector.fail_next(502, operation="update")
    url = connector.service_url + "v3/conversations/a:1chat/activities"
    first, second, third = [await _call("POST", url, {"type": "message"}, AUTH) for _ in range(3)]
    assert [first[0], second[0], third[0]] == [429, 429, 201]
    assert first[1]["Retry-After"] == "7"
    status, headers, _ = await _call("PUT", f"{url}/{third[2]['id']}", {"type": "message"}, AUTH)
    assert status == 502 and "Retry-After" not in headers


async def test_a_channel_thread_is_known_when_its_channel_is() -> None:
    async with FakeBotConnector(anonymous=True) as fake:
        fake.conversation("19:abc@thread.tacv2")
        url = fake.service_url + "v3/conversations/19:abc@thread.tacv2;messageid=17/activities"
        status, _, _ = await _call("POST", url, {"type": "message"})
        assert status == 201 and fake.calls[0].authorization is None
