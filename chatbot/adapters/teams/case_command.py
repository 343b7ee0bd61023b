"""`case` in Teams, as `/case` in Slack and through the same CaseService: `case TS-2026-000123` shows a case,
`case new [ticket]` answers with the intake form (the details that help, as many as the customer gave) whose
submission opens the case and answers with the "case opened" reply to copy, `case reopen TS-…`, `case help`.

Teams has no modal that closes on submit, so a form can be pressed twice (a double click, or someone else in the
channel before the update lands): each form carries a random id, and this process answers a second press of a form
it already took with the case that form opened instead of opening another. (Across replicas two presses of one form
could still open two cases: the services have no idempotency key for an intake.)
"""

from __future__ import annotations

import uuid

from chatbot.adapters.teams.case_cards import PRIORITIES, case_opened_card, case_view_card, help_card, intake_card
from chatbot.adapters.teams.context import TeamsDeps, actor_of
from chatbot.adapters.teams.kit import Element
from chatbot.adapters.teams.people import shown
from chatbot.adapters.teams.refs import conversation_key
from chatbot.adapters.teams.turns import CardAction, CardReply, IncomingMessage, Reply
from chatbot.domain.errors import InvalidFields, UserFacingError
from chatbot.domain.escalation import Surface
from chatbot.services.case_words import HELPFUL_DETAILS
from chatbot.services.cases import CaseService
from chatbot.services.references import CASE_NUMBER

LABELS = {field_id: label for field_id, label, _multi in HELPFUL_DETAILS}
FORMS_KEPT = 1000  # forms answered by this process, remembered against a second press
BEING_SENT = "This form is being sent already: its case appears here in a moment."


def _cases(deps: TeamsDeps) -> CaseService:
    if deps.escalations.cases is None:
        raise UserFacingError("Cases are not set up in this app.")
    return deps.escalations.cases


async def command(deps: TeamsDeps, turn: IncomingMessage, text: str) -> Reply:
    cases = _cases(deps)
    words = text.split()
    verb = words[0].lower() if words else ""
    if verb in ("", "help", "?"):
        return Reply(help_card())
    if verb == "new" and len(words) <= 2:
        await deps.triage.check_start(actor_of(turn.who), conversation_key(turn.conversation.id))
        return Reply(intake_card(uuid.uuid4().hex, words[1] if len(words) > 1 else None))
    if verb == "reopen" and len(words) == 2:
        await deps.escalations.check_staff(actor_of(turn.who), conversation_key(turn.conversation.id))
        case = await cases.reopen(words[1], actor_of(turn.who))
        return Reply.notice(f"Case {case.number} is open again.")
    if len(words) == 1 and CASE_NUMBER.match(words[0]):
        await deps.escalations.check_staff(actor_of(turn.who), conversation_key(turn.conversation.id))
        return Reply(case_view_card(await cases.view(words[0]), deps.config))
    return Reply.notice(f"I did not understand “{text[:100]}”. Type case help.")


async def submit(deps: TeamsDeps, action: CardAction) -> CardReply:
    """`case new`'s Open case: PII-checked at Tier 1 before anything is stored, then CaseService.intake."""
    cases = _cases(deps)
    form_id = action.action.run_id
    assert form_id is not None  # ActionRef.decode guarantees it
    if form_id in deps.intakes:
        answered = deps.intakes[form_id]
        if answered is None:
            raise UserFacingError(BEING_SENT)
        return CardReply(answered)
    who = actor_of(action.who)
    key = conversation_key(action.conversation.id)
    await deps.triage.check_start(who, key)
    fields = action.fields
    priority = fields.get("priority")
    _remember(deps, form_id, None)
    checked = None
    try:
        if deps.triage.pii is not None:  # Tier I must not hold personal data
            checked = deps.triage.pii.check(fields, LABELS, tier=1, only=list(LABELS))
        case, reply, missing = await cases.intake(
            actor=who,
            surface=Surface.TEAMS.value,
            channel=key,
            ticket=fields.get("ticket_id"),
            details={k: fields.get(k, "") for k in LABELS},
            priority=priority if priority in PRIORITIES else None,
        )
    except InvalidFields as exc:
        del deps.intakes[form_id]
        return CardReply(intake_card(form_id, errors=exc.errors, values=fields))
    except UserFacingError as exc:
        del deps.intakes[form_id]
        return CardReply(intake_card(form_id, errors={"ticket_id": exc.message}, values=fields))
    except BaseException:
        del deps.intakes[form_id]
        raise
    opener = shown(deps.config, case.owner_id, action.who.name or "someone")
    everyone = case_opened_card(case, reply, missing, opener)
    _remember(deps, form_id, everyone)
    _replace_for_everyone(deps, action, everyone)
    warning = checked.notice() if checked is not None else None
    # warn mode: accepted, and only the person who typed it reads which field looks like personal data
    return CardReply(case_opened_card(case, reply, missing, opener, warning=warning) if warning else everyone)


def _remember(deps: TeamsDeps, form_id: str, answered: Element | None) -> None:
    deps.intakes[form_id] = answered
    while len(deps.intakes) > FORMS_KEPT:
        deps.intakes.pop(next(iter(deps.intakes)))


def _replace_for_everyone(deps: TeamsDeps, action: CardAction, card: Element) -> None:
    """The form's message becomes the case opened, for everyone (the Submit fallback's front does it itself)."""
    message_id = action.card_message_id
    if not action.universal or not message_id:
        return
    conv = action.conversation

    async def send() -> None:
        await deps.updates.put(conv.service_url, conv.id, message_id, card)

    deps.updates.submit(conv.id, message_id, send)
