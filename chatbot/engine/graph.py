"""Draw a playbook's decision tree as Mermaid or Graphviz DOT; outcomes are shaped and coloured by kind."""

from __future__ import annotations

import re

from chatbot.engine.loader import LoadedPlaybook
from chatbot.engine.schema import Step, StepKind

OUTCOME_COLOURS = {
    "resolved": "#c8e6c9",
    "referred": "#bbdefb",
    "known_limitation": "#fff9c4",
    "escalated": "#ffcdd2",
    "ticket_share": "#e1bee7",
}


def _label(step: Step) -> str:
    if step.outcome is not None:
        out = step.outcome
        extra = out.group or out.referred_to or ""
        prio = f", {out.priority.value}" if out.priority else ""
        return f"{out.kind.value.replace('_', ' ').upper()}{prio}: {out.summary}" + (f" -> {extra}" if extra else "")
    if step.kind == StepKind.JUMP:
        return f"Continue in playbook: {step.jump}"
    if step.kind == StepKind.COLLECT:
        return f"{step.title or 'Collect'}: " + ", ".join(f.label for f in step.fields)
    head = step.title or step.id
    return f"{head}: {step.question}" if step.question else f"{head}: {step.text or ''}"


def _short(text: str, limit: int = 90) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_mermaid(pb: LoadedPlaybook) -> str:
    def nid(step_id: str) -> str:
        return "s_" + step_id.replace("-", "_")

    def q(text: str) -> str:
        return '"' + _short(text).replace('"', "#quot;") + '"'

    lines = ["flowchart TD", f"  %% {pb.spec.title} ({pb.path})"]
    for step in pb.spec.steps:
        label = q(_label(step))
        shape = {
            StepKind.QUESTION: f"{{{label}}}",
            StepKind.INSTRUCTIONS: f"[{label}]",
            StepKind.COLLECT: f"[/{label}/]",
            StepKind.JUMP: f"[[{label}]]",
            StepKind.OUTCOME: f"([{label}])",
        }[step.kind]
        lines.append(f"  {nid(step.id)}{shape}")
    for step in pb.spec.steps:
        if step.kind == StepKind.QUESTION:
            for c in step.choices:
                lines.append(f"  {nid(step.id)} -->|{q(c.label)}| {nid(c.next)}")
        elif step.next:
            lines.append(f"  {nid(step.id)} --> {nid(step.next)}")
    for kind, colour in OUTCOME_COLOURS.items():
        lines.append(f"  classDef {kind} fill:{colour},stroke:#333,stroke-width:2px")
    for step in pb.spec.steps:
        if step.outcome is not None:
            lines.append(f"  class {nid(step.id)} {step.outcome.kind.value}")
    lines.append(f"  style {nid(pb.spec.start)} stroke-width:4px")
    return "\n".join(lines) + "\n"


def to_dot(pb: LoadedPlaybook) -> str:
    def q(text: str) -> str:
        return '"' + _short(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"digraph {q(pb.id)} {{",
        f"  label={q(pb.spec.title)}; labelloc=t; rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor=white];',
    ]
    for step in pb.spec.steps:
        attrs = {
            StepKind.QUESTION: "shape=diamond",
            StepKind.INSTRUCTIONS: "shape=box",
            StepKind.COLLECT: "shape=parallelogram",
            StepKind.JUMP: "shape=component",
            StepKind.OUTCOME: "shape=doubleoctagon",
        }[step.kind]
        if step.outcome is not None:
            attrs += f', fillcolor="{OUTCOME_COLOURS[step.outcome.kind.value]}"'
        if step.id == pb.spec.start:
            attrs += ", penwidth=3"
        lines.append(f"  {q(step.id)} [label={q(_label(step))}, {attrs}];")
    for step in pb.spec.steps:
        if step.kind == StepKind.QUESTION:
            for c in step.choices:
                lines.append(f"  {q(step.id)} -> {q(c.next)} [label={q(c.label)}];")
        elif step.next:
            lines.append(f"  {q(step.id)} -> {q(step.next)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
