"""The schema, as SQLAlchemy ORM mappings. Alembic revisions in `migrations/` must produce exactly this.

Timestamps are timezone-aware UTC in Python on every backend (`UTCDateTime`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, MetaData, String, Table, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from chatbot.domain.case import CaseStatus
from chatbot.domain.escalation import EscalationStatus, Surface
from chatbot.domain.jobs import JobStatus
from chatbot.domain.run import RunStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_STATUSES: tuple[str, ...] = tuple(status.value for status in RunStatus)
CASE_STATUSES: tuple[str, ...] = tuple(status.value for status in CaseStatus)
SURFACES: tuple[str, ...] = tuple(surface.value for surface in Surface)
ID = 255  # ids of people, channels and messages: Teams' are far longer than Slack's


def new_run_id() -> str:
    """A fresh run id: a uuid4 as 32 hex digits."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware; naive datetimes are refused.

    PostgreSQL stores `timestamptz`; SQLite stores the UTC wall time as text, so its ordering is chronological.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use a timezone-aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding the app's `MetaData` (with constraint naming for Alembic)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (read by SQLAlchemy, never mutated)


class RunRow(Base):
    """One playbook run: the engine's serialized `RunState` plus what Slack needs to find and update it."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_run_id)
    playbook_id: Mapped[str] = mapped_column(String(128))
    playbook_version: Mapped[str] = mapped_column(String(64))
    state_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    surface: Mapped[str] = mapped_column(String(16), server_default="slack")
    team_id: Mapped[str] = mapped_column(String(ID))
    channel_id: Mapped[str] = mapped_column(String(ID))
    message_ts: Mapped[str | None] = mapped_column(String(ID))
    owner_id: Mapped[str] = mapped_column(String(ID))
    case_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("cases.id"))  # the contact it is part of
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # How the run ended, for the leads' digest: set by the save that finishes (or cancels) it, cleared by the Back or
    # Restart that leaves it. The outcome's kind, and the step (and playbook, after a jump) it reached.
    outcome_kind: Mapped[str | None] = mapped_column(String(32))
    outcome_playbook: Mapped[str | None] = mapped_column(String(128))
    outcome_step: Mapped[str | None] = mapped_column(String(128))
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in RUN_STATUSES)})", name="status"),
        CheckConstraint(f"surface IN ({', '.join(repr(s) for s in SURFACES)})", name="surface"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_channel_id_message_ts", "channel_id", "message_ts"),
        Index("ix_runs_finished_at", "finished_at"),
        Index("ix_runs_case_id", "case_id"),
    )


class CaseRow(Base):
    """A customer contact and its lifecycle; `number` is what people quote (e.g. TS-2026-000123)."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_run_id)
    number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(16))
    ticket: Mapped[str | None] = mapped_column(String(64))  # the Zendesk ticket number
    procedure: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(ID))
    surface: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(ID))
    details_json: Mapped[str] = mapped_column(Text)
    resolution_json: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int]
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_due: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in CASE_STATUSES)})", name="status"),
        Index("ix_cases_number", "number", unique=True),
        Index("ix_cases_ticket", "ticket"),
        Index("ix_cases_owner_id_status", "owner_id", "status"),
        Index("ix_cases_opened_at", "opened_at"),
        Index("ix_cases_closed_at", "closed_at"),
    )


class CaseCounterRow(Base):
    """The last case number given per prefix and year: taken by an atomic increment (never max()+1), so numbers
    stay unique however many replicas open cases at once."""

    __tablename__ = "case_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]


class CaseLinkRow(Base):
    """What a case is linked to: its ticket, runs, escalations, Jira issues, partner tickets."""

    __tablename__ = "case_links"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(ID))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_case_links_case_id", "case_id"), Index("ix_case_links_kind_ref", "kind", "ref"))


class AuditEventRow(Base):
    """An append-only audit trail entry; `run_id` is empty for events that belong to no run."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("runs.id"))
    case_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("cases.id"))  # a case's own events
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(ID))
    action: Mapped[str] = mapped_column(String(64))
    detail_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_events_run_id", "run_id"), Index("ix_audit_events_case_id", "case_id"))


class ProcessedEventRow(Base):
    """A Slack delivery already handled (by event id or another idempotency key), so retries are dropped."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime]

    __table_args__ = (Index("ix_processed_events_at", "at"),)


ESCALATION_STATUSES: tuple[str, ...] = tuple(status.value for status in EscalationStatus)
JOB_STATUSES: tuple[str, ...] = tuple(status.value for status in JobStatus)


