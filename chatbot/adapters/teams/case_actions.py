"""Tier 2's work on a ping's case, as in Slack: "Start <follow-up playbook>" (a session card in the ping's thread,
with what Tier 1 collected filled in), "Record work" (what was done, a Jira key or partner ticket, a note: the
agent is told) and "Status update reply" (the "still on it" text for the customer).

Everything goes through EscalationService, which checks that the presser is a member of the group: a non-member's
press changes nothing and gets the ping as it stands with why. The answer to each press is the ping again, for
the presser (Teams swaps it in for them alone), with what the press did on top.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from chatbot.adapters.teams import ids, playbooks
from chatbot.adapters.teams.case_cards import said_to_presser, status_reply
from chatbot.adapters.teams.client import message
from chatbot.adapters.teams.context import TeamsDeps, actor_of
from chatbot.adapters.teams.escalation_cards import ping_card
from chatbot.adapters.teams.kit import Element
from chatbot.adapters.teams.people import shown
from chatbot.adapters.teams.refs import THREAD, conversation_key, thread_of
from chatbot.adapters.teams.sessions import card_for
from chatbot.adapters.teams.turns import CardAction, CardReply
from chatbot.domain.case import WorkKind
from chatbot.domain.errors import InvalidFields, UserFacingError

log = logging.getLogger(__name__)

WORK_LABELS = {ids.WORK_REFERENCE: "Reference", ids.WORK_NOTE: "Note"}
PICK_WORK = "Pick what was done."


async def press(deps: TeamsDeps, action: CardAction) -> CardReply:
    ref = action.action
    assert ref.run_id is not None  # ActionRef.decode guarantees it
    escalation_id = ref.run_id
    try:
        if ref.verb == ids.CASE_FOLLOW_UP:
            extra = await follow_up(deps, action, escalation_id)
        elif ref.verb == ids.CASE_WORK:
            extra = await record_work(deps, action, escalation_id)
        else:
            extra = await status_update(deps, action, escalation_id)
    except UserFacingError as exc:
        esc, group = await deps.escalations.get(escalation_id)
        return CardReply(ping_card(esc, group, deps.config, notice=exc.message))
    esc, group = await deps.escalations.get(escalation_id)
    return CardReply(ping_card(esc, group, deps.config, extra=extra))


async def follow_up(deps: TeamsDeps, action: CardAction, escalation_id: str) -> list[Element]:
    """Start the playbook the escalation names, on its case, with Tier 1's answers: a new session card in the
    ping's thread (where the group works on it), as `triage` in that thread would post it."""
    playbook, preset, number = await deps.escalations.follow_up(escalation_id, actor_of(action.who))
    conv = action.conversation
    where = conv.id
    if conv.type == "channel" and THREAD not in conv.id and action.card_message_id:
        where = thread_of(conv.id, action.card_message_id)  # a press on the channel's post: its thread
    session = await playbooks.start_session(
        deps, playbook, action.who, replace(conv, id=where), preset=preset, case_number=number
    )
    title = session.view.playbook_title
    deps.pacer.record(where, conv.tenant_id)  # the presser is waiting: like a card update, it takes no turn
    try:
        message_id = await deps.client.send(conv.service_url, where, message(card=card_for(session, deps.config)))
    except Exception as exc:
        log.warning("Teams: could not post session %s in the ping's thread", session.run_id, exc_info=True)
        raise UserFacingError(
            f"{title} started (ref {session.run_id[:8]}), but Teams did not take its card ({type(exc).__name__}). "
            "Type triage in this thread to start it again."
        ) from None
    await deps.triage.attach_message(session.run_id, conversation_key(where), message_id)
    return [said_to_presser(f"Started {title} for you in this thread, with what Tier 1 collected filled in.")]


async def record_work(deps: TeamsDeps, action: CardAction, escalation_id: str) -> list[Element]:
    """What was done, recorded on the case; the agent is told (a job). The reference and note reach the agent in
    a Tier 1 conversation, so Tier 1's PII guard checks them first, as in Slack."""
    try:
        kind = WorkKind(ids.text_input(action.data, ids.WORK_KIND))
    except ValueError:
        raise UserFacingError(PICK_WORK) from None
    values = {key: ids.text_input(action.data, key) for key in WORK_LABELS}
    checked = None
    if deps.triage.pii is not None:
        try:
            checked = deps.triage.pii.check(values, WORK_LABELS, tier=1)
        except InvalidFields as exc:
            raise UserFacingError(" ".join(exc.errors.values())) from None
    line = await deps.escalations.record_work(
        escalation_id,
        kind,
        actor=actor_of(action.who),
        reference=values[ids.WORK_REFERENCE],
        detail=values[ids.WORK_NOTE],
    )
    deps.wake_worker()
    name = shown(deps.config, actor_of(action.who), action.who.name or "You")
    said = [said_to_presser(f"Recorded on the case: {name} {line}. The agent is told.")]
    warning = checked.notice() if checked is not None else None
    if warning:  # warn mode: let through, and the person who typed it is told (kinds only, never the text)
        said.append(said_to_presser(f"⚠️ {warning}", warning=True))
    return said


async def status_update(deps: TeamsDeps, action: CardAction, escalation_id: str) -> list[Element]:
    """The "still on it" reply for the customer, shown to the presser on their copy of the ping.

    Teams has no ephemeral message. A reply in the ping's thread would put customer-facing text in the Tier 2
    channel on every press, notify everyone following the thread and stay there; the presser's own copy of the
    ping (the invoke's answer, which Teams shows to them alone) is the quietest place. It is honest about being
    temporary: the card says it lasts until the ping is next updated and that pressing again shows it again, and
    each sending is on the case's timeline either way. (With the Action.Submit fallback of older clients, the
    front updates the message itself, so the channel sees it until the worker's next update of the ping.)
    """
    number, text = await deps.escalations.status_update(escalation_id, actor_of(action.who))
    return status_reply(number, text)
