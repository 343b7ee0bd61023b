"""Escalations and where their pings were posted: plain domain records in and out, each method one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from chatbot.domain.case import Case
from chatbot.domain.escalation import (
    Escalation,
    EscalationKind,
    EscalationStatus,
    Handoff,
    NewEscalation,
    PostRef,
    Priority,
    Surface,
)
from chatbot.domain.escalation_policy import Change, applied, delivery
from chatbot.domain.jobs import JobKind
from chatbot.storage.jobs import Write, add_jobs_program
from chatbot.storage.programs import Abort, Op, Program, Reader, Statement, Writer, guard, insert_op, statement
from chatbot.storage.rows import CASE_BY_NUMBER, Joined, Plain, audit_values, to_json
from chatbot.storage.tables import (
    EscalationPostRow,
    EscalationRow,
    audit_events,
    escalation_posts,
)

if TYPE_CHECKING:  # storage/cases.py imports this module (through run_writes)
    from chatbot.storage.cases import CaseWrite


def escalation_values(esc: NewEscalation, at: datetime) -> dict[str, Any]:
    return {
        "id": esc.id,
        "run_id": esc.run_id,
        "case_id": esc.case_id,
        "kind": esc.kind.value,
        "group_id": esc.group_id,
        "priority": esc.priority.value,
        "summary": esc.summary,
        "handoff_json": to_json(esc.handoff.to_dict()),
        "status": EscalationStatus.OPEN.value,
        "version": 0,
        "tier": -1,
        "person": esc.person,
        "created_by": esc.created_by,
        "agent_surface": esc.agent.surface.value if esc.agent else None,
        "agent_channel": esc.agent.channel if esc.agent else None,
        "agent_message_ts": esc.agent.message_id or None if esc.agent else None,
        "handled_by": None,
        "note": None,
        "created_at": at,
        "updated_at": at,
        "acknowledged_at": None,
        "closed_at": None,
        "reescalations": 0,
    }


def source_values(esc: NewEscalation) -> list[dict[str, Any]]:
    """The escalation's path, written with it (escalation_sources)."""
    return [
        {"escalation_id": esc.id, "position": s.position, "playbook": s.playbook, "step": s.step, "answer": s.answer}
        for s in esc.sources
    ]


def created(esc: NewEscalation, at: datetime) -> Escalation:
    """The escalation as its own write (escalation_values, at `at`) leaves it: what reading it back would give."""
    return _escalation(SimpleNamespace(**escalation_values(esc, at)), ())  # type: ignore[arg-type]


def _escalation(row: EscalationRow, posts: Sequence[EscalationPostRow]) -> Escalation:
    agent = None
    if row.agent_surface and row.agent_channel:
        agent = PostRef(Surface(row.agent_surface), row.agent_channel, row.agent_message_ts or "")
    return Escalation(
        id=row.id,
        run_id=row.run_id,
        kind=EscalationKind(row.kind),
        group_id=row.group_id,
        priority=Priority(row.priority),
        summary=row.summary,
        handoff=Handoff.from_dict(json.loads(row.handoff_json)),
        status=EscalationStatus(row.status),
        version=row.version,
        tier=row.tier,
        created_by=row.created_by,
        agent=agent,
        person=row.person,
        case_id=row.case_id,
        handled_by=row.handled_by,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
        posts={Surface(p.surface): PostRef(Surface(p.surface), p.channel, p.message_id) for p in posts},
    )


_ESCALATIONS = Plain(EscalationRow.__table__)  # type: ignore[arg-type]
_POSTS = Plain(EscalationPostRow.__table__)  # type: ignore[arg-type]
_WITH_POSTS = Joined(_ESCALATIONS, _POSTS, "escalation_id")
_BY_ID = statement(f"{_WITH_POSTS.select} WHERE a.id = ?", returns_rows=True)
_BY_RUN = statement(f"{_WITH_POSTS.select} WHERE a.run_id = ? ORDER BY a.created_at, a.id", returns_rows=True)
_BY_CASE_OF = f"{_WITH_POSTS.select} WHERE a.case_id = {{case}} ORDER BY a.created_at, a.id"
_BY_CASE = statement(_BY_CASE_OF.format(case="?"), returns_rows=True)
_BY_CASE_NUMBER = statement(_BY_CASE_OF.format(case=CASE_BY_NUMBER), returns_rows=True)


