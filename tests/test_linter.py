"""`chatbot validate` on broken playbooks: every message names file, line and step."""

from __future__ import annotations

import pytest

from chatbot.engine.catalog import check_playbooks
from tests.helpers import FIXTURES, ROOT, make_config

BROKEN = FIXTURES / "playbooks" / "broken"
B = "tests/fixtures/playbooks/broken"


def messages(*names: str) -> list[str]:
    checked = check_playbooks(make_config(), [BROKEN / n for n in names])
    return [str(i) for i in checked.errors]


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
    # Paths in messages are shown relative to the working directory, as a user running `chatbot` sees them.
    monkeypatch.chdir(ROOT)


def test_choice_to_unknown_step_names_file_line_step_and_choice():
    assert messages("unknown-step.yaml") == [
        f"{B}/unknown-step.yaml:15: step 'school-in-district': choice 'No' leads to unknown step 'tier2-confirm'"
    ]


def test_duplicate_unreachable_and_missing_jump_target():
    assert messages("structure.yaml") == [
        f"{B}/structure.yaml:16: step 'done': duplicate step id",
        f"{B}/structure.yaml:18: step 'orphan': unreachable: no path from the start step leads here",
        f"{B}/structure.yaml:22: step 'hand-over': jumps to playbook 'no-such-playbook', which does not exist",
    ]


def test_cycle_is_reported_with_its_path():
    assert messages("cycle.yaml") == [
        f"{B}/cycle.yaml:8: step 'a': cycle: a -> b -> a; a playbook must always move towards an outcome"
    ]


def test_templates_groups_and_variables_not_defined_on_every_path():
    assert messages("templates.yaml") == [
        f"{B}/templates.yaml:22: step 'escalate': escalation group 'nobody-configured' is not in the configuration",
        f"{B}/templates.yaml:23: step 'escalate': needs `school`, which is not collected on every path that "
        "reaches this step",
        f"{B}/templates.yaml:24: step 'escalate': reply uses `school`, which is not collected on every path that "
        "reaches this step",
        f"{B}/templates.yaml:25: step 'escalate': note: template does not compile (line 1): unexpected end of "
        "template, expected 'end of print statement'.",
        f"{B}/templates.yaml:26: step 'bad-file': unreachable: no path from the start step leads here",
        f"{B}/templates.yaml:30: step 'bad-file': reply_template: template 'replies/does-not-exist.j2' not found "
        f"under {ROOT}/templates/",
    ]


def test_schema_errors_unknown_key_and_dead_end():
    assert messages("schema.yaml") == [
        f"{B}/schema.yaml:4: `tier`: Input should be 1 or 2",
        f"{B}/schema.yaml:10: step 'first': unknown key `colour`",
        f"{B}/schema.yaml:13: step 'second': dead end: this instructions step has no `next` step and is not an outcome",
    ]


def test_invalid_yaml_names_the_line():
    assert messages("bad-yaml.yaml") == [
        f"{B}/bad-yaml.yaml:2: invalid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence that starts on line 2)"
    ]


def test_jump_cycle_across_playbooks():
    assert messages("jumpcycle") == [f"{B}/jumpcycle/a.yaml:9: step 'go': jump cycle: jump-a -> jump-b -> jump-a"]


def test_good_fixtures_have_no_errors_but_warn_about_pii_in_tier1():
    checked = check_playbooks(make_config())
    assert checked.errors == []
    warnings = [str(i) for i in checked.issues]
    assert any("field 'email' may hold PII in a Tier 1 playbook" in w for w in warnings)


def test_an_answer_only_for_a_group_that_is_not_configured_names_its_line():
    assert messages("only-group.yaml") == [
        f"{B}/only-group.yaml:14: step 'who-checks': choice 'Me' is only for group 'no-such-group', which is not in "
        "the configuration"
    ]
