"""Escalation pings: Acknowledge, Claim, Return to Tier 1 (with a reason), Resolve; and `/escalate` by hand."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.escalation_blocks import manual_modal, ping_message, return_modal
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.notices import tell, warn_pii
from chatbot.adapters.slack.payload import BlockActions, SlashCommand, ViewSubmission
from chatbot.adapters.slack.refs import ChannelRef, EscRef, decode
from chatbot.adapters.slack.sessions import failure_notifier
from chatbot.domain.errors import InvalidFields, UserFacingError
from chatbot.domain.escalation import Surface
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.services.escalations import StaleEscalation

MODAL_FAILED = ":warning: Slack did not open the form (ref `{ref}`): it may have taken too long. Try again."


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def refresh(escalation_id: str) -> None:
        esc, group = await deps.escalations.get(escalation_id)
        post = esc.post_on(Surface.SLACK)
        if post is not None:
            msg = ping_message(esc, group, deps.config, None, None, "ping")
            await deps.gateway.update_message(post.channel, post.message_id, msg.text, msg.blocks)

    @app.action(ids.ESC_ACTION)
    async def press(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        action = p.action.action_id.split(".", 1)[1]
        ref = decode(EscRef, p.action.value)
        try:
            await deps.escalations.act(ref.escalation_id, action, actor=p.user.id, version=ref.version)
        except StaleEscalation as exc:
            await ack()
            tell(deps, p, escape_mrkdwn(exc.message))
            deps.background.spawn(refresh(ref.escalation_id), what="stale escalation refresh")
            return
        await ack()
        deps.wake_worker()

    @app.action(ids.ESC_RETURN)
    async def ask_why(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(EscRef, p.action.value)
        await deps.escalations.check_member(ref.escalation_id, p.user.id)
        await ack()
        deps.background.spawn(
            deps.gateway.open_view(p.trigger_id or "", return_modal(ref)),
            what="return modal",
            on_failure=failure_notifier(
                deps, response_url=p.response_url, channel=p.channel_id, user=p.user.id, text=MODAL_FAILED
            ),
        )

    @app.view(ids.ESC_RETURN_CALLBACK)
    async def returned(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, ViewSubmission)
        ref = decode(EscRef, p.view.private_metadata)
        reason = p.values().get(ids.ESC_REASON_BLOCK, "")
        if not reason.strip():
            await ack(response_action="errors", errors={ids.ESC_REASON_BLOCK: "Say why, so the agent knows."})
            return
        try:
            await deps.escalations.act(ref.escalation_id, "return", actor=p.user.id, version=ref.version, reason=reason)
        except UserFacingError as exc:
            await ack(response_action="errors", errors={ids.ESC_REASON_BLOCK: escape_mrkdwn(exc.message)})
            return
        await ack()
        deps.wake_worker()

    @app.command(deps.config.commands.escalate)
    async def escalate(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, SlashCommand)
        await deps.escalations.check_can_escalate(p.user_id, p.channel_id)
        await ack()
        groups = [(gid, g.name) for gid, g in deps.groups.items()]
        deps.background.spawn(
            deps.gateway.open_view(p.trigger_id or "", manual_modal(groups, ChannelRef(p.channel_id))),
            what="escalate modal",
            on_failure=failure_notifier(
                deps, response_url=p.response_url, channel=p.channel_id, user=p.user_id, text=MODAL_FAILED
            ),
        )

    @app.view(ids.MANUAL_CALLBACK)
    async def escalated(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, ViewSubmission)
        origin = decode(ChannelRef, p.view.private_metadata)
        values = p.values()
        summary = values.get(ids.MANUAL_SUMMARY, "").strip()
        if not summary:
            await ack(response_action="errors", errors={ids.MANUAL_SUMMARY: "Say what Tier 2 should look at."})
            return
        checked = None
        try:
            if deps.pii is not None:  # typed at Tier 1, and shown back in the agent's channel
                labels = {ids.MANUAL_SUMMARY: "What is wrong", ids.MANUAL_REFERENCE: "Case or ticket number"}
                checked = deps.pii.check(values, labels, tier=1, only=list(labels))
            await deps.escalations.manual(
                group_id=values.get(ids.MANUAL_GROUP, ""),
                summary=summary,
                priority=values.get(ids.MANUAL_PRIORITY, "normal") or "normal",
                reference=values.get(ids.MANUAL_REFERENCE, ""),
                actor=p.user.id,
                channel=origin.channel or None,
            )
        except InvalidFields as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        except UserFacingError as exc:
            await ack(response_action="errors", errors={ids.MANUAL_GROUP: escape_mrkdwn(exc.message)})
            return
        await ack()
        warn_pii(deps, p, checked, origin.channel or None)
        deps.wake_worker()
