"""Every action, block and callback id the app uses, and the small typed payloads buttons and modals carry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chatbot.domain.run import Action, Back, Cancel, Choose, Continue, Restart

PAYLOAD_VERSION = 1

# Buttons on a session message. Choice ids carry the index because Slack wants action ids unique per block.
CHOICE_PREFIX = "triage.choice."
CHOICE = re.compile(r"^triage\.choice\.\d+$")
CONTINUE = "triage.continue"
OPEN_FORM = "triage.form"
BACK = "triage.back"
RESTART = "triage.restart"
CANCEL = "triage.cancel"
NAV = re.compile(r"^triage\.(continue|back|restart|cancel)$")
PICK = "triage.pick"  # the playbook picker (static select) of `/triage` with no text

FORM_CALLBACK = "triage.form.submit"
FIELD_ACTION = "value"  # action id of the one input element in each form block; the block id is the field id


class BadPayload(ValueError):
    """A button value or private_metadata that this app did not write (or wrote in an older format)."""


@dataclass(frozen=True)
class RunRef:
    """Which run, at which version, a button or form belongs to."""

    run_id: str
    version: int
    choice: int | None = None

    def encode(self) -> str:
        data: dict[str, object] = {"p": PAYLOAD_VERSION, "r": self.run_id, "v": self.version}
        if self.choice is not None:
            data["c"] = self.choice
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> RunRef:
        try:
            data = json.loads(text or "")
            if not isinstance(data, dict) or data.get("p") != PAYLOAD_VERSION:
                raise BadPayload("payload from another version of the app")
            run_id, version, choice = data["r"], data["v"], data.get("c")
            if not isinstance(run_id, str) or not isinstance(version, int) or isinstance(version, bool):
                raise BadPayload("payload fields have the wrong types")
            if choice is not None and (not isinstance(choice, int) or isinstance(choice, bool)):
                raise BadPayload("payload choice has the wrong type")
            return cls(run_id, version, choice)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadPayload(str(exc)) from exc


def nav_action(action_id: str) -> Action:
    return {CONTINUE: Continue(), BACK: Back(), RESTART: Restart(), CANCEL: Cancel()}[action_id]


def choice_action(ref: RunRef) -> Action:
    if ref.choice is None:
        raise BadPayload("choice button without a choice")
    return Choose(ref.choice)


# Escalation pings: buttons for the supervisor group, and the modals they and `/escalate` open.
ESC_ACK = "esc.acknowledge"
ESC_CLAIM = "esc.claim"
ESC_RETURN = "esc.return"
ESC_RESOLVE = "esc.resolve"
ESC_ACTION = re.compile(r"^esc\.(acknowledge|claim|resolve)$")
ESC_RETURN_CALLBACK = "esc.return.submit"
ESC_REASON_BLOCK = "reason"
MANUAL_CALLBACK = "esc.manual.submit"
MANUAL_GROUP, MANUAL_SUMMARY, MANUAL_PRIORITY, MANUAL_REFERENCE = "group", "summary", "priority", "reference"


@dataclass(frozen=True)
class EscRef:
    """Which escalation, at which version, a ping button or the return form belongs to."""

    escalation_id: str
    version: int

    def encode(self) -> str:
        return json.dumps({"p": PAYLOAD_VERSION, "e": self.escalation_id, "v": self.version}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> EscRef:
        try:
            data = json.loads(text or "")
            if not isinstance(data, dict) or data.get("p") != PAYLOAD_VERSION:
                raise BadPayload("payload from another version of the app")
            esc, version = data["e"], data["v"]
            if not isinstance(esc, str) or not isinstance(version, int) or isinstance(version, bool):
                raise BadPayload("payload fields have the wrong types")
            return cls(esc, version)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadPayload(str(exc)) from exc
