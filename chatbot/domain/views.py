"""Neutral views: what a surface (Slack, Teams, terminal) shows for a run. Renderers are pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkView:
    title: str
    url: str


@dataclass(frozen=True)
class ChoiceView:
    index: int
    label: str
    help: str | None = None


@dataclass(frozen=True)
class FieldView:
    id: str
    label: str
    type: str
    required: bool
    help: str | None
    placeholder: str | None
    options: tuple[str, ...]
    max_length: int
    pii: bool
    value: str | None = None  # the value given earlier, to pre-fill a form after Back


@dataclass(frozen=True)
class TrailLine:
    question: str
    answer: str  # as typed (each surface escapes it); PII values withheld
    actor: str | None
    at: str | None


@dataclass(frozen=True)
class Fact:
    label: str
    value: str  # as typed (each surface escapes it)
    pii: bool = False


@dataclass(frozen=True)
class OutcomeView:
    kind: str
    summary: str
    priority: str | None
    group: str | None
    partner: str | None
    referred_to: str | None
    reason: str | None
    reply: str  # plain text, ready to paste (each surface escapes it to show it)
    note: str
    needs: tuple[Fact, ...]
    checklist: tuple[str, ...]


@dataclass(frozen=True)
class View:
    playbook: str
    playbook_title: str
    step: str
    kind: str  # question | instructions | collect | outcome | cancelled
    title: str
    question: str | None  # author Markdown
    text: str | None  # instructions, author Markdown
    help: str | None
    links: tuple[LinkView, ...]
    choices: tuple[ChoiceView, ...]
    fields: tuple[FieldView, ...]
    continue_label: str | None
    trail: tuple[TrailLine, ...]
    version: int
    status: str
    can_back: bool
    outcome: OutcomeView | None = None
    reply: str | None = None  # a customer reply to send at this step (plain text, ready to paste)
    case_number: str | None = None  # the case the run works on, shown on every message
    ticket: str | None = None  # the Zendesk ticket number, once known
