"""`/oncall`: who is available in each group and whom a ping would reach; `away [until]` read the way people type
it, in their own time zone, and `back`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatbot.config import Config, Group
from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation_policy import Targets
from chatbot.services.availability import MemberStatus, choose_targets, member_statuses
from chatbot.services.clock import Clock
from chatbot.storage import Store

MAX_AWAY = timedelta(days=366)

UNTIL_HELP = "Say when you are back: `17:00`, `2h`, `30m`, `3d`, `tomorrow`, `2026-12-01` or `2026-12-01 09:00`."


def parse_until(text: str, now: datetime, zone: str, day_start: time = time(9, 0)) -> datetime | None:
    """The moment someone is back, or None for "until I say I am back". Raises UserFacingError if unreadable."""
    text = text.strip().lower()
    if not text:
        return None
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    if m := re.fullmatch(r"(\d{1,9})\s*(m|min|h|d)", text):
        amount, unit = int(m.group(1)), m.group(2)
        step = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
        if amount * step[unit] > MAX_AWAY:
            raise UserFacingError("That is more than a year away. " + UNTIL_HELP)
        return now + amount * step[unit]
    if text == "tomorrow":
        return datetime.combine(local_now.date() + timedelta(days=1), day_start, tz)
    if m := re.fullmatch(r"(\d{1,2}):(\d{2})", text):
        at = _clock(int(m.group(1)), int(m.group(2)))
        candidate = datetime.combine(local_now.date(), at, tz)
        return candidate if candidate > local_now else candidate + timedelta(days=1)
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ t](\d{1,2}):(\d{2}))?", text):
        try:
            day = date.fromisoformat(m.group(1))
        except ValueError:
            raise UserFacingError(f"“{text}” is not a date. {UNTIL_HELP}") from None
        at = _clock(int(m.group(2)), int(m.group(3))) if m.group(2) else day_start
        result = datetime.combine(day, at, tz)
        if result <= now:
            raise UserFacingError("That moment has passed already. " + UNTIL_HELP)
        if result - now > MAX_AWAY:
            raise UserFacingError("That is more than a year away. " + UNTIL_HELP)
        return result
    raise UserFacingError(f"I could not read “{text}”. {UNTIL_HELP}")


def _clock(hours: int, minutes: int) -> time:
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise UserFacingError("Hours go from 00:00 to 23:59. " + UNTIL_HELP)
    return time(hours, minutes)


@dataclass(frozen=True)
class GroupStatus:
    group_id: str
    group: Group
    members: list[MemberStatus]
    targets: Targets  # whom a ping now would reach


@dataclass(frozen=True)
class Away:
    until: datetime | None  # None: until they say they are back
    zone: str


class OncallService:
    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock

    async def listing(self) -> list[GroupStatus]:
        now = self.clock()
        away = await self.store.away.current(now)
        statuses = []
        for gid, group in self.config.groups.items():
            members = member_statuses(self.config, group, now, away)
            statuses.append(GroupStatus(gid, group, members, choose_targets(group, members)))
        return statuses

    async def away(self, user: str, text: str) -> Away:
        """Mark `user` away until what `text` says (read in their working time zone); UserFacingError if unreadable."""
        now = self.clock()
        zone, hours = self._zone_of(user)
        start_h, start_m = (int(x) for x in hours.split("-")[0].split(":"))
        until = parse_until(text, now, zone, time(start_h % 24, start_m))
        await self.store.away.set(user, until, now)
        return Away(until, zone)

    async def back(self, user: str) -> bool:
        """End `user`'s away mark; False if they had none."""
        return await self.store.away.clear(user, self.clock())

    def _zone_of(self, user: str) -> tuple[str, str]:
        """The time zone (and working hours) a person works in, from the configuration; UTC for anyone else."""
        for person_id, person in self.config.people.items():
            if user in (person.slack_user, person.teams_user):
                if person.working:
                    return person.working.timezone, person.working.hours
                for group in self.config.groups.values():
                    if person_id in group.members:
                        return group.working.timezone, group.working.hours
        return "UTC", "09:00-17:00"
