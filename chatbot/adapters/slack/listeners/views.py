"""Form submissions: invalid values are shown on their field; valid ones advance the run."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.listeners import payload
from chatbot.adapters.slack.listeners.actions import STALE
from chatbot.adapters.slack.payload import ViewSubmission
from chatbot.adapters.slack.refs import RunRef, decode
from chatbot.adapters.slack.sessions import failure_notifier, refresh_session, show_session
from chatbot.domain.errors import InvalidFields, StaleAnswer
from chatbot.domain.run import Submit
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.services.triage import Where


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.view(ids.FORM_CALLBACK)
    async def submit(ack: AsyncAck, context: AsyncBoltContext) -> None:
        p = payload(context, ViewSubmission)
        ref = decode(RunRef, p.view.private_metadata)
        user = p.user.id
        values = p.values()
        where = Where(ref.channel or "", ref.ts)
        try:
            session = await deps.triage.answer(ref.run_id, Submit(values), version=ref.version, actor=user, where=where)
        except InvalidFields as exc:
            errors = {k: v for k, v in exc.errors.items() if k in values}
            await ack(response_action="errors", errors=errors or {next(iter(values), "form"): exc.message})
            return
        except StaleAnswer:
            current = await deps.triage.load(ref.run_id)
            await ack()
            ts = current.message_ts or ref.ts
            if ts:
                deps.background.spawn(
                    deps.gateway.post_ephemeral(current.channel_id, user, STALE), what="stale form notice"
                )
                refresh_session(deps, current.run_id, current.channel_id, ts)
            return
        await ack()
        if session.pii_warning:
            warning = ":warning: " + escape_mrkdwn(session.pii_warning)
            deps.background.spawn(deps.gateway.post_ephemeral(session.channel_id, user, warning), what="pii warning")
        if session.escalation is not None:
            deps.wake_worker()
        ts = session.message_ts or ref.ts
        if ts:
            show_session(
                deps,
                session,
                session.channel_id,
                ts,
                on_failure=failure_notifier(deps, response_url=None, channel=session.channel_id, user=user),
            )