@lru_cache(maxsize=64)
def _open_for(groups: int) -> Statement:
    """The oldest open escalations of `groups` groups (their ids, then the limit), with their posts."""
    marks = ", ".join("?" for _ in range(groups))
    still = ", ".join(f"'{s.value}'" for s in EscalationStatus if not s.final)
    oldest = (
        f"SELECT id FROM escalations WHERE group_id IN ({marks}) AND status IN ({still})"
        " ORDER BY created_at, id LIMIT ?"
    )
    return statement(f"{_WITH_POSTS.select} WHERE a.id IN ({oldest}) ORDER BY a.created_at, a.id", returns_rows=True)


def _load(query: Statement, *params: Any) -> Program[list[Escalation]]:
    """The escalations `query` finds, with their posts, in the query's order: one statement."""
    found = _WITH_POSTS.rows((yield Op(query, params)))
    return [_escalation(row, posts) for row, posts in found]  # type: ignore[arg-type]


def apply_change(esc: Escalation, change: Change, *, actor: str, at: datetime) -> Program[Escalation | None]:
    """The escalation's change as a program (programs.py): compare-and-set on its version, its post, jobs and audit
    event, one statement on PostgreSQL; the escalation as the change leaves it, or None, with nothing written, if
    someone changed it first.

    A ping's post the worker records at the same moment needs no look here: a press updates the ping on every
    surface its group is on (escalation_policy.act), and the worker's write queues an update when it finds the
    version moved (`job_write`)."""
    values = {k: v for k, v in _fields(change, at).items() if k != "reescalations"}
    sets = [f"{name} = ?" for name in values]
    if change.reescalated:
        sets.append("reescalations = reescalations + 1")
    sql = f"UPDATE escalations SET {', '.join(sets)}, version = ?, updated_at = ? WHERE id = ? AND version = ?"
    changed = yield Op(guard(sql), (*values.values(), esc.version + 1, at, esc.id, esc.version))
    if changed != 1:
        raise Abort(None)
    if change.post is not None:
        yield insert_op(escalation_posts, _post_values(esc.id, change.post, at))
    yield from add_jobs_program(change.jobs, at)
    detail = {"escalation": esc.id, **({"status": change.status.value} if change.status else {})}
    action = change.audit or "escalation.change"
    yield insert_op(audit_events, audit_values(esc.run_id, at, actor, action, detail, case_id=esc.case_id))
    return applied(esc, change, at)


def apply_with_case(
    esc: Escalation, change: Change, case: CaseWrite, *, actor: str, at: datetime
) -> Program[tuple[Escalation, Case | None] | None]:
    """`apply_change`, then the case's compare-and-set, which applies only if the escalation's did: one statement
    on PostgreSQL (two guards on two tables, programs_pg). None, with nothing written, if the escalation was stale;
    (escalation, None) if only the case had moved since it was read (the caller reads it again and writes it alone).
    """
    changed = yield from apply_change(esc, change, actor=actor, at=at)  # Abort(None) if stale
    if changed is None:
        return None
    return changed, (case.written() if (yield from case.program()) else None)


def _post_values(escalation_id: str, post: PostRef, at: datetime) -> dict[str, Any]:
    return {
        "escalation_id": escalation_id,
        "surface": post.surface.value,
        "channel": post.channel,
        "message_id": post.message_id,
        "created_at": at,
    }


