"""Adaptive Cards for Teams: valid AC 1.5, within the size budget, user text inert, payloads round-trip."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.cards import notice_card, picker_card, session_card
from chatbot.adapters.teams.kit import CARD_BUDGET, card_size
from chatbot.adapters.teams.text import author_markdown, escape_text
from chatbot.domain.views import TrailLine
from tests import teams_views
from tests.cardschema import schema_errors, teams_problems


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _texts(card: dict[str, Any]) -> list[str]:
    return [n["text"] for n in _walk(card) if n.get("type") == "TextBlock"]


def _actions(card: dict[str, Any], kind: str = "Action.Execute") -> list[dict[str, Any]]:
    return [n for n in _walk(card) if n.get("type") == kind]


def _unescape(text: str) -> str:
    """What a Markdown renderer shows for backslash escapes of ASCII punctuation."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


ALL_CARDS = {
    **{
        f"session-{k}": (lambda f=f: session_card(f(), "run-0123456789", "Ada <at>x</at>"))
        for k, f in teams_views.ALL.items()
    },
    "form-with-errors": lambda: session_card(
        teams_views.collect(), "run-1", errors={"email": "Enter an email address like name@example.org."}
    ),
    "picker": lambda: picker_card([("vpn", "VPN won't connect"), ("sso", "SSO <at>x</at>")], "Pick **one** of 2"),
    "notice": lambda: notice_card("This session moved on <at>Bob</at>", title="Stale"),
}


@pytest.mark.parametrize("name", sorted(ALL_CARDS))
def test_every_card_is_valid_adaptive_card_1_5_and_fits_teams(name: str) -> None:
    card = ALL_CARDS[name]()
    assert schema_errors(card) == []
    assert teams_problems(card) == []


def test_the_schema_check_catches_real_mistakes() -> None:
    good = session_card(teams_views.question(), "run-1")
    broken = []
    for mutate in (
        lambda c: c["body"][0].update(type="TextBlok"),
        lambda c: c["body"][0].pop("text"),
        lambda c: c["body"][0].update(wrapp=True),
        lambda c: c["body"][0].update(size="huge"),
        lambda c: c["actions"][0].update(title=3),
        lambda c: c.update(msteams={"width": "Full"}),  # Teams-only property: not in the schema
    ):
        card = copy.deepcopy(good)
        mutate(card)
        broken.append(bool(schema_errors(card)))
    assert broken == [True] * 6
    no_fallback = copy.deepcopy(good)
    _actions(no_fallback)[0].pop("fallback")
    assert teams_problems(no_fallback)


def test_question_card_has_one_execute_per_choice_with_a_typed_versioned_payload() -> None:
    card = session_card(teams_views.question(), "run-42")
    choices = [a for a in _actions(card) if a["verb"] == ids.CHOOSE]
    assert [a["title"] for a in choices] == ["GlobalProtect", "AnyConnect"]
    refs = [ids.ActionRef.decode(a["data"], a["verb"]) for a in choices]
    assert refs == [ids.ActionRef(ids.CHOOSE, "run-42", 3, 0), ids.ActionRef(ids.CHOOSE, "run-42", 3, 1)]
    assert all(a["associatedInputs"] == "none" for a in choices)
    # the fallback decodes the same way from its data alone (Action.Submit has no verb)
    assert ids.ActionRef.decode(choices[1]["fallback"]["data"]) == refs[1]
    nav = [a["verb"] for a in _actions(card) if a["verb"] != ids.CHOOSE]
    assert nav == [ids.BACK, ids.RESTART, ids.CANCEL]  # Cancel sits behind a ShowCard confirmation
    [confirm] = _actions(card, "Action.ShowCard")
    assert confirm["title"] == "Cancel" and confirm["card"]["actions"][0]["verb"] == ids.CANCEL


def test_payload_decoding_refuses_what_we_did_not_write() -> None:
    good = ids.ActionRef(ids.CHOOSE, "run-1", 2, 0).encode()
    for bad in (
        None,
        {},
        {**good, "p": 2},
        {**good, "verb": "pb.other"},
        {**good, "v": "2"},
        {**good, "v": True},
        {**good, "c": None},
        {**good, "r": 5},
        {"verb": ids.BACK, "p": 1},
    ):
        with pytest.raises(ids.BadPayload):
            ids.ActionRef.decode(bad)
    assert ids.ActionRef.decode(ids.ActionRef(ids.PICK).encode()) == ids.ActionRef(ids.PICK)


def test_form_step_renders_every_field_type_with_markers_values_and_server_errors() -> None:
    card = session_card(
        teams_views.collect(),
        "run-1",
        errors={"account": "Keep it to 40 characters (this is 41).", "os": "Pick one of the listed options."},
        values={"account": "A" * 41},
    )
    inputs = {n["id"]: n for n in _walk(card) if str(n.get("type", "")).startswith("Input.")}
    assert {k: v["type"] for k, v in inputs.items()} == {
        "f.account": "Input.Text",
        "f.email": "Input.Text",
        "f.seats": "Input.Number",
        "f.since": "Input.Date",
        "f.os": "Input.ChoiceSet",
        "f.details": "Input.Text",
        "f.site": "Input.Text",
    }
    assert inputs["f.account"]["isRequired"] and inputs["f.account"]["value"] == "A" * 41  # resubmitted value kept
    assert inputs["f.email"]["style"] == "email" and inputs["f.site"]["style"] == "url"
    assert inputs["f.details"]["isMultiline"] and not inputs["f.seats"]["isRequired"]
    assert inputs["f.seats"]["value"] == 12 and inputs["f.since"]["value"] == "2026-01-31"
    assert inputs["f.os"]["value"] == "macOS" and inputs["f.os"]["choices"][0]["value"] == "Windows"
    assert inputs["f.email"]["value"] == teams_views.HOSTILE  # an input shows its value verbatim: no escaping
    body = card["body"][3]["items"]
    errors = [(i, n["text"]) for i, n in enumerate(body) if n.get("color") == "attention"]
    positions = {n.get("id"): i for i, n in enumerate(body)}
    assert [t for _, t in errors] == ["Keep it to 40 characters \\(this is 41\\).", "Pick one of the listed options."]
    assert positions["f.account"] < errors[0][0] < positions["f.email"]  # under its own field
    [save] = [a for a in _actions(card) if a["verb"] == ids.SUBMIT]
    assert "associatedInputs" not in save  # Save sends the inputs; navigation does not