class EscalationRow(Base):
    """A case handed to a supervisor group: who asked, what Tier 2 needs, where it was pinged, and its state."""

    __tablename__ = "escalations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_run_id)
    run_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("runs.id"))
    case_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))  # escalated | ticket_share | manual
    group_id: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    handoff_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    tier: Mapped[int]  # the fallback tier pinged last; -1 before the first ping; len(tiers) = everyone
    person: Mapped[str | None] = mapped_column(String(64))  # asked first by name; the group is the fallback
    created_by: Mapped[str] = mapped_column(String(ID))
    agent_surface: Mapped[str | None] = mapped_column(String(16))
    agent_channel: Mapped[str | None] = mapped_column(String(ID))
    agent_message_ts: Mapped[str | None] = mapped_column(String(ID))
    handled_by: Mapped[str | None] = mapped_column(String(ID))
    note: Mapped[str | None] = mapped_column(Text)  # e.g. the reason for returning it to Tier 1
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # For the leads' digest: when a member first acted on it, when it left Tier 2 (returned or resolved), and how
    # many times nobody answered in time and the next tier was reminded.
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reescalations: Mapped[int] = mapped_column(server_default="0")

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in ESCALATION_STATUSES)})", name="status"),
        Index("ix_escalations_status", "status"),
        Index("ix_escalations_run_id", "run_id"),
        Index("ix_escalations_case_id", "case_id"),
        Index("ix_escalations_created_at", "created_at"),
        Index("ix_escalations_acknowledged_at", "acknowledged_at"),
        Index("ix_escalations_closed_at", "closed_at"),
    )


class EscalationSourceRow(Base):
    """One answer on the path that led to an escalation (the digest's "where escalations come from"), written with
    the escalation. `position` 0 is the answer that reached the outcome, 1 the one before, and so on."""

    __tablename__ = "escalation_sources"

    escalation_id: Mapped[str] = mapped_column(String(32), ForeignKey("escalations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    playbook: Mapped[str] = mapped_column(String(128))
    step: Mapped[str] = mapped_column(String(128))
    answer: Mapped[str | None] = mapped_column(Text)  # a choice's label; None for a form (its values may be PII)


class EscalationPostRow(Base):
    """Where an escalation's ping was posted, on each surface its group is on (its thread holds the reminders)."""

    __tablename__ = "escalation_posts"

    escalation_id: Mapped[str] = mapped_column(String(32), ForeignKey("escalations.id"), primary_key=True)
    surface: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(ID))
    message_id: Mapped[str] = mapped_column(String(ID))
    created_at: Mapped[datetime]


class JobRow(Base):
    """Work that must not be lost: a Slack delivery (outbox) or a timer, claimed by one worker under a lease."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    escalation_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("escalations.id"))
    payload_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    attempts: Mapped[int]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    attempt_started_at: Mapped[datetime | None]  # when an attempt began its side effect (wall clock)
    key: Mapped[str | None] = mapped_column(String(255))  # unique when set: "this job exists once"
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in JOB_STATUSES)})", name="status"),
        Index("ix_jobs_status_due_at", "status", "due_at"),
        Index("ix_jobs_escalation_id", "escalation_id"),
        Index("ix_jobs_key", "key", unique=True),
    )


class AwayRow(Base):
    """Someone marked themselves away (`/oncall away [until]`); no row means not marked."""

    __tablename__ = "away_marks"

    user_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    until: Mapped[datetime | None]
    set_at: Mapped[datetime]


class TeamsConversationRow(Base):
    """A Teams conversation the bot has seen (a chat, a channel, a channel thread): what a proactive post needs.

    `key` is what runs and escalations store as the channel (the conversation id itself, or a hash of it when it is
    too long); `reference_json` is the SDK's ConversationReference, kept whole.
    """

    __tablename__ = "teams_conversations"

    key: Mapped[str] = mapped_column(String(ID), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(Text)
    conversation_type: Mapped[str | None] = mapped_column(String(16))
    service_url: Mapped[str] = mapped_column(Text)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(ID))
    reference_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_teams_conversations_tenant_id_updated_at", "tenant_id", "updated_at"),)


class DigestScheduleRow(Base):
    """A configured digest schedule, as first seen: a digest that fell due after `since` while nothing was running is
    posted late when the service comes back; one from before (the schedule did not exist yet) is not."""

    __tablename__ = "digest_schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cron: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime]


class ChannelHoldRow(Base):
    """Someone is waiting for a post in this channel (a session started from a ping): until `until`, the worker's
    posts there wait, so they do not take Slack's one-a-second turn from it (adapters/slack/holds.py)."""

    __tablename__ = "channel_holds"

    channel: Mapped[str] = mapped_column(String(ID), primary_key=True)
    until: Mapped[datetime]


def _table(row: type[Base]) -> Table:
    """A mapped class's table, typed as the Table it is (mypy sees `__table__` as any FromClause)."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


cases = _table(CaseRow)
case_counters = _table(CaseCounterRow)
case_links = _table(CaseLinkRow)
metadata = Base.metadata
runs = _table(RunRow)
audit_events = _table(AuditEventRow)
processed_events = _table(ProcessedEventRow)
escalations = _table(EscalationRow)
escalation_posts = _table(EscalationPostRow)
jobs = _table(JobRow)
away_marks = _table(AwayRow)
escalation_sources = _table(EscalationSourceRow)
digest_schedules = _table(DigestScheduleRow)
teams_conversations = _table(TeamsConversationRow)
channel_holds = _table(ChannelHoldRow)
