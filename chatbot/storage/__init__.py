"""Persistence for runs, the audit trail and Slack idempotency keys: async SQLite or PostgreSQL, Alembic-migrated."""

from chatbot.storage.db import create_engine, normalize_url, ping, redact_url
from chatbot.storage.migrate import current_revision, head_revision, upgrade
from chatbot.storage.records import AuditRecord, RunRecord
from chatbot.storage.repository import Store
from chatbot.storage.work import EscalationRecord, JobRecord, NewEscalation, NewJob, WorkStore

__all__ = [
    "AuditRecord",
    "EscalationRecord",
    "JobRecord",
    "NewEscalation",
    "NewJob",
    "RunRecord",
    "Store",
    "WorkStore",
    "create_engine",
    "current_revision",
    "head_revision",
    "normalize_url",
    "ping",
    "redact_url",
    "upgrade",
]
