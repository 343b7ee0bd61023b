"""Private notices: tell the person who acted, after the ack, through the interaction's response_url or an
ephemeral message (text is mrkdwn the caller has escaped)."""

from __future__ import annotations

from chatbot.adapters.slack import kit
from chatbot.adapters.slack.context import SlackDeps
from chatbot.adapters.slack.payload import BlockActions, Payload, SlashCommand, ViewSubmission
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.services.pii_guard import Checked


def ephemeral_payload(text: str) -> dict[str, object]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def tell(deps: SlackDeps, payload: Payload | None, text: str) -> None:
    """Spawn the notice; a notice that cannot be delivered is logged, never raised."""
    if isinstance(payload, BlockActions | SlashCommand) and payload.response_url:
        deps.background.spawn(deps.gateway.respond(payload.response_url, ephemeral_payload(text)), what="notice")
        return
    user, channel = _who_where(payload)
    if user and channel:
        deps.background.spawn(deps.gateway.post_ephemeral(channel, user, text), what="notice")
    elif user:  # a modal submitted from nowhere in particular: a direct message
        deps.background.spawn(deps.gateway.post_message(user, text, [kit.section(text)]), what="notice")


def _who_where(payload: Payload | None) -> tuple[str, str]:
    if isinstance(payload, BlockActions):
        return payload.user.id, payload.channel_of
    if isinstance(payload, SlashCommand):
        return payload.user_id, payload.channel_id
    if isinstance(payload, ViewSubmission):
        return payload.user.id, ""
    return "", ""


def warn_pii(deps: SlackDeps, payload: ViewSubmission, checked: Checked | None, channel: str | None = None) -> None:
    """In `warn` mode, what the PII guard let through is accepted, and the person who typed it is told which field
    looks like personal data (kinds only, never the text): privately in `channel`, where the form was opened, else
    in a direct message."""
    notice = checked.notice() if checked is not None else None
    if not notice:
        return
    text = f":warning: {escape_mrkdwn(notice)}"
    if channel:
        deps.background.spawn(deps.gateway.post_ephemeral(channel, payload.user.id, text), what="notice")
    else:
        tell(deps, payload, text)
