"""Availability and `/oncall away` parsing: pure functions, exact times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatbot.config import Hours
from chatbot.domain.errors import UserFacingError
from chatbot.services.availability import choose_targets, member_statuses, within
from chatbot.services.oncall import parse_until
from tests.slackapp import example_config

NY = "America/New_York"
WED_10AM_NY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "when", "expected"),
    [
        (Hours(timezone=NY, hours="08:00-18:00"), WED_10AM_NY, True),
        (Hours(timezone=NY, hours="08:00-18:00"), WED_10AM_NY + timedelta(hours=8), False),  # 18:00 sharp: off
        (Hours(timezone=NY, hours="08:00-18:00"), WED_10AM_NY - timedelta(hours=2, seconds=1), False),  # 07:59:59
        (Hours(timezone=NY, hours="08:00-18:00"), WED_10AM_NY + timedelta(days=3), False),  # Saturday
        (Hours(timezone=NY, hours="00:00-24:00", days=("sat",)), WED_10AM_NY + timedelta(days=3), True),
        (Hours(timezone=NY, hours="22:00-06:00"), datetime(2026, 11, 26, 8, 0, tzinfo=UTC), True),  # Thu 03:00
        (Hours(timezone=NY, hours="22:00-06:00"), datetime(2026, 11, 28, 8, 0, tzinfo=UTC), True),  # Sat 03:00
        (Hours(timezone=NY, hours="22:00-06:00"), datetime(2026, 11, 29, 8, 0, tzinfo=UTC), False),  # Sun 03:00
        (Hours(timezone="Europe/Paris", hours="09:00-17:00"), WED_10AM_NY, True),  # 16:00 in Paris
    ],
)
def test_working_hours(hours, when, expected):
    assert within(hours, when) is expected


def test_first_tier_with_anyone_available_wins_and_everyone_is_the_last_resort():
    config = example_config()
    group = config.groups["ts-supervisors"]
    herbert, edison = "U00000HM01", "U00000EG02"  # away marks are by Slack user id
    targets = choose_targets(group, member_statuses(config, group, WED_10AM_NY, {}))
    assert (targets.tier, targets.people, targets.everyone) == (0, ("herbert-mena", "edison-gomez"), False)
    targets = choose_targets(group, member_statuses(config, group, WED_10AM_NY, {herbert: None}))
    assert targets.people == ("edison-gomez",)  # one of the first two is enough
    away = {herbert: None, edison: WED_10AM_NY + timedelta(hours=1)}
    assert choose_targets(group, member_statuses(config, group, WED_10AM_NY, away)).people == ("julian-mantilla",)
    everyone_away = {u: None for u in ("U00000HM01", "U00000EG02", "U00000JM03", "U00000TD04")}
    targets = choose_targets(group, member_statuses(config, group, WED_10AM_NY, everyone_away))
    assert targets.everyone and len(targets.people) == 4 and "Nobody in this group is available" in targets.warning
    targets = choose_targets(group, member_statuses(config, group, WED_10AM_NY, {}), start=3)
    assert targets.everyone and "Nobody answered in time" in targets.warning


def test_slack_presence_counts_only_when_the_group_asks_for_it():
    config = example_config()
    data = config.model_dump()
    data["groups"]["ts-supervisors"]["use_slack_presence"] = True
    with_presence = type(config).model_validate(data)
    statuses = member_statuses(
        with_presence, with_presence.groups["ts-supervisors"], WED_10AM_NY, {}, presence_away={"U00000HM01"}
    )
    assert [s.reason for s in statuses][:2] == ["away in Slack", None]
    plain = member_statuses(config, config.groups["ts-supervisors"], WED_10AM_NY, {}, presence_away={"U00000HM01"})
    assert plain[0].available


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("2h", WED_10AM_NY + timedelta(hours=2)),
        ("30m", WED_10AM_NY + timedelta(minutes=30)),
        ("3d", WED_10AM_NY + timedelta(days=3)),
        ("17:00", datetime(2026, 11, 25, 22, 0, tzinfo=UTC)),  # today, 17:00 New York
        ("09:00", datetime(2026, 11, 26, 14, 0, tzinfo=UTC)),  # passed today: tomorrow
        ("tomorrow", datetime(2026, 11, 26, 14, 0, tzinfo=UTC)),  # tomorrow at the day's start (09:00)
        ("2026-12-01", datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
        ("2026-12-01 13:30", datetime(2026, 12, 1, 18, 30, tzinfo=UTC)),
    ],
)
def test_parse_until(text, expected):
    assert parse_until(text, WED_10AM_NY, NY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("someday", "could not read"),
        ("25:00", "Hours go"),
        ("2026-02-30", "not a date"),
        ("2020-01-01", "passed already"),
    ],
)
def test_parse_until_refuses_what_it_cannot_read(text, message):
    with pytest.raises(UserFacingError, match=message):
        parse_until(text, WED_10AM_NY, NY)


def test_a_case_addressed_to_one_person_asks_them_first_and_falls_back_on_the_group():
    """clever-tier2's returned escalation asks Herbert Mena by name; the TS Supervisor group is the fallback."""
    config = example_config()
    group = config.groups["ts-supervisors"]
    targets = choose_targets(group, member_statuses(config, group, WED_10AM_NY, {}, person="herbert-mena"))
    assert (targets.tier, targets.people, targets.everyone) == (0, ("herbert-mena",), False)
    away = {"U00000HM01": None}
    targets = choose_targets(group, member_statuses(config, group, WED_10AM_NY, away, person="herbert-mena"))
    assert targets.people == ("edison-gomez",)  # then the group's own order, without him
