"""The seed playbooks' paths, for the Slack and Teams walks (`PATHS`, `playbook`, `sample_value`).

The procedure cases and the generic path tests live under tests/playbooks/; the machinery is
tests/playbooks/walking.py. This module only re-exports what other tests import from here."""

from __future__ import annotations

from tests.playbooks.paths import PATHS, PlaybookPath, all_paths
from tests.playbooks.walking import HOSTILE, playbook, sample_value

__all__ = ["HOSTILE", "PATHS", "PlaybookPath", "all_paths", "playbook", "sample_value"]
