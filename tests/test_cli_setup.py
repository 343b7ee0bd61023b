"""What a new user of `chatbot` hits first: where the configuration comes from, `--config` anywhere, playbook
search by words, multi-line answers in `try`, exit statuses and counts in words."""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path

import pytest

from chatbot import config as config_module
from chatbot.adapters.console import Console
from chatbot.cli import build_parser, main
from chatbot.counts import counted
from chatbot.engine.catalog import check_playbooks
from chatbot.engine.loader import load_catalog
from chatbot.exitstatus import FINISHED, INPUT_ENDED, QUIT
from tests.helpers import FIXTURES, ROOT, make_config
from tests.test_cli import run

GOOD = FIXTURES / "playbooks" / "good"
CONSOLE = FIXTURES / "playbooks" / "console"

# --- --config before or after the command --------------------------------------------------------------------------

# The least each command needs to parse; every command of the parser must be listed (see the test below).
MINIMAL_ARGS = {
    "serve": [],
    "worker": [],
    "migrate": [],
    "manifest": [],
    "teams-package": ["--app-id", "x", "--host", "https://h"],
    "validate": [],
    "playbooks": [],
    "try": ["clever", "login"],
    "graph": ["clever-access"],
    "digest": ["--since", "today"],
    "pii": ["scan"],
}


def commands() -> list[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub.choices)


def test_every_command_is_covered_here():
    assert sorted(MINIMAL_ARGS) == commands()


@pytest.mark.parametrize("command", sorted(MINIMAL_ARGS))
def test_config_is_taken_before_or_after_every_command(command):
    argv = [command, *MINIMAL_ARGS[command]]
    assert build_parser().parse_args(["--config", "before.yaml", *argv]).config == "before.yaml"
    assert build_parser().parse_args([*argv, "--config", "after.yaml"]).config == "after.yaml"
    assert build_parser().parse_args(argv).config is None


# The people and group the good fixtures escalate to.
TEAM = (
    "people:\n  ann: {name: Ann, slack_user: U0000ANN1}\n"
    "groups:\n  tier2: {name: T2, channel: C0000T2, tiers: [[ann]]}\n"
)


def test_config_after_the_command_is_the_one_used(tmp_path, capsys):
    team = tmp_path / "team.yaml"
    team.write_text(f"playbooks_dir: {GOOD}\ntemplates_dir: {ROOT / 'templates'}\n{TEAM}")
    assert main(["playbooks", "--config", str(team)]) == 0
    out = capsys.readouterr().out
    assert "mini " in out and "Mini playbook" in out and "clever-access" not in out


# --- which configuration, and folders relative to it ---------------------------------------------------------------


def team_setup(tmp_path: Path) -> Path:
    """A team's own layout: conf/team.yaml naming ../books and ../tpl, next to each other."""
    shutil.copytree(GOOD, tmp_path / "books")
    shutil.copytree(ROOT / "templates", tmp_path / "tpl")
    (tmp_path / "conf").mkdir()
    team = tmp_path / "conf" / "team.yaml"
    team.write_text(f"playbooks_dir: ../books\ntemplates_dir: ../tpl\n{TEAM}")
    return team


