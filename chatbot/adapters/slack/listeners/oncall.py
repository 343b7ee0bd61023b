"""`/oncall`: who is available in each group and who a ping would reach; `away [until]` and `back`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.escalation_blocks import oncall_listing
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.payload import SlashCommand
from chatbot.services.oncall import UNTIL_HELP


def register(app: AsyncApp, deps: SlackDeps) -> None:
    name = deps.config.commands.oncall

    async def listing(response_url: str | None) -> None:
        msg = oncall_listing(await deps.oncall.listing())
        if response_url:
            await deps.gateway.respond(
                response_url, {"response_type": "ephemeral", "text": msg.text, "blocks": msg.as_dicts()}
            )

    @app.command(name)
    async def oncall(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, SlashCommand)
        words = p.text.strip().split(maxsplit=1)
        verb = words[0].lower() if words else ""
        rest = words[1] if len(words) > 1 else ""
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
            away = await deps.oncall.away(p.user_id, rest)
            when = (
                f"until {away.until.astimezone(ZoneInfo(away.zone)):%a %d %b %H:%M} ({away.zone})"
                if away.until
                else f"until you say `{name} back`"
            )
            await ack(response_type="ephemeral", text=f"You are marked away {when}. Escalation pings skip you.")
            return
        if verb == "back":
            was_away = await deps.oncall.back(p.user_id)
            text = "Welcome back: pings reach you again." if was_away else "You were not marked away."
            await ack(response_type="ephemeral", text=text)
            return
        if verb:
            await ack(response_type="ephemeral", text=f"I know `{name}`, `{name} away [until]` and `{name} back`.")
            return
        await ack()
        deps.background.spawn(listing(p.response_url), what="oncall listing")
