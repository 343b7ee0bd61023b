"""Time for digests: when a schedule fires, which period a request means, and the chart's buckets. Pure functions of
their arguments (no clock of their own).

A cron expression is read in the schedule's time zone, on the wall clock: "0 8 * * 1-5" in America/New_York fires
at 08:00 New York time whether that is 12:00 or 13:00 UTC. A wall time that does not exist (a spring-forward gap)
fires once, at the instant the clock jumps to (02:30 becomes 03:30); one that happens twice (fall back) fires once,
at the first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from chatbot.domain.digest import Period
from chatbot.domain.errors import UserFacingError

MAX_BARS = 20  # data points per series in Slack's data_visualization block
PERIOD_HELP = "`today`, `yesterday`, `week` (the last 7 days) or `since 2026-11-02`"


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    # fold=0: in a gap this is the instant the clock jumps to; when a time happens twice, the first of them.
    return wall.replace(tzinfo=zone).astimezone(UTC)


def firings(cron: str, zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """The instants (UTC) in (after, until] at which `cron` fires in `zone`, oldest first, each once."""
    found: list[datetime] = []
    # Start an hour early on the wall clock: in the repeated hour of a fall-back night, `after` (the second pass) maps
    # to a wall time the first pass already crossed; instants at or before `after` are dropped below anyway.
    it = croniter(cron, _wall(after, zone) - timedelta(hours=1))
    while True:
        instant = _instant(it.get_next(datetime), zone)
        if instant > until:
            return found
        if instant > after and (not found or instant > found[-1]):
            found.append(instant)


def previous_firing(cron: str, zone: ZoneInfo, firing: datetime) -> datetime:
    """The firing before `firing`: where the period that `firing` closes begins."""
    it = croniter(cron, _wall(firing, zone))
    while True:
        instant = _instant(it.get_prev(datetime), zone)
        if instant < firing:
            return instant


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return _instant(datetime.combine(day, time()), zone)


def parse_period(text: str, zone_name: str, now: datetime) -> Period:
    """`today` (since local midnight), `yesterday`, `week` (the 7 days up to now), `since DATE` (from that local
    midnight to now), or empty for today. UserFacingError, naming what is understood, otherwise."""
    zone = ZoneInfo(zone_name)
    words = text.strip().lower().split()
    today = now.astimezone(zone).date()
    if words in ([], ["today"]):
        return Period(midnight(today, zone), now, zone_name)
    if words == ["yesterday"]:
        return Period(midnight(today - timedelta(days=1), zone), midnight(today, zone), zone_name)
    if words == ["week"]:
        return Period(now - timedelta(days=7), now, zone_name)
    if len(words) == 2 and words[0] == "since" and re.fullmatch(r"\d{4}-\d\d-\d\d", words[1]):
        try:
            day = date.fromisoformat(words[1])
        except ValueError:
            raise UserFacingError(f"'{words[1]}' is not a date. Try {PERIOD_HELP}.") from None
        start = midnight(day, zone)
        if start >= now:
            raise UserFacingError(f"{day:%-d %b %Y} has not begun yet in {zone_name}.")
        return Period(start, now, zone_name)
    raise UserFacingError(f"I do not know the period '{text.strip()}'. Try {PERIOD_HELP}.")


def buckets(period: Period) -> tuple[tuple[datetime, ...], tuple[str, ...]]:
    """The volume chart's bucket boundaries (UTC) and labels: local days, over at least the last 7 (a daily digest
    shows its week), or weeks when there would be more than MAX_BARS days; at most MAX_BARS bars, the newest."""
    zone = ZoneInfo(period.timezone)
    end_day = _wall(period.end - timedelta(microseconds=1), zone).date()
    first_day = min(_wall(period.start, zone).date(), end_day - timedelta(days=6))
    days = (end_day - first_day).days + 1
    step = 1 if days <= MAX_BARS else 7
    count = min(-(-days // step), MAX_BARS)
    first_day = end_day - timedelta(days=step * count - 1)
    starts = [first_day + timedelta(days=step * i) for i in range(count)]
    last = min(midnight(end_day + timedelta(days=1), zone), period.end)
    boundaries = (*(midnight(d, zone) for d in starts), last)
    labels = tuple(f"{d:%a %-d}" if step == 1 else f"w/c {d:%-d %b}" for d in starts)
    return boundaries, labels
