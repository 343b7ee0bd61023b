"""An escalation: a case handed to a group (or one person in it), what Tier 2 receives, and where it stands.

Plain data, no I/O: the policy (escalation_policy.py) decides what may happen to it, services persist it,
surfaces render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class EscalationKind(StrEnum):
    ESCALATED = "escalated"
    TICKET_SHARE = "ticket_share"
    MANUAL = "manual"


class EscalationStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLAIMED = "claimed"
    RETURNED = "returned"
    RESOLVED = "resolved"

    @property
    def final(self) -> bool:
        return self in (EscalationStatus.RETURNED, EscalationStatus.RESOLVED)


class EscalationAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    CLAIM = "claim"
    RETURN = "return"
    RESOLVE = "resolve"


class Surface(StrEnum):
    """Where people meet the app."""

    SLACK = "slack"
    TEAMS = "teams"


@dataclass(frozen=True)
class PostRef:
    """A message the app posted: on which surface, in which channel (conversation), with which id."""

    surface: Surface
    channel: str
    message_id: str


@dataclass(frozen=True)
class TrailItem:
    question: str
    answer: str  # as typed: each surface escapes it for itself


@dataclass(frozen=True)
class FactItem:
    label: str
    value: str  # as typed


@dataclass(frozen=True)
class Handoff:
    """What Tier 2 receives with an escalation: enough to pick the case up without asking the agent again.

    Values are raw (as typed); PII fields are included (Tier 2 channels may hold them).
    """

    summary: str
    agent: str | None = None
    playbook: str | None = None  # title of the playbook that escalated
    reason: str | None = None
    partner: str | None = None
    reference: str | None = None  # the Zendesk ticket number
    case_number: str | None = None
    tier1_agent: str | None = None  # when Tier 2 escalates further: the Tier 1 agent who raised it first
    follow_up: str | None = None  # the playbook whoever picks it up runs (with `fields` filled in)
    follow_up_title: str | None = None  # ...and its title, for the button that starts it
    note: str = ""
    trail: tuple[TrailItem, ...] = ()
    facts: tuple[FactItem, ...] = ()
    checklist: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)  # everything collected, to fill in Tier 2's playbook

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "agent": self.agent,
            "playbook": self.playbook,
            "reason": self.reason,
            "partner": self.partner,
            "reference": self.reference,
            "case_number": self.case_number,
            "tier1_agent": self.tier1_agent,
            "follow_up": self.follow_up,
            "follow_up_title": self.follow_up_title,
            "note": self.note,
            "trail": [{"question": t.question, "answer": t.answer} for t in self.trail],
            "facts": [{"label": f.label, "value": f.value} for f in self.facts],
            "checklist": list(self.checklist),
            "fields": dict(self.fields),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Handoff:
        return cls(
            summary=str(data.get("summary") or ""),
            agent=data.get("agent"),
            playbook=data.get("playbook"),
            reason=data.get("reason"),
            partner=data.get("partner"),
            reference=data.get("reference"),
            case_number=data.get("case_number"),
            tier1_agent=data.get("tier1_agent"),
            follow_up=data.get("follow_up"),
            follow_up_title=data.get("follow_up_title"),
            note=str(data.get("note") or ""),
            trail=tuple(TrailItem(str(t["question"]), str(t["answer"])) for t in data.get("trail") or ()),
            facts=tuple(FactItem(str(f["label"]), str(f["value"])) for f in data.get("facts") or ()),
            checklist=tuple(str(c) for c in data.get("checklist") or ()),
            fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
        )


@dataclass(frozen=True)
class EscalationSource:
    """One answer on the path that led to an escalation, for the leads' digest ("which step sends the most work to
    Tier 2"). `position` counts back from the outcome: 0 is the answer that reached it. No typed values: a form's
    answer is None (its values may hold PII)."""

    playbook: str
    step: str
    answer: str | None
    position: int


@dataclass(frozen=True)
class NewEscalation:
    """An escalation about to be created (with the answer that caused it, or by hand)."""

    id: str
    kind: EscalationKind
    group_id: str
    priority: Priority
    summary: str
    handoff: Handoff
    created_by: str
    run_id: str | None = None
    agent: PostRef | None = None  # the agent's session message (or, for one by hand, where it was raised)
    person: str | None = None  # one person to ask first (a configured person id), the group as fallback
    case_id: str | None = None  # the contact it belongs to
    case_number: str | None = None
    sources: tuple[EscalationSource, ...] = ()  # the path that led here (none for one raised by hand)


@dataclass(frozen=True)
class Escalation:
    id: str
    run_id: str | None
    kind: EscalationKind
    group_id: str
    priority: Priority
    summary: str
    handoff: Handoff
    status: EscalationStatus
    version: int
    tier: int  # the fallback tier pinged last; -1 before the first ping; len(tiers) = everyone
    created_by: str
    agent: PostRef | None
    person: str | None
    case_id: str | None
    handled_by: str | None
    note: str | None  # e.g. the reason for returning it to Tier 1
    created_at: datetime
    updated_at: datetime
    posts: dict[Surface, PostRef] = field(default_factory=dict)  # the ping, per surface it was posted on

    @property
    def agent_id(self) -> str:
        return self.handoff.agent or self.created_by

    def post_on(self, surface: Surface) -> PostRef | None:
        return self.posts.get(surface)


@dataclass(frozen=True)
class AgentUpdate:
    """What Tier 2 tells the agent about the case besides the escalation's status: work recorded ("is working with
    Tech Development (DEV-123)") or, on resolution, the closure reply and note to paste. Texts as written (each
    surface escapes them)."""

    actor: str
    case_number: str | None = None
    line: str | None = None
    reply: str | None = None
    note: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> AgentUpdate:
        texts = ("case_number", "line", "reply", "note")
        known = {k: (str(data[k]) if data.get(k) is not None else None) for k in texts}
        return cls(actor=str(data.get("actor", "")), **known)
