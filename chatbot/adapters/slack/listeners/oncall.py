"""`/oncall`: who is available in each group and who a ping would reach; `away [until]` and `back`."""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.escalation_blocks import oncall_listing
from chatbot.adapters.slack.guard import guarded
from chatbot.services.availability import choose_targets, member_statuses
from chatbot.services.oncall import UNTIL_HELP, parse_until


def register(app: AsyncApp, deps: SlackDeps) -> None:
    def zone_of(user: str) -> tuple[str, Any]:
        """The time zone (and day start) a person works in, from the configuration; UTC for anyone else."""
        for person_id, person in deps.config.people.items():
            if person.slack_user == user:
                if person.working:
                    return person.working.timezone, person.working.hours
                for group in deps.groups.values():
                    if person_id in group.members:
                        return group.working.timezone, group.working.hours
        return "UTC", "09:00-17:00"

    async def listing(response_url: str | None) -> None:
        now = deps.clock()
        away = await deps.store.work.away(now)
        statuses = {}
        for gid, group in deps.groups.items():
            members = member_statuses(deps.config, group, now, away)
            statuses[gid] = (members, choose_targets(group, members))
        msg = oncall_listing(deps.config, statuses)
        if response_url:
            await deps.gateway.respond(
                response_url, {"response_type": "ephemeral", "text": msg.text, "blocks": msg.as_dicts()}
            )

    @app.command(deps.config.commands.oncall)
    @guarded(deps, "command")
    async def oncall(ack: AsyncAck, body: dict[str, Any]) -> None:
        user = str(body.get("user_id", ""))
        words = str(body.get("text") or "").strip().split(maxsplit=1)
        verb = words[0].lower() if words else ""
        rest = words[1] if len(words) > 1 else ""
        name = deps.config.commands.oncall
        if verb in ("help", "?"):
            await ack(
                response_type="ephemeral",
                text=(
                    f"`{name}` lists each escalation group, who is available now and who a ping would reach.\n"
                    f"`{name} away [until]` marks you away (pings skip you). {UNTIL_HELP}\n`{name} back` ends it."
                ),
            )
            return
        if verb == "away":
            now = deps.clock()
            zone, hours = zone_of(user)
            start_h, start_m = (int(x) for x in hours.split("-")[0].split(":"))
            until = parse_until(rest, now, zone, time(start_h % 24, start_m))
            await deps.store.work.set_away(user, until, now)
            when = (
                f"until {until.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone})"
                if until
                else (f"until you say `{name} back`")
            )
            await ack(response_type="ephemeral", text=f"You are marked away {when}. Escalation pings skip you.")
            return
        if verb == "back":
            was_away = await deps.store.work.clear_away(user, deps.clock())
            text = "Welcome back: pings reach you again." if was_away else "You were not marked away."
            await ack(response_type="ephemeral", text=text)
            return
        if verb:
            await ack(response_type="ephemeral", text=f"I know `{name}`, `{name} away [until]` and `{name} back`.")
            return
        await ack()
        deps.background.spawn(listing(body.get("response_url")), what="oncall listing")
