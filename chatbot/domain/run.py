"""A playbook run: where the agent is, what was answered, by whom and when. Serialises to JSON."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import orjson

STATE_SCHEMA = 1


class RunStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TrailEntry:
    """One step passed: the question or form, the answer, who gave it and when (ISO 8601)."""

    playbook: str
    step: str
    kind: str  # "choice" | "fields" | "continue" | "jump"
    answer: str | None = None
    choice: int | None = None
    values: dict[str, str] = field(default_factory=dict)
    actor: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class RunState:
    playbook: str  # the playbook the run started with
    current: str  # the playbook the current step belongs to (differs after a jump)
    step: str
    version: int = 0
    status: RunStatus = RunStatus.ACTIVE
    trail: tuple[TrailEntry, ...] = ()
    started_by: str | None = None
    started_at: str | None = None
    # Values known before the first step: a ticket number typed with the command, the case the run belongs to,
    # what Tier 1 collected when Tier 2 picks an escalation up. Answers given on the way win over them.
    preset: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, str]:
        """Every value known so far; a later answer to the same field wins."""
        merged: dict[str, str] = dict(self.preset)
        for entry in self.trail:
            merged.update(entry.values)
        return merged

    def bump(self, **changes: Any) -> RunState:
        return replace(self, version=self.version + 1, **changes)

    def to_json(self) -> str:
        # By hand rather than dataclasses.asdict, whose deep copies showed up in every click's profile.
        data = {
            "schema": STATE_SCHEMA,
            "playbook": self.playbook,
            "current": self.current,
            "step": self.step,
            "version": self.version,
            "status": self.status.value,
            "trail": [{k: v for k, v in vars(e).items() if v not in (None, {})} for e in self.trail],
            "started_by": self.started_by,
            "started_at": self.started_at,
        }
        if self.preset:
            data["preset"] = self.preset
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()

    @classmethod
    def from_json(cls, text: str) -> RunState:
        data = orjson.loads(text)
        schema = data.pop("schema", None)
        if schema != STATE_SCHEMA:
            raise ValueError(f"run state schema {schema!r} is not {STATE_SCHEMA}")
        data["trail"] = tuple(TrailEntry(**e) for e in data["trail"])
        data["status"] = RunStatus(data["status"])
        return cls(**data)


# What an agent can do on a step. `version` is the run version the agent saw: a mismatch means stale.
@dataclass(frozen=True)
class Choose:
    index: int


@dataclass(frozen=True)
class Submit:
    values: dict[str, str]


@dataclass(frozen=True)
class Continue:
    pass


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Restart:
    pass


@dataclass(frozen=True)
class Cancel:
    pass


Action = Choose | Submit | Continue | Back | Restart | Cancel


@dataclass(frozen=True)
class Answer:
    action: Action
    version: int
    actor: str
    at: str  # ISO 8601; the engine has no clock of its own
