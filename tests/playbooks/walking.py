"""Walking the shipped playbooks through the engine the app builds: the Walk/case machinery and sample values
(every root-to-end path is in paths.py).

The engine comes from `check_playbooks` with the example configuration, as in the app, so `{{ links.* }}` and the
per-procedure signatures exist. Every run belongs to a case: runs start with `preset={"case_number": ...}` (the
procedure's prefix, e.g. CLV-2026-000123), plus whatever a case gives (a ticket number typed with the command, or
what Tier 1 collected when Tier 2 picks an escalation up).

A case walks a playbook by choice *label* (or a unique prefix of one), the way an agent reads the procedure, and
checks that the outcome says what the procedure says at that point. `check_case` also checks what every outcome
owes the customer and Tier 2: routing, the ticket or case number, the signature, no internal-only term, and a
reply written for the teacher when a student asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Config, load_config
from chatbot.domain.run import Answer, Choose, Continue, RunState, RunStatus, Submit
from chatbot.domain.views import OutcomeView, View
from chatbot.engine.catalog import Checked, check_playbooks
from chatbot.engine.loader import LoadedPlaybook
from chatbot.engine.machine import PII_WITHHELD, Engine
from chatbot.engine.schema import FieldSpec, Outcome, StepKind
from chatbot.engine.schema import Step as StepSpec

ROOT = Path(__file__).resolve().parents[2]
# The shipped playbooks, and how each procedure signs its replies (the issue: "Replies are signed per procedure").
SIGNATURES = {
    "clever-access": "VHL Technical Support",
    "clever-login-triage": "VHL Technical Support",
    "clever-transfers": "VHL Technical Support",
    "clever-tier2": "VHL Technical Support",
    "sse-integration": "Watermark Support",
    "ts-case-intake": "Technical Services",
}
SEEDS = tuple(SIGNATURES)
ACTOR = "U123"
AT = "2026-01-01T10:00:00Z"
HOSTILE = "<!here> Lincoln & <@U999> <https://evil.example|x>"
TICKET_ID = "482913"
CASE_SERIAL = "2026-000123"
ESCALATING = ("escalated", "ticket_share")
STUDENT_NOTE = "send the reply to the student's teacher: students cannot be emailed"

Value = str
Move = str | dict[str, Value]  # a choice label (or unique prefix of one), or a form submission


# --- the engine the app builds -------------------------------------------------------------------------------


@cache
def config() -> Config:
    cfg, _ = load_config(ROOT / "config" / "example.yaml")
    return cfg


@cache
def checked() -> Checked:
    return check_playbooks(config())


def engine() -> Engine:
    return checked().engine


def playbook(pid: str) -> LoadedPlaybook:
    return engine().catalog.get(pid)


def outcome_spec(pid: str, step_id: str) -> Outcome:
    out = playbook(pid).steps[step_id].outcome
    assert out is not None, f"{pid}:{step_id} is not an outcome"
    return out


def case_number(pid: str) -> str:
    """The number of the case a run of `pid` belongs to: its procedure's prefix, e.g. CLV-2026-000123."""
    key = playbook(pid).spec.procedure.key
    assert key, f"{pid} names no procedure key"
    return f"{config().procedures[key].case_prefix}-{CASE_SERIAL}"


def asks_ticket(pid: str) -> bool:
    """The playbook has the ticket form: its escalations must carry the ticket number."""
    return any(f.id == "ticket_id" for s in playbook(pid).spec.steps for f in s.fields)


def internal_terms() -> tuple[str, ...]:
    return config().internal_only_terms


# --- field values ----------------------------------------------------------------------------------------------

# Candidate values tried, in order, against a field's `pattern`: Clever IDs, Salesforce IDs, ticket numbers, ...
PATTERN_CANDIDATES = ("0123456789abcdef01234567", "001A000001AbCdEFGH", "001A000001AbCdE", "123456", "CASE-1", "x")


