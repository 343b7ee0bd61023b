"""`chatbot validate` rules that need the configuration or the whole folder: named files resolved against the
configured folder, groups no outcome uses, and internal-only terms in customer replies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chatbot.config import load_config
from chatbot.engine.catalog import check_playbooks
from tests.helpers import FIXTURES, ROOT, make_config

PLAYBOOKS = FIXTURES / "playbooks"
GOOD = PLAYBOOKS / "good"
P = "tests/fixtures/playbooks"
TERMS = ["enterprise-support@clever.com", "800.521.6516"]


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
    # Paths in messages are shown relative to the working directory, as a user running `chatbot` sees them.
    monkeypatch.chdir(ROOT)


def line_of(path: Path, text: str) -> int:
    source = path.read_text()
    return source[: source.index(text)].count("\n") + 1


# --- named files -------------------------------------------------------------------------------------------------


def test_a_named_file_jumps_to_a_playbook_of_the_configured_folder():
    checked = check_playbooks(make_config(), [PLAYBOOKS / "named" / "hands-over.yaml"])
    assert checked.errors == []
    assert checked.checked == 1 and "other" in checked.catalog.playbooks


def test_a_named_file_reports_only_its_own_issues():
    # The folder's mini.yaml has a PII warning; naming another file must not report it.
    named = check_playbooks(make_config(), [PLAYBOOKS / "named" / "hands-over.yaml"])
    whole = check_playbooks(make_config())
    assert any("mini.yaml" in str(i) for i in whole.issues)
    assert [str(i) for i in named.issues] == []


def test_a_jump_cycle_through_the_folder_is_reported_on_the_named_file():
    folder = PLAYBOOKS / "broken" / "jumpcycle"
    checked = check_playbooks(make_config(playbooks_dir=str(folder)), [folder / "b.yaml"])
    assert [str(i) for i in checked.errors] == [
        f"{P}/broken/jumpcycle/b.yaml:9: step 'go-back': jump cycle: jump-b -> jump-a -> jump-b"
    ]
    assert checked.checked == 1


def test_a_named_copy_wins_over_the_folder_playbook_with_its_id(tmp_path):
    copy = tmp_path / "other.yaml"
    copy.write_text((GOOD / "other.yaml").read_text().replace("next: end", "next: nowhere"))
    checked = check_playbooks(make_config(), [copy])
    assert [i.message for i in checked.errors] == ["choice 'Yes' leads to unknown step 'nowhere'"]


# --- groups no outcome uses ----------------------------------------------------------------------------------------


def write_config(tmp_path: Path, **extra: str) -> Path:
    path = tmp_path / "team.yaml"
    lines = [
        f"playbooks_dir: {GOOD}",
        f"templates_dir: {extra.pop('templates_dir', ROOT / 'templates')}",
        "people:",
        "  ann: {name: Ann, slack_user: U0000ANN1}",
        "groups:",
        "  tier2: {name: Tier Two, channel: C0000T2, tiers: [[ann]]}",
        "  spare:",
        "    name: Nobody escalates here",
        "    channel: C0000SP1",
        "    tiers: [[ann]]",
        *extra.values(),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_group_no_outcome_names_is_a_warning_at_its_config_line(tmp_path):
    path = write_config(tmp_path)
    config, _ = load_config(path)
    issues = [str(i) for i in check_playbooks(config).issues]
    line = line_of(path, "  spare:")
    said = "warning: group 'spare' is not used by any playbook outcome (only `/escalate` can reach it)"
    assert f"{path}:{line}: {said}" in issues
    assert not any("group 'tier2'" in i for i in issues)


def test_unused_groups_are_not_judged_from_named_files_alone(tmp_path):
    config, _ = load_config(write_config(tmp_path))
    checked = check_playbooks(config, [GOOD / "other.yaml"])  # other.yaml escalates to no group at all
    assert not any("is not used by any playbook outcome" in str(i) for i in checked.issues)


# --- internal-only terms -------------------------------------------------------------------------------------------


def leaky(**overrides: object):
    settings = {
        "playbooks_dir": str(PLAYBOOKS / "internal"),
        "templates_dir": str(FIXTURES / "templates" / "internal"),
        "internal_only_terms": TERMS,
    }
    return check_playbooks(make_config(**{**settings, **overrides}))


def test_internal_terms_in_replies_are_errors_naming_file_line_and_step():
    leaky_yaml = PLAYBOOKS / "internal" / "leaky.yaml"
    reply = line_of(leaky_yaml, "      reply: |")
    template = line_of(leaky_yaml, "reply_template: replies/leaky.j2")
    now = line_of(leaky_yaml, "    reply: If this is urgent")
    frame = "tests/fixtures/templates/internal/replies/default.j2"
    said = "an internal-only term (`internal_only_terms`): customers must never see it"
    assert [str(i) for i in leaky().errors] == [
        f"{P}/internal/leaky.yaml:{now}: step 'tell-now': reply (its line 1) contains '800.521.6516', {said}",
        f"{P}/internal/leaky.yaml:{reply}: step 'inline-reply': reply (its line 2) contains '800.521.6516', {said}",
        f"{P}/internal/leaky.yaml:{reply}: step 'inline-reply': reply (its line 2) contains "
        f"'enterprise-support@clever.com', {said}",
        f"{P}/internal/leaky.yaml:{template}: step 'file-reply': reply_template 'replies/leaky.j2' (line 4) contains "
        f"'enterprise-support@clever.com', {said}",
        # Line 7, not the Jinja comment on line 1: a comment never reaches the customer.
        f"{frame}:7: the reply frame contains '800.521.6516', {said}",
    ]


def test_notes_and_checklists_may_hold_internal_terms():
    assert not any(i.step == "note-only" for i in leaky().issues)
    assert not any("notes/default.j2" in i.file for i in leaky().issues)


def test_without_internal_terms_configured_the_same_replies_pass():
    assert leaky(internal_only_terms=[]).errors == []


def test_internal_terms_come_from_the_config_file(tmp_path):
    path = write_config(
        tmp_path,
        templates_dir=str(FIXTURES / "templates" / "internal"),
        terms="internal_only_terms: [800.521.6516]",
    )
    config, _ = load_config(path)
    assert config.internal_only_terms == ("800.521.6516",)
    checked = check_playbooks(config, [PLAYBOOKS / "internal" / "leaky.yaml"])
    assert {i.step for i in checked.errors} == {"inline-reply", "tell-now", None}  # None: the reply frame


def test_the_case_replies_are_checked_for_internal_terms_too(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    closure = templates / "replies" / "case_closure.j2"
    closure.write_text(closure.read_text() + "Call Clever on 800.521.6516.\n")
    line = closure.read_text().count("\n")
    checked = check_playbooks(make_config(templates_dir=str(templates), internal_only_terms=TERMS))
    assert [(i.file, i.line) for i in checked.errors] == [(f"{templates}/replies/case_closure.j2", line)]
    assert "this customer reply contains '800.521.6516'" in checked.errors[0].message


def test_a_configured_link_with_an_internal_term_is_an_error(tmp_path):
    path = write_config(
        tmp_path,
        terms="internal_only_terms: [enterprise-support.clever.com]",
        links="links: {partner: 'https://enterprise-support.clever.com/contact'}",
    )
    config, _ = load_config(path)
    [error] = check_playbooks(config).errors
    assert (error.file, error.line) == (str(path), line_of(path, "links:"))
    assert "link 'partner' (customer replies carry it) contains 'enterprise-support.clever.com'" in error.message
