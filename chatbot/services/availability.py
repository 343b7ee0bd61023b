"""Who in a group can be pinged now, and whom a ping goes to. Pure: time, away marks and presence are inputs."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from chatbot.config import Config, Group, Hours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class MemberStatus:
    person: str
    name: str
    slack_user: str
    tier: int
    available: bool
    reason: str | None  # why not available


@dataclass(frozen=True)
class Targets:
    """Whom to ping: the available members of the first tier (from `start`) that has any, else everyone."""

    tier: int  # index into the group's tiers; == len(tiers) when the whole group is pinged
    users: tuple[str, ...]  # Slack user ids
    names: tuple[str, ...]
    everyone: bool
    warning: str | None

    def label(self, group: Group) -> str:
        return "the whole group" if self.everyone else f"tier {self.tier + 1} of {len(group.tiers)}"


def _parse(hhmm: str) -> time | None:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return None if hours == 24 else time(hours, minutes)


def within(hours: Hours, now: datetime) -> bool:
    """True if `now` falls in the working hours (an end before the start means an overnight shift)."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    start_text, end_text = hours.hours.split("-")
    start, end = _parse(start_text), _parse(end_text)
    t = local.time()
    day = WEEKDAYS[local.weekday()]
    if start is None:
        return False
    if end is None or end > start:
        return day in hours.days and t >= start and (end is None or t < end)
    # Overnight: the part after midnight belongs to the shift that started the day before.
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    return (day in hours.days and t >= start) or (yesterday in hours.days and t < end)


def member_statuses(
    config: Config,
    group: Group,
    now: datetime,
    away: Mapping[str, datetime | None],
    presence_away: Collection[str] = (),
) -> list[MemberStatus]:
    statuses = []
    for tier_index, tier in enumerate(group.tiers):
        for person_id in tier:
            person = config.people[person_id]
            hours = person.working or group.working
            reason = None
            if person.slack_user in away:
                until = away[person.slack_user]
                reason = f"away until {until.astimezone(ZoneInfo(hours.timezone)):%a %H:%M}" if until else "away"
            elif not within(hours, now):
                reason = f"off hours ({hours.hours} {hours.timezone})"
            elif group.use_slack_presence and person.slack_user in presence_away:
                reason = "away in Slack"
            statuses.append(MemberStatus(person_id, person.name, person.slack_user, tier_index, reason is None, reason))
    return statuses


def choose_targets(group: Group, statuses: list[MemberStatus], start: int = 0) -> Targets:
    for tier_index in range(start, len(group.tiers)):
        ready = [s for s in statuses if s.tier == tier_index and s.available]
        if ready:
            unique = list({s.slack_user: s for s in ready}.values())
            return Targets(tier_index, tuple(s.slack_user for s in unique), tuple(s.name for s in unique), False, None)
    everyone = list({s.slack_user: s for s in statuses}.values())
    nobody = not any(s.available for s in statuses)
    warning = (
        "Nobody in this group is available right now (away or off hours): pinging everyone."
        if nobody
        else "Nobody answered in time: pinging the whole group."
    )
    return Targets(
        len(group.tiers), tuple(s.slack_user for s in everyone), tuple(s.name for s in everyone), True, warning
    )
