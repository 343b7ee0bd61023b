"""The pure playbook state machine: `start`, `step`, `view`. No I/O, no clock, no Slack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chatbot.domain.errors import InvalidAnswer, InvalidFields, StaleAnswer
from chatbot.domain.run import (
    Answer,
    Back,
    Cancel,
    Choose,
    Continue,
    Restart,
    RunState,
    RunStatus,
    Submit,
    TrailEntry,
)
from chatbot.domain.views import (
    ChoiceView,
    Fact,
    FieldView,
    LinkView,
    OutcomeView,
    TrailLine,
    View,
)
from chatbot.engine.fields import validate_fields
from chatbot.engine.loader import Catalog, LoadedPlaybook
from chatbot.engine.schema import FieldSpec, Step, StepKind
from chatbot.rendering.templates import DEFAULT_REPLY, Renderer

PII_WITHHELD = "[withheld: PII]"
DEFAULT_SIGNATURE = "Technical Support"
MAX_JUMPS = 32  # the linter rejects jump cycles; this only guards a catalog that skipped linting


class Engine:
    """Walks playbooks. Deterministic: the same state and answer always give the same result."""

    def __init__(
        self,
        catalog: Catalog,
        renderer: Renderer,
        group_names: Mapping[str, str] | None = None,
        signatures: Mapping[str, str] | None = None,
    ):
        """`signatures`: how replies are signed, by procedure key (playbooks name theirs in `procedure.key`)."""
        self.catalog = catalog
        self.renderer = renderer
        self.group_names = dict(group_names or {})
        self.signatures = dict(signatures or {})

    # --- transitions -------------------------------------------------------------------------
    def start(self, playbook_id: str, actor: str, at: str, preset: Mapping[str, str] | None = None) -> RunState:
        """A new run; `preset`: values known before the first step (a ticket number, Tier 1's answers)."""
        pb = self.catalog.get(playbook_id)
        known = {k: v for k, v in (preset or {}).items() if v}
        state = RunState(
            playbook=pb.id, current=pb.id, step=pb.spec.start, started_by=actor, started_at=at, preset=known
        )
        return self._settle(state, actor, at)

    def answer(self, state: RunState, answer: Answer, *, include_pii: bool = False) -> tuple[RunState, View]:
        new = self.step(state, answer)
        return new, self.view(new, include_pii=include_pii)

    def step(self, state: RunState, answer: Answer) -> RunState:
        if answer.version != state.version:
            raise StaleAnswer(answer.version, state.version)
        action, actor, at = answer.action, answer.actor, answer.at
        if isinstance(action, Restart):
            fresh = self.start(state.playbook, actor, at, state.preset)
            return replace(fresh, version=state.version + 1, started_by=state.started_by, started_at=state.started_at)
        if isinstance(action, Back):
            return self._back(state)
        if state.status != RunStatus.ACTIVE:
            raise InvalidAnswer(f"This session is {state.status.value}; use Restart or start a new one.")
        if isinstance(action, Cancel):
            return state.bump(status=RunStatus.CANCELLED)
        step = self._step_of(state)
        kind = step.kind
        if isinstance(action, Choose) and kind == StepKind.QUESTION:
            if not 0 <= action.index < len(step.choices):
                raise InvalidAnswer("That choice is not on this step.")
            choice = step.choices[action.index]
            entry = TrailEntry(state.current, step.id, "choice", choice.label, action.index, actor=actor, at=at)
            target = choice.next
        elif isinstance(action, Submit) and kind == StepKind.COLLECT:
            values = validate_fields(step.fields, action.values)
            entry = TrailEntry(state.current, step.id, "fields", values=values, actor=actor, at=at)
            target = _next(step)
        elif isinstance(action, Continue) and kind == StepKind.INSTRUCTIONS:
            entry = TrailEntry(state.current, step.id, "continue", step.continue_label, actor=actor, at=at)
            target = _next(step)
        else:
            raise InvalidAnswer(f"This step expects {_expects(kind)}.")
        moved = state.bump(step=target, trail=(*state.trail, entry))
        return self._settle(moved, actor, at)

    def _settle(self, state: RunState, actor: str, at: str) -> RunState:
        """Follow jumps into other playbooks, pass forms whose answers are known already, and mark the run finished
        on an outcome."""
        for _ in range(MAX_JUMPS + len(self.catalog.get(state.current).steps)):
            step = self._step_of(state)
            if step.kind == StepKind.OUTCOME:
                return state if state.status == RunStatus.FINISHED else replace(state, status=RunStatus.FINISHED)
            if step.kind == StepKind.COLLECT and step.skip_when_known:
                known = self._known(step, state.fields)
                if known is None:
                    return state
                entry = TrailEntry(state.current, step.id, "fields", values=known, actor=actor, at=at)
                state = replace(state, step=_next(step), trail=(*state.trail, entry))
                continue
            if step.kind != StepKind.JUMP:
                return state
            assert step.jump is not None
            target = self.catalog.get(step.jump)
            entry = TrailEntry(state.current, step.id, "jump", target.spec.title, actor=actor, at=at)
            state = replace(state, current=target.id, step=target.spec.start, trail=(*state.trail, entry))
        raise InvalidAnswer("This playbook jumps in a circle; ask its author to run `chatbot validate`.")

    @staticmethod
    def _known(step: Step, fields: Mapping[str, str]) -> dict[str, str] | None:
        """The form's answers when all its required fields are known and valid, else None (it is asked)."""
        if any(f.required and not fields.get(f.id) for f in step.fields):
            return None
        try:
            return validate_fields(step.fields, {f.id: fields.get(f.id, "") for f in step.fields})
        except InvalidFields:
            return None

    def _back(self, state: RunState) -> RunState:
        if state.status == RunStatus.CANCELLED:
            raise InvalidAnswer("This session was cancelled; use Restart or start a new one.")
        trail = list(state.trail)
        while trail and trail[-1].kind == "jump":
            trail.pop()
        if not trail:
            raise InvalidAnswer("This is the first step; there is nothing to go back to.")
        last = trail.pop()
        return state.bump(current=last.playbook, step=last.step, trail=tuple(trail), status=RunStatus.ACTIVE)

    # --- views -------------------------------------------------------------------------------
    def view(self, state: RunState, *, include_pii: bool = False) -> View:
        pb = self.catalog.get(state.current)
        step = pb.steps[state.step]
        kind = "cancelled" if state.status == RunStatus.CANCELLED else step.kind.value
        earlier = state.fields
        outcome = self._outcome_view(state, step, include_pii) if step.kind == StepKind.OUTCOME else None
        return View(
            playbook=pb.id,
            playbook_title=pb.spec.title,
            step=step.id,
            kind=kind,
            title=step.title or (outcome.summary if outcome else pb.spec.title),
            question=step.question,
            text=step.text,
            help=step.help,
            links=tuple(LinkView(link.title, link.url) for link in step.links),
            choices=tuple(ChoiceView(i, c.label, c.help) for i, c in enumerate(step.choices)),
            fields=tuple(_field_view(f, earlier.get(f.id)) for f in step.fields),
            continue_label=step.continue_label if step.kind == StepKind.INSTRUCTIONS else None,
            trail=tuple(self._trail_lines(state, include_pii)),
            version=state.version,
            status=state.status.value,
            can_back=any(e.kind != "jump" for e in state.trail) and state.status != RunStatus.CANCELLED,
            outcome=outcome,
            reply=self._step_reply(state, step, include_pii) if step.kind == StepKind.INSTRUCTIONS else None,
            case_number=earlier.get("case_number") or None,
            ticket=earlier.get("ticket_id") or None,
        )

    def _step_reply(self, state: RunState, step: Step, include_pii: bool) -> str | None:
        """The customer reply an instruction asks the agent to send now (e.g. the case-opened message)."""
        if step.reply_template:
            return self.renderer.render_file(step.reply_template, self.render_context(state, include_pii=include_pii))
        if step.reply:
            ctx = self.render_context(state, include_pii=include_pii)
            ctx["body"] = self.renderer.render_inline(step.reply, ctx)
            return self.renderer.render_file(DEFAULT_REPLY, ctx)
        return None

    def render_context(self, state: RunState, *, include_pii: bool = False) -> dict[str, Any]:
        """What reply, note and escalation templates can read."""
        pii = self._pii_fields(state)
        # An empty PII field stays empty, so `{% if field %}` means the same with and without withholding.
        fields = {k: (PII_WITHHELD if k in pii and v and not include_pii else v) for k, v in state.fields.items()}
        pb = self.catalog.get(state.current)  # after a jump, the playbook whose outcome this is
        key = pb.spec.procedure.key
        return {
            "case_number": "",
            **fields,
            "fields": fields,
            "signature": self.signatures.get(key or "", DEFAULT_SIGNATURE),
            "playbook": {"id": pb.id, "title": pb.spec.title, "tier": pb.spec.tier},
            "trail": [{"question": t.question, "answer": t.answer} for t in self._trail_lines(state, include_pii)],
        }

    def _outcome_view(self, state: RunState, step: Step, include_pii: bool) -> OutcomeView:
        out = step.outcome
        assert out is not None
        ctx = self.render_context(state, include_pii=include_pii)
        specs = self._field_specs(state)
        needs = tuple(
            Fact(specs[n].label if n in specs else n, str(ctx["fields"].get(n, "")), n in specs and specs[n].pii)
            for n in out.needs
        )
        ctx["outcome"] = {
            "kind": out.kind.value,
            "summary": out.summary,
            "priority": out.priority.value if out.priority else None,
            "group": out.group,
            "group_name": self.group_names.get(out.group or "", out.group),
            "partner": out.partner,
            "referred_to": out.referred_to,
            "reason": out.reason,
            "checklist": list(out.checklist),
            "needs": [{"label": f.label, "value": f.value} for f in needs],
        }
        ctx["body"] = self.renderer.render_inline(out.reply, ctx) if out.reply else ""
        reply = self.renderer.render_file(out.reply_template or DEFAULT_REPLY, ctx)
        ctx["body"] = self.renderer.render_inline(out.note, ctx) if out.note else ""
        note = self.renderer.render_file(out.note_template or "notes/default.j2", ctx)
        return OutcomeView(
            kind=out.kind.value,
            summary=out.summary,
            priority=out.priority.value if out.priority else None,
            group=out.group,
            partner=out.partner,
            referred_to=out.referred_to,
            reason=out.reason,
            reply=reply,
            note=note,
            needs=needs,
            checklist=out.checklist,
        )

    def _trail_lines(self, state: RunState, include_pii: bool) -> list[TrailLine]:
        """The path taken, answers as typed (unescaped: each surface escapes for itself)."""
        lines = []
        for e in state.trail:
            step = self.catalog.get(e.playbook).steps[e.step]
            if e.kind == "fields":
                shown = []
                for f in step.fields:
                    value = e.values.get(f.id, "")
                    if value:
                        value = PII_WITHHELD if f.pii and not include_pii else value
                        shown.append(f"{f.label}: {value}")
                answer = "; ".join(shown) or "(nothing entered)"
                question = step.title or "Details"
            elif e.kind == "jump":
                question, answer = "Continued in", e.answer or ""
            else:
                question = step.question or step.title or step.id
                answer = e.answer or ""
            lines.append(TrailLine(question, answer, e.actor, e.at))
        return lines

    def _field_specs(self, state: RunState) -> dict[str, FieldSpec]:
        specs: dict[str, FieldSpec] = {}
        for e in state.trail:
            if e.kind == "fields":
                for f in self.catalog.get(e.playbook).steps[e.step].fields:
                    specs[f.id] = f
        return specs

    def _pii_fields(self, state: RunState) -> set[str]:
        return {k for k, f in self._field_specs(state).items() if f.pii}

    def _step_of(self, state: RunState) -> Step:
        pb: LoadedPlaybook = self.catalog.get(state.current)
        return pb.steps[state.step]


def _next(step: Step) -> str:
    assert step.next is not None
    return step.next


def _expects(kind: StepKind) -> str:
    return {
        StepKind.QUESTION: "one of its choices",
        StepKind.COLLECT: "its form to be filled in",
        StepKind.INSTRUCTIONS: "Continue once done",
        StepKind.OUTCOME: "nothing more: it is an outcome",
        StepKind.JUMP: "nothing: it hands over to another playbook",
    }[kind]


def _field_view(f: FieldSpec, value: str | None) -> FieldView:
    return FieldView(f.id, f.label, f.type, f.required, f.help, f.placeholder, f.options, f.max_length, f.pii, value)
