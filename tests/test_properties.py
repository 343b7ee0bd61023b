"""Random walks of every shipped playbook always end in an outcome, within a bound, without error."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.adapters.slack.blocks import session_message
from chatbot.config import load_config
from chatbot.domain.run import Answer, Back, Choose, Continue, RunStatus, Submit
from chatbot.domain.views import FieldView
from chatbot.engine.catalog import check_playbooks
from tests.helpers import ROOT

CONFIG, _ = load_config(ROOT / "config" / "example.yaml")
CONFIG = CONFIG.model_copy(update={"playbooks_dir": str(ROOT / "playbooks"), "templates_dir": str(ROOT / "templates")})
CHECKED = check_playbooks(CONFIG)
ENGINE = CHECKED.engine
PLAYBOOKS = sorted(ENGINE.catalog.playbooks)
TOTAL_STEPS = sum(len(pb.spec.steps) for pb in ENGINE.catalog)
T = "2026-11-22T10:00:00+00:00"
HOSTILE = st.text(alphabet=string.ascii_letters + "<>&!@^|*_`{}%# ", min_size=1, max_size=40)


def value_for(field: FieldView, pattern: str | None) -> st.SearchStrategy[str]:
    if field.options:
        return st.sampled_from(field.options)
    if pattern:  # a valid value: the pattern's, and no longer than the field takes (a pattern may repeat forever)
        return st.from_regex(pattern, fullmatch=True).filter(
            lambda s: s == s.strip() and "\n" not in s and len(s) <= field.max_length
        )
    simple = {
        "email": st.just("someone@example.org"),
        "url": st.just("https://example.org/x"),
        "number": st.integers(0, 10_000).map(str),
        "date": st.dates().map(lambda d: d.isoformat()),
    }
    return simple.get(field.type, HOSTILE.filter(lambda s: s.strip()))


def test_shipped_playbooks_lint_clean():
    assert CHECKED.errors == []
    assert len(PLAYBOOKS) >= 6


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), playbook=st.sampled_from(PLAYBOOKS))
def test_random_walk_reaches_an_outcome(data, playbook):
    state = ENGINE.start(playbook, "U1", T)
    backs_left = 3
    # Acyclic playbooks plus bounded Back presses: every walk ends within this many answers.
    for _ in range(TOTAL_STEPS + 2 * backs_left):
        if state.status == RunStatus.FINISHED:
            break
        view = ENGINE.view(state)
        if view.can_back and backs_left and data.draw(st.integers(0, 9), label="back?") == 0:
            backs_left -= 1
            action = Back()
        elif view.kind == "question":
            action = Choose(data.draw(st.integers(0, len(view.choices) - 1), label="choice"))
        elif view.kind == "instructions":
            action = Continue()
        else:
            assert view.kind == "collect", view.kind
            step = ENGINE.catalog.get(view.playbook).steps[view.step]
            patterns = {f.id: f.pattern for f in step.fields}
            values = {
                f.id: data.draw(value_for(f, patterns[f.id]), label=f.id)
                for f in view.fields
                if f.required or data.draw(st.booleans(), label=f"fill {f.id}?")
            }
            action = Submit(values)
        state = ENGINE.step(state, Answer(action, state.version, "U1", T))
    assert state.status == RunStatus.FINISHED, f"{playbook} did not finish: stuck at {state.step}"
    view = ENGINE.view(state)
    out = view.outcome
    assert out is not None and out.note
    # The reply and note hold what was typed; in Slack they are shown escaped, so no "<" of a value can open a
    # mention or a link there.
    copyable = [
        b["text"]["text"]
        for b in session_message(view, "r" * 32, "U1", CONFIG.groups).blocks
        if b["type"] == "section" and b["text"]["text"].startswith("```")
    ]
    assert copyable and all("<" not in text for text in copyable)
