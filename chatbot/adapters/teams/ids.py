"""Verbs, input ids and the small typed payload every card action carries.

An `Action.Execute` arrives as an `adaptiveCard/action` invoke with `value.action.verb` and `value.action.data`; its
`Action.Submit` fallback (older clients) arrives as a message activity whose `value` is the same `data`. So the verb
is also written into `data`: both paths decode with `ActionRef.decode(data)`. Input values are merged into `data` by
the client at the top level, which is why every input id carries a prefix that no payload key has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PAYLOAD_VERSION = 1

CHOOSE = "pb.choose"
CONTINUE = "pb.continue"
SUBMIT = "pb.submit"  # a form step's Save
BACK = "pb.back"
RESTART = "pb.restart"
CANCEL = "pb.cancel"
PICK = "pb.pick"  # the playbook picker
# An escalation ping's buttons: "esc." + the EscalationAction's value; `r` is then the escalation's id, `v` its version.
ESC_PREFIX = "esc."
ESC_ACKNOWLEDGE = "esc.acknowledge"
ESC_CLAIM = "esc.claim"
ESC_RETURN = "esc.return"
ESC_RESOLVE = "esc.resolve"
ESC_VERBS = frozenset({ESC_ACKNOWLEDGE, ESC_CLAIM, ESC_RETURN, ESC_RESOLVE})
# Tier 2's work on a ping's case (`r`: the escalation's id, `v` its version), and `case new`'s form (`r`: the form's
# own random id, so a second press of the same form is known; `v`: 0).
CASE_FOLLOW_UP = "case.follow_up"
CASE_WORK = "case.work"
CASE_STATUS = "case.status"
CASE_NEW = "case.new"
CASE_PING_VERBS = frozenset({CASE_FOLLOW_UP, CASE_WORK, CASE_STATUS})
VERBS = frozenset({CHOOSE, CONTINUE, SUBMIT, BACK, RESTART, CANCEL, PICK, CASE_NEW}) | ESC_VERBS | CASE_PING_VERBS

FIELD_PREFIX = "f."  # form inputs: "f." + field id
PICK_INPUT = "pick.playbook"  # the picker's Input.ChoiceSet
COPY_REPLY = "copy.reply"  # outcome inputs, never read back
COPY_NOTE = "copy.note"
REASON_INPUT = "esc.reason"  # Return to Tier 1: why
FOUND_INPUT, CHANGED_INPUT = "esc.found", "esc.changed"  # Resolve: what was found and what changed
WORK_KIND, WORK_REFERENCE, WORK_NOTE = "work.kind", "work.ref", "work.note"  # Record work


class BadPayload(ValueError):
    """Action data this app did not write (or wrote in another payload version)."""


@dataclass(frozen=True)
class ActionRef:
    """Which run, at which version, a card action belongs to, and what it asks for."""

    verb: str
    run_id: str | None = None  # None only for the picker, which has no run yet; an escalation's id for "esc." verbs
    version: int | None = None
    choice: int | None = None

    def encode(self) -> dict[str, object]:
        data: dict[str, object] = {"verb": self.verb, "p": PAYLOAD_VERSION}
        if self.run_id is not None:
            data["r"] = self.run_id
        if self.version is not None:
            data["v"] = self.version
        if self.choice is not None:
            data["c"] = self.choice
        return data

    @classmethod
    def decode(cls, data: Mapping[str, object] | None, verb: str | None = None) -> ActionRef:
        """`verb`: `value.action.verb` of an invoke; None for an Action.Submit, where it is read from `data`."""
        if not isinstance(data, Mapping) or data.get("p") != PAYLOAD_VERSION:
            raise BadPayload("payload from another version of the app")
        verb = verb or data.get("verb")  # type: ignore[assignment]
        if verb not in VERBS:
            raise BadPayload(f"unknown verb {verb!r}")
        run_id, version, choice = data.get("r"), data.get("v"), data.get("c")
        if run_id is not None and not isinstance(run_id, str):
            raise BadPayload("run id has the wrong type")
        for name, number in (("version", version), ("choice", choice)):
            if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
                raise BadPayload(f"{name} has the wrong type")
        if verb != PICK and (run_id is None or version is None):
            raise BadPayload("action without a run")
        if verb == CHOOSE and choice is None:
            raise BadPayload("choice action without a choice")
        return cls(str(verb), run_id, version, choice)  # type: ignore[arg-type]

    @property
    def escalation_action(self) -> str | None:
        """For a ping's button, the EscalationAction's value ("acknowledge", ...); None for a session's."""
        return self.verb[len(ESC_PREFIX) :] if self.verb in ESC_VERBS else None


def field_input_id(field_id: str) -> str:
    return FIELD_PREFIX + field_id


def submitted_fields(data: Mapping[str, object]) -> dict[str, str]:
    """The form values in action data: {field id: text}. Teams leaves an emptied input out or sends ""."""
    return {
        key[len(FIELD_PREFIX) :]: "" if value is None else str(value)
        for key, value in data.items()
        if key.startswith(FIELD_PREFIX)
    }


def text_input(data: Mapping[str, object], input_id: str) -> str:
    value = data.get(input_id)
    return value if isinstance(value, str) else ""


def reason(data: Mapping[str, object]) -> str:
    value = data.get(REASON_INPUT)
    return value if isinstance(value, str) else ""


def picked_playbook(data: Mapping[str, object]) -> str | None:
    value = data.get(PICK_INPUT)
    return value if isinstance(value, str) and value else None
