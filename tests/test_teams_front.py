"""The Teams front over real HTTP: signed activities in, replies out through the activity's serviceUrl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakebotconnector import SigningKey
from tests.fakebotconnector import activities as acts
from tests.teamsworld import APP_ID, SECRET, teams_world


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with teams_world(tmp_path, monkeypatch) as w:
        yield w


async def test_signed_message_gets_its_reply_posted_through_the_service_url(world) -> None:  # type: ignore[no-untyped-def]
    activity = acts.message(world.bot, world.connector.service_url, "triage vpn")
    status, _ = await world.post(activity, world.token_for(activity))

    assert status == 202
    [turn] = world.handler.messages
    assert turn.text == "triage vpn"
    assert turn.who.aad_object_id == acts.USER_AAD_ID and turn.who.name == acts.USER_NAME
    assert (turn.conversation.id, turn.conversation.type) == (acts.PERSONAL_CHAT, "personal")
    assert turn.conversation.tenant_id == acts.TENANT_ID
    assert turn.conversation.reference["serviceUrl"] == world.connector.service_url
    [reply] = world.connector.posted()
    assert reply.operation == "reply"
    assert reply.path == f"/v3/conversations/{acts.PERSONAL_CHAT}/activities/{activity['id']}"
    [attachment] = reply.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["body"][0]["text"] == "VPN won't connect"


async def test_outgoing_calls_carry_a_token_msal_got_from_the_token_endpoint(world) -> None:  # type: ignore[no-untyped-def]
    activity = acts.message(world.bot, world.connector.service_url, "help")
    await world.post(activity, world.token_for(activity))

    [reply] = world.connector.posted()
    token = reply.authorization.removeprefix("Bearer ")
    assert token in world.login.issued  # MSAL's client-credentials flow ran against the fake Entra
    grants = [r.form for r in world.login.token_requests]
    assert grants and all(g["grant_type"] == "client_credentials" for g in grants)
    assert {g["client_id"] for g in grants} == {APP_ID} and {g["client_secret"] for g in grants} == {SECRET}
    assert {g["scope"] for g in grants} == {"https://api.botframework.com/.default"}
    # MSAL found the token endpoint through the tenant's OpenID document, over TLS via the proxy; the validator's
    # JWKS fetch (login.botframework.com) is cached for the whole process, so it shows only in the first test.
    assert "login.microsoftonline.com" in world.proxy.connects
    assert set(world.proxy.connects) <= {"login.botframework.com", "login.microsoftonline.com"}
    assert world.login.unknown == [] and world.proxy.refused == []


async def test_channel_message_arrives_without_the_bot_mention_and_is_answered_in_its_thread(world) -> None:  # type: ignore[no-untyped-def]
    activity = acts.message(world.bot, world.connector.service_url, "triage   vpn&nbsp;drops", kind="channel")
    status, _ = await world.post(activity, world.token_for(activity))

    assert status == 202
    [turn] = world.handler.messages
    assert turn.text == "triage vpn drops"
    assert turn.conversation.type == "channel"
    [reply] = world.connector.posted()
    assert reply.conversation_id == activity["conversation"]["id"]  # the thread (";messageid=")


async def test_action_execute_answers_the_invoke_with_the_new_card(world) -> None:  # type: ignore[no-untyped-def]
    data = {"verb": "pb.submit", "p": 1, "r": "run-42", "v": 3, "f.account": "ACME-1", "f.email": "a@b.org"}
    activity = acts.card_action_invoke(world.bot, world.connector.service_url, "pb.submit", data, card_message_id="17")
    status, body = await world.post(activity, world.token_for(activity))

    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][3]["items"][0]["text"] == "**Restart the client**"
    [action] = world.handler.actions
    assert (action.action.verb, action.action.run_id, action.action.version) == ("pb.submit", "run-42", 3)
    assert action.fields == {"account": "ACME-1", "email": "a@b.org"}
    assert action.universal and action.card_message_id == "17"
    assert world.connector.posted() == []  # the card came back in the HTTP answer, nothing was posted


async def test_action_execute_with_data_we_did_not_write_is_refused_in_the_invoke(world) -> None:  # type: ignore[no-untyped-def]
    activity = acts.card_action_invoke(world.bot, world.connector.service_url, "pb.nope", {"p": 1}, card_message_id="1")
    status, body = await world.post(activity, world.token_for(activity))

    assert status == 200
    assert body["statusCode"] == 400 and body["type"] == "application/vnd.microsoft.error"
    assert world.handler.actions == []


async def test_submit_fallback_updates_the_pressed_card_in_place(world) -> None:  # type: ignore[no-untyped-def]
    card_id = "1712999999999"
    world.connector.conversation(acts.PERSONAL_CHAT).activities[card_id] = {"type": "message"}
    data = {"verb": "pb.choose", "p": 1, "r": "run-42", "v": 3, "c": 1}
    activity = acts.submit_message(world.bot, world.connector.service_url, data, card_message_id=card_id)
    status, _ = await world.post(activity, world.token_for(activity))

    assert status == 202
    [action] = world.handler.actions
    assert action.action.choice == 1 and not action.universal
    [update] = [c for c in world.connector.calls if c.operation == "update"]
    assert update.status == 200 and update.activity_id == card_id
    stored = world.connector.conversations[acts.PERSONAL_CHAT].activities[card_id]
    assert stored["attachments"][0]["content"]["body"][3]["items"][0]["text"] == "**Restart the client**"


def _bad_tokens(world, activity):  # type: ignore[no-untyped-def]
    service_url = activity["serviceUrl"]
    return {
        "forged, unknown key id": world.login.sign_activity_token(service_url, key=SigningKey.generate()),
        "forged, known key id": world.login.sign_activity_token(
            service_url, key=SigningKey(world.login.key.kid, SigningKey.generate().private)
        ),
        "expired": world.login.sign_activity_token(service_url, lifetime=-900),
        "not yet valid": world.login.sign_activity_token(service_url, not_before_offset=900),
        "wrong audience": world.login.sign_activity_token(service_url, audience="another-bot-id"),
        "issuer not allowed": world.login.sign_activity_token(service_url, issuer="https://issuer.example.com"),
        "serviceurl claim for another host": world.login.sign_activity_token("https://smba.trafficmanager.net/amer/"),
        "no expiry": world.login.key.sign(
            {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": service_url}
        ),
        "not a JWT": "not-a-token",
    }


async def test_bad_or_missing_tokens_get_401_and_never_reach_the_handler(world) -> None:  # type: ignore[no-untyped-def]
    activity = acts.message(world.bot, world.connector.service_url, "triage")
    status, _ = await world.post(activity)
    assert status == 401
    for name, token in _bad_tokens(world, activity).items():
        status, _ = await world.post(activity, token)
        assert status == 401, name
    assert world.handler.messages == [] and world.connector.calls == []


async def test_disallowed_service_url_is_refused_before_the_token_is_even_checked(world) -> None:  # type: ignore[no-untyped-def]
    activity = acts.message(world.bot, "https://smba.trafficmanager.net.evil.example/amer/", "triage")
    status, _ = await world.post(activity, world.token_for(activity))
    assert status == 403
    status, _ = await world.post(activity)  # no token at all: still 403, so this check ran first
    assert status == 403
    for service_url in ("http://smba.trafficmanager.net/amer/", "https://user:pw@smba.trafficmanager.net/", "", 7):
        status, _ = await world.post(activity | {"serviceUrl": service_url}, world.token_for(activity))
        assert status == 403, service_url
    assert world.handler.messages == [] and world.connector.calls == []


async def test_slack_route_on_the_same_app_is_not_subject_to_jwt(world) -> None:  # type: ignore[no-untyped-def]
    import aiohttp

    async with aiohttp.ClientSession() as session, session.post(f"{world.base_url}/slack/events", data="x=1") as r:
        assert r.status == 200
    assert world.slack_hits == ["x=1"]


async def test_handler_errors_become_a_notice_with_an_error_id_never_the_exception_text(world) -> None:  # type: ignore[no-untyped-def]
    world.handler.fail_with = RuntimeError("secret internals")
    activity = acts.message(world.bot, world.connector.service_url, "triage")
    await world.post(activity, world.token_for(activity))
    data = {"verb": "pb.back", "p": 1, "r": "run-42", "v": 3}
    invoke = acts.card_action_invoke(world.bot, world.connector.service_url, "pb.back", data, card_message_id="5")
    _, body = await world.post(invoke, world.token_for(invoke))

    [reply] = world.connector.posted()
    shown = [str(reply.body), str(body)]
    assert all("error id" in text and "secret internals" not in text for text in shown)


async def test_a_429_on_the_reply_is_not_turned_into_a_chat_message(world) -> None:  # type: ignore[no-untyped-def]
    world.connector.fail_next(429, retry_after=3)
    activity = acts.message(world.bot, world.connector.service_url, "triage")
    status, _ = await world.post(activity, world.token_for(activity))

    assert status == 202
    [call] = world.connector.calls  # the refused reply, and no "Exception caught" post after it
    assert call.status == 429


async def test_anonymous_mode_accepts_unsigned_activities_and_replies_without_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="chatbot.adapters.teams.front"):
        async with teams_world(tmp_path, monkeypatch, anonymous=True) as world:
            activity = acts.message(world.bot, world.connector.service_url, "help")
            status, _ = await world.post(activity)
            forged, _ = await world.post(activity, world.login.sign_activity_token(activity["serviceUrl"]))
            posted = world.connector.posted()
            token_requests = world.login.token_requests

    assert status == 202 and forged == 401  # a token, when sent, is still checked
    [reply] = posted
    assert reply.authorization is None and token_requests == []
    assert any("TEAMS_ALLOW_ANONYMOUS" in r.getMessage() for r in caplog.records)
