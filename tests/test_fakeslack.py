"""Tests of the fake Slack itself: payload builders vs captured Slack payloads, signing vs slack_sdk, and the fake
Web API / response_url / fault injection driven by the real slack_sdk clients over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote, urlencode

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.internals import parse_body
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakeslack import (
    DEFAULT_BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    FakeSlack,
    SlackSender,
    TokenBucket,
    block_actions_body,
    event_body,
    message_event,
    selected_option,
    serving,
    sign,
    slash_command_body,
    url_verification_body,
    view_submission_body,
)
from tests.fakeslack.payloads import form_encode, form_quote

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
CH = DEFAULT_CHANNEL_ID


# -- fixtures ---------------------------------------------------------------------------------------------------
def fixtures_dir() -> Path:
    """Bodies Slack really sent (tests/fixtures/slack-payloads/README.md says where from); SLACK_FIXTURES_DIR
    points at another set."""
    env = os.environ.get("SLACK_FIXTURES_DIR")
    path = Path(env) if env else Path(__file__).resolve().parent / "fixtures" / "slack-payloads"
    assert path.is_dir(), f"Slack payload fixtures not found at {path}"
    return path


def fixture_text(name: str) -> str:
    return (fixtures_dir() / name).read_text().strip()


def interactive_payload(raw: str) -> dict[str, Any]:
    # The captured view_submission body is percent-encoded once more than Slack sends it ("payload%3D%7B...").
    if raw.startswith("payload%3D"):
        raw = unquote(raw)
    payload: dict[str, Any] = json.loads(dict(parse_qsl(raw))["payload"])
    return payload


def assert_state_values_shape(values: dict[str, Any]) -> None:
    assert values, "state.values should not be empty"
    for actions in values.values():
        for state in actions.values():
            assert isinstance(state, dict) and "type" in state


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.api_url, timeout=5)


# -- builders vs captured payloads ------------------------------------------------------------------------------
def test_slash_command_has_the_captured_form_fields_in_order() -> None:
    real = [key for key, _ in parse_qsl(fixture_text("payload_slash_command.urlencoded"), keep_blank_values=True)]
    body, content_type = slash_command_body("/playbook", "start clever-access")
    ours = parse_qsl(body.decode(), keep_blank_values=True)
    assert [key for key, _ in ours] == real
    assert content_type == "application/x-www-form-urlencoded"
    assert dict(ours)["command"] == "/playbook" and dict(ours)["text"] == "start clever-access"
    assert parse_body(body.decode(), content_type)["command"] == "/playbook"  # Bolt reads it the same way


@pytest.mark.parametrize(
    ("fixture", "action_type", "value"),
    [
        ("payload_block_action_button.urlencoded", "button", "click_me_123"),
        ("payload_block_action_static_select.urlencoded", "static_select", "value-0"),
        ("payload_block_action_overflow.urlencoded", "overflow", "value-3"),
    ],
)
def test_block_actions_payload_has_the_captured_shape(fixture: str, action_type: str, value: str) -> None:
    real = interactive_payload(fixture_text(fixture))
    body, content_type = block_actions_body(
        "step-done",
        value,
        action_type=action_type,
        message=real["message"],
        state={"blk": {"note": "typed", "pick": selected_option("v1")}},
    )
    ours = parse_body(body.decode(), content_type)  # exactly what Bolt will see
    assert set(ours) == set(real)
    for key in ("user", "container", "team", "channel"):
        assert set(ours[key]) == set(real[key]), key
    assert set(ours["actions"][0]) == set(real["actions"][0])
    assert ours["container"]["message_ts"] == real["message"]["ts"]
    assert_state_values_shape(real["state"]["values"])
    assert_state_values_shape(ours["state"]["values"])
    assert ours["state"]["values"]["blk"]["pick"]["selected_option"]["value"] == "v1"


def test_view_submission_payload_has_the_captured_shape() -> None:
    real = interactive_payload(fixture_text("payload_view_submission.urlencoded"))
    body, content_type = view_submission_body(
        "incident-form", {"summary": {"text": "db down"}, "sev": {"level": selected_option("sev1")}}
    )
    ours = parse_body(body.decode(), content_type)
    assert set(ours) == set(real)
    assert set(ours["view"]) == set(real["view"])
    assert_state_values_shape(real["view"]["state"]["values"])
    assert ours["view"]["state"]["values"]["summary"]["text"] == {"type": "plain_text_input", "value": "db down"}
    assert ours["view"]["state"]["values"]["sev"]["level"]["selected_option"]["value"] == "sev1"
    assert ours["view"]["callback_id"] == "incident-form"


def test_event_and_url_verification_bodies_have_the_captured_keys() -> None:
    real = json.loads(fixture_text("payload_message.json"))
    body, content_type = event_body(message_event("hello", channel=CH))
    ours = json.loads(body)
    assert content_type == "application/json"
    assert set(ours) == set(real)
    assert set(ours["event"]) == set(real["event"])
    assert set(ours["authorizations"][0]) == set(real["authorizations"][0])
    real_verification = json.loads(fixture_text("payload_url_verification.json"))
    assert set(json.loads(url_verification_body("abc").body)) == set(real_verification)


# -- signing ------------------------------------------------------------------------------------------------------
def test_signature_matches_slack_sdk_and_is_verified() -> None:
    body = slash_command_body().body
    now = int(time.time())
    headers = sign(body, SECRET, now)
    verifier = SignatureVerifier(SECRET)
    assert headers["X-Slack-Signature"] == verifier.generate_signature(timestamp=str(now), body=body)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b"x", headers)
    stale = sign(body, SECRET, now - 301)
    assert not verifier.is_valid(body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])
    assert not verifier.is_valid_request(body, sign(body, "other-secret", now))


# -- Web API ------------------------------------------------------------------------------------------------------
async def test_post_update_history_and_threads(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "Step 1"}}]
    first = await client.chat_postMessage(channel=CH, text="Step 1", blocks=blocks)
    second = await client.chat_postMessage(channel=CH, text="other")
    assert float(second["ts"]) > float(first["ts"]) and first["channel"] == CH
    assert slack.calls_to("chat.postMessage")[0].params["blocks"] == blocks

    await client.chat_update(channel=CH, ts=first["ts"], text="Step 1 done", blocks=[])
    assert [m["text"] for m in slack.messages[CH]] == ["Step 1 done", "other"]
    assert slack.messages[CH][0]["blocks"] == [] and slack.messages[CH][0]["ts"] == first["ts"]

    reply = await client.chat_postMessage(channel=CH, text="in thread", thread_ts=first["ts"])
    history = await client.conversations_history(channel=CH, oldest=first["ts"], inclusive=True, limit=1)
    assert [m["text"] for m in history["messages"]] == ["other"] and history["has_more"]
    thread = await client.conversations_replies(channel=CH, ts=first["ts"])
    assert [m["ts"] for m in thread["messages"]] == [first["ts"], reply["ts"]]

    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel=CH, ts="1.000001", text="nope")
    assert missing.value.response["error"] == "message_not_found"
    human = slack.inject_message(CH, "typed by a person")
    with pytest.raises(SlackApiError, match="cant_update_message"):
        await client.chat_update(channel=CH, ts=human["ts"], text="edit")
    await client.chat_delete(channel=CH, ts=second["ts"])
    assert slack.workspace.find_message(CH, second["ts"]) is None
    link = await client.chat_getPermalink(channel=CH, message_ts=first["ts"])
    assert link["permalink"].endswith(first["ts"].replace(".", ""))


async def test_ephemerals_are_stored_per_user(slack: FakeSlack, client: AsyncWebClient) -> None:
    answer = await client.chat_postEphemeral(channel=CH, user="U1", text="only you")
    assert slack.ephemerals["U1"][0]["ts"] == answer["message_ts"]
    assert slack.messages[CH] == [] and slack.ephemerals["U2"] == []


async def test_form_encoding_auth_and_unknown_method(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        form = {"token": TOKEN, "channel": CH, "blocks": json.dumps([{"type": "divider"}])}
        async with http.post(slack.api_url + "chat.postMessage", data=form) as response:
            assert (await response.json())["ok"]
        assert slack.calls[-1].params["blocks"] == [{"type": "divider"}]
        for headers, error in [({}, "not_authed"), ({"Authorization": "Bearer xoxp-nope"}, "invalid_auth")]:
            async with http.post(slack.api_url + "auth.test", headers=headers) as response:
                assert response.status == 200 and (await response.json())["error"] == error
        async with http.post(slack.api_url + "chat.fly", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert (await response.json())["error"] == "unknown_method"


async def test_views_open_trigger_ids_expire_and_work_once(slack: FakeSlack, client: AsyncWebClient) -> None:
    view = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "Playbook"}, "blocks": []}
    trigger = slack.issue_trigger_id("U1")
    opened = await client.views_open(trigger_id=trigger, view=view)
    view_id = opened["view"]["id"]
    assert slack.views[view_id]["callback_id"] == "cb" and slack.view_stacks["U1"] == [view_id]
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await client.views_open(trigger_id=slack.issue_trigger_id("U1", age=4.0), view=view)

    pushed = await client.views_push(trigger_id=slack.issue_trigger_id("U1"), view=view)
    assert pushed["view"]["previous_view_id"] == view_id and len(slack.view_stacks["U1"]) == 2
    updated = await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=dict(view, blocks=[]))
    assert updated["view"]["hash"] != opened["view"]["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=view)


async def test_ratelimited_then_success_with_retry_handler(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, timeout=5)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    await client.chat_postMessage(channel=CH, text="hi")
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0 and time.monotonic() - started >= 1.0
    assert len(slack.messages[CH]) == 1


async def test_ratelimited_and_server_errors_surface_as_slack_api_error(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=CH, text="hi")
    assert limited.value.response.status_code == 429 and limited.value.response.headers["Retry-After"] == "7"
    slack.fail_next("chat.update", status=500)
    with pytest.raises(SlackApiError) as failed:
        await client.chat_update(channel=CH, ts="1.0", text="x")
    assert failed.value.response.status_code == 500
    assert (await client.chat_postMessage(channel=CH, text="ok now"))["ok"]


async def test_per_channel_rate_limiter(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.rate_limit_post_message(per_second=1.0, burst=3)
    for i in range(3):
        await client.chat_postMessage(channel=CH, text=f"burst {i}")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=CH, text="one too many")
    assert limited.value.response.status_code == 429 and limited.value.response.headers["Retry-After"] == "1"
    assert (await client.chat_postMessage(channel="C0OTHER", text="other channel"))["ok"]
    assert len(slack.messages[CH]) == 3


def test_token_bucket_refills_and_computes_retry_after() -> None:
    now = [100.0]
    bucket = TokenBucket(per_second=0.5, burst=2, clock=lambda: now[0])
    assert bucket.try_take("C") is None and bucket.try_take("C") is None
    assert bucket.try_take("C") == 2  # 1 token at 0.5/s
    now[0] += 1.0
    assert bucket.try_take("C") == 1  # half a token back
    now[0] += 1.0
    assert bucket.try_take("C") is None


async def test_delay_times_out_the_client_after_the_effect(slack: FakeSlack) -> None:
    slack.delay("chat.postMessage", 1.0, times=1)
    # slack_sdk annotates timeout as int, but hands it to aiohttp.ClientTimeout, which takes fractions.
    impatient = AsyncWebClient(token=TOKEN, base_url=slack.api_url, timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises((asyncio.TimeoutError, aiohttp.ClientError)):
        await impatient.chat_postMessage(channel=CH, text="slow")
    assert len(slack.messages[CH]) == 1  # posted although the client gave up: a blind retry would duplicate it


async def test_response_url_semantics(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CH, text="Step 1", blocks=[{"type": "divider"}])
    url = slack.response_url("click", channel=CH, message_ts=posted["ts"], user_id="U1")
    hook = AsyncWebhookClient(url)
    assert (await hook.send(text="Step 1 done", replace_original=True)).status_code == 200
    assert [(m["ts"], m["text"]) for m in slack.messages[CH]] == [(posted["ts"], "Step 1 done")]
    await hook.send(text="for everyone", response_type="in_channel")
    await hook.send(text="just for you")
    assert [m["text"] for m in slack.messages[CH]] == ["Step 1 done", "for everyone"]
    assert slack.ephemerals["U1"][-1]["text"] == "just for you"
    await hook.send(delete_original=True)
    assert [r.outcome for r in slack.responses] == ["replaced", "posted_in_channel", "posted_ephemeral", "deleted"]
    assert (await hook.send(text="sixth use")).status_code == 200
    assert (await hook.send(text="seventh")).status_code == 404 and slack.responses[-1].outcome == "used_url"

    command_hook = AsyncWebhookClient(slack.response_url("cmd", channel=CH, user_id="U2"))
    await command_hook.send(text="working…")
    await command_hook.send(text="done", replace_original=True)
    assert [e["text"] for e in slack.ephemerals["U2"]] == ["done"]
    await slack.wait_for("response_url", count=len(slack.responses))


async def test_people_presence_usergroups_and_dms(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.set_presence("U1", "away")
    slack.set_usergroup("S0ONCALL", ["U1", "U2"])
    assert (await client.users_getPresence(user="U1"))["presence"] == "away"
    assert (await client.users_getPresence(user="U2"))["presence"] == "active"
    assert (await client.usergroups_users_list(usergroup="S0ONCALL"))["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        await client.usergroups_users_list(usergroup="S0NOPE")
    slack.add_user("U3", real_name="Ada Lovelace", tz="Europe/Paris")
    assert (await client.users_info(user="U3"))["user"]["real_name"] == "Ada Lovelace"
    dm = (await client.conversations_open(users="U3"))["channel"]["id"]
    posted = await client.chat_postMessage(channel="U3", text="psst")
    assert posted["channel"] == dm and slack.messages[dm][0]["text"] == "psst"
    assert (await client.auth_test())["user_id"] == DEFAULT_BOT_USER_ID


async def test_wait_for(slack: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel=CH, text="later")

    task = asyncio.create_task(later())
    calls = await slack.wait_for("chat.postMessage", timeout=2)
    assert calls[0].ok
    await task
    with pytest.raises(TimeoutError, match=r"views\.open"):
        await slack.wait_for("views.open", timeout=0.05)


# -- driving a Bolt app over HTTP -----------------------------------------------------------------------------------
def build_app(client: AsyncWebClient, seen_retries: list[str]) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=SECRET)
    modal = {"type": "modal", "callback_id": "form", "title": {"type": "plain_text", "text": "Playbook"}, "blocks": []}

    @app.command("/playbook")
    async def open_modal(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.action("step-done")
    async def step_done(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="Step 1 done", replace_original=True)

    @app.view("form")
    async def submit(ack: Any, view: dict[str, Any]) -> None:
        await ack(response_action="errors", errors={"summary": view["state"]["values"]["summary"]["text"]["value"]})

    @app.event("message")
    async def on_message(ack: Any, request: Any) -> None:
        await ack()
        seen_retries.extend(request.headers.get("x-slack-retry-num", []))

    return app


async def test_sender_drives_a_bolt_app_against_the_fake(slack: FakeSlack, client: AsyncWebClient) -> None:
    seen_retries: list[str] = []
    async with serving(build_app(client, seen_retries).web_app()) as base, SlackSender(SECRET) as sender:
        url = base + "/slack/events"
        command = slash_command_body("/playbook", trigger_id=slack.issue_trigger_id(DEFAULT_USER_ID))
        reply = await sender.post(url, command)
        assert reply.status == 200 and reply.elapsed < 3
        opened = (await slack.wait_for("views.open"))[0]
        assert opened.ok and opened.response is not None and slack.calls_to("auth.test")

        submitted = view_submission_body(values={"summary": {"text": "too short"}}, view=opened.response["view"])
        assert tuple(await sender.post(url, submitted)) == (
            200,
            {"response_action": "errors", "errors": {"summary": "too short"}},
        )

        posted = await client.chat_postMessage(channel=CH, text="Step 1", blocks=[{"type": "divider"}])
        message = slack.messages[CH][0]
        response_url = slack.response_url("step", channel=CH, message_ts=posted["ts"], user_id=DEFAULT_USER_ID)
        click = block_actions_body("step-done", "ok", message=message, response_url=response_url)
        assert (await sender.post(url, click)).status == 200
        await slack.wait_for("response_url")
        assert slack.messages[CH][0]["text"] == "Step 1 done" and slack.messages[CH][0]["ts"] == posted["ts"]

        status, body = await sender.post(url, url_verification_body("chal"))
        assert (status, body) == (200, {"challenge": "chal"})
        assert (await sender.post(url, command, timestamp=int(time.time()) - 301)).status == 401
        assert (await sender.post(url, command, headers={"X-Slack-Signature": "v0=" + "0" * 64})).status == 401
        retried = await sender.post(url, event_body(message_event("hi")), retry_num=2)
        assert retried.status == 200 and seen_retries == ["2"]


@given(st.text(), st.lists(st.tuples(st.text(), st.text()), max_size=4))
def test_bodies_are_form_encoded_exactly_as_urllib_does(text: str, fields: list[tuple[str, str]]) -> None:
    """The builders' fast encoding (str.translate) writes what urllib's quote_plus and urlencode write: every byte
    of the UTF-8 text, spaces as '+', only the always-safe characters left as they are."""
    assert form_quote(text) == quote_plus(text)
    assert form_encode(fields) == urlencode(fields).encode()
