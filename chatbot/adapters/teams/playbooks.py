"""Sessions in Teams: `triage [words]`, the picker, and every press on a session card.

A run started in Teams lives in the conversation it was asked for in (a personal chat, or the thread of the
message in a channel): `runs.channel_id` is that conversation's key, `runs.message_ts` the id of the card's
message. Each press answers with the new card at once (Teams swaps it in for the presser) and updates the message
for everyone after (updates.py); the run's version in every button makes a double or outdated press change
nothing.
"""

from __future__ import annotations

from functools import partial

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.cards import notice_card, picker_card
from chatbot.adapters.teams.context import TeamsDeps, actor_of
from chatbot.adapters.teams.refs import conversation_key
from chatbot.adapters.teams.sessions import card_for, send_newest
from chatbot.adapters.teams.turns import CardAction, CardReply, ConversationRef, IncomingMessage, Person, Reply
from chatbot.domain.errors import InvalidFields, StaleAnswer, UserFacingError
from chatbot.domain.escalation import Surface
from chatbot.domain.run import Action, Back, Cancel, Choose, Continue, Restart, Submit
from chatbot.services.references import playbook_and_reference
from chatbot.services.triage import ForeignButton, Session, UnknownRun, Where

STALE = "Someone (maybe you, with a double click) already answered this step; this is where the session is now."
PICK_FIRST = "Choose a playbook first."


async def triage(deps: TeamsDeps, turn: IncomingMessage, words: str) -> Reply:
    key = conversation_key(turn.conversation.id)
    await deps.triage.check_start(actor_of(turn.who), key)
    catalog = deps.triage.engine.catalog
    found, words, ticket, case_number = playbook_and_reference(words, catalog.search)
    if not words:
        return Reply(picker_card([(pb.id, pb.spec.title) for pb in catalog], "Which playbook fits this ticket?"))
    if not found:
        return Reply.notice(f"No playbook matches “{words}”. Type triage for the list, or help.")
    if len(found) > 1:
        return Reply(picker_card([(pb.id, pb.spec.title) for pb in found], f"{len(found)} playbooks match; pick one:"))
    preset = {"ticket_id": ticket} if ticket else None
    session = await start_session(deps, found[0].id, turn.who, turn.conversation, preset, case_number)

    async def posted(message_id: str) -> None:
        await deps.triage.attach_message(session.run_id, key, message_id)

    return Reply(card_for(session, deps.config), on_posted=posted)


async def start_session(
    deps: TeamsDeps,
    playbook_id: str,
    who: Person,
    conv: ConversationRef,
    preset: dict[str, str] | None = None,
    case_number: str | None = None,
) -> Session:
    """A new run by `who`, living in `conv` (its key is the run's channel); `preset`: values known already."""
    return await deps.triage.start(
        playbook_id,
        actor=actor_of(who),
        team_id=conv.team_id or conv.tenant_id or "",
        channel_id=conversation_key(conv.id),
        surface=Surface.TEAMS,
        preset=preset,
        case_number=case_number,
    )


async def pick(deps: TeamsDeps, action: CardAction) -> CardReply:
    """The picker's Start: the picker's message becomes the session's card."""
    playbook = action.picked_playbook
    if playbook is None:
        raise UserFacingError(PICK_FIRST)
    session = await start_session(deps, playbook, action.who, action.conversation)
    if action.card_message_id:
        await deps.triage.attach_message(session.run_id, session.channel_id, action.card_message_id)
        refresh_for_everyone(deps, action, session)
    return CardReply(card_for(session, deps.config))


def _action(action: CardAction) -> Action:
    ref = action.action
    if ref.verb == ids.CHOOSE:
        assert ref.choice is not None  # ActionRef.decode guarantees it
        return Choose(ref.choice)
    if ref.verb == ids.SUBMIT:
        return Submit(action.fields)
    plain: dict[str, type[Continue | Back | Restart | Cancel]] = {
        ids.CONTINUE: Continue,
        ids.BACK: Back,
        ids.RESTART: Restart,
        ids.CANCEL: Cancel,
    }
    return plain[ref.verb]()


async def answer(deps: TeamsDeps, action: CardAction) -> CardReply:
    ref = action.action
    assert ref.run_id is not None and ref.version is not None  # ActionRef.decode guarantees both
    where = Where(conversation_key(action.conversation.id), action.card_message_id)
    try:
        session = await deps.triage.answer(
            ref.run_id, _action(action), version=ref.version, actor=actor_of(action.who), where=where
        )
    except StaleAnswer:
        session = await deps.triage.load_fresh(ref.run_id)
        return CardReply(card_for(session, deps.config, notice=STALE))
    except InvalidFields as exc:
        session = await deps.triage.load_fresh(ref.run_id)
        return CardReply(card_for(session, deps.config, errors=exc.errors, values=action.fields))
    except (UnknownRun, ForeignButton) as exc:
        return CardReply(notice_card(exc.message))  # not this session's card: nothing of it to show
    except UserFacingError as exc:  # not allowed, or no longer possible: the session as it is, and why
        session = await deps.triage.load_fresh(ref.run_id)
        return CardReply(card_for(session, deps.config, notice=exc.message))
    if session.escalation is not None:
        deps.wake_worker()
    if action.universal:
        refresh_for_everyone(deps, action, session)
    return CardReply(card_for(session, deps.config))


def refresh_for_everyone(deps: TeamsDeps, action: CardAction, session: Session) -> None:
    """After the presser got their card: the stored message too (the Submit fallback's front does that itself)."""
    message_id = action.card_message_id
    if not action.universal or not message_id:
        return
    conv = action.conversation

    async def send(card: dict[str, object]) -> None:
        await deps.updates.put(conv.service_url, conv.id, message_id, card)

    newer_waiting = partial(deps.updates.newer_waiting, conv.id, message_id)
    deps.updates.submit(
        conv.id, message_id, lambda: send_newest(send, deps.triage, session, deps.config, newer_waiting)
    )
