"""Shared builders for tests: real catalogs, renderers and configs from files, nothing patched."""

from __future__ import annotations

from pathlib import Path

from chatbot.config import Config
from chatbot.engine.catalog import check_playbooks
from chatbot.engine.machine import Engine

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
T0 = "2026-11-22T10:00:00+00:00"


def make_config(**overrides: object) -> Config:
    data: dict[str, object] = {
        "playbooks_dir": str(FIXTURES / "playbooks" / "good"),
        "templates_dir": str(ROOT / "templates"),
        "people": {
            "ann": {"name": "Ann", "slack_user": "U0000ANN1"},
            "bob": {"name": "Bob", "slack_user": "U0000BOB2"},
            "cy": {"name": "Cy", "slack_user": "U00000CY3"},
        },
        "groups": {
            "tier2": {"name": "Tier Two", "channel": "C0000T2", "tiers": [["ann", "bob"], ["cy"]]},
        },
    }
    data.update(overrides)
    return Config.model_validate(data)


def mini_engine() -> Engine:
    checked = check_playbooks(make_config())
    assert not checked.errors, checked.errors
    return checked.engine
