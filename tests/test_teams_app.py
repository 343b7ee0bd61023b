"""Playbook sessions in Teams, end to end: signed activities into `chatbot serve`'s application, cards back in the
invoke answers and in the messages the fake Bot Connector stores, state in a real database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.refs import conversation_key
from chatbot.engine.schema import StepKind
from tests.teamsapp import (
    AGENT,
    HERBERT,
    OUTSIDER,
    TIER2_TEAMS,
    Chat,
    TeamsApp,
    buttons,
    microsoft,
    running_teams,
    said,
    teams_config,
    texts,
    walk,
)
from tests.teamswalk import first_path, move_action, move_inputs, press_move
from tests.test_playbook_paths import PATHS, PlaybookPath, playbook


def unescaped(text: str) -> str:
    """What Teams shows for Markdown backslash escapes."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    async with microsoft(tmp_path, monkeypatch) as w:
        yield w


@pytest.fixture
async def app(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_teams(world, f"sqlite:///{tmp_path / 'teams.sqlite3'}") as running:
        yield running


async def walk_path(app: TeamsApp, chat: Chat, path: PlaybookPath) -> tuple[str, dict]:  # type: ignore[type-arg]
    message_id = await app.start(AGENT, f"triage {path.playbook}", chat)
    pb = playbook(path.playbook)
    card = app.card(chat, message_id)
    for move in path.moves:
        step_id, choice = move
        only = pb.steps[step_id].choices[choice].only if choice is not None and pb.steps[step_id].choices else None
        who = HERBERT if only == "ts-supervisors" else AGENT  # an answer only that group gives: its member gives it
        assert only in (None, "ts-supervisors"), only
        card = await press_move(app, who, chat, message_id, move, pb)
        assert "Some fields need fixing" not in texts(card), (path.id, texts(card))
        # What the presser got is what the stored message shows everyone (updated after the answer).
        assert app.card(chat, message_id) == card, path.id
    return message_id, card


async def test_every_path_of_every_playbook_by_pressing(app: TeamsApp) -> None:
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    for path in PATHS:
        _, card = await walk_path(app, chat, path)
        shown = unescaped(texts(card))
        end = playbook(path.playbook).steps[path.end]
        if end.outcome is not None:
            assert "Customer reply" in str(card) and end.outcome.summary in shown, path.id
            assert "Internal note" in str(card), path.id
        else:
            assert playbook(end.jump).spec.title in shown, path.id
    # One card per session, replaced in place: one reply per path, every answer an update of that message.
    replies = [c for c in app.connector.calls if c.operation == "reply"]
    assert len(replies) == len(PATHS) and all(c.status == 201 for c in replies)
    updates = [c for c in app.connector.calls if c.operation == "update"]
    assert updates and all(c.status == 200 for c in updates)
    assert sum(1 for c in app.connector.calls if c.operation == "send") == 0


PID = "clever-access"


async def test_a_session_in_a_channel_thread_lives_in_that_thread(app: TeamsApp) -> None:
    chat = Chat.thread()
    message_id = await app.start(AGENT, f"triage {PID}", chat)
    [reply] = [c for c in app.connector.calls if c.operation == "reply"]
    assert reply.conversation_id == chat.id  # answered in the thread of the agent's message
    card = await press_move(app, AGENT, chat, message_id, first_path(PID).moves[0], playbook(PID))
    assert "Back" in buttons(card)
    record = await app.runtime.store.get_run(_run_id(app))
    assert record is not None and record.surface == "teams"
    assert (record.channel_id, record.message_ts) == (conversation_key(chat.id), message_id)
    channel = await app.runtime.store.teams.get(TIER2_TEAMS)  # the channel of the thread is remembered too
    assert channel is not None and channel.service_url == app.connector.service_url


def _run_id(app: TeamsApp) -> str:
    for invoke in reversed(app.invokes):
        data = invoke["value"]["action"]["data"]
        if "r" in data:
            return str(data["r"])
    raise AssertionError("no press yet")


async def test_back_restart_cancel_and_the_trail(app: TeamsApp) -> None:
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    pb, move = playbook(PID), first_path(PID).moves[0]
    message_id = await app.start(AGENT, f"triage {PID}", chat)
    first = app.card(chat, message_id)
    card = await press_move(app, AGENT, chat, message_id, move, pb)
    assert "✓" in texts(card) and "Back" in buttons(card)  # the trail shows the answer
    card = await app.press(AGENT, chat, message_id, "Back")
    assert "✓" not in texts(card) and "Back" not in buttons(card) and buttons(card) == buttons(first)
    await press_move(app, AGENT, chat, message_id, move, pb)
    card = await app.press(AGENT, chat, message_id, "Restart")
    assert "✓" not in texts(card)
    card = await app.press(AGENT, chat, message_id, "Cancel it")  # inside the Cancel button's confirmation
    assert "This session was cancelled" in texts(card) and buttons(card) == ["Restart"]
    name = move_action(pb, move[0])
    actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
    assert actions == ["start", name, "back", name, "restart", "cancel"]


async def test_a_double_or_stale_press_advances_the_run_once(app: TeamsApp) -> None:
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    pb, move = playbook(PID), first_path(PID).moves[0]
    message_id = await app.start(AGENT, f"triage {PID}", chat)
    first = app.card(chat, message_id)  # what a second client (or a second click) still shows
    answered = await press_move(app, AGENT, chat, message_id, move, pb, card=first)
    again = await press_move(app, AGENT, chat, message_id, move, pb, card=first)
    assert "already answered this step" in texts(again)
    actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
    assert actions == ["start", move_action(pb, move[0])]
    # The refusal shows the session where it is (after the first press), to the presser only.
    assert buttons(again) == buttons(answered) and app.card(chat, message_id) == answered


def _form_with_a_pattern() -> tuple[PlaybookPath, int, str]:
    """A path, the index of a move that is a form, and a field of it with a pattern."""
    for path in PATHS:
        pb = playbook(path.playbook)
        for index, (step_id, _) in enumerate(path.moves):
            step = pb.steps[step_id]
            patterned = [f.id for f in step.fields if f.pattern] if step.kind == StepKind.COLLECT else []
            if patterned:
                return path, index, patterned[0]
    raise AssertionError("no seed playbook has a field with a pattern")


async def test_form_errors_come_back_per_field_with_what_was_typed(app: TeamsApp) -> None:
    path, index, field = _form_with_a_pattern()
    pb = playbook(path.playbook)
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    message_id = await app.start(AGENT, f"triage {path.playbook}", chat)
    for move in path.moves[:index]:
        await press_move(app, AGENT, chat, message_id, move, pb)
    stored = app.card(chat, message_id)
    typed = {**move_inputs(pb, path.moves[index][0]), ids.field_input_id(field): "not valid <at>x</at>"}
    card = await app.press(AGENT, chat, message_id, "Save", typed)
    assert "Save" in buttons(card) and "attention" in str(card)
    values = {n["id"]: n.get("value") for n in _inputs(card)}
    assert values[ids.field_input_id(field)] == "not valid <at>x</at>"  # kept, to fix rather than retype
    blocks = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
    assert not any("<at>" in b for b in blocks)  # typed text never becomes markup
    assert app.card(chat, message_id) == stored  # nothing saved, nothing changed for anyone else
    actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
    assert "submit" not in actions[index + 1 :]


def _inputs(card: dict) -> list[dict]:  # type: ignore[type-arg]
    return [n for n in walk(card) if str(n.get("type", "")).startswith("Input.")]


async def test_picker_starts_the_chosen_playbook_in_its_own_message(app: TeamsApp) -> None:
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    message_id = await app.start(AGENT, "triage", chat)
    picker = app.card(chat, message_id)
    assert "Start" in buttons(picker)
    pid = PATHS[-1].playbook
    card = await app.press(AGENT, chat, message_id, "Start", {ids.PICK_INPUT: pid})
    assert playbook(pid).spec.title in unescaped(texts(card)) and app.card(chat, message_id) == card
    record = await app.runtime.store.get_run(_run_id_from(card))
    assert record is not None and record.message_ts == message_id and record.playbook_id == pid


def _run_id_from(card: dict) -> str:  # type: ignore[type-arg]
    return next(str(n["data"]["r"]) for n in walk(card) if n.get("type") == "Action.Execute" and "r" in n["data"])


async def test_search_help_and_unknown_words(app: TeamsApp) -> None:
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    reply = await app.say(AGENT, "triage no such thing <at>Everyone</at>", chat)
    assert reply is not None and "No playbook matches" in said(reply)
    assert "<at>" not in str(reply.body)  # what the agent typed is escaped, in the card and its fallback text
    assert "triage" in said(await app.say(AGENT, "help", chat))
    assert "I don't know" in said(await app.say(AGENT, "frobnicate", chat))


async def test_someone_else_cannot_answer_an_owner_only_session(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = teams_config(access={"sessions": "owner"})
    async with running_teams(world, f"sqlite:///{tmp_path / 'own.sqlite3'}", config=config) as app:
        chat = Chat.thread()
        message_id = await app.start(AGENT, f"triage {PID}", chat)
        card = await press_move(app, OUTSIDER, chat, message_id, first_path(PID).moves[0], playbook(PID))
        assert "belongs to someone else" in texts(card)
        actions = [a.action for a in await app.runtime.store.audit(_run_id(app))]
        assert actions == ["start"]


async def test_access_lists_name_teams_users_and_channels(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = teams_config(access={"teams_channels": [TIER2_TEAMS], "teams_users": [OUTSIDER.aad.upper()]})
    async with running_teams(world, f"sqlite:///{tmp_path / 'acl.sqlite3'}", config=config) as app:
        personal = Chat.personal(AGENT)
        app.connector.conversation(personal.id)
        assert "not set up to start playbooks here" in said(await app.say(AGENT, f"triage {PID}", personal))
        title = playbook(PID).spec.title
        assert title in said(await app.say(AGENT, f"triage {PID}", Chat.thread()))  # an allowed channel
        theirs = Chat.personal(OUTSIDER)
        app.connector.conversation(theirs.id)
        assert title in said(await app.say(OUTSIDER, f"triage {PID}", theirs))  # an allowed user, anywhere


async def test_restart_in_the_middle_of_a_run_loses_nothing(world, db_url: str) -> None:  # type: ignore[no-untyped-def]
    chat = Chat.thread()
    async with running_teams(world, db_url) as first:
        message_id = await first.start(AGENT, f"triage {PID}", chat)
        before = await press_move(first, AGENT, chat, message_id, first_path(PID).moves[0], playbook(PID))
    # Another process (a restart, or another replica) on the same database: the same card's buttons carry on.
    async with running_teams(world, db_url) as second:
        assert second.card(chat, message_id) == before
        after = await second.press(AGENT, chat, message_id, "Back")
        assert "Back" not in buttons(after)
        actions = [a.action for a in await second.runtime.store.audit(_run_id(second))]
        assert actions == ["start", move_action(playbook(PID), first_path(PID).moves[0][0]), "back"]


async def test_unsigned_and_forged_activities_get_401_and_change_nothing(app: TeamsApp) -> None:
    chat = Chat.personal(AGENT)
    app.connector.conversation(chat.id)
    activity = app._activity(AGENT, chat, type="message", id="1", text=f"triage {PID}")
    assert (await app.post(activity, signed=False))[0] == 401
    forged = app.login.sign_activity_token(activity["serviceUrl"], audience="another-bot")
    assert (await app.post(activity, token=forged))[0] == 401
    assert app.connector.calls == [] and await app.runtime.store.count_active_runs() == 0


async def test_installing_the_app_in_a_team_keeps_every_channel(app: TeamsApp) -> None:
    other = "19:other0123456789@thread.tacv2"
    await app.install({TIER2_TEAMS: "Tier 2", other: "Random"})
    for channel in (TIER2_TEAMS, other):
        record = await app.runtime.store.teams.get(channel)
        assert record is not None and record.team_id is not None
        assert record.service_url == app.connector.service_url and record.tenant_id
