"""Form submissions: invalid values are shown on their field; valid ones advance the run."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.forms import submitted_values
from chatbot.adapters.slack.guard import guarded
from chatbot.adapters.slack.listeners.actions import STALE
from chatbot.adapters.slack.sessions import failure_notifier, refresh_session, show_session
from chatbot.domain.errors import InvalidFields, StaleAnswer
from chatbot.domain.run import Submit


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.view(ids.FORM_CALLBACK)
    @guarded(deps, "view")
    async def submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        ref = ids.RunRef.decode(view.get("private_metadata"))
        user = str((body.get("user") or {}).get("id", ""))
        values = submitted_values(((view.get("state") or {}).get("values")) or {})
        try:
            session = await deps.triage.answer(ref.run_id, Submit(values), version=ref.version, actor=user)
        except InvalidFields as exc:
            fields = set(values)
            errors = {k: v for k, v in exc.errors.items() if k in fields}
            await ack(response_action="errors", errors=errors or {next(iter(fields), "form"): exc.message})
            return
        except StaleAnswer:
            current = await deps.triage.load(ref.run_id)
            await ack()
            if current.message_ts:
                deps.background.spawn(
                    deps.gateway.post_ephemeral(current.channel_id, user, STALE), what="stale form notice"
                )
                refresh_session(deps, current.run_id, current.channel_id, current.message_ts)
            return
        await ack()
        if session.escalation is not None:
            deps.wake_worker()
        if session.message_ts:
            show_session(
                deps,
                session,
                session.channel_id,
                session.message_ts,
                on_failure=failure_notifier(deps, response_url=None, channel=session.channel_id, user=user),
            )