def test_folders_in_a_config_file_are_relative_to_that_file(tmp_path):
    team = team_setup(tmp_path)
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    result = run("validate", "--config", str(team), cwd=elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 playbooks, 0 errors" in result.stderr
    assert str(tmp_path / "books" / "mini.yaml") in result.stdout  # its PII warning: the folder next to the config


def test_a_config_in_the_current_folder_is_used_without_a_note(tmp_path):
    team = team_setup(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "example.yaml").write_text(team.read_text())  # ../books from config/ is books/
    result = run("playbooks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Mini playbook" in result.stdout and "clever-access" not in result.stdout
    assert "using" not in result.stderr


def test_from_another_folder_the_checkouts_config_is_used_and_named(tmp_path):
    result = run("playbooks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"chatbot: using {ROOT / 'config' / 'example.yaml'} (no config/example.yaml in the current folder)" in (
        result.stderr
    )
    assert "clever-access" in result.stdout


def test_no_configuration_anywhere_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHATBOT_CONFIG", raising=False)
    monkeypatch.setattr(config_module, "CHECKOUT", tmp_path / "not-a-checkout")
    assert main(["playbooks"]) == 2
    err = capsys.readouterr().err
    assert "no configuration file: neither --config FILE nor $CHATBOT_CONFIG is given" in err
    assert f"no config/example.yaml in the current folder ({tmp_path})" in err
    assert str(tmp_path / "not-a-checkout") in err


def test_a_missing_playbooks_folder_names_the_config_line(tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text(f"templates_dir: {ROOT / 'templates'}\nplaybooks_dir: books\n")
    result = run("validate", "--config", str(team), cwd=tmp_path)
    assert result.returncode == 1
    assert f"books:1: no such folder (`playbooks_dir` at {team}:2, relative to that file's folder)" in result.stdout


# --- the shipped playbooks -----------------------------------------------------------------------------------------


def test_validate_a_single_shipped_file_resolves_its_jump_to_another_file():
    result = run("validate", "playbooks/clever-access.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 playbook, 0 errors" in result.stderr


def test_shipped_playbooks_pass_validate_strict():
    result = run("validate", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 warnings: ok" in result.stderr


# --- search ----------------------------------------------------------------------------------------------------------


def playbook(tmp_path: Path, pb_id: str, title: str, keywords: str = "[]") -> None:
    (tmp_path / f"{pb_id}.yaml").write_text(
        f"id: {pb_id}\ntitle: {title}\ndescription: d\ntier: 1\nprocedure: {{document: t}}\nkeywords: {keywords}\n"
        "start: end\nsteps:\n  - id: end\n    outcome: {kind: resolved, summary: Done}\n"
    )


@pytest.fixture
def catalog(tmp_path):
    playbook(tmp_path, "clever-access", "Clever access troubleshooting", "[clever, login, sso]")
    playbook(tmp_path, "clever-login-triage", "Clever login triage", "[clever, login]")
    playbook(tmp_path, "sse-integration", "SSE integration issues", "[login, sso]")
    playbook(tmp_path, "login-help", "Help with logins", "[]")
    found, issues = load_catalog([tmp_path])
    assert issues == []
    return found


def ids(found) -> list[str]:
    return [pb.id for pb in found]


def test_search_an_exact_id_wins(catalog):
    assert ids(catalog.search("clever-access")) == ["clever-access"]


def test_search_words_as_a_phrase_of_a_title_before_words_anywhere(catalog):
    # "clever" and "login" are both in clever-access's keywords too; the phrase picks the triage.
    assert ids(catalog.search("clever login")) == ["clever-login-triage"]
    assert ids(catalog.search("Clever  LOGIN")) == ["clever-login-triage"]


def test_search_a_phrase_of_an_id_counts_its_dashes_as_spaces(catalog):
    assert ids(catalog.search("login triage")) == ["clever-login-triage"]


def test_search_falls_back_to_every_word_in_id_title_or_keywords(catalog):
    assert ids(catalog.search("sso login")) == ["clever-access", "sse-integration"]
    assert ids(catalog.search("nothing like it")) == []


def test_try_clever_login_from_the_readme_opens_the_login_triage():
    result = run("try", "clever", "login", stdin="")
    assert result.returncode == INPUT_ENDED, result.stderr
    assert "== Clever login triage ::" in result.stdout


# --- try: textarea, exit statuses, counts ------------------------------------------------------------------------


def console(answers: str) -> tuple[Console, io.StringIO]:
    checked = check_playbooks(make_config(playbooks_dir=str(CONSOLE)))
    assert checked.errors == []
    out = io.StringIO()
    return Console(checked.engine, make_config(), out=out, inp=io.StringIO(answers)), out


def test_a_textarea_takes_lines_until_an_empty_line():
    shell, out = console("Yes\nError 42 on login\n  at step 3\n\nsee ticket\n\nLincoln High\n")
    assert shell.run("report-a-problem") == FINISHED
    text = out.getvalue()
    assert "Error message (several lines; an empty line ends it) > " in text
    assert "At Lincoln High you saw:\nError 42 on login\n  at step 3\n[see ticket]" in text
    assert "(2 steps taken)" in text


def test_an_empty_first_line_skips_an_optional_textarea():
    shell, out = console("Yes\nOne line only\n\n\nLincoln High\n")
    assert shell.run("report-a-problem") == FINISHED
    assert "you saw:\nOne line only\n[]" in out.getvalue()


def test_input_ending_inside_a_textarea_keeps_its_lines_then_exits_input_ended():
    shell, out = console("Yes\nfirst\nsecond\n")
    assert shell.run("report-a-problem") == INPUT_ENDED
    text = out.getvalue()
    assert "... > second\n" in text and "Comment (optional) (several lines" in text  # the next field was asked
    assert "Input ended before the playbook reached an outcome." in text


def test_quit_is_not_finishing():
    shell, out = console("q\n")
    assert shell.run("report-a-problem") == QUIT != FINISHED
    assert f"Stopped before an outcome (exit status {QUIT})." in out.getvalue()


def test_quit_exit_status_from_the_command_and_its_help():
    result = run("try", "clever-access", stdin="q\n")
    assert result.returncode == QUIT == 3
    helped = run("try", "--help")
    assert "3  you quit (q) before an outcome" in helped.stdout
    assert "0  the walk reached an outcome" in helped.stdout and "1  the input ended" in helped.stdout


def test_counts_in_words():
    assert [counted(n, "warning") for n in (0, 1, 2)] == ["0 warnings", "1 warning", "2 warnings"]


def test_validate_and_playbooks_say_one_in_the_singular(tmp_path):
    (tmp_path / "books").mkdir()
    playbook(tmp_path / "books", "only", "The only one")
    team = tmp_path / "team.yaml"
    team.write_text(f"playbooks_dir: books\ntemplates_dir: {ROOT / 'templates'}\n")
    result = run("validate", "--config", str(team))
    assert "1 playbook, 0 errors, 0 warnings: ok" in result.stderr
    listed = run("playbooks", "--config", str(team))
    assert "tier 1    1 step    1 outcome   The only one" in listed.stdout
