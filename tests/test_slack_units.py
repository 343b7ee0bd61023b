"""Pure Slack-side pieces: Block Kit limits, payload ids, settings, manifest."""

from __future__ import annotations

import pytest
import yaml

from chatbot.adapters.slack import refs
from chatbot.adapters.slack.blocks import MESSAGE_BLOCK_LIMIT, session_message
from chatbot.adapters.slack.text import code_blocks, split_text
from chatbot.domain.run import Answer, Choose, Submit
from chatbot.manifest import build_manifest
from chatbot.settings import Settings, SettingsError
from tests.helpers import T0, mini_engine
from tests.slackapp import checked_blocks, example_config


def test_split_text_keeps_everything_within_the_limit():
    text = "\n".join(f"line {i} " + "x" * (i * 37 % 500) for i in range(200)) + "\n" + "y" * 7000
    pieces = split_text(text, 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert all(len(p) <= 3000 and p.startswith("```") and p.endswith("```") for p in code_blocks(text))


def test_long_help_is_split_not_cut_and_a_long_trail_stays_under_50_blocks():
    engine = mini_engine()
    state = engine.start("mini", "U1", T0)
    state = engine.step(state, Answer(Choose(0), state.version, "U1", T0))
    values = {"school": "S" * 400, "clever_id": "0123456789abcdef01234567", "role": "Teacher", "email": ""}
    state = engine.step(state, Answer(Submit(values), state.version, "U1", T0))
    view = engine.view(state)
    long_view = type(view)(**{**view.__dict__, "help": "word " * 3000})
    msg = session_message(long_view, "r" * 32, "U1", {})
    assert len(checked_blocks({"blocks": msg.blocks})) <= MESSAGE_BLOCK_LIMIT
    for block in msg.as_dicts():
        for text in [block.get("text", {}).get("text", "")] + [
            e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)
        ]:
            assert len(text) <= 3000
    trail = view.trail * 40
    many = type(view)(**{**view.__dict__, "trail": trail})
    assert len(checked_blocks({"blocks": session_message(many, "r" * 32, "U1", {}).blocks})) <= MESSAGE_BLOCK_LIMIT


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "{}",
        '{"p":2,"r":"x","v":1}',
        '{"p":1,"r":5,"v":1}',
        '{"p":1,"r":"x","v":true}',
        '{"p":1,"r":"x","v":1,"c":"0"}',
        "[1]",
    ],
)
def test_button_payloads_from_elsewhere_are_refused(bad):
    with pytest.raises(refs.BadPayload):
        refs.decode(refs.RunRef, bad)


def test_button_payload_round_trip_is_small():
    ref = refs.RunRef("a" * 32, 12345, 24)
    assert refs.decode(refs.RunRef, refs.encode(ref)) == ref and len(refs.encode(ref)) < 100


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "must be a bot token"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT must be"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must be"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_POOL_SIZE": "1"}, "DATABASE_POOL_SIZE"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_POOL_SIZE": "lots"}, "from 2 to 500"),
    ],
)
def test_settings_errors_name_the_setting_in_one_line(env, message):
    with pytest.raises(SettingsError, match=message) as err:
        Settings.from_env(env)
    assert "\n" not in str(err.value)


def test_database_pool_size_defaults_to_20_and_can_be_set():
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert Settings.from_env(base).database_pool_size == 20
    assert Settings.from_env({**base, "DATABASE_POOL_SIZE": " 6 "}).database_pool_size == 6


def test_secrets_never_show_themselves():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-secret-1", "SLACK_SIGNING_SECRET": "sekrit"})
    assert "xoxb-secret-1" not in repr(settings) and "sekrit" not in repr(settings) and "sekrit" not in str(settings)
    assert settings.slack_bot_token.reveal() == "xoxb-secret-1"
    assert Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}, http=False).slack_signing_secret is None


def test_manifest_lists_every_command_and_the_request_url():
    manifest = yaml.safe_load(yaml.safe_dump(build_manifest(example_config(), "https://bot.example.org/")))
    url = "https://bot.example.org/slack/events"
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/triage", "/oncall", "/escalate", "/digest", "/case"}
    assert all(c["url"] == url for c in manifest["features"]["slash_commands"])
    assert manifest["settings"]["interactivity"]["request_url"] == url
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert {"commands", "chat:write", "usergroups:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    socket = build_manifest(example_config(), "", socket_mode=True)
    assert socket["settings"]["socket_mode_enabled"] and "request_url" not in socket["settings"]["interactivity"]
