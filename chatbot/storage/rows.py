"""How rows are written (JSON columns, audit events) and read the short way, the same everywhere."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table

from chatbot.storage.tables import AuditEventRow, UTCDateTime

# A case's parts read by its number, or by one of its escalations, rather than by its id: `WHERE case_id =
# {CASE_BY_NUMBER}` (one hop with the case's own read: `/case NUMBER`, a supervisor's form on a ping).
CASE_BY_NUMBER = "(SELECT id FROM cases WHERE number = ?)"
CASE_OF_ESCALATION = "(SELECT case_id FROM escalations WHERE id = ?)"


def to_json(data: dict[str, Any]) -> str:
    """How every JSON column (audit details, hand-offs, job payloads) is written."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)


def audit_values(
    run_id: str | None, at: datetime, actor: str, action: str, detail: dict[str, Any], *, case_id: str | None = None
) -> dict[str, Any]:
    """An audit event; `case_id` puts it on that case's timeline too."""
    values = {"run_id": run_id, "at": at, "actor": actor, "action": action, "detail_json": to_json(detail)}
    return {**values, "case_id": case_id}


def audit_row(
    run_id: str | None, at: datetime, actor: str, action: str, detail: dict[str, Any], *, case_id: str | None = None
) -> AuditEventRow:
    return AuditEventRow(**audit_values(run_id, at, actor, action, detail, case_id=case_id))


class Plain:
    """Reading a table the short way (a program's plain statement), rows shaped as the ORM would give them.

    The column list comes from the table's definition, so it cannot drift from it; timestamps come back
    timezone-aware UTC as `UTCDateTime` reads them (SQLite keeps the UTC wall time as text)."""

    def __init__(self, table: Table) -> None:
        self.table = table.name
        self.columns = tuple(c.name for c in table.columns)
        self.select = f"SELECT {', '.join(self.columns)} FROM {table.name}"
        self._times = frozenset(c.name for c in table.columns if isinstance(c.type, UTCDateTime))

    def row(self, values: Sequence[Any]) -> SimpleNamespace:
        named = dict(zip(self.columns, values, strict=True))
        for name in self._times:
            value = named[name]
            if isinstance(value, str):
                named[name] = datetime.fromisoformat(value).replace(tzinfo=UTC)
            elif isinstance(value, datetime):
                named[name] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return SimpleNamespace(**named)

    def rows(self, found: Sequence[Sequence[Any]]) -> list[SimpleNamespace]:
        return [self.row(values) for values in found]


class Joined:
    """A table's rows with the rows of a child table that refer to them, in one statement (a LEFT JOIN) instead of
    two round trips. The parent is `a` and the child `b` in the conditions a query adds to `select`."""

    def __init__(self, parent: Plain, child: Plain, key: str) -> None:
        self.parent = parent
        self.child = child
        columns = [f"a.{c}" for c in parent.columns] + [f"b.{c}" for c in child.columns]
        self.select = f"SELECT {', '.join(columns)} FROM {parent.table} a LEFT JOIN {child.table} b ON b.{key} = a.id"
        self._id = parent.columns.index("id")
        self._child_key = child.columns.index(key)

    def rows(self, found: Sequence[Sequence[Any]]) -> list[tuple[SimpleNamespace, list[SimpleNamespace]]]:
        """Each parent row (in the query's order) with its child rows (in the query's order)."""
        width = len(self.parent.columns)
        grouped: dict[Any, tuple[SimpleNamespace, list[SimpleNamespace]]] = {}
        for values in found:
            head, tail = values[:width], values[width:]
            parent = grouped.get(head[self._id])
            if parent is None:
                parent = grouped[head[self._id]] = (self.parent.row(head), [])
            if tail[self._child_key] is not None:  # a parent with no child comes back once, the child's columns NULL
                parent[1].append(self.child.row(tail))
        return list(grouped.values())
