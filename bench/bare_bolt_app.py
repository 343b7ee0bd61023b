"""The baseline for bench_slack: a bare slack-bolt app doing the comparable minimum for each kind of interaction.

Run: SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... .venv/bin/python -m bench.bare_bolt_app --port P --api-url U
Default bolt settings, as a developer would write it. ``--shared-session`` gives the Web API client one aiohttp
session (slack_sdk otherwise opens a new session, so a new connection, for every call). ``--database-url`` makes it
durable: each step is committed before its ack (bare_store.py), the floor for an app that loses nothing.

It walks a fixed four-question "playbook" with no storage, its state in the button values, and the same action ids
as the chatbot so the same simulated agents drive it:
- `/triage` with no text: ack with a picker (a static select); `/triage <id>`: ack, then chat.postMessage;
- the picker's select: ack, chat.postMessage, and the picker deleted through the response_url;
- a choice, Continue, Back or Restart: ack, then chat.update with the next step;
- the form button: ack, then views.open with the click's trigger_id;
- a form submit: ack with ``response_action: errors`` when a value is wrong, else ack, then chat.update;
- a ping's button: ack, then chat.update; `/oncall`: ack, then a listing to the response_url; `/oncall away|back`:
  ack with a line (ephemeral), the mark written first when durable;
- the Home tab opened (`app_home_opened`): ack (bolt acks events itself), then views.publish;
- `/escalate`: ack, then views.open; its submit: ack (with errors if the summary is blank), then chat.postMessage
  in the agent's channel ("Case ... escalated"), a case written first when durable;
- `/case new [ticket]`: ack, then views.open; its submit: ack, then chat.postMessage ("Case *BARE-...* opened");
  `/case NUMBER`: ack with the case (ephemeral). Each session message names a case in its context line, as the
  chatbot's do.
(It posts no pings, so the supervisors' presses on them are the chatbot's alone.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bench.bare_store import BareStore, store_for

QUESTIONS = 4  # then a form, then the outcome
PLAYBOOKS = [f"bare-{i}" for i in range(1, 7)]
ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")
# About the size of the chatbot's session message (a step's text and help), which every click carries back.
HELP = " ".join(["Check the user's account details in Support Tools and the school's Organization record."] * 12)


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def _button(label: str, action_id: str, value: dict[str, Any], style: str | None = None) -> dict[str, Any]:
    element = {"type": "button", "text": _text("plain_text", label), "action_id": action_id}
    element["value"] = json.dumps(value, separators=(",", ":"))
    if style:
        element["style"] = style
    return element


def case_of(run: str) -> str:
    return f"BARE-2026-{int(run[:8], 16) % 1_000_000:06d}"


def step_message(run: str, version: int, step: int, user: str) -> dict[str, Any]:
    ref = {"p": 1, "r": run, "v": version, "s": step}
    context = f"Session for <@{user}> · Case *{case_of(run)}* · step {step + 1} · ref `{run}`"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _text("plain_text", "Bare playbook")},
        {"type": "context", "elements": [_text("mrkdwn", context)]},
        {"type": "divider"},
    ]
    if step < QUESTIONS:
        blocks.append({"type": "section", "text": _text("mrkdwn", f"*Question {step + 1}*\nDoes it apply?")})
        blocks.append({"type": "context", "elements": [_text("mrkdwn", HELP)]})
        choices = [_button(label, f"triage.choice.{i}", {**ref, "c": i}) for i, label in enumerate(("Yes", "No"))]
        blocks.append({"type": "actions", "block_id": "choices-0", "elements": choices})
    elif step == QUESTIONS:
        blocks.append({"type": "section", "text": _text("mrkdwn", "*Details*\nDetails to collect: School, ID")})
        form = [_button("Fill in the form", "triage.form", ref, "primary")]
        blocks.append({"type": "actions", "block_id": "form", "elements": form})
    else:
        blocks.append({"type": "section", "text": _text("mrkdwn", f"*Outcome: Resolved*\n{HELP}")})
    nav = [_button("Restart", "triage.restart", ref)]
    blocks.append({"type": "actions", "block_id": "nav", "elements": nav})
    return {"text": f"Bare playbook: step {step + 1}", "blocks": blocks}


def form_modal(ref: dict[str, Any]) -> dict[str, Any]:
    options = [{"text": _text("plain_text", o), "value": o} for o in ("Teacher", "Student", "Administrator")]
    return {
        "type": "modal",
        "callback_id": "triage.form.submit",
        "private_metadata": json.dumps(ref, separators=(",", ":")),
        "title": _text("plain_text", "Details"),
        "submit": _text("plain_text", "Save"),
        "blocks": [
            {"type": "input", "block_id": "role", "label": _text("plain_text", "Who is asking"),
             "element": {"type": "static_select", "action_id": "value", "options": options}},
            {"type": "input", "block_id": "clever_id", "label": _text("plain_text", "Clever ID"),
             "element": {"type": "plain_text_input", "action_id": "value"}},
        ],
    }  # fmt: skip


def case_modal(channel: str, ticket: str | None) -> dict[str, Any]:
    def text_input(block_id: str, label: str, initial: str | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 2000}
        if initial:
            element["initial_value"] = initial
        return {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "label": _text("plain_text", label),
            "element": element,
        }

    options = [{"text": _text("plain_text", p.capitalize()), "value": p} for p in ("high", "normal", "low")]
    return {
        "type": "modal",
        "callback_id": "case.new.submit",
        "private_metadata": channel,
        "title": _text("plain_text", "Open a case"),
        "submit": _text("plain_text", "Open case"),
        "blocks": [
            text_input("ticket_id", "Zendesk ticket number", ticket),
            text_input("gold_id", "User ID"),
            text_input("error_messages", "Error messages"),
            {"type": "input", "block_id": "priority", "label": _text("plain_text", "Priority"),
             "element": {"type": "static_select", "action_id": "value", "options": options,
                         "initial_option": options[1]}},
        ],
    }  # fmt: skip


def escalate_modal(channel: str) -> dict[str, Any]:
    """The manual escalation's modal, in the chatbot's shape (block ids group, summary, priority, reference)."""
    group = [{"text": _text("plain_text", "Bare group"), "value": "bare"}]
    options = [{"text": _text("plain_text", p.capitalize()), "value": p} for p in ("high", "normal", "low")]
    return {
        "type": "modal",
        "callback_id": "esc.manual.submit",
        "private_metadata": channel,
        "title": _text("plain_text", "Escalate"),
        "submit": _text("plain_text", "Escalate"),
        "blocks": [
            {"type": "input", "block_id": "group", "label": _text("plain_text", "Group"),
             "element": {"type": "static_select", "action_id": "value", "options": group}},
            {"type": "input", "block_id": "summary", "label": _text("plain_text", "What is wrong"),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True}},
            {"type": "input", "block_id": "priority", "label": _text("plain_text", "Priority"),
             "element": {"type": "static_select", "action_id": "value", "options": options,
                         "initial_option": options[1]}},
            {"type": "input", "block_id": "reference", "optional": True,
             "label": _text("plain_text", "Case or ticket number"),
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 100}},
        ],
    }  # fmt: skip


def build(
    token: str, signing_secret: str, api_url: str, session: aiohttp.ClientSession | None, store: BareStore | None = None
) -> AsyncApp:
    app = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url, session=session), signing_secret=signing_secret)

    @app.command("/triage")
    async def triage(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user, channel = body["user_id"], body["channel_id"]
        if not body.get("text"):
            options = [{"text": _text("plain_text", p), "value": p} for p in PLAYBOOKS]
            select = {"type": "static_select", "action_id": "triage.pick", "options": options}
            picker = [{"type": "section", "text": _text("mrkdwn", "Which playbook?"), "accessory": select}]
            await ack(response_type="ephemeral", text="Choose a playbook", blocks=picker)
            return
        run = os.urandom(8).hex()
        if store is not None:
            await store.start(run, user, channel)
        await ack()
        await client.chat_postMessage(channel=channel, **step_message(run, 1, 0, user))

    @app.action("triage.pick")
    async def pick(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        user, channel, run = body["user"]["id"], body["channel"]["id"], os.urandom(8).hex()
        if store is not None:
            await store.start(run, user, channel)
        await ack()
        await client.chat_postMessage(channel=channel, **step_message(run, 1, 0, user))
        await respond(delete_original=True)

    @app.action(re.compile(r"^triage\.(choice\.\d+|continue|back|restart)$"))
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        action = body["actions"][0]
        ref = json.loads(action["value"])
        step = 0 if action["action_id"] in ("triage.restart", "triage.back") else ref["s"] + 1
        if store is not None and not await store.step(ref["r"], ref["v"], step, action["action_id"]):
            await ack()  # a stale button: the message already shows a newer step
            return
        await ack()
        container = body["container"]
        message = step_message(ref["r"], ref["v"] + 1, step, body["user"]["id"])
        await client.chat_update(channel=container["channel_id"], ts=container["message_ts"], **message)

    @app.action("triage.form")
    async def open_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = json.loads(body["actions"][0]["value"])
        ref.update(ch=body["container"]["channel_id"], ts=body["container"]["message_ts"])
        await client.views_open(trigger_id=body["trigger_id"], view=form_modal(ref))

    @app.view("triage.form.submit")
    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body["view"]
        values = view["state"]["values"]
        role = ((values.get("role") or {}).get("value") or {}).get("selected_option")
        clever_id = str(((values.get("clever_id") or {}).get("value") or {}).get("value") or "")
        errors = {}
        if not role:
            errors["role"] = "This field is required."
        if not ID_PATTERN.match(clever_id):
            errors["clever_id"] = "A Clever ID is 24 characters, digits and the letters a to f."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        ref = json.loads(view["private_metadata"])
        if store is not None and not await store.step(ref["r"], ref["v"], QUESTIONS + 1, "submit"):
            await ack()
            return
        await ack()
        message = step_message(ref["r"], ref["v"] + 1, QUESTIONS + 1, body["user"]["id"])
        await client.chat_update(channel=ref["ch"], ts=ref["ts"], **message)

    @app.action(re.compile(r"^esc\."))
    async def ping_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        container, message = body["container"], body.get("message") or {}
        await client.chat_update(
            channel=container["channel_id"], ts=container["message_ts"], text="Updated", blocks=message.get("blocks")
        )

    @app.command("/case")
    async def case(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        words = str(body.get("text") or "").split()
        if words and words[0] == "new":
            await ack()
            view = case_modal(body["channel_id"], words[1] if len(words) > 1 else None)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        number = words[0] if words else "?"
        found = await store.case(number) if store is not None else None
        opened = f" · opened by <@{found[1]}> at {found[2]}" if found else ""
        section = {
            "type": "section",
            "text": _text("mrkdwn", f"*Case {number}* · open · priority normal{opened}\n{HELP}"),
        }
        await ack(response_type="ephemeral", text=f"Case {number}", blocks=[section])

    @app.view("case.new.submit")
    async def case_opened(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        case_id = os.urandom(8).hex()
        number, user = case_of(case_id), body["user"]["id"]
        if store is not None:
            await store.open_case(case_id, number, user, body["view"]["private_metadata"])
        await ack()
        text = f":file_folder: Case *{number}* opened by <@{user}>\n{HELP}"
        blocks = [{"type": "section", "text": _text("mrkdwn", text)}]
        await client.chat_postMessage(channel=body["view"]["private_metadata"], text=f"Case {number}", blocks=blocks)

    @app.command("/escalate")
    async def escalate(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=escalate_modal(body["channel_id"]))

    @app.view("esc.manual.submit")
    async def escalated(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        summary = ((body["view"]["state"]["values"].get("summary") or {}).get("value") or {}).get("value") or ""
        if not summary.strip():
            await ack(response_action="errors", errors={"summary": "Say what Tier 2 should look at."})
            return
        case_id = os.urandom(8).hex()
        number, user, channel = case_of(case_id), body["user"]["id"], body["view"]["private_metadata"]
        if store is not None:
            await store.open_case(case_id, number, user, channel)
        await ack()
        text = f":rotating_light: Case *{number}* escalated by <@{user}>"
        await client.chat_postMessage(channel=channel, text=f"Case {number} escalated", blocks=[
            {"type": "section", "text": _text("mrkdwn", text)}])  # fmt: skip

    @app.event("app_home_opened")
    async def home(body: dict[str, Any], client: AsyncWebClient) -> None:
        user = body["event"]["user"]
        section = {"type": "section", "text": _text("mrkdwn", f"*Your open cases and sessions*, <@{user}>\n{HELP}")}
        await client.views_publish(user_id=user, view={"type": "home", "blocks": [section]})

    @app.command("/oncall")
    async def oncall(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        verb = str(body.get("text") or "").strip().split(" ")[0]
        if verb in ("away", "back"):
            if store is not None:
                await store.mark(body["user_id"], verb)
            text = "You are marked away for 1 hour." if verb == "away" else "Welcome back: pings reach you again."
            await ack(response_type="ephemeral", text=text)
            return
        await ack()
        await respond(response_type="ephemeral", text="*Bare group* · available now: everyone")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True, help="Web API base URL, with the trailing slash")
    parser.add_argument("--shared-session", action="store_true", help="one aiohttp session for every API call")
    parser.add_argument("--database-url", help="commit each step before its ack (bare_store.py), in this database")
    args = parser.parse_args()
    token, secret = os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_SIGNING_SECRET"]
    if not args.shared_session and not args.database_url:
        build(token, secret, args.api_url, None).start(port=args.port, host="127.0.0.1")
        return
    store = store_for(args.database_url) if args.database_url else None
    app = build(token, secret, args.api_url, None, store)
    web_app = app.web_app(port=args.port)

    # aiohttp sessions and asyncpg pools belong to the loop that uses them: open them on bolt's startup.
    async def open_resources(_web_app: web.Application) -> None:
        if args.shared_session:
            app.client.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        if store is not None:
            await store.open()

    async def close_resources(_web_app: web.Application) -> None:
        if args.shared_session and app.client.session is not None:
            await app.client.session.close()
        if store is not None:
            await store.close()

    web_app.on_startup.append(open_resources)
    web_app.on_cleanup.append(close_resources)
    web.run_app(web_app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
