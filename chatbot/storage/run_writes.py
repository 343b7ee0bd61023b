"""The writes on the way to an ack, as programs (programs.py): a run's start, opening its case when it is new, an
answer's save with the escalation it raises and what it does to its case, and an escalation raised by hand, each in
one transaction.

A case moves with its run without being read first: the change applies only if the case is in one of the statuses
the policy allows it from (case_policy.py), so one someone else moved meanwhile is left as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

from chatbot.domain.case import CaseLink, CaseNumber, CaseStatus, LinkKind, Resolution
from chatbot.domain.case_policy import CaseChange
from chatbot.domain.escalation import NewEscalation
from chatbot.domain.jobs import NewJob
from chatbot.storage.escalations import escalation_values, source_values
from chatbot.storage.jobs import add_jobs_program
from chatbot.storage.programs import Abort, Op, Program, Statement, guard, insert_op, statement
from chatbot.storage.records import RunOutcome, RunRecord
from chatbot.storage.rows import audit_values, to_json
from chatbot.storage.tables import audit_events, case_links, cases, escalation_sources, escalations, runs

SAVED_COLUMNS = (
    "state_json",
    "version",
    "status",
    "updated_at",
    "outcome_kind",
    "outcome_playbook",
    "outcome_step",
    "finished_at",
)
assert set(SAVED_COLUMNS) <= {c.name for c in runs.columns}
# A guard, though nothing follows it: on PostgreSQL then one statement with no BEGIN and COMMIT (programs_pg.py).
SET_MESSAGE = guard("UPDATE runs SET channel_id = ?, message_ts = ? WHERE id = ?")
SAVE_RUN = guard(f"UPDATE runs SET {', '.join(f'{name} = ?' for name in SAVED_COLUMNS)} WHERE id = ? AND version = ?")
_NEXT = "ON CONFLICT (prefix, year) DO UPDATE SET last = case_counters.last + 1 RETURNING last"
NEXT_NUMBER = statement(f"INSERT INTO case_counters (prefix, year, last) VALUES (?, ?, 1) {_NEXT}", returns_row=True)
STILL_OPEN = f"status NOT IN ('{CaseStatus.RESOLVED.value}', '{CaseStatus.CLOSED.value}')"
# The same increment, made only if the ticket has no open case (which a contact on it would continue instead):
# no row at all, and no number taken, if it has one. The WHERE also tells SQLite's parser that ON CONFLICT is the
# upsert's, not a join's.
NEXT_NUMBER_UNLESS_OPEN = statement(
    "INSERT INTO case_counters (prefix, year, last) SELECT CAST(? AS TEXT), CAST(? AS INTEGER), 1"
    f" WHERE NOT EXISTS (SELECT 1 FROM cases WHERE ticket = ? AND {STILL_OPEN}) {_NEXT}",
    returns_row=True,
)


RUN_INSERTED = tuple(c.name for c in runs.columns if c.name in RunRecord.__dataclass_fields__)
assert set(RUN_INSERTED) == {c.name for c in runs.columns}, "every run column is written at start"


@dataclass(frozen=True)
class NewCase:
    prefix: str
    year: int
    owner_id: str
    surface: str
    channel_id: str
    procedure: str | None = None
    ticket: str | None = None
    priority: str | None = None
    details: dict[str, str] | None = None
    status: CaseStatus = CaseStatus.OPEN
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class CaseMove:
    """A case's change made with a run's write: applied only from `allowed_from`."""

    case_id: str
    change: CaseChange
    allowed_from: tuple[CaseStatus, ...]
    detail: dict[str, Any] = field(default_factory=dict)
    resolution: Resolution | None = None
    link: tuple[LinkKind, str, str | None] | None = None  # linked whether or not the status moves
    jobs: tuple[NewJob, ...] = ()


def saved_values(
    state_json: str, version: int, status: str, at: datetime, outcome: RunOutcome | None, ended: bool
) -> tuple[Any, ...]:
    """SAVED_COLUMNS' values for a save: how the run ended is set when it finishes and cleared when it does not."""
    end = (outcome.kind, outcome.playbook, outcome.step) if outcome is not None else (None, None, None)
    return (state_json, version, status, at, *end, at if ended else None)


def link_values(case_id: str, link: CaseLink) -> dict[str, Any]:
    """A case_links row."""
    values = {"case_id": case_id, "kind": link.kind.value, "ref": link.ref, "label": link.label}
    return {**values, "actor": link.actor, "created_at": link.at}


