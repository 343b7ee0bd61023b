"""The Teams delivery's parts on their own: Teams' answers as the worker's outcomes, the pacer's windows, the
conversation keys, and every escalation card against the Adaptive Card 1.5 schema and the size budget."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from chatbot.adapters.teams.client import TokenUnavailable
from chatbot.adapters.teams.errors import as_outcome
from chatbot.adapters.teams.escalation_cards import (
    RESENT_NOTICE,
    agent_notice,
    ping_card,
    ping_text,
    reminder_text,
    session_status,
    undeliverable_card,
)
from chatbot.adapters.teams.kit import CARD_BUDGET, card_size
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.adapters.teams.refs import HASH_PREFIX, channel_of, conversation_key, thread_of
from chatbot.domain.escalation import (
    Escalation,
    EscalationAction,
    EscalationKind,
    EscalationStatus,
    FactItem,
    Handoff,
    PostRef,
    Priority,
    Surface,
    TrailItem,
)
from chatbot.domain.escalation_policy import Targets
from chatbot.scheduler.worker import Permanent, Retry
from tests.cardschema import schema_errors, teams_problems
from tests.teamsapp import EDISON, HERBERT, teams_config, walk

HOSTILE = "<at>Everyone</at> **now** [x](https://evil.example) <!here>"
T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def _error(status: int, retry_after: str | None = None) -> aiohttp.ClientResponseError:
    headers = CIMultiDictProxy(CIMultiDict({"Retry-After": retry_after} if retry_after else {}))
    info = aiohttp.RequestInfo(URL("http://x/v3"), "POST", CIMultiDictProxy(CIMultiDict()), URL("http://x/v3"))
    return aiohttp.ClientResponseError(info, (), status=status, message="m", headers=headers)


@pytest.mark.parametrize(
    ("exc", "kind", "after", "nothing_done", "counts"),
    [
        (_error(429, "7"), Retry, 7.0, True, False),
        (_error(412, "3"), Retry, 3.0, True, True),
        (_error(502), Retry, 4.0, False, True),
        (_error(504, "9"), Retry, 9.0, False, True),
        (_error(500), Retry, 4.0, False, True),
        (TimeoutError(), Retry, 4.0, False, True),
        (aiohttp.ServerDisconnectedError(), Retry, 4.0, False, True),
        (TokenUnavailable("no token"), Retry, 4.0, True, True),
        (_error(403), Permanent, None, None, None),
        (_error(404), Permanent, None, None, None),
        (_error(413), Permanent, None, None, None),
    ],
)
def test_teams_answers_become_the_workers_outcomes(exc, kind, after, nothing_done, counts) -> None:  # type: ignore[no-untyped-def]
    outcome = as_outcome(exc, attempts=3)
    assert isinstance(outcome, kind)
    if isinstance(outcome, Retry):
        assert (outcome.after, outcome.nothing_done, outcome.counts) == (after, nothing_done, counts)


def test_a_refusal_after_an_unknown_attempt_keeps_that_attempt_on_record() -> None:
    outcome = as_outcome(_error(429, "1"), attempts=2, earlier_unknown=True)
    assert isinstance(outcome, Retry) and not outcome.nothing_done and not outcome.counts
    assert as_outcome(ValueError("not ours"), attempts=1) is None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_pacer_keeps_the_per_thread_windows() -> None:
    clock = Clock()
    pacer = TeamsPacer(clock)
    assert [pacer.take("19:a", "t") for _ in range(7)] == [0.0] * 7
    assert pacer.take("19:a", "t") == pytest.approx(1.0)  # 7 a second
    assert pacer.take("19:b", "t") == 0.0  # another thread has its own
    clock.now += timedelta(seconds=1)
    assert pacer.take("19:a", "t") == 0.0
    assert pacer.take("19:a", "t") == pytest.approx(1.0)  # 8 in 2 s
    start, sent = clock.now, 0
    while sent < 60:  # as fast as the pacer lets: 8 every 2 s
        wait = pacer.take("19:c", "t")
        if wait:
            clock.now += timedelta(seconds=wait)
        else:
            sent += 1
    elapsed = (clock.now - start).total_seconds()
    assert 14 <= elapsed < 30
    assert pacer.take("19:c", "t") == pytest.approx(30 - elapsed)  # 60 in 30 s: the 61st waits for the window


def test_pacer_keeps_the_tenant_rate_and_waits_out_a_429() -> None:
    clock = Clock()
    pacer = TeamsPacer(clock)
    results = [pacer.take(f"19:{i}", "tenant") for i in range(51)]
    assert results[:50] == [0.0] * 50 and results[50] > 0  # 50 a second per tenant
    assert pacer.take("19:x", "other-tenant") == 0.0
    clock.now += timedelta(seconds=5)
    pacer.limited("19:q", 30)
    assert pacer.take("19:q", "t") == pytest.approx(30)
    clock.now += timedelta(seconds=30)
    assert pacer.take("19:q", "t") == 0.0


def test_conversation_keys_are_the_id_or_a_stable_hash() -> None:
    thread = "19:abc@thread.tacv2;messageid=1712"
    assert conversation_key(thread) == thread and channel_of(thread) == "19:abc@thread.tacv2"
    assert thread_of("19:abc@thread.tacv2", "99") == "19:abc@thread.tacv2;messageid=99"
    long_id = "a:1" + "x" * 400
    key = conversation_key(long_id)
    assert key.startswith(HASH_PREFIX) and len(key) < 100 and key == conversation_key(long_id)
    assert conversation_key(HASH_PREFIX + "y") != HASH_PREFIX + "y"  # an id can never pose as a hash


def _escalation(**changes: object) -> Escalation:
    handoff = Handoff(
        summary=HOSTILE,
        agent="U0AGENT1",
        playbook="Clever Tier 2",
        reason=HOSTILE,
        reference="48213",
        note=f"Note {HOSTILE}",
        trail=(TrailItem("Is it **live**?", HOSTILE),),
        facts=(FactItem("School", HOSTILE),),
        checklist=(HOSTILE,),
    )
    base: dict[str, object] = dict(
        id="e" * 32,
        run_id="r" * 32,
        kind=EscalationKind.ESCALATED,
        group_id="clever-tier2",
        priority=Priority.NORMAL,
        summary=HOSTILE,
        handoff=handoff,
        status=EscalationStatus.OPEN,
        version=0,
        tier=0,
        created_by="U0AGENT1",
        agent=PostRef(Surface.SLACK, "C0SUPPORT", "1.2"),
        person=None,
        handled_by=None,
        note=None,
        created_at=T0,
        updated_at=T0,
    )
    base.update(changes)
    # Fields the domain gained since (a case, say) are empty here: the cards show nothing of them.
    required = [f for f in dataclasses.fields(Escalation) if f.default is f.default_factory is dataclasses.MISSING]
    base |= {f.name: None for f in required if f.name not in base}
    return Escalation(**base)  # type: ignore[arg-type]


def _textblocks(card: dict) -> list[str]:  # type: ignore[type-arg]
    return [n["text"] for n in walk(card) if n.get("type") == "TextBlock"] + [card.get("fallbackText", "")]


def _valid(card: dict) -> dict:  # type: ignore[type-arg]
    assert schema_errors(card) == [] and teams_problems(card) == []
    assert not any("<at>" in t or "<!here>" in t or "](https://evil" in t for t in _textblocks(card))
    return card


@pytest.mark.parametrize("status", list(EscalationStatus))
def test_every_ping_card_is_valid_and_user_text_is_inert(status: EscalationStatus) -> None:
    config = teams_config()
    group = config.groups["clever-tier2"]
    esc = _escalation(status=status, handled_by=HERBERT.aad, note=HOSTILE)
    for card in (ping_card(esc, group, config), ping_card(esc, group, config, resent=True, notice=HOSTILE)):
        _valid(card)
    shown = "\n".join(_textblocks(ping_card(esc, group, config)))
    if status in (EscalationStatus.ACKNOWLEDGED, EscalationStatus.CLAIMED, EscalationStatus.RESOLVED):
        assert "by Herbert Mena" in shown  # a Teams id shown by the configured name, never as an id
    assert HERBERT.aad not in shown


def test_a_huge_handoff_is_cut_to_fit_the_budget() -> None:
    config = teams_config()
    trail = tuple(TrailItem(f"Question {i} " + "q" * 300, "a" * 300) for i in range(200))
    esc = _escalation(handoff=Handoff(summary="s", note="n" * 60_000, trail=trail, facts=(FactItem("f", "v" * 9000),)))
    card = _valid(ping_card(esc, config.groups["clever-tier2"], config))
    assert card_size(card) <= CARD_BUDGET and "Acknowledge" in str(card)


def test_mentions_are_built_from_the_configuration_only() -> None:
    config = teams_config()
    targets = Targets(0, ("herbert-mena", "edison-gomez", "tina-desprez"), ("", "", ""), False, HOSTILE, 3)
    text, entities = ping_text(targets, config)
    assert [e.mentioned.id for e in entities] == [HERBERT.aad, EDISON.aad]
    assert text.startswith("<at>Herbert Mena</at> <at>Edison Gomez</at> Tina Desprez (tier 1 of 3)")
    assert text.count("<at>") == 2  # the warning's text cannot add one
    reminder, entities = reminder_text(targets, config, 15)
    assert "Not acknowledged after 15 min" in reminder and len(entities) == 2


def test_notices_and_the_session_line() -> None:
    config = teams_config()
    group = config.groups["clever-tier2"]
    returned = _escalation(status=EscalationStatus.RETURNED, note=HOSTILE)
    notice = _valid(agent_notice(returned, group, config, EscalationAction.RETURN, HERBERT.aad, HOSTILE))
    assert "by Herbert Mena" in str(notice) and RESENT_NOTICE not in str(notice)
    again = _valid(agent_notice(returned, group, config, EscalationAction.RETURN, HERBERT.aad, None, resent=True))
    assert RESENT_NOTICE in str(again) and "Reason" not in str(again)
    _valid(undeliverable_card(group, first=True, error=HOSTILE, resent=True))
    _valid(undeliverable_card(group, first=False, error="Teams answered 404"))
    unsure = _valid(undeliverable_card(group, first=True, error="Teams answered 504", uncertain=True))
    assert "may not have been posted" in str(unsure) and "Nobody in that group" not in str(unsure)
    assert session_status(_escalation(tier=-1), config) == (
        "Escalated to Clever Tier 2 supervisors: pinging the first available person."
    )
    line = session_status(_escalation(status=EscalationStatus.CLAIMED, handled_by="U00000EG02"), config)
    assert line is not None and "Claimed by Edison Gomez" in line  # a Slack id, named the same way
