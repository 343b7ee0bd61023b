"""What the agents learn as they walk: where each choice led, and which values a form accepted.

The agents are not told the playbooks: they read the buttons the fake shows and learn, per step (its text) and
choice (its label), how often the walk then ended in an escalation to each group. A walk can then aim for an
escalation (when the group's channel has room, see ``Budget``) or avoid one, and playbook texts, labels or an extra
form step changing under the bench only cost a few exploring walks.

Form values: a select takes its first option, dates, emails, numbers and URLs a fixed valid value, and free text
the first of ``CANDIDATES`` the app has not refused for that field (the refusal is a ``response_action: errors``
answer naming it, which the agent records as an invalid submit and learns from).
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.messages import Input

NONE = "none"  # the outcome of a walk that did not escalate
INVALID_TEXT = "not a valid value!"  # fails every pattern; never empty, so a field without one takes it
CANDIDATES = (
    "0123456789abcdef01234567",  # a Clever id (24 hex); also fits most id patterns
    "001A000001AbCdEFGH",  # a Salesforce id (18)
    "001A000001AbCdE",  # (15)
    "123456",  # digits only (case numbers)
    "CASE-1",
    "Sample text",
)
FIXED = {
    "datepicker": "2026-01-01",
    "email_text_input": "agent@example.org",
    "number_input": "3",
    "url_text_input": "https://example.org/page",
}
EXPLORE_WALKS = 12  # walks of a playbook that choose at random before aiming (the scouting before the load)


def group_only_labels(playbooks_dir: Path) -> frozenset[str]:
    """Labels of answers only a group's members may give (a choice's `only:`): the bench's agents are in no group
    the playbooks name, so they never press them (the app would refuse, and the walk would wait for nothing)."""
    labels = set()
    for path in playbooks_dir.glob("*.yaml"):
        for step in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("steps", []):
            labels.update(c["label"] for c in step.get("choices", []) if c.get("only"))
    return frozenset(labels)


@dataclass
class Library:
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    outcomes: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)  # (step, label) -> outcome counts
    reach: dict[str, Counter[str]] = field(default_factory=dict)  # playbook -> outcomes seen
    walks: Counter[str] = field(default_factory=Counter)  # playbook (header) -> walks finished
    started: Counter[str] = field(default_factory=Counter)  # playbook id -> sessions started
    # playbook id (the one the session was started with) -> outcome ("g<n>" or NONE) -> walks that reached it
    reached: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    candidate: dict[str, int] = field(default_factory=dict)  # field block id -> index into CANDIDATES
    direct: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)  # what an answer led to at once
    not_ours: frozenset[str] = frozenset()  # labels only a group's members may press (group_only_labels)

    # -- choices ----------------------------------------------------------------------------------------------
    def choose(self, playbook: str, step: str, labels: list[str], goal: str | None) -> str:
        """A label to click. `goal` is a group ("g<n>") to escalate to, NONE to avoid escalating, or None."""
        labels = [label for label in labels if label not in self.not_ours] or labels
        if goal is None or self.walks[playbook] < EXPLORE_WALKS:
            return self.rng.choice(labels)
        best, best_score = [], -1.0
        for label in labels:
            seen = self.outcomes.get((step, label), Counter())
            total = sum(seen.values())
            score = (seen[goal] + 1) / (total + 2)  # Laplace: a choice never tried scores 1/2
            if score > best_score + 1e-9:
                best, best_score = [label], score
            elif abs(score - best_score) <= 1e-9:
                best.append(label)
        return self.rng.choice(best)

    def learn(self, playbook: str, path: list[tuple[str, str]], outcome: str) -> None:
        self.walks[playbook] += 1
        self.reach.setdefault(playbook, Counter())[outcome] += 1
        for key in path:
            self.outcomes.setdefault(key, Counter())[outcome] += 1

    def learn_direct(self, step: str, label: str, outcome: str) -> None:
        """The answer `label` at `step` ended the walk with `outcome` (it was the last answer)."""
        self.direct.setdefault((step, label), Counter())[outcome] += 1

    def predicts_escalation(self, step: str, label: str) -> bool:
        """Whether answering `label` at `step` has always escalated at once (so far)."""
        seen = self.direct.get((step, label))
        return seen is not None and bool(seen) and seen[NONE] == 0

    def scouted(self, playbooks: list[str]) -> bool:
        """Whether every playbook id has been walked to an outcome a few times, and every playbook seen (agents know
        a playbook by the header its message shows) walked enough. (Counting the starts alone, the scouting could end
        before the first walk did: every agent starts a session at once, and no header had been seen yet.)"""
        walked = all(self.reached[p].total() >= EXPLORE_WALKS // 2 for p in playbooks)
        return walked and bool(self.walks) and all(n >= EXPLORE_WALKS for n in self.walks.values())

    def groups_reached(self, playbook: str) -> list[str]:
        return [outcome for outcome in self.reach.get(playbook, Counter()) if outcome != NONE]

    # -- form values ------------------------------------------------------------------------------------------
    def invalid_values(self, fields: list[Input]) -> dict[str, str]:
        """Text fields get a value no pattern accepts; other fields stay empty (refused if required)."""
        return {f.block_id: INVALID_TEXT if f.type == "plain_text_input" else "" for f in fields}

    def valid_values(self, fields: list[Input]) -> dict[str, str]:
        values = {}
        for f in fields:
            if f.type == "static_select":
                values[f.block_id] = f.options[0] if f.options else ""
            elif f.type in FIXED:
                values[f.block_id] = FIXED[f.type]
            else:
                text = CANDIDATES[self.candidate.get(f.block_id, 0) % len(CANDIDATES)]
                values[f.block_id] = text[: f.max_length] if f.max_length else text
        return values

    def refused(self, block_ids: list[str], values: dict[str, str]) -> None:
        """The app refused `values` for `block_ids`: those fields move on to their next candidate. Only if the value
        refused is the field's current candidate: agents filling the same field at once all hear the refusal, and
        each moving it on would skip candidates (the one that fits included)."""
        for block_id in block_ids:
            index = self.candidate.get(block_id, 0)
            if values.get(block_id, "") and CANDIDATES[index % len(CANDIDATES)].startswith(values[block_id]):
                self.candidate[block_id] = index + 1


@dataclass
class Budget:
    """Escalations the walks may aim for: `per_second` per group channel, so pings stay within Slack's limit of one
    message per second per channel (a burst of 3) and the ping latency measures the app, not the queue. Walks that
    explore may still escalate beyond it; the report counts every ping and which ones waited for the channel."""

    per_second: float
    _next: dict[str, float] = field(default_factory=dict)

    def take(self, group: str) -> bool:
        if self.per_second <= 0:
            return False
        now = time.monotonic()
        due = self._next.get(group, now)
        if due > now:
            return False
        self._next[group] = max(due, now - 1 / self.per_second) + 1 / self.per_second
        return True
