"""How rows are written the same way everywhere: JSON columns and audit events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chatbot.storage.tables import AuditEventRow


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
