"""Away marks (`/oncall away [until]`): no row means not marked."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from chatbot.storage.gate import FairPool
from chatbot.storage.programs import Op, Program, Reader, statement
from chatbot.storage.rows import Plain, audit_row
from chatbot.storage.tables import AwayRow

_AWAY = Plain(AwayRow.__table__)  # type: ignore[arg-type]
_CURRENT = statement(f"{_AWAY.select} WHERE until IS NULL OR until > ?", returns_rows=True)


def _current(now: datetime) -> Program[list[Any]]:
    return list((yield Op(_CURRENT, (now,))))


class AwayRepo:
    def __init__(self, pool: FairPool, read: Reader) -> None:
        """`read`: runs a reading program the store's short way (every ping reads who is away)."""
        self._pool = pool
        self._read = read

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
        found = await self._read(lambda: _current(now))
        return {row.user_id: row.until for row in _AWAY.rows(found)}
