"""The escalation policy, exhaustively: random sequences of pings delivered, timers firing and people pressing
buttons, checked against the rules that must always hold. Pure functions: no database, no Slack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.domain.escalation import (
    Escalation,
    EscalationAction,
    EscalationKind,
    EscalationStatus,
    Handoff,
    PostRef,
    Priority,
    Surface,
)
from chatbot.domain.escalation_policy import (
    ActionRefused,
    Change,
    Targets,
    act,
    allowed_actions,
    applied,
    initial_jobs,
    ping_delivered,
    should_ping,
    timer_fired,
)
from chatbot.domain.jobs import JobKind, NewJob

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=15)
TIERS = 3


def escalation(agent: bool = True) -> Escalation:
    return Escalation(
        id="e1",
        run_id="r1" if agent else None,
        kind=EscalationKind.ESCALATED,
        group_id="g",
        priority=Priority.NORMAL,
        summary="s",
        handoff=Handoff("s", agent="U1"),
        status=EscalationStatus.OPEN,
        version=0,
        tier=-1,
        created_by="U1",
        agent=PostRef(Surface.SLACK, "C1", "1.1") if agent else None,
        person=None,
        case_id=None,
        handled_by=None,
        note=None,
        created_at=T0,
        updated_at=T0,
    )


def targets(tier: int) -> Targets:
    everyone = tier >= TIERS
    return Targets(min(tier, TIERS), ("p",), ("P",), everyone, "w" if everyone else None, TIERS)


def apply(esc: Escalation, change: Change, *, bump: bool) -> Escalation:
    posts = dict(esc.posts)
    if change.post is not None:
        posts[change.post.surface] = change.post
    return replace(
        esc,
        status=change.status or esc.status,
        tier=esc.tier if change.tier is None else change.tier,
        handled_by=change.handled_by or esc.handled_by,
        note=esc.note if change.note is None else change.note,
        posts=posts,
        version=esc.version + (1 if bump else 0),
    )


Step = tuple[str, int]  # ("deliver", surface index) | ("timer", tiers skipped) | ("act", action index)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("deliver"), st.integers(0, 1)),
        st.tuples(st.just("timer"), st.integers(0, 1)),
        st.tuples(st.just("act"), st.integers(0, len(EscalationAction) - 1)),
    ),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(steps=STEPS, surfaces=st.sampled_from([(Surface.SLACK,), (Surface.SLACK, Surface.TEAMS)]))
def test_rules_hold_over_any_sequence(steps: list[Step], surfaces: tuple[Surface, ...]) -> None:
    esc = escalation()
    pending: list[NewJob] = list(initial_jobs(esc.id, surfaces, T0))
    reminded: list[int] = []
    now = T0
    for kind, arg in steps:
        now += timedelta(minutes=1)
        timers = [j for j in pending if j.kind == JobKind.REESCALATE]
        assert len(timers) <= 1, "never two timers running for one escalation"
        if kind == "deliver":
            surface = surfaces[arg % len(surfaces)]
            ping = next((j for j in pending if j.kind == JobKind.PING and j.payload["surface"] == surface), None)
            if ping is None:
                continue
            pending.remove(ping)
            if not should_ping(esc, surface):
                continue
            change = ping_delivered(esc, PostRef(surface, "C", f"{now.timestamp()}"), targets(0), TIMEOUT, now)
            was_pinged = esc.tier >= 0
            esc = apply(esc, change, bump=False)
            new_timers = [j for j in change.jobs if j.kind == JobKind.REESCALATE]
            assert len(new_timers) == (0 if was_pinged else 1), "only the first surface starts the timer"
            pending.extend(change.jobs)
        elif kind == "timer":
            if not timers:
                continue
            timer = timers[0]
            pending.remove(timer)
            tier = int(timer.payload["tier"])
            before = esc
            change = timer_fired(esc, tier, targets(tier + arg), TIMEOUT, now)
            esc = apply(esc, change, bump=False)
            reminders = [j for j in change.jobs if j.kind == JobKind.REMIND]
            if before.status != EscalationStatus.OPEN:
                assert change.jobs == () and change.tier is None, "no reminder or timer after someone took it"
            for job in reminders:
                reminded.append(int(job.payload["targets"]["tier"]))
            assert esc.tier >= before.tier, "the tier only moves on"
            pending.extend(change.jobs)
        else:
            action = list(EscalationAction)[arg]
            if action not in allowed_actions(esc.status):
                with pytest.raises(ActionRefused):
                    act(esc, action, actor="U2", reason="why", now=now, surfaces=surfaces)
                continue
            was_final = esc.status.final
            change = act(esc, action, actor="U2", reason="why", now=now, surfaces=surfaces)
            assert not was_final, "a returned or resolved escalation allows nothing more"
            updated = {j.payload["surface"] for j in change.jobs if j.kind == JobKind.PING_UPDATE}
            assert updated == {s.value for s in surfaces}, "a press updates the ping wherever it is or may be"
            assert applied(esc, change, now) == replace(apply(esc, change, bump=True), updated_at=now)
            esc = apply(esc, change, bump=True)
            pending.extend(change.jobs)
        per_surface = {}
        for tier in reminded:
            per_surface[tier] = per_surface.get(tier, 0) + 1
        assert all(count <= len(surfaces) for count in per_surface.values()), "each tier reminded once per surface"
    if esc.status.final:
        assert allowed_actions(esc.status) == ()


def test_a_timer_for_a_tier_already_reached_does_nothing() -> None:
    esc = replace(escalation(), tier=1, posts={Surface.SLACK: PostRef(Surface.SLACK, "C", "1")})
    assert timer_fired(esc, 1, targets(1), TIMEOUT, T0) == Change()
    assert timer_fired(esc, 0, targets(0), TIMEOUT, T0) == Change()


def test_acknowledging_tells_the_agent_updates_every_ping_and_the_session() -> None:
    posts = {s: PostRef(s, "C", "1") for s in (Surface.SLACK, Surface.TEAMS)}
    esc = replace(escalation(), tier=0, posts=posts)
    change = act(esc, EscalationAction.ACKNOWLEDGE, actor="U2", reason=None, now=T0, surfaces=[Surface.SLACK])
    kinds = sorted((j.kind.value, j.payload["surface"]) for j in change.jobs)
    assert kinds == [
        ("notify_agent", "slack"),
        ("ping_update", "slack"),
        ("ping_update", "teams"),
        ("session_update", "slack"),
    ]
    assert change.status == EscalationStatus.ACKNOWLEDGED and change.handled_by == "U2"


def test_a_press_updates_the_ping_on_a_surface_of_its_group_it_was_not_seen_posted_on() -> None:
    """Read before the Teams post was recorded: the Teams ping is updated too (a no-op if it never gets posted)."""
    esc = replace(escalation(), tier=0, posts={Surface.SLACK: PostRef(Surface.SLACK, "C", "1")})
    change = act(esc, EscalationAction.CLAIM, actor="U2", reason=None, now=T0, surfaces=[Surface.SLACK, Surface.TEAMS])
    updated = [j.payload["surface"] for j in change.jobs if j.kind == JobKind.PING_UPDATE]
    assert updated == ["slack", "teams"]


def test_an_escalation_by_hand_has_no_session_to_update() -> None:
    esc = replace(escalation(agent=False), tier=0, posts={Surface.SLACK: PostRef(Surface.SLACK, "C", "1")})
    change = act(esc, EscalationAction.RESOLVE, actor="U2", reason=None, now=T0, surfaces=[Surface.SLACK])
    assert [j.kind for j in change.jobs] == [JobKind.PING_UPDATE, JobKind.NOTIFY_AGENT]


def test_returning_keeps_the_reason_and_is_final() -> None:
    esc = replace(escalation(), tier=0)
    change = act(esc, EscalationAction.RETURN, actor="U2", reason="  IDs swapped  ", now=T0, surfaces=[Surface.SLACK])
    assert change.note == "IDs swapped" and change.status == EscalationStatus.RETURNED
    assert allowed_actions(EscalationStatus.RETURNED) == () and allowed_actions(EscalationStatus.RESOLVED) == ()
    with pytest.raises(ActionRefused):
        act(apply(esc, change, bump=True), EscalationAction.RESOLVE, actor="U2", reason=None, now=T0, surfaces=[])
