"""Who in a group can be pinged now, and whom a ping goes to. Pure: time, away marks and presence are inputs."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from chatbot.config import Config, Group, Hours, Person
from chatbot.domain.escalation_policy import Targets

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Tiers = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MemberStatus:
    person: str
    name: str
    tier: int
    available: bool
    reason: str | None  # why not available


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


def tiers_for(group: Group, person: str | None = None) -> Tiers:
    """The fallback order: the group's tiers, or, for a case addressed to one person, that person first and then the
    group's tiers without them."""
    if person is None:
        return group.tiers
    rest = tuple(tuple(p for p in tier if p != person) for tier in group.tiers)
    return ((person,), *(tier for tier in rest if tier))


def away_until(person: Person, away: Mapping[str, datetime | None]) -> tuple[bool, datetime | None]:
    """Whether the person marked themselves away (on any surface they use), and until when."""
    for user in (person.slack_user, person.teams_user):
        if user is not None and user in away:
            return True, away[user]
    return False, None


def member_statuses(
    config: Config,
    group: Group,
    now: datetime,
    away: Mapping[str, datetime | None],
    presence_away: Collection[str] = (),
    person: str | None = None,
) -> list[MemberStatus]:
    """Each person in the fallback order, with whether they can be pinged now. `presence_away`: Slack user ids that
    Slack shows away (counted only for groups with `use_slack_presence`)."""
    statuses = []
    for tier_index, tier in enumerate(tiers_for(group, person)):
        for person_id in tier:
            member = config.people[person_id]
            hours = member.working or group.working
            reason = None
            marked, until = away_until(member, away)
            if marked:
                reason = f"away until {until.astimezone(ZoneInfo(hours.timezone)):%a %H:%M}" if until else "away"
            elif not within(hours, now):
                reason = f"off hours ({hours.hours} {hours.timezone})"
            elif group.use_slack_presence and member.slack_user in presence_away:
                reason = "away in Slack"
            statuses.append(MemberStatus(person_id, member.name, tier_index, reason is None, reason))
    return statuses


def choose_targets(group: Group, statuses: list[MemberStatus], start: int = 0, person: str | None = None) -> Targets:
    """The available people of the first tier (from `start`) that has any, else everyone, with a warning.
    `person`: the one the escalation asks by name (the statuses' first tier)."""
    tiers = max((s.tier for s in statuses), default=-1) + 1
    for tier_index in range(start, tiers):
        ready = [s for s in statuses if s.tier == tier_index and s.available]
        if ready:
            unique = list({s.person: s for s in ready}.values())
            people, names = tuple(s.person for s in unique), tuple(s.name for s in unique)
            return Targets(tier_index, people, names, False, None, tiers, named=person is not None and tier_index == 0)
    everyone = list({s.person: s for s in statuses}.values())
    nobody = not any(s.available for s in statuses)
    warning = (
        "Nobody in this group is available right now (away or off hours): pinging everyone."
        if nobody
        else "Nobody answered in time: pinging the whole group."
    )
    return Targets(tiers, tuple(s.person for s in everyone), tuple(s.name for s in everyone), True, warning, tiers)