def sample_value(spec: FieldSpec, text: str | None = None) -> str:
    """A value the field accepts. Free text is `text` (default: readable, from the label)."""
    if spec.type == "select":
        return spec.options[0]
    if spec.type == "email":
        return "someone@example.org"
    if spec.type == "number":
        return "3"
    if spec.type == "date":
        return "2026-01-01"
    if spec.type == "url":
        return "https://example.org/page"
    if spec.pattern:
        for candidate in PATTERN_CANDIDATES:
            if re.fullmatch(spec.pattern, candidate):
                return candidate
        raise AssertionError(f"no sample value matches field '{spec.id}' pattern {spec.pattern!r}; add one")
    return (text if text is not None else f"sample {spec.label}")[: spec.max_length]


def form(**values: Value) -> dict[str, Value]:
    """A form submission; fields not given keep their pre-filled value or get a valid sample value."""
    return values


def ticket(requester: str = "Teacher", number: str = TICKET_ID) -> dict[str, Value]:
    """The Clever playbooks' first form: the Zendesk ticket and who is asking."""
    return form(ticket_id=number, requester=requester)


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces folded, so phrases can be matched across wrapped lines."""
    return " ".join(text.split())


# --- walking a playbook by label -------------------------------------------------------------------------------


@dataclass
class Walk:
    state: RunState
    submitted: dict[str, str] = field(default_factory=dict)
    step_replies: list[str] = field(default_factory=list)  # replies instruction steps asked the agent to send

    @classmethod
    def start(cls, pid: str, preset: Mapping[str, str] | None = None) -> Walk:
        """A run of `pid` for its case (case number preset), with `preset` values known before the first step."""
        return cls(engine().start(pid, ACTOR, AT, preset={"case_number": case_number(pid), **(preset or {})}))

    @property
    def view(self) -> View:
        return engine().view(self.state)

    @property
    def where(self) -> tuple[str, str]:
        return self.state.current, self.state.step

    def act(self, action: Choose | Submit | Continue) -> None:
        self.state = engine().step(self.state, Answer(action, self.state.version, ACTOR, AT))

    def step_spec(self) -> StepSpec:
        return engine().catalog.get(self.state.current).steps[self.state.step]

    def proceed(self) -> None:
        """Continue an instruction step, keeping the reply it asked the agent to send."""
        reply = self.view.reply
        if reply is not None:
            self.step_replies.append(reply)
        self.act(Continue())

    def follow_instructions(self) -> None:
        while self.state.status == RunStatus.ACTIVE and self.step_spec().kind == StepKind.INSTRUCTIONS:
            self.proceed()

    def choose(self, label: str) -> None:
        step = self.step_spec()
        assert step.kind == StepKind.QUESTION, f"step '{step.id}' is a {step.kind.value}, not a question ({label!r})"
        labels = [c.label for c in step.choices]
        matches = [i for i, c in enumerate(labels) if c == label] or [
            i for i, c in enumerate(labels) if c.startswith(label)
        ]
        assert len(matches) == 1, f"step '{step.id}': {label!r} matches {len(matches)} of {labels}"
        self.act(Choose(matches[0]))

    def submit(self, values: Mapping[str, Value], free_text: str | None = None, fill_optional: bool = False) -> None:
        """Submit the form as an agent would: `values`, else what the form shows pre-filled, else a sample value
        for a required field (and for optional ones if `fill_optional`; otherwise they stay empty)."""
        step = self.step_spec()
        assert step.kind == StepKind.COLLECT, f"step '{step.id}' is a {step.kind.value}, not a form"
        unknown = set(values) - {f.id for f in step.fields}
        assert not unknown, f"step '{step.id}' has no fields {sorted(unknown)}"
        shown = {f.id: f.value for f in self.view.fields}
        full = {}
        for f in step.fields:
            if f.id in values:
                full[f.id] = values[f.id]
            elif shown.get(f.id):
                full[f.id] = shown[f.id] or ""
            else:
                full[f.id] = sample_value(f, free_text) if f.required or fill_optional else ""
        self.submitted.update(full)
        self.act(Submit(full))

    def move(self, move: Move) -> None:
        self.follow_instructions()
        if isinstance(move, str):
            self.choose(move)
        else:
            self.submit(move)

    @property
    def outcome(self) -> OutcomeView:
        view = self.view
        assert self.state.status == RunStatus.FINISHED and view.outcome is not None, f"stopped at {self.where}"
        return view.outcome

    def passed(self, step_id: str, pid: str | None = None) -> bool:
        """The run went through this step (asked, or passed as known)."""
        return any(e.step == step_id and (pid is None or e.playbook == pid) for e in self.state.trail)


def walk(pid: str, *moves: Move, preset: Mapping[str, str] | None = None, finish: bool = True) -> Walk:
    """Start `pid` and answer each step: a string picks the choice with that label (or unique label prefix), a
    dict submits the form. Instruction steps are continued on the way, and after the last move too unless
    `finish` is false."""
    w = Walk.start(pid, preset)
    for move in moves:
        w.move(move)
    if finish:
        w.follow_instructions()
    return w


# --- what every reply and note owes ----------------------------------------------------------------------------


def check_frame(w: Walk, reply: str, note: str | None) -> None:
    """The reply is signed for the procedure, quotes the ticket (or case) number, holds no internal-only term and,
    when a student asks, is written for the teacher; the note carries the numbers and says where the reply goes."""
    known = w.state.fields
    pid = w.state.current
    number, ticket_id = known["case_number"], known.get("ticket_id")
    assert reply.startswith("Hello,"), reply
    assert reply.endswith(f"Kind regards,\n{SIGNATURES[pid]}"), f"not signed {SIGNATURES[pid]!r}:\n{reply}"
    lowered = reply.casefold()
    leaked = [t for t in internal_terms() if t.casefold() in lowered]
    assert leaked == [], f"internal-only {leaked} in a customer reply:\n{reply}"
    if ticket_id:
        assert f"Your ticket number is {ticket_id} (case {number})" in flat(reply), reply
    else:
        assert f"Your case number is {number}" in flat(reply) or f"case {number}" in flat(reply), reply
    if known.get("requester") == "Student":
        assert "your teacher" not in lowered, f"a student cannot be emailed; the reply goes to the teacher:\n{reply}"
    if note is None:
        return
    assert note.startswith(f"Case: {number}" + (f" · Ticket: #{ticket_id}" if ticket_id else "")), note
    if known.get("requester") == "Student":
        assert STUDENT_NOTE in flat(note), note


# --- procedure cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    playbook: str
    path: tuple[Move, ...]
    ends_at: str
    kind: str
    ends_in: str | None = None  # the playbook the outcome is in, after a jump (default: `playbook`)
    preset: Mapping[str, str] = field(default_factory=dict)
    reply: tuple[str, ...] = ()  # in the customer reply
    note: tuple[str, ...] = ()  # in the internal note
    not_in_reply: tuple[str, ...] = ()
    not_in_note: tuple[str, ...] = ()
    group: str | None = None  # exactly: None for an outcome that pings nobody
    person: str | None = None  # exactly
    follow_up: str | None = None  # exactly
    priority: str | None = None  # exactly
    partner: str | None = None
    referred_to: str | None = None  # substring
    reason: str | None = None  # substring, case-insensitive
    checklist: tuple[str, ...] = ()  # each a substring of some checklist item
    not_in_checklist: tuple[str, ...] = ()  # in no checklist item
    needs: tuple[str, ...] = ()  # field ids the escalation must carry (at least)

    @property
    def id(self) -> str:
        def shown(m: Move) -> str:
            return m if isinstance(m, str) else "form" + (f"({m['requester']})" if "requester" in m else "")

        return f"{self.playbook}:{self.ends_at}:" + ">".join(shown(m) for m in self.path)


class CaseBook:
    """The cases of one test module; `test_coverage` checks every outcome step has one."""

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def __call__(self, pid: str, *path: Move, ends_at: str, kind: str, **expect: Any) -> None:
        for key in ("reply", "note", "not_in_reply", "not_in_note", "checklist", "not_in_checklist", "needs"):
            if isinstance(expect.get(key), str):
                expect[key] = (expect[key],)
        self.cases.append(Case(pid, path, ends_at, kind, **expect))

    def params(self) -> list[Any]:
        return [pytest.param(c, id=c.id) for c in self.cases]

    def ends(self) -> set[tuple[str, str]]:
        return {(c.ends_in or c.playbook, c.ends_at) for c in self.cases}


def check_case(c: Case) -> Walk:
    w = walk(c.playbook, *c.path, preset=c.preset)
    out = w.outcome
    pid = c.ends_in or c.playbook
    assert w.where == (pid, c.ends_at)
    spec = outcome_spec(pid, c.ends_at)
    assert out.kind == c.kind
    reply, note = flat(out.reply), flat(out.note)
    for phrase in c.reply:
        assert flat(phrase) in reply, f"reply lacks {phrase!r}:\n{out.reply}"
    for phrase in c.note:
        assert flat(phrase) in note, f"note lacks {phrase!r}:\n{out.note}"
    for phrase in c.not_in_reply:
        assert flat(phrase) not in reply, f"reply must not say {phrase!r}:\n{out.reply}"
    for phrase in c.not_in_note:
        assert flat(phrase) not in note, f"note must not say {phrase!r}:\n{out.note}"
    # Routing: whom the outcome pings, whom by name first, and the playbook whoever picks it up runs.
    if c.kind in ESCALATING:
        assert c.group is not None, "an escalating case states the group the procedure names"
    routed, expected = (out.group, spec.person, spec.follow_up), (c.group, c.person, c.follow_up)
    assert routed == expected, f"(group, person, follow_up) is {routed}; the procedure says {expected}"
    if c.group is not None:
        verb = "Escalated to" if c.kind == "escalated" else "Shared via"
        assert f"{verb}: {config().groups[c.group].name}" in out.note
    assert out.priority == c.priority
    if c.priority is not None:
        assert f"priority {c.priority}" in out.note
    if c.partner is not None:
        assert out.partner == c.partner
    if c.referred_to is not None:
        assert out.referred_to is not None and c.referred_to in out.referred_to, out.referred_to
    if c.reason is not None:
        assert out.reason is not None and c.reason.lower() in out.reason.lower(), out.reason
    for item in c.checklist:
        assert any(item in line for line in out.checklist), f"checklist lacks {item!r}: {out.checklist}"
    for item in c.not_in_checklist:
        assert not any(item in line for line in out.checklist), f"checklist must not hold {item!r}: {out.checklist}"
    # What Tier 2 needs, as given (PII withheld from Tier 1 views; an empty PII field stays visibly empty).
    assert set(c.needs) <= set(spec.needs), f"outcome needs {spec.needs}, expected at least {c.needs}"
    if c.kind in ESCALATING and asks_ticket(pid):
        assert "ticket_id" in spec.needs, "an escalation carries the ticket number"
    known = w.state.fields
    for fact, need in zip(out.needs, spec.needs, strict=True):
        given = known.get(need, "")
        assert fact.value == (PII_WITHHELD if fact.pii and given else given), need
    check_frame(w, out.reply, out.note)
    return w


# --- sample values the procedure cases share ----------------------------------------------------------------------

CLEVER_ID = "0123456789abcdef01234567"
CLEVER_ID_2 = "89abcdef0123456789abcdef"
CLEVER_ID_3 = "fedcba9876543210fedcba98"
SF_SCHOOL = "001A000001AbCdE"
SF_DISTRICT = "001A000001XyZwVUTS"
ASSOCIATION = form(
    school_name="Lincoln High",
    district_name="Springfield USD",
    school_salesforce_id=SF_SCHOOL,
    district_salesforce_id=SF_DISTRICT,
    school_clever_id=CLEVER_ID,
    district_clever_id=CLEVER_ID_2,
)
ASSOCIATION_NEEDS = ("ticket_id", *ASSOCIATION)
PORTAL = "https://sso.springfield.example/login"
INSTANT = "https://clever.com/in/springfield"
LOGIN = form(portal_url=PORTAL, instant_login_link=INSTANT)


def link(name: str) -> str:
    """A configured address (`{{ links.name }}` in playbooks)."""
    return config().links_text()[name]
