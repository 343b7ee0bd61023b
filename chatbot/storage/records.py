"""Plain, immutable copies of stored rows: what the repository hands out instead of ORM objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from chatbot.storage.tables import AuditEventRow, RunRow


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run. `state_json` is the engine's `RunState.to_json()`; `version` is its state version."""

    id: str
    playbook_id: str
    playbook_version: str
    state_json: str
    version: int
    status: str
    surface: str
    team_id: str
    channel_id: str
    message_ts: str | None
    owner_id: str
    created_at: datetime
    updated_at: datetime
    case_id: str | None = None
    outcome_kind: str | None = None
    outcome_playbook: str | None = None
    outcome_step: str | None = None
    finished_at: datetime | None = None

    @classmethod
    def from_row(cls, row: RunRow) -> RunRecord:
        return cls(
            id=row.id,
            playbook_id=row.playbook_id,
            playbook_version=row.playbook_version,
            state_json=row.state_json,
            version=row.version,
            status=row.status,
            surface=row.surface,
            team_id=row.team_id,
            channel_id=row.channel_id,
            message_ts=row.message_ts,
            owner_id=row.owner_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            case_id=row.case_id,
            outcome_kind=row.outcome_kind,
            outcome_playbook=row.outcome_playbook,
            outcome_step=row.outcome_step,
            finished_at=row.finished_at,
        )


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Where a finished run ended, as a save records it: the outcome's kind, and its playbook and step."""

    kind: str
    playbook: str
    step: str


class RunStamp(NamedTuple):
    """A run's version and its newest escalation's (None without one): whether a shown session is still current."""

    version: int
    escalation_version: int | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit trail entry; `detail` is the decoded `detail_json`."""

    id: int
    run_id: str | None
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: AuditEventRow) -> AuditRecord:
        return cls(
            id=row.id,
            run_id=row.run_id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            detail=json.loads(row.detail_json),
        )
