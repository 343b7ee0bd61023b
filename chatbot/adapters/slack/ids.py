"""Every action, block and callback id the app uses (the payloads they carry are in refs.py)."""

from __future__ import annotations

import re

from chatbot.adapters.slack.refs import BadPayload, RunRef
from chatbot.domain.run import Action, Back, Cancel, Choose, Continue, Restart

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


_NAV_ACTIONS: dict[str, Action] = {CONTINUE: Continue(), BACK: Back(), RESTART: Restart(), CANCEL: Cancel()}


def nav_action(action_id: str) -> Action:
    return _NAV_ACTIONS[action_id]


def choice_action(ref: RunRef) -> Action:
    if ref.choice is None:
        raise BadPayload("choice button without a choice")
    return Choose(ref.choice)


# Escalation pings: buttons for the supervisor group, and the modals they and `/escalate` open.
ESC_ACK = "esc.acknowledge"
ESC_CLAIM = "esc.claim"
ESC_RETURN = "esc.return"
ESC_RESOLVE = "esc.resolve"
ESC_ACTION = re.compile(r"^esc\.(acknowledge|claim)$")  # Return and Resolve open a modal first
ESC_RESOLVE_CALLBACK = "esc.resolve.submit"
RESOLVE_FOUND, RESOLVE_CHANGED = "found", "changed"
# The case's buttons on a ping: Tier II's follow-up playbook, recorded work, the status-update reply
ESC_FOLLOW_UP = "esc.follow_up"
ESC_WORK = "esc.work"
ESC_STATUS = "esc.status_update"
ESC_WORK_CALLBACK = "esc.work.submit"
WORK_KIND, WORK_REFERENCE, WORK_DETAIL = "kind", "reference", "detail"
# `/case new`
CASE_NEW_CALLBACK = "case.new.submit"
CASE_PRIORITY = "priority"
ESC_RETURN_CALLBACK = "esc.return.submit"
ESC_REASON_BLOCK = "reason"
MANUAL_CALLBACK = "esc.manual.submit"
MANUAL_GROUP, MANUAL_SUMMARY, MANUAL_PRIORITY, MANUAL_REFERENCE = "group", "summary", "priority", "reference"
