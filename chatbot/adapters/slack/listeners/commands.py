"""`/triage`: help, the playbook picker, and starting a session."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack import blocks
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.payload import SlashCommand
from chatbot.adapters.slack.sessions import POST_FAILED, failure_notifier, post_session
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.services.references import playbook_and_reference


def help_text(command: str) -> str:
    return (
        f"*{command}* walks you through a support playbook, step by step, in this channel.\n"
        f"• `{command}` shows the list of playbooks to pick from\n"
        f"• `{command} clever-access` starts that playbook; `{command} clever login` searches titles\n"
        f"• `{command} clever-access 482913` starts it on Zendesk ticket 482913 (its case, if one is open); "
        f"`{command} clever-access TS-2026-000123` continues that case\n"
        f"• `{command} help` shows this help\n"
        "Click the answer that fits; *Back* undoes the last answer, *Restart* starts over. At the end you get the "
        "customer reply and the internal note, ready to paste. Never type personal data (names, birth dates, "
        "addresses) into a Tier 1 session: use user, class or child IDs."
    )


async def start_for(
    deps: SlackDeps,
    ack: AsyncAck,
    playbook_id: str,
    *,
    channel: str,
    user: str,
    team: str,
    response_url: str | None,
    preset: dict[str, str] | None = None,
    case_number: str | None = None,
) -> None:
    """Create the run (durably, before the ack), then post its message after the ack."""
    session = await deps.triage.start(
        playbook_id, actor=user, team_id=team, channel_id=channel, preset=preset, case_number=case_number
    )
    await ack()
    deps.background.spawn(
        post_session(deps, session, response_url),
        what=f"posting session {session.run_id}",
        on_failure=failure_notifier(deps, response_url=response_url, channel=channel, user=user, text=POST_FAILED),
    )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    name = deps.config.commands.triage

    @app.command(name)
    async def triage(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, SlashCommand)
        text = p.text.strip()
        if text.lower() in ("help", "?", "-h", "--help"):
            await ack(response_type="ephemeral", text=help_text(name))
            return
        await deps.triage.check_start(p.user_id, p.channel_id)
        catalog = deps.triage.engine.catalog
        found, text, ticket, case_number = playbook_and_reference(text, catalog.search)
        if not text:
            msg = blocks.picker([(pb.id, pb.spec.title) for pb in catalog], "Which playbook fits this ticket?")
            await ack(response_type="ephemeral", text=msg.text, blocks=msg.as_dicts())
            return
        if not found:
            await ack(
                response_type="ephemeral",
                text=f"No playbook matches “{escape_mrkdwn(text)}”. Type `{name}` for the list, or `{name} help`.",
            )
            return
        if len(found) > 1:
            msg = blocks.picker([(pb.id, pb.spec.title) for pb in found], f"{len(found)} playbooks match; pick one:")
            await ack(response_type="ephemeral", text=msg.text, blocks=msg.as_dicts())
            return
        await start_for(
            deps,
            ack,
            found[0].id,
            channel=p.channel_id,
            user=p.user_id,
            team=p.team_id,
            response_url=p.response_url,
            preset={"ticket_id": ticket} if ticket else None,
            case_number=case_number,
        )
