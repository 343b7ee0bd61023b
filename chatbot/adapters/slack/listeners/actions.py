"""Buttons on a session message: choices, Continue, Back, Restart, Cancel, the form button and the picker."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.forms import form_modal
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.listeners.commands import start_for
from chatbot.adapters.slack.notices import tell
from chatbot.adapters.slack.payload import BlockActions
from chatbot.adapters.slack.refs import RunRef, decode
from chatbot.adapters.slack.sessions import FORM_FAILED, failure_notifier, refresh_session, show_session
from chatbot.domain.errors import StaleAnswer
from chatbot.domain.run import Action
from chatbot.services.triage import Where

STALE = "Someone (maybe you, with a double click) already answered this step; the message now shows the current step."


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def apply(ack: AsyncAck, p: BlockActions, ref: RunRef, action: Action) -> None:
        where = Where(p.channel_of, p.message_ts or None)
        try:
            session = await deps.triage.answer(ref.run_id, action, version=ref.version, actor=p.user.id, where=where)
        except StaleAnswer:
            await ack()
            stale(p, ref.run_id)
            return
        await ack()
        if session.escalation is not None:
            deps.wake_worker()
        show_session(
            deps,
            session,
            p.channel_of or session.channel_id,
            p.message_ts or session.message_ts or "",
            on_failure=failure_notifier(deps, response_url=p.response_url, channel=p.channel_of, user=p.user.id),
        )

    def stale(p: BlockActions, run_id: str) -> None:
        """A click on an outdated message: say so, and show the agent where the run really is."""
        tell(deps, p, STALE)
        if p.channel_of and p.message_ts:
            refresh_session(deps, run_id, p.channel_of, p.message_ts)

    @app.action(ids.CHOICE)
    async def choice(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(RunRef, p.action.value)
        await apply(ack, p, ref, ids.choice_action(ref))

    @app.action(ids.NAV)
    async def nav(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        await apply(ack, p, decode(RunRef, p.action.value), ids.nav_action(p.action.action_id))

    @app.action(ids.OPEN_FORM)
    async def open_form(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        ref = decode(RunRef, p.action.value)
        where = Where(p.channel_of, p.message_ts or None)
        try:
            session = await deps.triage.open_form(ref.run_id, version=ref.version, actor=p.user.id, where=where)
        except StaleAnswer:
            await ack()
            stale(p, ref.run_id)
            return
        await ack()
        # The form remembers the message it came from, so its submission updates that message whatever this
        # process (or another replica) knows about the run by then.
        form_ref = RunRef(ref.run_id, ref.version, channel=p.channel_of or None, ts=p.message_ts or None)
        deps.background.spawn(
            deps.gateway.open_view(p.trigger_id or "", form_modal(session.view, form_ref)),
            what=f"opening form for {ref.run_id}",
            on_failure=failure_notifier(
                deps, response_url=p.response_url, channel=p.channel_of, user=p.user.id, text=FORM_FAILED
            ),
        )

    @app.action(ids.PICK)
    async def pick(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, BlockActions)
        option = p.action.selected_option
        await start_for(
            deps,
            ack,
            option.value if option is not None else "",
            channel=p.channel_of,
            user=p.user.id,
            team=p.team_of,
            response_url=p.response_url,
        )
        if p.response_url:  # the picker has done its job
            deps.background.spawn(deps.gateway.respond(p.response_url, {"delete_original": True}), what="remove picker")
