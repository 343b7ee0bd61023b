"""A case: one customer contact, from "we open a CASE and assign a case number" to "your case is closed".

Every run, escalation and note belongs to one. Plain data; the lifecycle's rules are in case_policy.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"  # opened, nobody working on it yet
    TIER1 = "tier1"  # with Tier I
    ESCALATED = "escalated"  # with Tier II
    RETURNED = "returned"  # returned from Tier II to Tier I
    RESOLVED = "resolved"  # the customer is told; closes at once or after some quiet days
    CLOSED = "closed"


class LinkKind(StrEnum):
    """What a case is linked to, besides its runs and escalations."""

    TICKET = "ticket"  # the Zendesk ticket
    RUN = "run"
    ESCALATION = "escalation"
    JIRA = "jira"  # a Jira issue (Tech Development, school-district associations)
    PARTNER = "partner"  # a partner's ticket reference (Clever)


class WorkKind(StrEnum):
    """What Tier II records doing, in the procedure's words ("They will do one or all of the following")."""

    CONTACTED = "contacted"  # "Contact you to discuss the issue or to gather additional information"
    TECH_DEV = "tech_dev"  # "Work with our Tech Development team to fix any issues that can be solved quickly"
    PRODUCT_DEV = "product_dev"  # "Communicate with our Product Development team about ... bug fixes and new features"
    PARTNER = "partner"  # shared with a partner (Clever) and its reference
    NOTE = "note"


@dataclass(frozen=True)
class CaseNumber:
    prefix: str
    year: int
    seq: int

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}-{self.seq:06d}"


@dataclass(frozen=True)
class CaseLink:
    kind: LinkKind
    ref: str
    label: str | None
    actor: str
    at: datetime


@dataclass(frozen=True)
class CaseEvent:
    """One line of the case's timeline (from the audit trail)."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolution:
    """What Resolve records: what was found and what changed (the closure reply is written from them)."""

    found: str
    changed: str


@dataclass(frozen=True)
class Case:
    id: str
    number: str
    status: CaseStatus
    priority: str | None
    ticket: str | None
    procedure: str | None  # the configured procedure (case prefix, signature)
    owner_id: str
    surface: str
    channel_id: str
    details: dict[str, str]  # what the customer gave at intake (the helpful hint); never PII
    version: int
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    close_due: datetime | None = None  # when a resolved case closes by itself if nobody reopens it
    resolution: Resolution | None = None
    links: tuple[CaseLink, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)

    def linked(self, kind: LinkKind) -> tuple[CaseLink, ...]:
        return tuple(link for link in self.links if link.kind == kind)
