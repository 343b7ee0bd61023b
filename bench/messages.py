"""Reading what the fake Slack shows: the buttons on a message, the step it is at, a modal's inputs.

Only the app's Slack surface is used (action ids and block types, which Slack itself sees), never its Python code:
other people change the app while the bench runs against it, and labels, texts and steps may change with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

# Action ids the app puts on its buttons (chatbot/adapters/slack/ids.py); the bare app uses the same ones.
CHOICE_PREFIX = "triage.choice."
CONTINUE = "triage.continue"
OPEN_FORM = "triage.form"
BACK = "triage.back"
RESTART = "triage.restart"
CANCEL = "triage.cancel"
PICK = "triage.pick"
ESC_ACK = "esc.acknowledge"
ESC_CLAIM = "esc.claim"
ESC_RETURN = "esc.return"
ESC_RESOLVE = "esc.resolve"
ESC_ACTIONS = (ESC_ACK, ESC_CLAIM, ESC_RETURN, ESC_RESOLVE)  # the escalation's status: they change with it
# The case's buttons on a ping (while the escalation is open and belongs to a case; follow-up only when its outcome
# names a Tier 2 playbook): Record work (a modal), the status-update reply (ephemeral), start the follow-up playbook.
ESC_WORK = "esc.work"
ESC_STATUS = "esc.status_update"
ESC_FOLLOW_UP = "esc.follow_up"
NAV = (BACK, RESTART, CANCEL)

# The bench names every escalation group "<name> BENCHGRP<n>" in its configuration (bench_config.py): the outcome
# message of a run that escalated names the group, so the agent knows which channel the ping goes to.
GROUP_MARK = re.compile(r"BENCHGRP(\d+)")
# A case number as the app shows it in a session message's context line and the "case opened" message.
CASE_MARK = re.compile(r"Case \*([A-Za-z][A-Za-z0-9]{0,9}-\d{4}-\d{6})\*")

Message = dict[str, Any]


@dataclass(frozen=True)
class Button:
    action_id: str
    text: str
    value: str | None
    block_id: str

    @property
    def is_choice(self) -> bool:
        return self.action_id.startswith(CHOICE_PREFIX)


def buttons(message: Message) -> list[Button]:
    found = []
    for block in message.get("blocks") or []:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                text = (element.get("text") or {}).get("text", "")
                found.append(Button(element["action_id"], text, element.get("value"), block.get("block_id", "")))
    return found


def button(message: Message, action_id: str) -> Button | None:
    return next((b for b in buttons(message) if b.action_id == action_id), None)


def step_buttons(message: Message) -> list[Button]:
    """The buttons that answer the current step (choices, Continue, the form button), not Back/Restart/Cancel."""
    return [b for b in buttons(message) if b.action_id not in NAV]


def _texts(block: dict[str, Any]) -> list[str]:
    out = []
    text = block.get("text")
    if isinstance(text, dict):
        out.append(str(text.get("text", "")))
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
            out.append(str(element.get("text", "")))
    return out


def all_text(message: Message) -> str:
    return "\n".join(t for block in message.get("blocks") or [] for t in _texts(block))


def step_key(message: Message) -> str:
    """What identifies the step a session message shows: its header and the blocks after the last divider (the
    step's title, question and help), without the context line (which carries the run's reference)."""
    blocks = message.get("blocks") or []
    header = next((" ".join(_texts(b)) for b in blocks if b.get("type") == "header"), "")
    last_divider = max((i for i, b in enumerate(blocks) if b.get("type") == "divider"), default=-1)
    step = [t for b in blocks[last_divider + 1 :] if b.get("type") == "section" for t in _texts(b)]
    return header + "\x00" + "\x00".join(step)


def playbook_key(message: Message) -> str:
    blocks = message.get("blocks") or []
    return next((" ".join(_texts(b)) for b in blocks if b.get("type") == "header"), "")


def version_of(message: Message) -> tuple[str, int] | None:
    """The run and version a session message's buttons carry (button values are the app's JSON), if readable."""
    for b in buttons(message):
        if not b.value or not b.value.startswith("{"):
            continue
        try:
            data = orjson.loads(b.value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("r"), str) and isinstance(data.get("v"), int):
            return data["r"], data["v"]
    return None


def escalation_group(message: Message) -> int | None:
    """The bench group (BENCHGRP<n>) an outcome message says the run escalated to, if any."""
    match = GROUP_MARK.search(all_text(message))
    return int(match.group(1)) if match else None


def case_number(message: Message) -> str | None:
    """The case a session message (its context line) or a "case opened" message names, if any."""
    match = CASE_MARK.search(all_text(message))
    return match.group(1) if match else None


def is_newer(new: Message, old: Message | None) -> bool:
    """Whether `new` shows a later state of the session than `old` (a new run, or a higher version)."""
    if old is None or new.get("ts") != old.get("ts"):
        return True
    new_ref, old_ref = version_of(new), version_of(old)
    if new_ref is None or old_ref is None:
        return new is not old
    return new_ref[0] != old_ref[0] or new_ref[1] > old_ref[1]


def picker_options(ack_body: Any) -> tuple[str, str, list[str]]:
    """(action id, block id, option values) of the static select in a `/triage` picker answer."""
    blocks = ack_body.get("blocks") if isinstance(ack_body, dict) else None
    for block in blocks or []:
        accessory = block.get("accessory") or {}
        elements = [accessory, *(block.get("elements") or [])]
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "static_select":
                values = [str(o.get("value")) for o in element.get("options") or []]
                return element["action_id"], block.get("block_id", ""), values
    raise ValueError("no static select in the picker answer")


@dataclass(frozen=True)
class Input:
    block_id: str
    action_id: str
    type: str  # plain_text_input, static_select, datepicker, email_text_input, number_input, url_text_input
    optional: bool
    options: tuple[str, ...]
    max_length: int | None


def inputs(view: dict[str, Any]) -> list[Input]:
    found = []
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        options = tuple(str(o.get("value")) for o in element.get("options") or [])
        found.append(
            Input(
                block["block_id"],
                element.get("action_id", ""),
                element.get("type", ""),
                bool(block.get("optional")),
                options,
                element.get("max_length"),
            )
        )
    return found


def ping_agents(message: Message, prefix: str) -> list[str]:
    return re.findall(rf"<@({prefix}\d+)>", all_text(message))
