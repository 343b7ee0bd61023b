"""How a digest's numbers read, the same in every renderer: changes, durations, periods, times of day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatbot.domain.digest import Figure, Period


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def change(figure: Figure, *, seconds: bool = False) -> str:
    """ "+3", "−2" or "±0" against the period before; empty where one of them is missing (no median of nothing)."""
    delta = figure.change
    if delta is None:
        return ""
    if delta == 0:
        return "±0"
    sign = "+" if delta > 0 else "−"
    return sign + (duration(timedelta(seconds=abs(delta))) if seconds else number(abs(delta)))


def figure(value: Figure, *, seconds: bool = False) -> str:
    """The figure and its change, e.g. "12 (+3)" or "6 min (−2 min)"."""
    shown = duration(timedelta(seconds=value.now)) if seconds and value.now is not None else number(value.now)
    delta = change(value, seconds=seconds)
    return f"{shown} ({delta})" if delta else shown


def duration(value: timedelta) -> str:
    """Short and exact enough to act on: "45 s", "12 min", "3 h 20 min", "2 d 4 h"."""
    total = round(value.total_seconds())
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def when(instant: datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)):%a %-d %b %H:%M}"


def period_line(period: Period) -> str:
    return f"{when(period.start, period.timezone)} → {when(period.end, period.timezone)} ({period.timezone})"


def compared_with(period: Period) -> str:
    hours = period.length.total_seconds() / 3600
    if hours.is_integer() and hours <= 48:
        before = f"{hours:.0f} hours"
    elif (hours / 24).is_integer():
        before = f"{hours / 24:.0f} days"
    else:
        before = duration(period.length)
    return f"each figure against the {before} before"
