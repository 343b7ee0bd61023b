"""The schema, as SQLAlchemy ORM mappings. Alembic revisions in `migrations/` must produce exactly this.

Timestamps are timezone-aware UTC in Python on every backend (`UTCDateTime`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

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
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in RUN_STATUSES)})", name="status"),
        CheckConstraint(f"surface IN ({', '.join(repr(s) for s in SURFACES)})", name="surface"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_channel_id_message_ts", "channel_id", "message_ts"),
    )


class AuditEventRow(Base):
    """An append-only audit trail entry; `run_id` is empty for events that belong to no run."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("runs.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(ID))
    action: Mapped[str] = mapped_column(String(64))
    detail_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_events_run_id", "run_id"),)


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

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in ESCALATION_STATUSES)})", name="status"),
        Index("ix_escalations_status", "status"),
        Index("ix_escalations_run_id", "run_id"),
    )


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


metadata = Base.metadata
runs = RunRow.__table__
audit_events = AuditEventRow.__table__
processed_events = ProcessedEventRow.__table__
escalations = EscalationRow.__table__
escalation_posts = EscalationPostRow.__table__
jobs = JobRow.__table__
away_marks = AwayRow.__table__
