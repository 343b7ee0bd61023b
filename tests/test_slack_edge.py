"""The HTTP edge as an unlucky production day meets it: bodies that arrive in pieces, headers with odd characters,
and signed bodies of every wrong shape. Raw sockets where the HTTP client would smooth things over."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest

from tests.fakeslack import FakeSlack, block_actions_body, event_body, sign, slash_command_body, view_submission_body
from tests.slackapp import SECRET, App, running_app

AGENT = "U0AGENT1"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def app(slack, db_url):
    async with running_app(slack, db_url) as running:
        yield running


async def raw_post(
    app: App, pieces: list[bytes], headers: dict[str, str], *, pause: float = 0.02, chunked: bool = False
) -> tuple[int, bytes]:
    """POST /slack/events over a plain socket, writing the body in `pieces` with `pause` between them."""
    url = urlparse(app.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = ["POST /slack/events HTTP/1.1", f"Host: {url.hostname}:{url.port}", "Connection: close"]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    else:
        head.append(f"Content-Length: {sum(len(p) for p in pieces)}")
    head.extend(f"{k}: {v}" for k, v in headers.items())
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("utf-8"))
    await writer.drain()
    for piece in pieces:
        await asyncio.sleep(pause)
        writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
        await writer.drain()
    if chunked:
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    response = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status = int(response.split(b" ", 2)[1])
    return status, response.split(b"\r\n\r\n", 1)[1]


def split(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


async def test_a_signed_command_sent_in_two_writes_is_verified_whole(app, slack):
    body = slash_command_body("/triage", "clever-access", AGENT, "C0SUPPORT").body
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET)}
    for _ in range(5):
        half = len(body) // 2
        status, _ = await raw_post(app, [body[:half], body[half:]], headers, pause=0.02)
        assert status == 200
    await app.settle()
    assert len(slack.messages["C0SUPPORT"]) == 5  # five sessions posted: every command was taken


async def test_a_click_sent_in_tcp_sized_segments_is_verified_whole(app, slack):
    await app.start(user=AGENT, channel="C0SUPPORT")
    session = app.session("C0SUPPORT")
    yes = App.buttons(session)["Yes"]
    body = block_actions_body(yes["action_id"], yes["value"], user_id=AGENT, channel_id="C0SUPPORT", message=session)
    data = json.loads(_payload_json(body.body))
    # A click carries the whole message it was made on: a few kB, more than one TCP segment.
    data["state"] = {"values": {f"b{i}": {"a": {"type": "plain_text_input", "value": "x" * 40}} for i in range(60)}}
    raw = _form(data)
    assert len(raw) > 5000
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(raw, SECRET)}
    status, _ = await raw_post(app, split(raw, 1448), headers, pause=0.005)
    assert status == 200
    await app.settle()
    assert "→ *Yes*" in json.dumps(app.session("C0SUPPORT")["blocks"], ensure_ascii=False)  # the answer was applied


def _payload_json(form_body: bytes) -> str:
    return parse_qs(form_body.decode())["payload"][0]


async def test_a_chunked_body_over_the_limit_is_refused_as_too_large_never_as_unsigned(app):
    body = b"text=" + b"x" * (1024 * 1024 + 10)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET)}
    status, answer = await raw_post(app, split(body, 64 * 1024), headers, pause=0.0, chunked=True)
    assert status == 400 and json.loads(answer) == {"error": "body too large"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "1²"},
        {"X-Slack-Request-Timestamp": "17000000é0"},
        {"X-Slack-Signature": "v0=é" + "a" * 63},
        {"X-Slack-Signature": "v0=²"},
    ],
)
async def test_signature_headers_with_odd_characters_get_401(app, headers):
    body = slash_command_body("/triage", "help").body
    signed = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET), **headers}
    status, answer = await raw_post(app, [body], signed)
    assert status == 401 and json.loads(answer) == {"error": "invalid request"}


# --- signed bodies of the wrong shape --------------------------------------------------------------------------


def _form(data: dict[str, Any]) -> bytes:
    return b"payload=" + quote(json.dumps(data)).encode()


def _samples(slack: FakeSlack) -> list[tuple[bytes, str]]:
    """Real shapes the app accepts: a click, a form submission, a command, an event (form and JSON bodies)."""
    url = slack.response_url("fuzz")  # notices go to the fake, not to hooks.slack.com
    click = json.loads(
        _payload_json(block_actions_body("triage.choice.0", '{"p":1,"r":"x","v":0,"c":0}', response_url=url).body)
    )
    submit = json.loads(_payload_json(view_submission_body("triage.form.submit", {"b": {"a": "x"}}).body))
    return [
        (_form(click), "application/x-www-form-urlencoded"),
        (_form(submit), "application/x-www-form-urlencoded"),
        (slash_command_body("/triage", "clever", response_url=url).body, "application/x-www-form-urlencoded"),
        (
            event_body({"type": "app_mention", "user": AGENT, "channel": "C0SUPPORT", "ts": "1.1"}).body,
            "application/json",
        ),
    ]


FUZZ_PER_SHAPE = int(os.environ.get("FUZZ_PER_SHAPE", "120"))  # more on demand: FUZZ_PER_SHAPE=2000
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20261203"))
WRONG = [[], {}, "x", "U0AGENT1", 0, 1.5, True, None, [1], [{}], {"id": 5}, {"id": None}, "é²"]


def _mutate(data: Any, rng: random.Random) -> Any:
    """One to three changes somewhere in the structure: a value of the wrong type, or a key removed."""
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        node = data
        for _ in range(rng.randint(0, 5)):
            children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
            nested = [c for c in children if isinstance(c, (dict, list)) and c]
            if not nested:
                break
            node = rng.choice(nested)
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            if rng.random() < 0.2:
                del node[key]
            else:
                node[key] = copy.deepcopy(rng.choice(WRONG))
        elif isinstance(node, list) and node:
            node[rng.randrange(len(node))] = copy.deepcopy(rng.choice(WRONG))
    return data


TARGETED: list[dict[str, Any]] = [
    {"type": "block_actions", "user": {"id": AGENT}, "actions": []},
    {"type": "block_actions", "user": "U0AGENT1", "actions": [{"action_id": "triage.choice.0", "value": "{}"}]},
    {"type": "view_submission", "user": {"id": AGENT}, "view": "x"},
    {"type": "event_callback", "event_id": "Ev1", "event": "x"},
    {"type": "block_actions", "user": {"id": AGENT}, "actions": [{"action_id": 5}]},
    {"type": "block_actions", "user": {"id": AGENT}, "actions": [{"action_id": "triage.pick", "selected_option": 1}]},
    {"type": "view_submission", "user": {"id": AGENT}, "view": {"state": {"values": {"a": "b"}}}},
    {"type": "block_actions", "user": {"id": AGENT}, "team": "T1", "actions": [{"action_id": "x"}]},
    {"type": 7},
    {"type": "shortcut", "user": "x"},
]


async def test_targeted_malformed_payloads_get_400_not_500(app):
    for data in TARGETED:
        reply = await app.post(_form(data), "application/x-www-form-urlencoded")
        assert reply.status == 400, (data, reply.status, reply.text)
    assert (await app.command("help")).status == 200


async def test_a_bounded_fuzz_of_signed_malformed_requests_never_answers_500(app, slack):
    rng = random.Random(FUZZ_SEED)  # fixed: the same requests every run
    statuses: dict[int, int] = {}
    for body, content_type in _samples(slack):
        data = (
            json.loads(body)
            if content_type == "application/json"
            else json.loads(_payload_json(body))
            if body.startswith(b"payload=")
            else None
        )
        for _ in range(FUZZ_PER_SHAPE):
            if data is None:  # a command: mutate the form fields
                fields = dict(pair.split("=", 1) for pair in body.decode().split("&"))
                fields[rng.choice(list(fields))] = quote(str(rng.choice(WRONG)))
                sent = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
            elif content_type == "application/json":
                sent = json.dumps(_mutate(data, rng)).encode()
            else:
                sent = _form(_mutate(data, rng))
            reply = await app.post(sent, content_type)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
    await app.settle()
    assert 500 not in statuses, statuses
    assert sum(statuses.values()) == 4 * FUZZ_PER_SHAPE and statuses.get(400, 0) > 0  # some refused at the edge
    assert (await app.command("help")).status == 200
