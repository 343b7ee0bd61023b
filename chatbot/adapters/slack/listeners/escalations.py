"""Escalation pings: Acknowledge, Claim, Return to Tier 1 (with a reason), Resolve; and `/escalate` by hand."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.escalation_blocks import manual_modal, ping_message, return_modal
from chatbot.adapters.slack.forms import submitted_values
from chatbot.adapters.slack.guard import guarded
from chatbot.adapters.slack.interaction import first_action, where
from chatbot.domain.errors import UserFacingError
from chatbot.services.escalations import StaleEscalation


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def notice(response_url: str | None, text: str) -> None:
        if response_url:
            payload = {"response_type": "ephemeral", "replace_original": False, "text": text}
            await deps.gateway.respond(response_url, payload)

    async def refresh(escalation_id: str) -> None:
        esc = await deps.store.work.get_escalation(escalation_id)
        group = deps.groups.get(esc.group_id) if esc else None
        if esc and group and esc.ping_channel and esc.ping_ts:
            msg = ping_message(esc, group, None, None, "ping")
            await deps.gateway.update_message(esc.ping_channel, esc.ping_ts, msg.text, msg.blocks)

    async def act(ack: AsyncAck, body: dict[str, Any], ref: ids.EscRef, action: str, reason: str | None) -> None:
        _channel, _ts, user, response_url = where(body)
        try:
            await deps.escalations.act(ref.escalation_id, action, actor=user, version=ref.version, reason=reason)
        except StaleEscalation:
            await ack()

            async def stale() -> None:
                await notice(response_url, StaleEscalation().message)
                await refresh(ref.escalation_id)

            deps.background.spawn(stale(), what="stale escalation notice")
            return
        await ack()
        deps.wake_worker()

    @app.action(ids.ESC_ACTION)
    @guarded(deps, "escalation")
    async def press(ack: AsyncAck, body: dict[str, Any]) -> None:
        pressed = first_action(body)
        action = str(pressed.get("action_id", "")).split(".", 1)[1]
        await act(ack, body, ids.EscRef.decode(pressed.get("value")), action, None)

    @app.action(ids.ESC_RETURN)
    @guarded(deps, "escalation")
    async def ask_why(ack: AsyncAck, body: dict[str, Any]) -> None:
        ref = ids.EscRef.decode(first_action(body).get("value"))
        _channel, _ts, user, _url = where(body)
        esc = await deps.store.work.get_escalation(ref.escalation_id)
        group = deps.groups.get(esc.group_id) if esc else None
        if esc is None or group is None:
            raise UserFacingError("This escalation no longer exists.")
        if not await deps.escalations.is_member(group, user):
            raise UserFacingError(f"Only members of {group.name} can do that.")
        await ack()
        trigger = str(body.get("trigger_id", ""))
        deps.background.spawn(deps.gateway.open_view(trigger, return_modal(ref)), what="return modal")

    @app.view(ids.ESC_RETURN_CALLBACK)
    @guarded(deps, "escalation")
    async def returned(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        ref = ids.EscRef.decode(view.get("private_metadata"))
        user = str((body.get("user") or {}).get("id", ""))
        reason = submitted_values(((view.get("state") or {}).get("values")) or {}).get(ids.ESC_REASON_BLOCK, "")
        if not reason.strip():
            await ack(response_action="errors", errors={ids.ESC_REASON_BLOCK: "Say why, so the agent knows."})
            return
        try:
            await deps.escalations.act(ref.escalation_id, "return", actor=user, version=ref.version, reason=reason)
        except UserFacingError as exc:
            await ack(response_action="errors", errors={ids.ESC_REASON_BLOCK: exc.message})
            return
        await ack()
        deps.wake_worker()

    @app.command(deps.config.commands.escalate)
    @guarded(deps, "command")
    async def escalate(ack: AsyncAck, body: dict[str, Any]) -> None:
        user, channel = str(body.get("user_id", "")), str(body.get("channel_id", ""))
        await deps.access.check_start(user, channel)
        await ack()
        groups = [(gid, g.name) for gid, g in deps.groups.items()]
        trigger = str(body.get("trigger_id", ""))
        deps.background.spawn(deps.gateway.open_view(trigger, manual_modal(groups, channel)), what="escalate modal")

    @app.view(ids.MANUAL_CALLBACK)
    @guarded(deps, "view")
    async def escalated(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        user = str((body.get("user") or {}).get("id", ""))
        values = submitted_values(((view.get("state") or {}).get("values")) or {})
        summary = values.get(ids.MANUAL_SUMMARY, "").strip()
        if not summary:
            await ack(response_action="errors", errors={ids.MANUAL_SUMMARY: "Say what Tier 2 should look at."})
            return
        try:
            await deps.escalations.manual(
                group_id=values.get(ids.MANUAL_GROUP, ""),
                summary=summary,
                priority=values.get(ids.MANUAL_PRIORITY, "normal") or "normal",
                reference=values.get(ids.MANUAL_REFERENCE, ""),
                actor=user,
                channel=str(view.get("private_metadata") or "") or None,
            )
        except UserFacingError as exc:
            await ack(response_action="errors", errors={ids.MANUAL_GROUP: exc.message})
            return
        await ack()
        deps.wake_worker()
