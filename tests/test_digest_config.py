"""Digest schedules in the configuration: `chatbot validate` names a bad one with its file and line."""

from __future__ import annotations

import yaml

from tests.helpers import ROOT
from tests.test_cli import run


def write_config(tmp_path, digests):  # type: ignore[no-untyped-def]
    data = yaml.safe_load((ROOT / "config" / "example.yaml").read_text())
    data.update(playbooks_dir=str(ROOT / "playbooks"), templates_dir=str(ROOT / "templates"), digests=digests)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path, path.read_text().splitlines()


def test_a_bad_cron_time_zone_channel_or_group_is_named_with_its_line(tmp_path):
    path, lines = write_config(
        tmp_path,
        [
            {"id": "ok", "cron": "0 8 * * 1-5", "timezone": "Europe/Paris", "channel": "C00000LEAD"},
            {
                "id": "bad",
                "cron": "0 8 * *",
                "timezone": "Mars/Olympus",
                "channel": "#leads",
                "scope": {"priorities": ["urgent"]},
            },
        ],
    )
    result = run("--config", str(path), "validate")
    assert result.returncode == 2

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if line.rstrip().rstrip("'").endswith(text))

    assert f"config.yaml:{line_of('0 8 * *')}: digests.1.cron: '0 8 * *' is not a cron expression" in result.stderr
    assert f"config.yaml:{line_of('Mars/Olympus')}: digests.1.timezone: unknown time zone" in result.stderr
    assert f"config.yaml:{line_of('#leads')}: digests.1.channel:" in result.stderr
    assert "digests.1.scope.priorities.0:" in result.stderr


def test_a_digest_counting_an_unknown_group_or_playbook_is_refused(tmp_path):
    base = {"id": "leads", "cron": "0 8 * * 1-5", "channel": "C00000LEAD"}
    path, _ = write_config(tmp_path, [{**base, "scope": {"groups": ["nobody"]}}])
    result = run("--config", str(path), "validate")
    assert result.returncode == 2 and "digest 'leads' counts group 'nobody'" in result.stderr
    path, _ = write_config(tmp_path, [{**base, "scope": {"playbooks": ["clever-acess"]}}])
    result = run("--config", str(path), "validate")
    assert result.returncode == 1
    assert "digest 'leads' counts playbook 'clever-acess', which does not exist" in result.stdout
    path, _ = write_config(tmp_path, [base, base])
    assert "two digests have the id 'leads'" in run("--config", str(path), "validate").stderr


def test_a_digest_needs_a_slack_or_a_teams_channel_and_a_teams_channel_must_look_like_one(tmp_path):
    path, lines = write_config(
        tmp_path,
        [
            {"id": "teams", "cron": "0 8 * * 1-5", "teams_channel": "19:leads0a1b2c@thread.tacv2"},
            {"id": "both", "cron": "0 8 * * 1-5", "channel": "C00000LEAD", "teams_channel": "19:x@thread.tacv2"},
            {"id": "nowhere", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"},
            {"id": "typo", "cron": "0 9 * * 1-5", "teams_channel": "General"},
        ],
    )
    result = run("--config", str(path), "validate")
    assert result.returncode == 2
    nowhere = next(i for i, line in enumerate(lines, start=1) if line.strip() == "- id: nowhere")
    assert (
        f"config.yaml:{nowhere}: digests.2: a digest needs a Slack `channel` or a `teams_channel` (or both)"
        in result.stderr
    )
    typo = next(i for i, line in enumerate(lines, start=1) if line.strip() == "teams_channel: General")
    assert f"config.yaml:{typo}: digests.3.teams_channel:" in result.stderr
    assert "digests.0" not in result.stderr and "digests.1" not in result.stderr  # Teams alone, or both: fine
