"""Find what would break or mislead an agent before a playbook ships: `chatbot validate`."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from chatbot.domain.errors import Issue
from chatbot.engine.loader import Catalog, LoadedPlaybook
from chatbot.engine.schema import RESERVED_NAMES, OutcomeKind, StepKind
from chatbot.rendering.templates import Renderer, TemplateProblem

DEFAULT_TEMPLATES = ("replies/default.j2", "notes/default.j2")


def lint(
    catalog: Catalog,
    renderer: Renderer,
    groups: Collection[str] | None = None,
    only: Collection[str] | None = None,
) -> list[Issue]:
    """Every error and warning for the catalog. `groups` are the configured escalation groups. `only`: the ids of
    the playbooks to check (the others are there for jumps to resolve against); None checks them all."""
    issues: list[Issue] = list(_lint_default_templates(renderer))
    for pb in catalog:
        if only is None or pb.id in only:
            issues.extend(_lint_playbook(pb, catalog, renderer, groups))
    issues.extend(_jump_cycles(catalog, only))
    return sorted(issues)


def _lint_default_templates(renderer: Renderer) -> Iterator[Issue]:
    allowed = RESERVED_NAMES | {"body"} | set(renderer.env.globals)
    for name in DEFAULT_TEMPLATES:
        shown = f"{renderer.templates_dir}/{name}"
        try:
            unknown = renderer.check(name=name) - allowed
        except TemplateProblem as exc:
            yield Issue(shown, 1, None, str(exc))
            continue
        for var in sorted(unknown):
            yield Issue(shown, 1, None, f"uses `{var}`, which a default template cannot rely on")


def _lint_playbook(
    pb: LoadedPlaybook, catalog: Catalog, renderer: Renderer, groups: Collection[str] | None
) -> Iterator[Issue]:
    spec = pb.spec
    f = pb.path

    if spec.start not in pb.steps:
        yield Issue(f, pb.line(None, "start"), None, f"start step '{spec.start}' does not exist")
        return
    edges_ok = True
    for step in spec.steps:
        if step.kind == StepKind.QUESTION:
            for i, choice in enumerate(step.choices):
                if choice.next not in pb.steps:
                    edges_ok = False
                    yield Issue(
                        f,
                        pb.line(step.id, "choices", i, "next"),
                        step.id,
                        f"choice '{choice.label}' leads to unknown step '{choice.next}'",
                    )
                if choice.only is not None and groups is not None and choice.only not in groups:
                    yield Issue(
                        f,
                        pb.line(step.id, "choices", i, "only"),
                        step.id,
                        f"choice '{choice.label}' is only for group '{choice.only}', which is not in the configuration",
                    )
        elif step.next is not None and step.next not in pb.steps:
            edges_ok = False
            yield Issue(f, pb.line(step.id, "next"), step.id, f"`next` is unknown step '{step.next}'")
        if step.kind == StepKind.JUMP and step.jump not in catalog.playbooks:
            yield Issue(f, pb.line(step.id, "jump"), step.id, f"jumps to playbook '{step.jump}', which does not exist")
        if step.kind == StepKind.QUESTION and not step.help and not step.text:
            yield Issue(f, pb.line(step.id), step.id, "question has no `help` or `text` for the agent", "warning")
        for i, field in enumerate(step.fields):
            if not field.help:
                yield Issue(
                    f, pb.line(step.id, "fields", i), step.id, f"field '{field.id}' has no `help` text", "warning"
                )
            if field.pii and spec.tier == 1:
                yield Issue(
                    f,
                    pb.line(step.id, "fields", i, "pii"),
                    step.id,
                    f"field '{field.id}' may hold PII in a Tier 1 playbook; it is withheld from Tier 1 views",
                    "warning",
                )
    if not edges_ok:
        return

    reachable = _reachable(pb)
    for step in spec.steps:
        if step.id not in reachable:
            yield Issue(f, pb.line(step.id), step.id, "unreachable: no path from the start step leads here")

    cycle = _find_cycle(pb)
    if cycle:
        path = " -> ".join(cycle)
        yield Issue(f, pb.line(cycle[0]), cycle[0], f"cycle: {path}; a playbook must always move towards an outcome")
        return

    defined = _defined_on_every_path(pb)
    all_fields = {fl.id for s in spec.steps for fl in s.fields}
    globals_ = set(renderer.env.globals)
    for step in spec.steps:
        if step.reply is not None or step.reply_template is not None:
            known = defined[step.id] if step.id in reachable else frozenset(all_fields)
            yield from _step_reply(
                pb, step.id, step.reply, step.reply_template, known | RESERVED_NAMES | globals_, renderer, all_fields
            )
        out = step.outcome
        if out is None:
            continue
        # An unreachable outcome is already an error; still check its templates, without path analysis.
        known = defined[step.id] if step.id in reachable else frozenset(all_fields)
        escalates = out.kind in (OutcomeKind.ESCALATED, OutcomeKind.TICKET_SHARE)
        if out.follow_up is not None and out.follow_up not in catalog.playbooks:
            yield Issue(
                f,
                pb.line(step.id, "outcome", "follow_up"),
                step.id,
                f"follow_up playbook '{out.follow_up}' does not exist",
            )
        if escalates and groups is not None and out.group not in groups:
            yield Issue(
                f,
                pb.line(step.id, "outcome", "group"),
                step.id,
                f"escalation group '{out.group}' is not in the configuration",
            )
        for i, need in enumerate(out.needs):
            if need not in known:
                yield Issue(
                    f, pb.line(step.id, "outcome", "needs", i), step.id, _missing(f"needs `{need}`", need, all_fields)
                )
        if out.kind != OutcomeKind.RESOLVED and not out.reply and not out.reply_template:
            yield Issue(f, pb.line(step.id, "outcome"), step.id, "outcome has no customer `reply`", "warning")
        allowed = known | RESERVED_NAMES | globals_
        for key in ("reply", "note"):
            source = getattr(out, key)
            if source is not None:
                where = pb.line(step.id, "outcome", key)
                try:
                    used = renderer.check(source=source)
                except TemplateProblem as exc:
                    yield Issue(f, where, step.id, f"{key}: {exc}")
                    continue
                for var in sorted(used - allowed):
                    yield Issue(f, where, step.id, _missing(f"{key} uses `{var}`", var, all_fields))
            file_key = f"{key}_template"
            name = getattr(out, file_key)
            if name is not None:
                where = pb.line(step.id, "outcome", file_key)
                try:
                    used = renderer.check(name=name)
                except TemplateProblem as exc:
                    yield Issue(f, where, step.id, f"{file_key}: {exc}")
                    continue
                for var in sorted(used - allowed - {"body"}):
                    yield Issue(f, where, step.id, _missing(f"{name} uses `{var}`", var, all_fields))


def _step_reply(
    pb: LoadedPlaybook,
    step_id: str,
    source: str | None,
    name: str | None,
    allowed: Collection[str],
    renderer: Renderer,
    all_fields: set[str],
) -> Iterator[Issue]:
    """An instruction step's reply to send now (inline, or a template file): it renders, and only with what is known
    on every path there."""
    key, where = (
        ("reply", pb.line(step_id, "reply"))
        if source is not None
        else (
            "reply_template",
            pb.line(step_id, "reply_template"),
        )
    )
    try:
        used = renderer.check(source=source) if source is not None else renderer.check(name=name)
    except TemplateProblem as exc:
        yield Issue(pb.path, where, step_id, f"{key}: {exc}")
        return
    for var in sorted(used - set(allowed) - {"body"}):
        yield Issue(pb.path, where, step_id, _missing(f"{key} uses `{var}`", var, all_fields))


def _missing(what: str, var: str, all_fields: set[str]) -> str:
    if var in all_fields:
        return f"{what}, which is not collected on every path that reaches this step"
    return f"{what}, which is not a field of this playbook"


def _reachable(pb: LoadedPlaybook) -> set[str]:
    seen = {pb.spec.start}
    todo = [pb.spec.start]
    while todo:
        for nxt in pb.steps[todo.pop()].targets():
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _find_cycle(pb: LoadedPlaybook) -> list[str] | None:
    """One cycle as a list of step ids (first repeated at the end), or None. Iterative: 2,000-step playbooks."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in (s.id for s in pb.spec.steps):
        if root in state:
            continue
        path: list[str] = [root]
        iters = [iter(pb.steps[root].targets())]
        state[root] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(pb.steps[nxt].targets()))
    return None


