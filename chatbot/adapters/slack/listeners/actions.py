"""Buttons on a session message: choices, Continue, Back, Restart, Cancel, the form button and the picker."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.forms import form_modal
from chatbot.adapters.slack.guard import guarded
from chatbot.adapters.slack.interaction import first_action, where
from chatbot.adapters.slack.listeners.commands import start_for
from chatbot.adapters.slack.sessions import failure_notifier, refresh_session, show_session
from chatbot.domain.errors import StaleAnswer
from chatbot.domain.run import Action
from chatbot.services.triage import Session

STALE = "Someone (maybe you, with a double click) already answered this step; the message now shows the current step."


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def ephemeral(response_url: str | None, text: str) -> None:
        if response_url:
            await deps.gateway.respond(
                response_url, {"response_type": "ephemeral", "replace_original": False, "text": text}
            )

    async def apply(ack: AsyncAck, body: dict[str, Any], ref: ids.RunRef, action: Action) -> None:
        channel, ts, user, response_url = where(body)
        try:
            session: Session = await deps.triage.answer(ref.run_id, action, version=ref.version, actor=user)
        except StaleAnswer:
            await ack()
            stale(ref.run_id, channel, ts, response_url)
            return
        await ack()
        if session.escalation is not None:
            deps.wake_worker()
        show_session(
            deps,
            session,
            channel or session.channel_id,
            ts or session.message_ts or "",
            on_failure=failure_notifier(deps, response_url=response_url, channel=channel, user=user),
        )

    def stale(run_id: str, channel: str, ts: str, response_url: str | None) -> None:
        """A click on an outdated message: say so, and show the agent where the run really is."""
        deps.background.spawn(ephemeral(response_url, STALE), what="stale-click notice")
        if channel and ts:
            refresh_session(deps, run_id, channel, ts)

    @app.action(ids.CHOICE)
    @guarded(deps, "action")
    async def choice(ack: AsyncAck, body: dict[str, Any]) -> None:
        ref = ids.RunRef.decode(first_action(body).get("value"))
        await apply(ack, body, ref, ids.choice_action(ref))

    @app.action(ids.NAV)
    @guarded(deps, "action")
    async def nav(ack: AsyncAck, body: dict[str, Any]) -> None:
        act = first_action(body)
        await apply(ack, body, ids.RunRef.decode(act.get("value")), ids.nav_action(str(act.get("action_id"))))

    @app.action(ids.OPEN_FORM)
    @guarded(deps, "action")
    async def open_form(ack: AsyncAck, body: dict[str, Any]) -> None:
        ref = ids.RunRef.decode(first_action(body).get("value"))
        channel, ts, user, response_url = where(body)
        session = await deps.triage.load(ref.run_id)
        await ack()
        if session.state.version != ref.version or session.view.kind != "collect":
            stale(ref.run_id, channel, ts, response_url)
            return
        trigger = str(body.get("trigger_id", ""))
        deps.background.spawn(
            deps.gateway.open_view(trigger, form_modal(session.view, ref)),
            what=f"opening form for {ref.run_id}",
            on_failure=failure_notifier(deps, response_url=response_url, channel=channel, user=user),
        )

    @app.action(ids.PICK)
    @guarded(deps, "action")
    async def pick(ack: AsyncAck, body: dict[str, Any]) -> None:
        act = first_action(body)
        playbook_id = str((act.get("selected_option") or {}).get("value", ""))
        channel, _ts, user, response_url = where(body)
        await deps.access.check_start(user, channel)
        await start_for(
            deps,
            ack,
            playbook_id,
            channel=channel,
            user=user,
            team=str((body.get("team") or {}).get("id", "")),
            response_url=response_url,
        )
        if response_url:  # the picker has done its job
            deps.background.spawn(deps.gateway.respond(response_url, {"delete_original": True}), what="remove picker")
