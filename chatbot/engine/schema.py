"""The playbook format: what a support lead writes in `playbooks/*.yaml`.

A step's kind follows from the keys it has, so the YAML reads like the procedure:
`choices` makes a question, `fields` a form, `jump` a hand-over to another playbook,
`outcome` an end, and a step with only `text` and `next` is an instruction to follow.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from chatbot.domain.escalation import Priority

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
FieldId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=75, strip_whitespace=True)]

# Names every template can use; a field may not take one of them.
RESERVED_NAMES = frozenset(
    {"playbook", "outcome", "trail", "fields", "run", "step", "agent", "loop", "range", "signature", "links"}
    | {"people"}  # configured names by Slack or Teams id: `{{ people.get(id, id) }}` shows a name, not an id
    | {"case_number"}  # every run belongs to a case: its number is known from the start (never asked in a form)
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class StepKind(StrEnum):
    QUESTION = "question"
    INSTRUCTIONS = "instructions"
    COLLECT = "collect"
    JUMP = "jump"
    OUTCOME = "outcome"


class OutcomeKind(StrEnum):
    RESOLVED = "resolved"
    REFERRED = "referred"
    KNOWN_LIMITATION = "known_limitation"
    ESCALATED = "escalated"
    TICKET_SHARE = "ticket_share"


class Link(_Model):
    title: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=3000)]


class Procedure(_Model):
    document: str
    section: str | None = None
    key: Slug | None = Field(default=None, description="The configured procedure (case prefix, reply signature)")


class Choice(_Model):
    label: Label
    next: Slug
    help: str | None = None
    only: Slug | None = Field(
        default=None, description="A configured group: only its members may pick this answer (others are told)"
    )


class FieldSpec(_Model):
    id: FieldId
    label: Label
    type: Literal["text", "textarea", "number", "email", "url", "date", "select"] = "text"
    required: bool = True
    pattern: str | None = None
    pattern_hint: str | None = Field(default=None, description="Shown when the value does not match `pattern`")
    options: tuple[Label, ...] = ()
    max_length: int = Field(default=500, ge=1, le=3000)
    help: str | None = None
    placeholder: Annotated[str, StringConstraints(max_length=150)] | None = None
    pii: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _options_for_select(self) -> FieldSpec:
        if self.type == "select" and not self.options:
            raise ValueError("a select field needs `options`")
        if self.type != "select" and self.options:
            raise ValueError("`options` only apply to a select field")
        return self


class Outcome(_Model):
    kind: OutcomeKind
    summary: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    priority: Priority | None = None
    group: Slug | None = Field(default=None, description="Configured group pinged on escalation/ticket share")
    person: Slug | None = Field(
        default=None, description="A configured person asked first, by name; the group is the fallback"
    )
    follow_up: Slug | None = Field(
        default=None, description="The playbook whoever picks the escalation up runs, with these answers filled in"
    )
    partner: str | None = Field(default=None, description="Partner the ticket is shared with, e.g. Clever")
    referred_to: str | None = None
    reason: str | None = None
    needs: tuple[FieldId, ...] = Field(default=(), description="Fields Tier 2 needs; must be collected first")
    checklist: tuple[str, ...] = Field(default=(), description="What the person receiving it must do")
    reply: str | None = Field(default=None, description="Customer reply body (Jinja2)")
    note: str | None = Field(default=None, description="Internal ticket note body (Jinja2)")
    reply_template: str | None = None
    note_template: str | None = None

    @model_validator(mode="after")
    def _kind_needs(self) -> Outcome:
        if self.kind in (OutcomeKind.ESCALATED, OutcomeKind.TICKET_SHARE) and not self.group:
            raise ValueError(f"a {self.kind.value} outcome needs `group`")
        if self.person and not self.group:
            raise ValueError("an outcome that names a `person` needs the `group` to fall back on")
        if self.follow_up and self.kind not in (OutcomeKind.ESCALATED, OutcomeKind.TICKET_SHARE):
            raise ValueError("`follow_up` is for escalations: the playbook whoever picks it up runs")
        if self.kind == OutcomeKind.TICKET_SHARE and not self.partner:
            raise ValueError("a ticket_share outcome needs `partner`")
        if self.kind == OutcomeKind.REFERRED and not self.referred_to:
            raise ValueError("a referred outcome needs `referred_to`")
        return self


class Step(_Model):
    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=150)] | None = None
    question: str | None = None
    text: str | None = None
    help: str | None = None
    links: tuple[Link, ...] = ()
    choices: tuple[Choice, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    next: Slug | None = None
    jump: Slug | None = None
    outcome: Outcome | None = None
    continue_label: Label = "Done, continue"
    reply: str | None = Field(default=None, description="A customer reply to send at this instruction (Jinja2)")
    reply_template: str | None = Field(default=None, description="...or a template file under templates/")
    skip_when_known: bool = Field(
        default=False,
        description="A form not asked when all its required fields are known already (given with the command, "
        "collected before, or handed over from Tier 1)",
    )

    @property
    def kind(self) -> StepKind:
        if self.outcome is not None:
            return StepKind.OUTCOME
        if self.jump is not None:
            return StepKind.JUMP
        if self.fields:
            return StepKind.COLLECT
        if self.choices:
            return StepKind.QUESTION
        return StepKind.INSTRUCTIONS

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [
            name
            for name, present in (
                ("choices", bool(self.choices)),
                ("fields", bool(self.fields)),
                ("jump", self.jump is not None),
                ("outcome", self.outcome is not None),
            )
            if present
        ]
        if len(kinds) > 1:
            raise ValueError(f"a step is one kind of thing; it has {' and '.join(kinds)}")
        if self.choices and not self.question:
            raise ValueError("a step with `choices` needs `question`")
        if self.kind in (StepKind.QUESTION, StepKind.JUMP, StepKind.OUTCOME) and self.next:
            raise ValueError(f"`next` does not apply to a {self.kind.value} step")
        if (self.reply or self.reply_template) and self.kind != StepKind.INSTRUCTIONS:
            raise ValueError("a step's `reply` goes with an instruction (`text` + `next`); outcomes have their own")
        if self.reply and self.reply_template:
            raise ValueError("give `reply` or `reply_template`, not both")
        if self.skip_when_known and self.kind != StepKind.COLLECT:
            raise ValueError("`skip_when_known` applies to a form (a step with `fields`)")
        if self.kind == StepKind.INSTRUCTIONS and not self.text:
            raise ValueError("a step needs `choices`, `fields`, `jump`, `outcome`, or `text` with `next`")
        if self.kind in (StepKind.COLLECT, StepKind.INSTRUCTIONS) and not self.next:
            raise ValueError(f"dead end: this {self.kind.value} step has no `next` step and is not an outcome")
        labels = [c.label for c in self.choices]
        if len(set(labels)) != len(labels):
            raise ValueError("two choices have the same label")
        ids = [f.id for f in self.fields]
        if len(set(ids)) != len(ids):
            raise ValueError("two fields have the same id")
        for f in self.fields:
            if f.id in RESERVED_NAMES:
                raise ValueError(f"field id '{f.id}' is reserved for templates; pick another")
        return self

    def targets(self) -> list[str]:
        """Steps of the same playbook this step can lead to."""
        if self.kind == StepKind.QUESTION:
            return [c.next for c in self.choices]
        return [self.next] if self.next else []


class Playbook(_Model):
    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    description: str
    tier: Literal[1, 2]
    procedure: Procedure
    keywords: tuple[str, ...] = ()
    start: Slug
    steps: tuple[Step, ...] = Field(min_length=1)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)
