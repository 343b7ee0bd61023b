"""The pure state machine: transitions, validation, back/restart, versions, serialisation."""

from __future__ import annotations

import json

import pytest

from chatbot.adapters.slack.blocks import session_message
from chatbot.domain.errors import InvalidAnswer, InvalidFields, StaleAnswer
from chatbot.domain.run import Answer, Back, Cancel, Choose, Continue, Restart, RunState, RunStatus, Submit
from tests.helpers import T0, mini_engine

GOOD = {"school": "Lincoln High", "clever_id": "0123456789abcdef01234567", "role": "Teacher"}


def act(engine, state, action, actor="U1"):
    return engine.step(state, Answer(action, state.version, actor, T0))


def test_start_shows_first_question_with_choices():
    engine = mini_engine()
    state = engine.start("mini", "U1", T0)
    view = engine.view(state)
    assert (state.step, state.version, state.status) == ("q1", 0, RunStatus.ACTIVE)
    assert view.kind == "question"
    assert view.question == "Is it **broken**?"
    assert [c.label for c in view.choices] == ["Yes", "No", "Elsewhere"]
    assert not view.can_back


def test_choice_moves_and_records_who_and_when():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(1), actor="U9")
    assert state.step == "read" and state.version == 1
    entry = state.trail[-1]
    assert (entry.step, entry.answer, entry.choice, entry.actor, entry.at) == ("q1", "No", 1, "U9", T0)
    state = act(engine, state, Continue())
    view = engine.view(state)
    assert state.status == RunStatus.FINISHED and view.outcome is not None
    assert view.outcome.kind == "resolved"
    assert "Glad the article helped." in view.outcome.reply
    assert [t.answer for t in view.trail] == ["No", "Done, continue"]


def test_fields_validate_each_problem_and_keep_state():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(0))
    with pytest.raises(InvalidFields) as err:
        act(engine, state, Submit({"school": "", "clever_id": "nope", "email": "x", "role": "Parent"}))
    assert err.value.errors == {
        "school": "This field is required.",
        "clever_id": "24 hex characters",
        "email": "Enter an email address like name@example.org.",
        "role": "Pick one of the listed options.",
    }
    assert state.step == "details" and state.version == 1


def test_unknown_field_is_refused():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(0))
    with pytest.raises(InvalidFields) as err:
        act(engine, state, Submit({**GOOD, "sneaky": "x"}))
    assert list(err.value.errors) == ["sneaky"]


def test_escalation_outcome_holds_raw_values_each_surface_escapes_and_pii_is_withheld():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(0))
    values = {**GOOD, "school": "<!channel> & <@U2|x> {{ 7*7 }}", "email": "kid@example.org"}
    state = act(engine, state, Submit(values))
    out = engine.view(state).outcome
    assert out is not None and out.kind == "escalated" and out.group == "tier2" and out.priority == "high"
    # The engine holds what was typed, never evaluated as template code...
    assert "<!channel> & <@U2|x> {{ 7*7 }}" in out.reply and "49" not in out.reply
    assert "kid@example.org" not in out.note and "[withheld: PII]" in out.note
    assert "Escalated to: Tier Two" in out.note
    assert [(f.label, f.value) for f in out.needs] == [
        ("School name", "<!channel> & <@U2|x> {{ 7*7 }}"),
        ("Clever ID", "0123456789abcdef01234567"),
    ]
    # ...and Slack escapes it for itself: the typed text can never become a mention there.
    shown = json.dumps(session_message(engine.view(state), "r" * 32, "U1", {}).blocks)
    assert "&lt;!channel&gt; &amp; &lt;@U2|x&gt;" in shown and "<!channel>" not in shown
    full = engine.view(state, include_pii=True).outcome
    assert full is not None and "kid@example.org" in full.note


def test_jump_continues_in_other_playbook_and_back_returns_over_it():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(2))
    assert (state.current, state.step) == ("other", "ask")
    assert [e.kind for e in state.trail] == ["choice", "jump"]
    view = engine.view(state)
    assert view.playbook == "other" and view.trail[-1].answer == "Other playbook"
    back = act(engine, state, Back())
    assert (back.current, back.step, back.trail) == ("mini", "q1", ())


def test_back_prefills_and_forgets_later_answers():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(0))
    state = act(engine, state, Submit(GOOD))
    assert state.status == RunStatus.FINISHED
    state = act(engine, state, Back())
    assert state.status == RunStatus.ACTIVE and state.step == "details"
    assert state.fields == {}
    state = act(engine, state, Back())
    assert state.step == "q1"
    with pytest.raises(InvalidAnswer, match="first step"):
        act(engine, state, Back())


def test_stale_version_is_rejected():
    engine = mini_engine()
    state = engine.start("mini", "U1", T0)
    moved = act(engine, state, Choose(1))
    with pytest.raises(StaleAnswer) as err:
        engine.step(moved, Answer(Choose(0), 0, "U1", T0))
    assert (err.value.expected, err.value.actual) == (0, 1)


@pytest.mark.parametrize(
    ("action", "message"),
    [(Continue(), "one of its choices"), (Submit({}), "one of its choices"), (Choose(7), "not on this step")],
)
def test_answer_that_does_not_fit_the_step(action, message):
    engine = mini_engine()
    with pytest.raises(InvalidAnswer, match=message):
        act(engine, engine.start("mini", "U1", T0), action)


def test_cancel_then_restart_keeps_version_increasing():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(1))
    state = act(engine, state, Cancel())
    assert state.status == RunStatus.CANCELLED and engine.view(state).kind == "cancelled"
    with pytest.raises(InvalidAnswer, match="cancelled"):
        act(engine, state, Continue())
    restarted = act(engine, state, Restart(), actor="U2")
    assert (restarted.step, restarted.trail, restarted.status) == ("q1", (), RunStatus.ACTIVE)
    assert restarted.version == state.version + 1 and restarted.started_by == "U1"


def test_state_json_round_trip_is_exact():
    engine = mini_engine()
    state = act(engine, engine.start("mini", "U1", T0), Choose(0))
    state = act(engine, state, Submit(GOOD))
    text = state.to_json()
    assert RunState.from_json(text) == state
    assert '"schema":1' in text


def test_state_json_from_another_schema_is_refused():
    with pytest.raises(ValueError, match="schema"):
        RunState.from_json('{"schema": 99}')


def test_determinism_same_inputs_same_outputs():
    a, b = mini_engine(), mini_engine()
    sa = act(a, act(a, a.start("mini", "U1", T0), Choose(0)), Submit(GOOD))
    sb = act(b, act(b, b.start("mini", "U1", T0), Choose(0)), Submit(GOOD))
    assert sa == sb and a.view(sa) == b.view(sb)
