"""The digest's Adaptive Card: the Adaptive Card 1.5 schema, Teams' size budget, what people typed kept as text, and
the same figures as the terminal's rendering of the same Digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chatbot.adapters.teams.digest_cards import RESENT, digest_card
from chatbot.adapters.teams.kit import CARD_BUDGET, card_size
from chatbot.domain.digest import (
    Bucket,
    CaseCounts,
    Count,
    Digest,
    Figure,
    LateEscalation,
    OpenEscalation,
    OutcomeCount,
    Period,
    Source,
)
from chatbot.rendering.digest_text import digest_text
from tests.teamsapp import checked, texts, walk

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
PERIOD = Period(NOW - timedelta(days=3), NOW, "America/New_York")
TYPED = "Locked out <at>Everyone</at> see [here](https://evil.example) **now**"
H = timedelta(hours=1)


def digest(*, sources: int = 2, open_items: int = 2, late: bool = False) -> Digest:
    step = "2. Clever dashboard check"
    return Digest(
        title="Support leads: daily digest",
        scope="groups Clever Tier 2 supervisors",
        period=PERIOD,
        computed_at=NOW,
        raised=Figure(5, 3), acknowledged=Figure(4, 3), still_open=Figure(open_items, 1),
        ack_median=Figure(420.0, 300.0), ack_p90=Figure(900.0, None), reescalated=Figure(1, 0),
        returned=Figure(1, 1), resolved=Figure(2, 2), refused=Figure(0, 0),
        late_high=(LateEscalation("e1", TYPED, "Clever Tier 2 supervisors", NOW - 3 * H, None, 3 * H,
                                  timedelta(minutes=5), None),),
        late_high_count=Figure(1, 0),
        open_items=tuple(
            OpenEscalation(f"o{i}", TYPED * (1 + i % 3), "Clever Tier 2 supervisors", "high", "claimed",
                           "Herbert Mena", NOW - (i + 1) * H, (i + 1) * H)
            for i in range(open_items)
        ),
        sources=tuple(
            Source("clever-tier2", "Clever Tier 2 escalations", f"s{i}", step, f"Escalate {i}", Figure(5, 2))
            for i in range(sources)
        ),
        runs_ended=Figure(12, 10),
        runs_by_outcome=(Count("resolved", "Resolved", Figure(6, 5)), Count("escalated", "Escalated", Figure(5, 3))),
        outcomes=(OutcomeCount("clever-access", "Clever access", "send", "Send login steps", "resolved",
                               Figure(4, 1)),),
        volume=tuple(Bucket(f"{d} {20 + i}", NOW, 3 * i, i) for i, d in enumerate(("Fri", "Sat", "Sun", "Mon"))),
        cases=(CaseCounts("high", Figure(2, 1), Figure(1, 0)),),
        due_at=NOW - 2 * H if late else None,
        late=late,
    )  # fmt: skip


def text_blocks(card: dict) -> list[str]:  # type: ignore[type-arg]
    """What Teams reads as Markdown: TextBlocks and facts."""
    found = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
    for node in walk(card):
        if node.get("type") == "FactSet":
            found += [f"{f['title']} {f['value']}" for f in node["facts"]]
    return found


def test_a_typical_digest_is_a_valid_card_well_within_the_budget_with_the_terminals_figures() -> None:
    d = digest()
    card = checked(digest_card(d))  # the Adaptive Card 1.5 schema, and Teams' own needs
    assert card_size(card) < CARD_BUDGET // 2
    facts = {f["title"]: f["value"] for n in walk(card) if n.get("type") == "FactSet" for f in n["facts"]}
    terminal = digest_text(d)
    for label in ("Escalations raised", "Acknowledged", "Time to acknowledge, median", "Re-escalated"):
        assert f"{label:<30} {facts[label]}" in terminal  # the same words and numbers as `chatbot digest`
    assert facts["Time to acknowledge, median"] == "7 min (+2 min)" and facts["Runs ended"] == "12 (+2)"
    tables = [n for n in walk(card) if n.get("type") == "Table"]
    assert [len(t["rows"]) for t in tables] == [5, 3, 2, 2]  # volume (4 days), sources, outcomes, cases; + headers
    volume = [[c["items"][0]["text"] for c in row["cells"]] for row in tables[0]["rows"]]
    assert volume[0] == ["Day", "Runs ended", "Escalations"]
    assert volume[-1] == ["Mon 23", "9 ▮▮▮▮▮▮▮▮", "3 ▮▮▮"]  # a text bar: Teams' cards have no chart
    assert all(isinstance(t["fallback"], dict) and t["fallback"]["type"] == "TextBlock" for t in tables)
    assert "Posted late" not in texts(card) and RESENT not in texts(card)


def test_what_people_typed_never_becomes_a_mention_a_link_or_markup() -> None:
    card = checked(digest_card(digest(late=True)))
    for text in text_blocks(card):
        assert "<at>" not in text and "](https://" not in text and "**now**" not in text
    shown = texts(card).replace("\\", "")  # what a person reads once Markdown escapes are resolved
    assert TYPED in shown and "Posted late" in shown
    assert "claimed by Herbert Mena" in shown  # a name, never a mention


def test_a_huge_period_still_fits_and_says_what_it_leaves_out() -> None:
    card = checked(digest_card(digest(sources=400, open_items=80)))
    assert card_size(card) <= CARD_BUDGET
    shown = texts(card)
    assert "…and" in shown and "more." in shown
    sources = [n for n in walk(card) if n.get("type") == "Table"][1]
    assert 1 < len(sources["rows"]) < 401


def test_a_second_copy_says_so() -> None:
    card = checked(digest_card(replace(digest(), title="Leads")))
    again = checked(digest_card(replace(digest(), title="Leads"), resent=True))
    assert RESENT not in texts(card).replace("\\", "") and RESENT in texts(again).replace("\\", "")