def test_submitted_form_values_are_read_back_by_field_id() -> None:
    data = {**ids.ActionRef(ids.SUBMIT, "r", 1).encode(), "f.account": "ACME-1", "f.seats": 3, "copy.reply": "x"}
    assert ids.submitted_fields(data) == {"account": "ACME-1", "seats": "3"}


def test_outcome_card_offers_reply_and_note_verbatim_for_copying() -> None:
    view = teams_views.outcome()
    card = session_card(view, "run-1", group_names={"tier2-network": "Tier 2 Network"})
    boxes = {n["id"]: n for n in _walk(card) if n.get("type") == "Input.Text"}
    assert boxes[ids.COPY_REPLY]["value"] == view.outcome.reply and boxes[ids.COPY_REPLY]["isMultiline"]
    assert boxes[ids.COPY_NOTE]["value"] == view.outcome.note
    assert any("Escalated to Tier 2 Network" in t for t in _texts(card))
    assert all(a.get("associatedInputs") == "none" for a in _actions(card))  # the copies are never sent back


_PIECES = [*"ab <>*_[]()\\-+#.!`~|@:/\n1 ", "<at>", "](", "**", "\n- ", "\n1. ", "  * "]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_escaped_user_text_shows_exactly_what_was_typed_and_forms_no_markup(raw: str) -> None:
    escaped = escape_text(raw)
    assert _unescape(escaped) == raw
    unescaped_specials = re.findall(r"(?<!\\)(?:\\\\)*([*_\[\]()<>])", escaped)
    assert unescaped_specials == []
    assert not re.search(r"(?m)^\s*(?<!\\)[-+](?=\s)", escaped)  # no bullet list
    assert not re.search(r"(?m)^\s*\d+\.(?=\s)", escaped)  # no numbered list


def test_user_values_in_the_session_card_cannot_mention_link_or_format() -> None:
    hostile = teams_views.HOSTILE
    view = replace(
        teams_views.question(),
        trail=(TrailLine("Q?", hostile, None, None),) * 2,
    )
    for card in (
        session_card(view, "run-1", owner_name=hostile),
        session_card(teams_views.outcome(), "run-1", owner_name=hostile, status=hostile),
        notice_card(hostile, title=hostile),
        picker_card([("vpn", "VPN")], hostile),
    ):
        for text in _texts(card):
            assert "<at>" not in text and "](" not in text.replace("](https://help.example.org", "")
            assert "\\<at\\>" in text or hostile not in _unescape(text)


def test_the_session_card_names_its_case_and_ticket_and_a_typed_ticket_stays_inert() -> None:
    view = replace(teams_views.question(), case_number="TS-2026-000123", ticket="482913")
    line = _texts(session_card(view, "run-1", owner_name="Ada"))[1]
    assert line.startswith("Session for Ada · Case TS-2026-000123 · Ticket #482913 · step ")
    assert "Case" not in _texts(session_card(teams_views.question(), "run-1"))[1]  # none yet: none shown
    for text in _texts(session_card(replace(view, ticket=teams_views.HOSTILE), "run-1")):
        assert "<at>" not in text and "](" not in text.replace("](https://help.example.org", "")


def test_author_markdown_keeps_bold_and_links_but_never_a_mention() -> None:
    out = author_markdown("**Step** [guide](https://x.example/a) <at>Team</at> [bad](javascript:alert(1))")
    assert out.startswith("**Step** [guide](https://x.example/a) \\<at\\>Team\\</at\\>")
    assert "<at>" not in out


def test_cards_stay_within_budget_with_a_long_trail_and_huge_texts() -> None:
    long_trail = tuple(TrailLine(f"Question {i} " + "q" * 300, "answer " * 60, None, None) for i in range(200))
    big = replace(teams_views.question(), trail=long_trail, question="word " * 8000, help="h" * 20000)
    card = session_card(big, "run-1")
    assert card_size(card) <= CARD_BUDGET and schema_errors(card) == []
    assert any("earlier answers" in t for t in _texts(card))
    huge = teams_views.outcome(reply="R" * 60000, note="N" * 60000)
    card = session_card(huge, "run-1")
    assert card_size(card) <= CARD_BUDGET and schema_errors(card) == []
    reply = next(n for n in _walk(card) if n.get("id") == ids.COPY_REPLY)
    assert reply["value"].endswith("the full text is in the session record)")


def test_typical_card_sizes_leave_plenty_of_room() -> None:
    sizes = {name: card_size(build()) for name, build in ALL_CARDS.items()}
    assert max(sizes.values()) < 8 * 1024, sizes
