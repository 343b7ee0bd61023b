"""`/oncall away [until]`: read "until" the way people type it, in their own time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatbot.domain.errors import UserFacingError

UNTIL_HELP = "Say when you are back: `17:00`, `2h`, `30m`, `3d`, `tomorrow`, `2026-12-01` or `2026-12-01 09:00`."


def parse_until(text: str, now: datetime, zone: str, day_start: time = time(9, 0)) -> datetime | None:
    """The moment someone is back, or None for "until I say I am back". Raises UserFacingError if unreadable."""
    text = text.strip().lower()
    if not text:
        return None
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    if m := re.fullmatch(r"(\d+)\s*(m|min|h|d)", text):
        amount, unit = int(m.group(1)), m.group(2)
        delta = {
            "m": timedelta(minutes=amount),
            "min": timedelta(minutes=amount),
            "h": timedelta(hours=amount),
            "d": timedelta(days=amount),
        }[unit]
        return now + delta
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
        return result
    raise UserFacingError(f"I could not read “{text}”. {UNTIL_HELP}")


def _clock(hours: int, minutes: int) -> time:
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise UserFacingError("Hours go from 00:00 to 23:59. " + UNTIL_HELP)
    return time(hours, minutes)
