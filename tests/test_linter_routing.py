"""`chatbot validate` on who an escalation asks and what a step hands the agent to send: a named person must be
configured and in the fallback group, a `follow_up` playbook must exist, and an instruction step's reply may only use
what is known on every path to it."""

from __future__ import annotations

from pathlib import Path

from chatbot.engine.catalog import check_playbooks
from tests.helpers import make_config

PLAYBOOK = """\
id: routed
title: Routed
description: Escalates to one person first.
tier: 1
procedure: {document: Test procedure}
start: ask
steps:
  - id: ask
    question: Escalate?
    help: Ask.
    choices:
      - {label: "Yes", next: details}
  - id: details
    fields:
      - {id: school, label: School, help: The school.}
    next: send-now
  - id: send-now
    text: Send this first.
    reply: "We have your request for {{ school }}{{ REPLY_EXTRA }}."
    next: escalate
  - id: escalate
    outcome:
      kind: escalated
      summary: Needs a supervisor
      group: tier2
      person: PERSON
      follow_up: FOLLOW_UP
      reply: We have passed this on.
"""


def write(tmp_path: Path, *, person: str = "ann", follow_up: str = "routed", extra: str = "") -> Path:
    text = PLAYBOOK.replace("PERSON", person).replace("FOLLOW_UP", follow_up).replace("{{ REPLY_EXTRA }}", extra)
    folder = tmp_path / "playbooks"
    folder.mkdir(exist_ok=True)
    (folder / "routed.yaml").write_text(text)
    return folder


def errors(folder: Path, **config: object) -> list[str]:
    checked = check_playbooks(make_config(playbooks_dir=str(folder), **config))
    return [i.message for i in checked.errors]


def test_a_person_in_the_group_and_an_existing_follow_up_pass(tmp_path):
    assert errors(write(tmp_path)) == []


def test_an_unknown_person_is_an_error_with_its_line(tmp_path):
    folder = write(tmp_path, person="zed")
    checked = check_playbooks(make_config(playbooks_dir=str(folder)))
    [issue] = checked.errors
    assert issue.message == "person 'zed' is not in the configuration's `people`"
    assert issue.step == "escalate" and issue.line == PLAYBOOK.splitlines().index("      person: PERSON") + 1


def test_a_person_outside_the_fallback_group_could_not_press_its_buttons(tmp_path):
    people = {
        "ann": {"name": "Ann", "slack_user": "U0000ANN1"},
        "bob": {"name": "Bob", "slack_user": "U0000BOB2"},
        "cy": {"name": "Cy", "slack_user": "U00000CY3"},
        "dee": {"name": "Dee", "slack_user": "U0000DEE4"},
    }
    found = errors(write(tmp_path, person="dee"), people=people)
    assert found == [
        "person 'dee' is not a member of group 'tier2': they would be pinged but could not press the ping's buttons"
    ]


def test_a_follow_up_that_does_not_exist_is_an_error(tmp_path):
    assert errors(write(tmp_path, follow_up="nowhere")) == ["follow_up playbook 'nowhere' does not exist"]


def test_a_step_reply_may_only_use_what_is_known_on_the_way(tmp_path):
    found = errors(write(tmp_path, extra=" {{ district }}"))
    assert len(found) == 1 and "reply uses `district`" in found[0]
    broken = errors(write(tmp_path, extra=" {% if %}"))
    assert len(broken) == 1 and broken[0].startswith("reply: ")
