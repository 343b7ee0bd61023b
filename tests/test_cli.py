"""The `chatbot` command as a playbook author uses it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from chatbot.cli import main
from tests.helpers import ROOT

CHATBOT = [sys.executable, "-m", "chatbot"]


def run(*args: str, stdin: str = "", cwd=ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CHATBOT_", "DATABASE_URL"))}
    return subprocess.run([*CHATBOT, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60, env=env)


def test_validate_passes_on_shipped_playbooks():
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stderr and ": ok" in result.stderr


def test_validate_fails_with_file_line_on_a_broken_copy(tmp_path):
    broken = tmp_path / "playbooks"
    shutil.copytree(ROOT / "playbooks", broken)
    path = broken / "clever-access.yaml"
    text = path.read_text()
    path.write_text(text.replace("next: clever-login-problem", "next: tier2-confirm", 1))
    line = text[: text.index("next: clever-login-problem")].count("\n") + 1
    result = run("validate", str(broken))
    assert result.returncode == 1
    assert (
        f"clever-access.yaml:{line}: step 'in-clever-district': choice 'Yes' leads to unknown step 'tier2-confirm'"
        in result.stdout
    )
    assert "FAILED" in result.stderr


def test_validate_strict_fails_on_warnings(capsys):
    code = main(["validate", "--strict", str(ROOT / "tests/fixtures/playbooks/good")])
    out = capsys.readouterr()
    assert code == 1 and "warning:" in out.out


def test_playbooks_lists_ids_and_titles(capsys):
    assert main(["playbooks"]) == 0
    out = capsys.readouterr().out
    assert "clever-access" in out and "Clever access troubleshooting" in out and "tier 1" in out


TICKET = "482913\n1\n"  # the ticket form every Clever playbook opens with: its number, then "1) Teacher"


def test_try_walks_to_an_outcome_with_piped_answers():
    answers = TICKET + "Yes\nNo\nYes\nLincoln High\nLincoln District\n001A0000001abcD\n001A0000001abcDEFG\n"
    answers += "0123456789abcdef01234567\n0123456789abcdef01234568\n"
    result = run("try", "clever-access", stdin=answers)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Outcome: escalated, priority normal" in out
    assert "--- Customer reply (copy into the ticket) ---" in out
    assert "School name: Lincoln High" in out
    assert "Group: Clever Tier 2" in out and "tier 1: Clever Tier 2 agent A, Clever Tier 2 agent B" in out
    assert "Ticket and requester" in out and "482913" in out


def test_try_reports_field_errors_and_asks_again():
    answers = TICKET + "Yes\nNo\nYes\nLincoln\nDistrict\nnot-an-id\n001A0000001abcDEFG\n0123456789abcdef01234567\n"
    answers += "0123456789abcdef01234568\n001A0000001abcD\n"
    result = run("try", "clever-access", stdin=answers)
    assert "! School Salesforce ID: A Salesforce ID has 15 or 18 letters and digits." in result.stdout
    assert result.returncode == 0 and "Outcome: escalated" in result.stdout


def test_try_back_and_restart_then_end_of_input():
    result = run("try", "clever-access", stdin=TICKET + "No\nb\nYes\nr\n")
    assert result.returncode == 1
    assert "Input ended before the playbook reached an outcome." in result.stdout
    assert result.stdout.count("== Clever access troubleshooting :: 1. Clever district? ==") == 2
    # Restart goes back to the start: the ticket form, whose answers were typed, not known beforehand
    assert result.stdout.count("== Clever access troubleshooting :: Ticket and requester ==") == 2


def test_try_unknown_playbook_is_a_clear_error():
    result = run("try", "no-such-thing")
    assert result.returncode == 2 and "No playbook matches 'no-such-thing'" in result.stderr


def test_graph_mermaid_draws_every_step_and_marks_outcomes(capsys):
    assert main(["graph", "clever-access"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD")
    assert 's_in_clever_district{"1. Clever district?' in out
    assert "class s_escalate_association escalated" in out
    assert "s_login_triage[[" in out
    assert 's_in_clever_district -->|"Yes"| s_clever_login_problem' in out


def test_graph_dot(capsys):
    assert main(["graph", "clever-access", "--format", "dot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "clever-access" {')
    assert '"in-clever-district" -> "clever-login-problem" [label="Yes"];' in out
    assert "shape=doubleoctagon" in out


def test_bad_config_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "c.yaml"
    bad.write_text("groups:\n  g1:\n    name: G\n    channel: nope\n    tiers: [[x]]\n")
    assert main(["--config", str(bad), "playbooks"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:4: groups.g1.channel:" in err


def test_manifest_command(capsys):
    assert main(["manifest", "--url", "https://bot.example.org"]) == 0
    out = capsys.readouterr().out
    assert "request_url: https://bot.example.org/slack/events" in out and "command: /triage" in out
    assert main(["manifest", "--url", "http://insecure"]) == 2
    assert "must start with https://" in capsys.readouterr().err


def test_serve_without_a_token_says_which_setting_is_missing():
    result = run("serve")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
