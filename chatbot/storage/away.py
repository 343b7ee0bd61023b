"""Away marks (`/oncall away [until]`): no row means not marked."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from chatbot.storage.gate import FairPool
from chatbot.storage.rows import audit_row
from chatbot.storage.tables import AwayRow


class AwayRepo:
    def __init__(self, pool: FairPool) -> None:
        self._pool = pool

    async def set(self, user_id: str, until: datetime | None, at: datetime) -> None:
        async with self._pool.session_begin() as session:
            await session.execute(delete(AwayRow).where(AwayRow.user_id == user_id))
            session.add(AwayRow(user_id=user_id, until=until, set_at=at))
            session.add(audit_row(None, at, user_id, "away", {"until": until.isoformat() if until else None}))

    async def clear(self, user_id: str, at: datetime) -> bool:
        async with self._pool.session_begin() as session:
            result = cast(CursorResult[Any], await session.execute(delete(AwayRow).where(AwayRow.user_id == user_id)))
            session.add(audit_row(None, at, user_id, "back", {}))
            return result.rowcount == 1

    async def current(self, now: datetime) -> dict[str, datetime | None]:
        """Who is marked away now, and until when (None: until they say they are back)."""
        query = select(AwayRow).where((AwayRow.until.is_(None)) | (AwayRow.until > now))
        async with self._pool.session() as session:
            return {row.user_id: row.until for row in await session.scalars(query)}