def _fields(change: Change, at: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if change.acknowledged:
        values["acknowledged_at"] = at
    if change.closed:
        values["closed_at"] = at
    if change.reescalated:
        values["reescalations"] = EscalationRow.reescalations + 1
    if change.status is not None:
        values["status"] = change.status.value
    if change.tier is not None:
        values["tier"] = change.tier
    if change.handled_by is not None:
        values["handled_by"] = change.handled_by
    if change.note is not None:
        values["note"] = change.note
    return values


class EscalationRepo:
    def __init__(self, write: Writer, read: Reader) -> None:
        """`write` and `read` run programs the store's short way: a press, a click's look at its run's
        escalation, the worker's loads, a supervisor's Home."""
        self._write = write
        self._read = read

    @staticmethod
    def created(esc: NewEscalation, at: datetime) -> Escalation:
        """The escalation as a write of it at `at` (a run's save, `Store.raise_escalation`) leaves it, unread."""
        return created(esc, at)

    async def get(self, escalation_id: str) -> Escalation | None:
        found: list[Escalation] = await self._read(lambda: _load(_BY_ID, escalation_id))
        return found[0] if found else None

    async def for_run(self, run_id: str) -> list[Escalation]:
        """The run's escalations, oldest first."""
        found: list[Escalation] = await self._read(lambda: _load(_BY_RUN, run_id))
        return found

    async def for_case(self, case_id: str, *, by_number: bool = False) -> list[Escalation]:
        """The case's escalations, oldest first. `by_number`: `case_id` is the case's number."""
        query = _BY_CASE_NUMBER if by_number else _BY_CASE
        found: list[Escalation] = await self._read(lambda: _load(query, case_id))
        return found

    async def open_for_groups(self, group_ids: Sequence[str], *, limit: int = 20) -> list[Escalation]:
        """Escalations of these groups nobody has returned or resolved, oldest first (a supervisor's Home): one
        read the short way."""
        groups = tuple(group_ids)
        found: list[Escalation] = await self._read(lambda: _load(_open_for(len(groups)), *groups, limit))
        return found

    async def apply(self, esc: Escalation, change: Change, *, actor: str, at: datetime) -> Escalation | None:
        """Compare-and-set on the escalation's version: its new fields, audit event and jobs; the escalation as the
        change leaves it, or None if stale. Taken the short way (a supervisor's press waits for it)."""
        changed: Escalation | None = await self._write(lambda: apply_change(esc, change, actor=actor, at=at))
        return changed

    async def apply_with_case(
        self, esc: Escalation, change: Change, case: CaseWrite, *, actor: str, at: datetime
    ) -> tuple[Escalation | None, Case | None]:
        """`apply`, and in the same transaction the case's own compare-and-set (`apply_with_case`)."""
        result = await self._write(lambda: apply_with_case(esc, change, case, actor=actor, at=at))
        return result if result is not None else (None, None)

    def job_write(self, esc: Escalation, change: Change) -> Write:
        """What a job found out (a ping's post, a new tier), written with the job's completion. No version bump:
        the buttons already on the ping stay valid.

        A ping is posted as the escalation was when the job read it; if someone acted on it in the meantime (a
        press on the message between its post and this write), the ping is re-rendered to show that. The row is
        updated first, so a press at the same moment waits for this write (and then sees the post: see
        `apply_change`), or this one for the press (and then sees its version).
        """

        def write(at: datetime) -> Program[None]:
            values = {k: v for k, v in _fields(change, at).items() if k != "reescalations"}
            sets = [f"{name} = ?" for name in values]
            if change.reescalated:
                sets.append("reescalations = reescalations + 1")
            # The version as the row is once this UPDATE holds it: a press that came first is in it.
            sql = f"UPDATE escalations SET {', '.join([*sets, 'updated_at = ?'])} WHERE id = ? RETURNING version"
            row = yield Op(statement(sql, returns_row=True), (*values.values(), at, esc.id))
            if change.post is not None:
                yield insert_op(escalation_posts, _post_values(esc.id, change.post, at))
                if row is None or row[0] != esc.version:
                    yield from add_jobs_program([delivery(JobKind.PING_UPDATE, change.post.surface, esc.id, at)], at)

        return write
