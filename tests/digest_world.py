"""Rows for digest tests, written straight into a migrated database: runs that ended in given ways, escalations
with given times, their sources, and jobs Slack refused, each with the few columns the digest reads set by hand."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from chatbot.domain.run import RunState, RunStatus
from chatbot.storage import Store
from chatbot.storage.tables import escalation_sources, escalations, jobs, runs

_ids = itertools.count(1)


class World:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _insert(self, table: Any, rows: Sequence[dict[str, Any]]) -> None:
        async with self.store.engine.begin() as connection:
            await connection.execute(insert(table), list(rows))

    async def run(
        self,
        playbook: str,
        *,
        ended: datetime | None,
        status: str = "finished",
        kind: str | None = None,
        outcome: tuple[str, str] | None = None,
    ) -> str:
        """A run started an hour before it ended; `outcome` is (playbook, step) of a finished one."""
        run_id = uuid.uuid4().hex
        started = (ended or datetime.now().astimezone()) - timedelta(hours=1)
        state = RunState(playbook=playbook, current=playbook, step="x", status=RunStatus(status)).to_json()
        await self._insert(
            runs,
            [
                {
                    "id": run_id,
                    "playbook_id": playbook,
                    "playbook_version": "v1",
                    "state_json": state,
                    "version": 1,
                    "status": status,
                    "surface": "slack",
                    "team_id": "T1",
                    "channel_id": "C0SUPPORT",
                    "message_ts": f"{next(_ids)}.000100",
                    "owner_id": "U0AGENT1",
                    "created_at": started,
                    "updated_at": ended or started,
                    "outcome_kind": kind,
                    "outcome_playbook": outcome[0] if outcome else None,
                    "outcome_step": outcome[1] if outcome else None,
                    "finished_at": ended,
                }
            ],
        )
        return run_id

    async def escalation(
        self,
        group: str,
        *,
        raised: datetime,
        priority: str = "normal",
        acked_after: timedelta | None = None,
        closed: tuple[str, datetime] | None = None,  # (returned | resolved, when)
        status: str | None = None,
        handled_by: str | None = None,
        reescalations: int = 0,
        run_id: str | None = None,
        summary: str | None = None,
        sources: Sequence[tuple[str, str, str | None]] = (),  # (playbook, step, answer), the deciding one first
    ) -> str:
        esc_id = uuid.uuid4().hex
        acked = raised + acked_after if acked_after is not None else None
        state = closed[0] if closed else status or ("acknowledged" if acked else "open")
        await self._insert(
            escalations,
            [
                {
                    "id": esc_id,
                    "run_id": run_id,
                    "kind": "escalated" if run_id else "manual",
                    "group_id": group,
                    "priority": priority,
                    "summary": summary or f"case {esc_id[:6]}",
                    "handoff_json": "{}",
                    "status": state,
                    "version": 1,
                    "tier": 0,
                    "person": None,
                    "created_by": "U0AGENT1",
                    "agent_surface": None,
                    "agent_channel": None,
                    "agent_message_ts": None,
                    "handled_by": handled_by,
                    "note": None,
                    "created_at": raised,
                    "updated_at": closed[1] if closed else acked or raised,
                    "acknowledged_at": acked,
                    "closed_at": closed[1] if closed else None,
                    "reescalations": reescalations,
                }
            ],
        )
        if sources:
            rows = [
                {"escalation_id": esc_id, "position": i, "playbook": p, "step": s, "answer": a}
                for i, (p, s, a) in enumerate(sources)
            ]
            await self._insert(escalation_sources, rows)
        return esc_id

    async def job(self, escalation_id: str, *, kind: str, status: str, done: datetime) -> None:
        await self._insert(
            jobs,
            [
                {
                    "kind": kind,
                    "escalation_id": escalation_id,
                    "payload_json": '{"surface":"slack"}',
                    "status": status,
                    "due_at": done - timedelta(minutes=1),
                    "attempts": 1,
                    "lease_owner": None,
                    "lease_until": None,
                    "last_error": "Slack said channel_not_found" if status == "failed" else None,
                    "attempt_started_at": None,
                    "key": None,
                    "created_at": done - timedelta(minutes=1),
                    "done_at": done,
                }
            ],
        )
