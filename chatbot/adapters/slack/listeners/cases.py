"""Cases: `/case` (new, show, reopen), and Tier II's work from a ping: Resolve (what was found and changed), Record
work, the status-update reply, and starting the follow-up playbook with Tier I's answers filled in."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.models.views import View as SlackView

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.case_blocks import (
    case_details,
    case_opened,
    new_case_modal,
    resolve_modal,
    work_modal,
)
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.listeners.commands import start_for
from chatbot.adapters.slack.notices import tell, warn_pii
from chatbot.adapters.slack.payload import BlockActions, SlashCommand, ViewSubmission
from chatbot.adapters.slack.refs import ChannelRef, EscRef, decode
from chatbot.adapters.slack.sessions import failure_notifier
from chatbot.adapters.slack.text import code_blocks
from chatbot.domain.case import WorkKind
from chatbot.domain.errors import InvalidFields, UserFacingError
from chatbot.domain.escalation import Surface
from chatbot.rendering.escape import escape_mrkdwn, user_mention
from chatbot.services.case_words import HELPFUL_DETAILS
from chatbot.services.escalations import StaleEscalation
from chatbot.services.references import CASE_NUMBER

MODAL_FAILED = ":warning: Slack did not open the form (ref `{ref}`): it may have taken too long. Try again."


def help_text(command: str) -> str:
    return (
        f"*{command}* opens and shows cases (one per customer contact).\n"
        f"• `{command} new [ticket]` opens a case and gives you the “case opened” reply to send\n"
        f"• `{command} TS-2026-000123` shows a case: status, ticket, runs, escalations, timeline\n"
        f"• `{command} reopen TS-2026-000123` reopens a resolved or closed case\n"
        "`/triage` opens a case for its session too (or continues the ticket's open case). Your open cases are on "
        "the app's Home tab."
    )


def _reply_blocks(title: str, text: str) -> list[dict[str, object]]:
    blocks: list[dict[str, object]] = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    blocks.extend({"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in code_blocks(escape_mrkdwn(text)))
    return blocks


def register(app: AsyncApp, deps: SlackDeps) -> None:
    cases = deps.escalations.cases
    name = deps.config.commands.case

    def open_modal(p: BlockActions | SlashCommand, view: SlackView, what: str) -> None:
        user = p.user.id if isinstance(p, BlockActions) else p.user_id
        channel = p.channel_of if isinstance(p, BlockActions) else p.channel_id
        deps.background.spawn(
            deps.gateway.open_view(p.trigger_id or "", view),
            what=what,
            on_failure=failure_notifier(
                deps, response_url=p.response_url, channel=channel, user=user, text=MODAL_FAILED
            ),
        )

    # --- /case ---------------------------------------------------------------------------------------------
    @app.command(name)
    async def case_command(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, SlashCommand)
        words = p.text.split()
        if cases is None:
            raise UserFacingError("Cases are not set up in this app.")
        if not words or words[0].lower() in ("help", "?", "-h", "--help"):
            await ack(response_type="ephemeral", text=help_text(name))
            return
        if words[0].lower() == "new":
            await deps.triage.check_start(p.user_id, p.channel_id)
            await ack()
            ticket = words[1] if len(words) > 1 else None
            open_modal(p, new_case_modal(ChannelRef(p.channel_id), ticket), "new case modal")
            return
        if words[0].lower() == "reopen" and len(words) == 2:
            await deps.escalations.check_staff(p.user_id, p.channel_id)
            case = await cases.reopen(words[1], p.user_id)
            await ack(response_type="ephemeral", text=f"Case *{escape_mrkdwn(case.number)}* is open again.")
            return
        if len(words) == 1 and CASE_NUMBER.match(words[0]):
            await deps.escalations.check_staff(p.user_id, p.channel_id)
            msg = case_details(await cases.view(words[0]))
            await ack(response_type="ephemeral", text=msg.text, blocks=msg.blocks)
            return
        await ack(
            response_type="ephemeral",
            text=f"I did not understand “{escape_mrkdwn(p.text)}”. Try `{name} help`.",
        )

    @app.view(ids.CASE_NEW_CALLBACK)
    async def case_new(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, ViewSubmission)
        origin = decode(ChannelRef, p.view.private_metadata)
        values = p.values()
        labels = {field_id: label for field_id, label, _multi in HELPFUL_DETAILS}
        checked = None
        try:
            if deps.pii is not None:  # before anything is stored: Tier I must not hold personal data
                checked = deps.pii.check(values, labels, tier=1, only=list(labels))
            assert cases is not None
            case, reply, missing = await cases.intake(
                actor=p.user.id,
                surface=Surface.SLACK.value,
                channel=origin.channel,
                ticket=values.get("ticket_id"),
                details={k: values.get(k, "") for k in labels},
                priority=values.get(ids.CASE_PRIORITY) or None,
            )
        except InvalidFields as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        except UserFacingError as exc:
            await ack(response_action="errors", errors={"ticket_id": exc.message})
            return
        await ack()
        warn_pii(deps, p, checked, origin.channel)
        msg = case_opened(case, reply, missing)
        deps.background.spawn(
            deps.gateway.post_message(origin.channel, msg.text, msg.blocks),
            what="case opened",
            on_failure=failure_notifier(
                deps,
                response_url=None,
                channel=origin.channel,
                user=p.user.id,
                text=f":warning: Case {case.number} is open, but I could not post it here (ref `{{ref}}`).",
            ),
        )

    # --- Tier II's work, from the ping ---------------------------------------------------------------------
    @app.action(ids.ESC_RESOLVE)
    async def ask_resolution(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(EscRef, p.action.value)
        esc, _group = await deps.escalations.check_member(ref.escalation_id, p.user.id)
        await ack()
        open_modal(p, resolve_modal(ref, esc.handoff.case_number), "resolve modal")

    @app.view(ids.ESC_RESOLVE_CALLBACK)
    async def resolved(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, ViewSubmission)
        ref = decode(EscRef, p.view.private_metadata)
        values = p.values()
        found, changed = values.get(ids.RESOLVE_FOUND, ""), values.get(ids.RESOLVE_CHANGED, "")
        checked = None
        try:
            if deps.pii is not None:  # the closure texts go to the agent, in a Tier I channel
                labels = {ids.RESOLVE_FOUND: "What was found", ids.RESOLVE_CHANGED: "What changed"}
                checked = deps.pii.check(values, labels, tier=1, only=list(labels))
            await deps.escalations.resolve(
                ref.escalation_id, actor=p.user.id, version=ref.version, found=found, changed=changed
            )
        except InvalidFields as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        except UserFacingError as exc:
            await ack(response_action="errors", errors={ids.RESOLVE_FOUND: exc.message})
            return
        await ack()
        warn_pii(deps, p, checked)
        deps.wake_worker()

    @app.action(ids.ESC_WORK)
    async def ask_work(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(EscRef, p.action.value)
        await deps.escalations.check_member(ref.escalation_id, p.user.id)
        await ack()
        open_modal(p, work_modal(ref), "work modal")

    @app.view(ids.ESC_WORK_CALLBACK)
    async def work_recorded(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, ViewSubmission)
        ref = decode(EscRef, p.view.private_metadata)
        values = p.values()
        try:
            kind = WorkKind(values.get(ids.WORK_KIND, ""))
        except ValueError:
            await ack(response_action="errors", errors={ids.WORK_KIND: "Pick what was done."})
            return
        checked = None
        try:
            if deps.pii is not None:  # the agent reads the note in a Tier I channel
                labels = {ids.WORK_REFERENCE: "Reference", ids.WORK_DETAIL: "Note"}
                checked = deps.pii.check(values, labels, tier=1, only=list(labels))
            line = await deps.escalations.record_work(
                ref.escalation_id,
                kind,
                actor=p.user.id,
                reference=values.get(ids.WORK_REFERENCE),
                detail=values.get(ids.WORK_DETAIL),
            )
        except InvalidFields as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        except UserFacingError as exc:
            await ack(response_action="errors", errors={ids.WORK_KIND: exc.message})
            return
        await ack()
        deps.wake_worker()
        named = deps.config.names().get(p.user.id)  # as the agent's notice names them ("… is working with …")
        who = escape_mrkdwn(named) if named else user_mention(p.user.id)
        tell(deps, p, f"Recorded on the case: {who} {escape_mrkdwn(line)}. The agent is told.")
        warn_pii(deps, p, checked)

    @app.action(ids.ESC_STATUS)
    async def status_update(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(EscRef, p.action.value)
        number, text = await deps.escalations.status_update(ref.escalation_id, p.user.id)
        await ack()
        title = f"*Status update for case {escape_mrkdwn(number)}* (send it to the customer; recorded on the case):"
        blocks = _reply_blocks(title, text)
        deps.background.spawn(
            deps.gateway.post_ephemeral(p.channel_of, p.user.id, f"Status update for case {number}", blocks),
            what="status update reply",
        )

    @app.action(ids.ESC_FOLLOW_UP)
    async def follow_up(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(EscRef, p.action.value)
        try:
            playbook, preset, number = await deps.escalations.follow_up(ref.escalation_id, p.user.id)
        except StaleEscalation:
            await ack()
            return
        await start_for(
            deps,
            ack,
            playbook,
            channel=p.channel_of,
            user=p.user.id,
            team=p.team_of,
            response_url=p.response_url,
            preset=preset,
            case_number=number,
        )