def case_values(change: CaseChange, at: datetime, resolution: Resolution | None) -> dict[str, Any]:
    """The case columns a change writes (its version aside), however it is guarded."""
    values: dict[str, Any] = {"status": change.status.value, "updated_at": at}
    for name in ("resolved_at", "closed_at", "close_due"):
        if getattr(change, name) is not None:
            values[name] = getattr(change, name)
    if resolution is not None:
        values["resolution_json"] = to_json({"found": resolution.found, "changed": resolution.changed})
    if change.clear_resolution:
        values.update(resolved_at=None, closed_at=None, close_due=None, resolution_json=None)
    return values


@cache
def _move_statement(columns: tuple[str, ...], allowed: int) -> Statement:
    sets = ", ".join(f"{name} = ?" for name in columns)
    marks = ", ".join("?" for _ in range(allowed))
    return guard(f"UPDATE cases SET {sets}, version = version + 1 WHERE id = ? AND status IN ({marks})")


def move_case(move: CaseMove, *, actor: str, at: datetime, run_id: str | None, opened: bool = False) -> Program[bool]:
    """The case's guarded change, its audit event and jobs; its link in any case. True if the status moved.
    `opened`: the case is opened by this same program already in the status the move leads to, so the move is
    certain and its UPDATE would only find a row its statement cannot see yet on PostgreSQL."""
    change = move.change
    values = case_values(change, at, move.resolution)
    if move.link is not None:
        kind, ref, label = move.link
        yield insert_op(case_links, link_values(move.case_id, CaseLink(kind, ref, label, actor, at)))
    if not opened:
        allowed = tuple(s.value for s in move.allowed_from)
        moved = yield Op(_move_statement(tuple(values), len(allowed)), (*values.values(), move.case_id, *allowed))
        if moved != 1:
            return False
    detail = {"status": change.status.value, **move.detail}
    yield insert_op(audit_events, audit_values(run_id, at, actor, change.action, detail, case_id=move.case_id))
    yield from add_jobs_program(move.jobs, at)
    return True


def next_number(prefix: str, year: int) -> Program[int]:
    """The next number of a prefix and year: one atomic increment, run as a write of its own before the case's.

    As a sequence's nextval: two replicas never get the same one, and the counter's row is locked only while the
    one statement runs, not while the case's transaction makes its round trips (under load on PostgreSQL every
    start that opened a case queued behind the others for it, 450 ms at p99). A case whose write then fails leaves
    its number unused."""
    row = yield Op(NEXT_NUMBER, (prefix, year), last=True)
    return int(row[0])


def next_number_unless_open(prefix: str, year: int, ticket: str) -> Program[int | None]:
    """`next_number`, unless the ticket has an open case: None then, and no number taken (the caller reads the
    case). A start with a ticket that opens a case so needs no read of its own before."""
    row = yield Op(NEXT_NUMBER_UNLESS_OPEN, (prefix, year, ticket), last=True)
    return int(row[0]) if row is not None else None


@dataclass(frozen=True)
class OpenedCase:
    """What open_case wrote: the case's row and its ticket's link (column names and values)."""

    row: dict[str, Any]
    link: dict[str, Any] | None

    @property
    def number(self) -> str:
        return str(self.row["number"])


def open_case(new: NewCase, counter: int, *, actor: str, at: datetime) -> Program[OpenedCase]:
    """A new case with its number (`counter`, from next_number), ticket link and event."""
    number = str(CaseNumber(new.prefix, new.year, counter))
    details = new.details or {}
    values = {
        "id": new.id,
        "number": number,
        "status": new.status.value,
        "priority": new.priority,
        "ticket": new.ticket,
        "procedure": new.procedure,
        "owner_id": new.owner_id,
        "surface": new.surface,
        "channel_id": new.channel_id,
        "details_json": to_json(details),
        "resolution_json": None,
        "version": 0,
        "opened_at": at,
        "updated_at": at,
        "resolved_at": None,
        "closed_at": None,
        "close_due": None,
    }
    yield insert_op(cases, values)
    link = None
    if new.ticket:
        link = link_values(new.id, CaseLink(LinkKind.TICKET, new.ticket, None, actor, at))
        yield insert_op(case_links, link)
    given = sorted(k for k, v in details.items() if v)  # which details, never their values
    detail = {"number": number, "ticket": new.ticket, "details": given, "status": new.status.value}
    yield insert_op(audit_events, audit_values(None, at, actor, "case.opened", detail, case_id=new.id))
    return OpenedCase(values, link)


