"""`/digest [today|yesterday|week|since DATE]`: the leads' digest for any period, shown only to whoever asks, if
they may see cases (escalations' summaries are in it): whoever may start playbooks there, or a Tier 2 member.

The period is read before the ack (a mistake is answered at once); the figures take longer than Slack's 3 s on a big
database, so they are computed after it and sent through the command's response_url. Typed in a channel a schedule
posts to, it uses that schedule's time zone and scope, so it shows the figures the channel's digest shows.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.digest_delivery import renderings
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.payload import SlashCommand
from chatbot.config import DigestSchedule
from chatbot.domain.digest import Period
from chatbot.rendering.digest_format import period_line
from chatbot.services.access import DIGEST_NOT_ALLOWED
from chatbot.services.digest_periods import PERIOD_HELP

MARKER = "digest-request"


def register(app: AsyncApp, deps: SlackDeps) -> None:
    name = deps.config.commands.digest
    service = deps.digests
    if service is None:
        return

    async def show(response_url: str, period: Period, schedule: DigestSchedule | None) -> None:
        digest = await service.compute(period, schedule)
        for _name, msg in renderings(digest, MARKER):  # plainer each time Slack refuses a block
            sent = {"response_type": "ephemeral", "text": msg.text, "blocks": msg.blocks}
            if await deps.gateway.respond(response_url, sent):
                return

    @app.command(name)
    async def digest(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, SlashCommand)
        if p.text.strip().lower() in ("help", "?"):
            await ack(response_type="ephemeral", text=f"`{name}` shows the leads' digest to you alone: {PERIOD_HELP}.")
            return
        await deps.escalations.check_staff(p.user_id, p.channel_id, DIGEST_NOT_ALLOWED)  # answered as an error
        schedule = service.default_schedule(p.channel_id)
        period = service.period(p.text, schedule)  # a period it cannot read is answered by the error boundary
        await ack(response_type="ephemeral", text=f"Counting {period_line(period)}…")
        if p.response_url:
            deps.background.spawn(show(p.response_url, period, schedule), what="digest")