def _defined_on_every_path(pb: LoadedPlaybook) -> dict[str, frozenset[str]]:
    """For each step, the fields collected on every path from the start to it (the graph is acyclic)."""
    order = _topological(pb)
    defined: dict[str, frozenset[str]] = {pb.spec.start: frozenset()}
    for sid in order:
        if sid not in defined:
            continue
        step = pb.steps[sid]
        out = defined[sid] | {fl.id for fl in step.fields}
        for nxt in step.targets():
            defined[nxt] = out if nxt not in defined else defined[nxt] & out
    return defined


def _topological(pb: LoadedPlaybook) -> list[str]:
    indegree = {s.id: 0 for s in pb.spec.steps}
    for s in pb.spec.steps:
        for t in s.targets():
            indegree[t] += 1
    ready = [sid for sid, d in indegree.items() if d == 0]
    order = []
    while ready:
        sid = ready.pop()
        order.append(sid)
        for t in pb.steps[sid].targets():
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return order


def _jump_cycles(catalog: Catalog, only: Collection[str] | None = None) -> Iterator[Issue]:
    """Playbooks that hand over to each other in a circle would never reach an outcome. With `only`, a cycle is
    reported on a playbook of `only` (every cycle through one is found starting from it)."""
    jumps = {pb.id: [(s.id, s.jump) for s in pb.spec.steps if s.jump in catalog.playbooks] for pb in catalog}
    reported: set[frozenset[str]] = set()
    for start in jumps if only is None else [pb_id for pb_id in jumps if pb_id in only]:
        # (playbook reached, playbooks passed, the step of `start` that began this chain)
        stack = [(target, [start, target], sid) for sid, target in jumps[start] if target is not None]
        while stack:
            node, path, first_step = stack.pop()
            if node == start:
                if frozenset(path) not in reported:
                    reported.add(frozenset(path))
                    pb = catalog.get(start)
                    yield Issue(pb.path, pb.line(first_step, "jump"), first_step, "jump cycle: " + " -> ".join(path))
                continue
            for _, target in jumps[node]:
                if target is not None and (target == start or target not in path):
                    stack.append((target, [*path, target], first_step))
