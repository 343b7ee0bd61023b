"""Away marks (`/oncall away [until]`): no row means not marked.

Both writes are programs on the store's short way (one statement each on PostgreSQL): through the ORM they waited,
on SQLite, behind the event loop's own connection for the write lock, and held it meanwhile (bench_slack: 550–650 ms
at p99 under load, and every other kind's p99 went up while they did).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatbot.storage.programs import Op, Program, Reader, Writer, guard, insert_op, statement, upsert_op
from chatbot.storage.rows import Plain, audit_values
from chatbot.storage.tables import audit_events, away_marks

_AWAY = Plain(away_marks)
_CURRENT = statement(f"{_AWAY.select} WHERE until IS NULL OR until > ?", returns_rows=True)
_CLEAR = guard(f"DELETE FROM {away_marks.name} WHERE user_id = ?")


def _current(now: datetime) -> Program[list[Any]]:
    return list((yield Op(_CURRENT, (now,))))


def mark_away(user_id: str, until: datetime | None, at: datetime) -> Program[None]:
    """The mark (replacing one the user had) and its audit event."""
    yield upsert_op(away_marks, {"user_id": user_id, "until": until, "set_at": at}, key=("user_id",))
    detail = {"until": until.isoformat() if until else None}
    yield insert_op(audit_events, audit_values(None, at, user_id, "away", detail))


def mark_back(user_id: str, at: datetime) -> Program[bool]:
    """The mark gone and a "back" event; nothing written if there was none (False)."""
    cleared = yield Op(_CLEAR, (user_id,))
    if cleared != 1:
        return False
    yield insert_op(audit_events, audit_values(None, at, user_id, "back", {}))
    return True


class AwayRepo:
    def __init__(self, write: Writer, read: Reader) -> None:
        """`write`, `read`: run programs the store's short way (every ping reads who is away)."""
        self._write = write
        self._read = read

    async def set(self, user_id: str, until: datetime | None, at: datetime) -> None:
        await self._write(lambda: mark_away(user_id, until, at))

    async def clear(self, user_id: str, at: datetime) -> bool:
        """False if `user_id` was not marked away (nothing is written then)."""
        cleared: bool = await self._write(lambda: mark_back(user_id, at))
        return cleared

    async def current(self, now: datetime) -> dict[str, datetime | None]:
        """Who is marked away now, and until when (None: until they say they are back)."""
        found = await self._read(lambda: _current(now))
        return {row.user_id: row.until for row in _AWAY.rows(found)}
