"""`chatbot digest`: the leads' digest in the terminal (text or JSON), for a lead without Slack access. The same
service and figures as the scheduled digest and `/digest`."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from chatbot.config import Config
from chatbot.domain.digest import Period
from chatbot.domain.errors import UserFacingError
from chatbot.engine.catalog import build_engine
from chatbot.rendering.digest_text import digest_json, digest_text
from chatbot.services.clock import Clock, system_clock
from chatbot.services.digest_periods import midnight
from chatbot.services.digests import DigestService

KEYWORDS = ("today", "yesterday", "week")


def _moment(value: str, zone: str, *, end_of_day: bool) -> datetime:
    """A date (its local midnight; the next one with `end_of_day`, so the day is included) or a date and time."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return midnight(day + timedelta(days=1) if end_of_day else day, ZoneInfo(zone))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UserFacingError(f"'{value}' is not a date (2026-11-02) or a date and time (2026-11-02T08:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


def period_of(service: DigestService, since: str, until: str | None, schedule_id: str | None) -> Period:
    schedule = service.schedules.get(schedule_id) if schedule_id else service.default_schedule()
    if schedule_id and schedule is None:
        raise UserFacingError(f"There is no digest '{schedule_id}'. Known: {', '.join(service.schedules) or 'none'}")
    zone = schedule.timezone if schedule else "UTC"
    end = _moment(until, zone, end_of_day=True) if until else service.clock()
    if since.lower() in KEYWORDS:
        if until:
            raise UserFacingError(f"--until goes with --since DATE, not with --since {since}")
        return service.period(since, schedule)
    start = _moment(since, zone, end_of_day=False)
    if start >= end:
        raise UserFacingError("--since must come before --until (or now)")
    return Period(start, end, zone)


async def print_digest(
    config: Config,
    store_url: str,
    *,
    since: str,
    until: str | None,
    fmt: str,
    schedule_id: str | None,
    out: TextIO = sys.stdout,
    clock: Clock = system_clock,
) -> None:
    from chatbot.runtime import open_store

    store = await open_store(store_url)
    try:
        service = DigestService(config, store, build_engine(config).catalog, clock)
        period = period_of(service, since, until, schedule_id)
        schedule = service.schedules.get(schedule_id) if schedule_id else service.default_schedule()
        digest = await service.compute(period, schedule)
        out.write(digest_json(digest) if fmt == "json" else digest_text(digest))
    finally:
        await store.close()
