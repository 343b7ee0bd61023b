"""The configuration the bench serves the chatbot with: the example's structure, the bench's people and channels.

Written from the served checkout's config/example.yaml (so it keeps up with the app's configuration format), with:
- every group on a channel of its own (C0BGRP<n>), named "<its name> BENCHGRP<n>" so an agent can tell from its
  outcome message which group (so which channel) its escalation went to;
- the bench's supervisors (U0SUPER<n>) as the only people, every one a member of every group (so their presses are
  authorized), the first two in the first tier;
- working hours round the clock, every day (a ping reaches a tier, whatever the time of the run);
- the playbooks and templates of the served checkout, by absolute path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SUPERVISOR_PREFIX = "U0SUPER"
ALWAYS = {"timezone": "UTC", "hours": "00:00-24:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}


@dataclass(frozen=True)
class BenchConfig:
    path: Path
    groups: dict[int, str]  # BENCHGRP number -> channel
    group_ids: dict[int, str]  # BENCHGRP number -> group id in the configuration
    supervisors: list[str]  # Slack user ids


def write_config(app_dir: Path, folder: Path, supervisors: int) -> BenchConfig:
    data: dict[str, Any] = yaml.safe_load((app_dir / "config" / "example.yaml").read_text(encoding="utf-8"))
    data["playbooks_dir"] = str(app_dir / "playbooks")
    data["templates_dir"] = str(app_dir / "templates")
    users = [f"{SUPERVISOR_PREFIX}{i:04d}" for i in range(max(supervisors, 1))]
    slugs = [f"bench-supervisor-{i}" for i in range(len(users))]
    # The example's people stay (playbooks name some as `person`), played by the bench's supervisors.
    named = {
        slug: {"name": person.get("name", slug), "slack_user": users[i % len(users)]}
        for i, (slug, person) in enumerate(sorted((data.get("people") or {}).items()))
    }
    data["people"] = named | {
        slug: {"name": f"Bench supervisor {i}", "slack_user": users[i]} for i, slug in enumerate(slugs)
    }
    tiers = [slugs[:2], slugs[2:]] if len(slugs) > 2 else [slugs]
    groups: dict[int, str] = {}
    group_ids: dict[int, str] = {}
    for number, (group_id, group) in enumerate(sorted((data.get("groups") or {}).items())):
        channel = f"C0BGRP{number:03d}"
        # The group's own people last (a person a playbook asks by name must be a member).
        own = [p for tier in group.get("tiers", []) for p in tier if p not in slugs]
        shaped = [list(tier) for tier in tiers]
        shaped[-1] = shaped[-1] + own
        group.update(name=f"{group.get('name', group_id)} BENCHGRP{number}", channel=channel, tiers=shaped)
        group["working"] = dict(ALWAYS)
        group.pop("usergroup", None)  # membership from the configuration only: no usergroups.users.list
        group.pop("use_slack_presence", None)
        groups[number] = channel
        group_ids[number] = group_id
    path = folder / "bench-config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return BenchConfig(path, groups, group_ids, users)
