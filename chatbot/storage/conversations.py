"""Teams conversation references, kept from every conversation the bot sees, for the posts it makes on its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from chatbot.storage.gate import FairPool
from chatbot.storage.rows import to_json
from chatbot.storage.tables import TeamsConversationRow


@dataclass(frozen=True)
class ConversationRecord:
    """Where a proactive post goes: the conversation, the service URL of its region, its tenant (and team)."""

    key: str
    conversation_id: str
    conversation_type: str | None
    service_url: str
    tenant_id: str | None
    team_id: str | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


def _record(row: TeamsConversationRow) -> ConversationRecord:
    return ConversationRecord(
        key=row.key,
        conversation_id=row.conversation_id,
        conversation_type=row.conversation_type,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        team_id=row.team_id,
        reference=json.loads(row.reference_json),
        updated_at=row.updated_at,
    )


class ConversationRepo:
    def __init__(self, pool: FairPool, dialect: str) -> None:
        self._pool = pool
        self._dialect = dialect

    async def save(self, records: Sequence[ConversationRecord], at: datetime) -> None:
        """Insert or refresh each reference (the service URL of a tenant can move to another region)."""
        if not records:
            return
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        async with self._pool.begin() as connection:
            for record in records:
                values = {
                    "key": record.key,
                    "conversation_id": record.conversation_id,
                    "conversation_type": record.conversation_type,
                    "service_url": record.service_url,
                    "tenant_id": record.tenant_id,
                    "team_id": record.team_id,
                    "reference_json": to_json(record.reference),
                    "created_at": at,
                    "updated_at": at,
                }
                statement = insert(TeamsConversationRow).values(values)
                changed: dict[str, Any] = {k: statement.excluded[k] for k in values if k not in ("key", "created_at")}
                # A team id learnt once (from an installation) is not forgotten by a later activity without one.
                changed["team_id"] = func.coalesce(statement.excluded.team_id, TeamsConversationRow.team_id)
                await connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_=changed))

    async def get(self, key: str) -> ConversationRecord | None:
        async with self._pool.session() as session:
            row = await session.get(TeamsConversationRow, key)
            return _record(row) if row is not None else None

    async def latest_in_tenant(self, tenant_id: str | None) -> ConversationRecord | None:
        """The reference seen last in `tenant_id` (any tenant when None): its service URL serves the whole tenant."""
        query = select(TeamsConversationRow).order_by(TeamsConversationRow.updated_at.desc()).limit(1)
        if tenant_id is not None:
            query = query.where(TeamsConversationRow.tenant_id == tenant_id)
        async with self._pool.session() as session:
            row = (await session.scalars(query)).first()
            return _record(row) if row is not None else None
