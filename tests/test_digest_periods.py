"""When digests fire and which periods words mean, across daylight-saving changes (New York: clocks go forward on
8 March 2026 at 02:00, back on 1 November 2026 at 02:00)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.digest import Period
from chatbot.domain.errors import UserFacingError
from chatbot.services.digest_periods import buckets, firings, parse_period, previous_firing

NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekday_mornings_follow_the_wall_clock_across_the_autumn_change():
    fired = firings("0 8 * * 1-5", NY, utc(2026, 10, 29, 13), utc(2026, 11, 3, 23))
    # Fri 08:00 EDT is 12:00 UTC; Mon and Tue 08:00 EST are 13:00 UTC; no weekend firings.
    assert fired == [utc(2026, 10, 30, 12), utc(2026, 11, 2, 13), utc(2026, 11, 3, 13)]
    # Monday's digest covers the weekend from Friday's firing: 73 hours, one more than the wall clock shows.
    assert previous_firing("0 8 * * 1-5", NY, utc(2026, 11, 2, 13)) == utc(2026, 10, 30, 12)


def test_a_wall_time_that_does_not_exist_fires_once_when_the_clock_jumps():
    fired = firings("30 2 * * *", NY, utc(2026, 3, 7), utc(2026, 3, 10))
    # 02:30 EST on the 7th; on the 8th 02:30 never happens: 03:30 EDT (07:30 UTC); 02:30 EDT on the 9th.
    assert fired == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)]


def test_a_wall_time_that_happens_twice_fires_once():
    fired = firings("30 1 * * *", NY, utc(2026, 10, 31), utc(2026, 11, 2, 12))
    assert fired == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    # Asked again from inside the repeated hour (01:45 EST, the second pass), it does not fire a second time.
    assert firings("30 1 * * *", NY, utc(2026, 11, 1, 6, 45), utc(2026, 11, 1, 12)) == []


def test_firings_are_after_the_start_and_up_to_the_end():
    assert firings("0 8 * * *", NY, utc(2026, 11, 2, 13), utc(2026, 11, 3, 13)) == [utc(2026, 11, 3, 13)]


def test_periods_in_words_are_local_days():
    now = utc(2026, 11, 2, 17)  # Monday 12:00 EST, the day after the change
    assert parse_period("today", "America/New_York", now) == Period(utc(2026, 11, 2, 5), now, "America/New_York")
    yesterday = parse_period("yesterday", "America/New_York", now)
    assert (yesterday.start, yesterday.end) == (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))
    assert yesterday.length == timedelta(hours=25)  # the day the clocks went back
    assert parse_period("week", "America/New_York", now).start == now - timedelta(days=7)
    assert parse_period(" since 2026-10-30 ", "America/New_York", now).start == utc(2026, 10, 30, 4)
    assert parse_period("", "UTC", now).start == utc(2026, 11, 2)


@pytest.mark.parametrize("words", ["fortnight", "since yesterday", "since 2026-13-01", "since 2027-01-01"])
def test_periods_it_cannot_read_are_refused_in_words(words):
    with pytest.raises(UserFacingError) as refused:
        parse_period(words, "UTC", utc(2026, 11, 2, 17))
    assert "today" in refused.value.message or "not begun" in refused.value.message


def test_chart_buckets_are_local_days_of_at_least_a_week_or_weeks_when_long():
    day = Period(utc(2026, 11, 1, 12), utc(2026, 11, 2, 13), "America/New_York")  # Sun 07:00 -> Mon 08:00
    boundaries, labels = buckets(day)
    assert labels == ("Tue 27", "Wed 28", "Thu 29", "Fri 30", "Sat 31", "Sun 1", "Mon 2")
    assert boundaries[0] == utc(2026, 10, 27, 4) and boundaries[-2] == utc(2026, 11, 2, 5)  # EDT, then EST midnight
    assert boundaries[-1] == day.end and len(boundaries) == len(labels) + 1
    quarter = Period(utc(2026, 8, 1), utc(2026, 11, 1), "UTC")
    boundaries, labels = buckets(quarter)
    assert len(labels) == 14 and labels[0].startswith("w/c ") and boundaries[-1] == quarter.end
    assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(boundaries[:-1]))
