"""A supervisor's press on a ping: Acknowledge, Claim, Return to Tier 1 (with a reason), Resolve.

Membership and the escalation's version are checked by EscalationService.act, in the same compare-and-set as the
change: a non-member, or a press on an outdated ping, changes nothing and gets the ping as it stands with why. The
presser sees the new ping at once; everyone else when the worker's ping update lands (a job of the change).
"""

from __future__ import annotations

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.context import TeamsDeps, actor_of
from chatbot.adapters.teams.escalation_cards import ping_card
from chatbot.adapters.teams.turns import CardAction, CardReply
from chatbot.domain.errors import InvalidFields, UserFacingError
from chatbot.domain.escalation import Escalation, EscalationAction

SAY_WHY = "Say why it goes back to Tier 1, so the agent knows."
RESOLVE_LABELS = {ids.FOUND_INPUT: "What was found", ids.CHANGED_INPUT: "What changed"}


async def _resolve(
    deps: TeamsDeps, action: CardAction, escalation_id: str, version: int
) -> tuple[Escalation, str | None]:
    """Resolve with what was found and changed: the case's closure reply and note go to the agent. The texts reach
    a Tier 1 conversation, so Tier 1's PII guard checks them first: refused in block mode; in warn mode let through
    with the warning returned, for the presser only (kinds, never the text)."""
    values = {key: ids.text_input(action.data, key) for key in RESOLVE_LABELS}
    warning = None
    if deps.triage.pii is not None:
        try:
            warning = deps.triage.pii.check(values, RESOLVE_LABELS, tier=1).notice()
        except InvalidFields as exc:
            raise UserFacingError(" ".join(exc.errors.values())) from None
    esc, _closure = await deps.escalations.resolve(
        escalation_id,
        actor=actor_of(action.who),
        version=version,
        found=values[ids.FOUND_INPUT],
        changed=values[ids.CHANGED_INPUT],
    )
    return esc, warning


async def press(deps: TeamsDeps, action: CardAction) -> CardReply:
    ref = action.action
    verb = ref.escalation_action
    assert verb is not None and ref.run_id is not None and ref.version is not None  # decode guarantees them
    escalation_id = ref.run_id
    reason = ids.reason(action.data).strip() if verb == EscalationAction.RETURN.value else None
    if verb == EscalationAction.RETURN.value and not reason:
        esc, group = await deps.escalations.get(escalation_id)
        return CardReply(ping_card(esc, group, deps.config, notice=SAY_WHY))
    warning = None
    try:
        if verb == EscalationAction.RESOLVE.value:
            esc, warning = await _resolve(deps, action, escalation_id, ref.version)
        else:
            esc = await deps.escalations.act(
                escalation_id, verb, actor=actor_of(action.who), version=ref.version, reason=reason
            )
    except UserFacingError as exc:
        esc, group = await deps.escalations.get(escalation_id)
        return CardReply(ping_card(esc, group, deps.config, notice=exc.message))
    deps.wake_worker()
    notice = f"⚠️ {warning}" if warning else None
    return CardReply(ping_card(esc, deps.config.groups[esc.group_id], deps.config, notice=notice))
