"""Persistence (runs, audit trail, escalations, jobs, away marks): async SQLite or PostgreSQL, Alembic-migrated."""

from chatbot.storage.db import create_engine, normalize_url, ping, redact_url
from chatbot.storage.migrate import current_revision, head_revision, upgrade
from chatbot.storage.records import AuditRecord, RunRecord
from chatbot.storage.repository import Store

__all__ = [
    "AuditRecord",
    "RunRecord",
    "Store",
    "create_engine",
    "current_revision",
    "head_revision",
    "normalize_url",
    "ping",
    "redact_url",
    "upgrade",
]
