"""Jobs: work that must not be lost (a delivery to a surface, a timer), as rows a worker claims under a lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobKind(StrEnum):
    # Deliveries to a surface (the payload names it)
    PING = "ping"  # the escalation's root message in the group's channel
    REMIND = "remind"  # a reminder in the ping's thread, to the next tier
    PING_UPDATE = "ping_update"  # re-render the ping after a status change
    NOTIFY_AGENT = "notify_agent"  # tell the agent what Tier 2 did
    SESSION_UPDATE = "session_update"  # show the escalation's status in the agent's session
    UNDELIVERABLE = "undeliverable"  # tell the agent a ping or reminder could not be posted
    AGENT_UPDATE = "agent_update"  # tell the agent what Tier 2 recorded (work, a status update, the closure texts)
    # Timers, surface-neutral
    REESCALATE = "reescalate"  # nobody acknowledged in time: move to the next tier
    CASE_CLOSE = "case_close"  # a resolved case closes after its quiet days, unless reopened
    # Housekeeping
    PRUNE = "prune"  # forget old delivery keys
    # Reports
    DIGEST = "digest"  # a scheduled digest for team leads, posted once per schedule and period


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class NewJob:
    kind: JobKind
    payload: dict[str, Any]
    due_at: datetime
    escalation_id: str | None = None
    key: str | None = None  # unique when set: a second job with the same key is not added


@dataclass(frozen=True)
class Job:
    id: int
    kind: JobKind
    escalation_id: str | None
    payload: dict[str, Any]
    status: JobStatus
    due_at: datetime
    attempts: int  # including the current one, once claimed
    last_error: str | None
    created_at: datetime
    attempt_started_at: datetime | None = None  # when an earlier attempt began its side effect (a post)
    key: str | None = None
    done_at: datetime | None = field(default=None, compare=False)