@dataclass(frozen=True)
class NewRun:
    run_id: str
    playbook_id: str
    playbook_version: str
    version: int
    status: str
    surface: str
    team_id: str
    channel_id: str
    owner_id: str


def start_run(
    run: NewRun,
    state_for: Callable[[str | None], str],
    *,
    actor: str,
    at: datetime,
    new_case: NewCase | None,
    counter: int | None,
    case_id: str | None,
    move: CaseMove | None,
) -> Program[tuple[RunRecord, str | None]]:
    """The run (its state made with its case's number, known once the case is numbered) and its start event; a new
    case opened with it, or an existing one moved. Returns the run and the new case's number."""
    number = None
    if new_case is not None:
        assert counter is not None, "a new case's number is taken first (next_number)"
        number = (yield from open_case(new_case, counter, actor=actor, at=at)).number
        case_id = new_case.id
    record = RunRecord(
        id=run.run_id,
        playbook_id=run.playbook_id,
        playbook_version=run.playbook_version,
        state_json=state_for(number),
        version=run.version,
        status=run.status,
        surface=run.surface,
        team_id=run.team_id,
        channel_id=run.channel_id,
        message_ts=None,
        owner_id=run.owner_id,
        created_at=at,
        updated_at=at,
        case_id=case_id,
    )
    yield insert_op(runs, {name: getattr(record, name) for name in RUN_INSERTED})
    detail = {"playbook_id": run.playbook_id, "playbook_version": run.playbook_version, "version": run.version}
    yield insert_op(audit_events, audit_values(run.run_id, at, actor, "start", detail, case_id=case_id))
    if move is not None:
        yield from move_case(move, actor=actor, at=at, run_id=run.run_id)
    return record, number


def save_run(
    run_id: str,
    expected: int,
    saved: tuple[Any, ...],
    *,
    actor: str,
    action: str,
    detail_json: str,
    at: datetime,
    escalation: NewEscalation | None,
    new_jobs: Sequence[NewJob],
    move: CaseMove | None,
) -> Program[bool]:
    """Compare-and-set on the run's version, its audit event, and what the answer raised: an escalation (with its
    path and first jobs) and its case's change. All or nothing: False, having written nothing, if it lost."""
    changed = yield Op(SAVE_RUN, (*saved, run_id, expected))
    if changed != 1:
        raise Abort(False)
    # The columns every other audit insert has, so that on PostgreSQL the rows go in one INSERT (programs._send).
    audit = {"run_id": run_id, "at": at, "actor": actor, "action": action, "detail_json": detail_json, "case_id": None}
    yield insert_op(audit_events, audit)
    if escalation is not None:
        yield insert_op(escalations, escalation_values(escalation, at))
        escalate = {"escalation": escalation.id, "group": escalation.group_id}
        event = audit_values(run_id, at, actor, "escalate", escalate, case_id=escalation.case_id)
        yield insert_op(audit_events, event)
        for source in source_values(escalation):
            yield insert_op(escalation_sources, source)
    yield from add_jobs_program(new_jobs, at)
    if move is not None:
        yield from move_case(move, actor=actor, at=at, run_id=run_id)
    return True


def raise_escalation(
    esc: NewEscalation,
    jobs: Sequence[NewJob],
    *,
    actor: str,
    at: datetime,
    new_case: NewCase | None,
    counter: int | None,
    move: CaseMove | None,
) -> Program[bool]:
    """An escalation raised by hand (`/escalate`), with its path, first jobs and audit event; the case it opens
    (`new_case`, numbered `counter`, opened in the status `move` leads to) or moves. One statement on PostgreSQL.
    True if the case moved (or there was none to move)."""
    if new_case is not None:
        assert counter is not None, "a new case's number is taken first (next_number)"
        status = move.change.status if move is not None else new_case.status
        yield from open_case(replace(new_case, status=status), counter, actor=actor, at=at)
    yield insert_op(escalations, escalation_values(esc, at))
    for source in source_values(esc):
        yield insert_op(escalation_sources, source)
    yield from add_jobs_program(jobs, at)
    detail = {"escalation": esc.id, "group": esc.group_id}
    yield insert_op(audit_events, audit_values(esc.run_id, at, actor, "escalate", detail, case_id=esc.case_id))
    if move is None:
        return True
    return (yield from move_case(move, actor=actor, at=at, run_id=None, opened=new_case is not None))


def set_message(run_id: str, channel_id: str, message_ts: str) -> Program[bool]:
    """Where the run's message lives, once its post is answered."""
    changed = yield Op(SET_MESSAGE, (channel_id, message_ts, run_id))
    return bool(changed == 1)
