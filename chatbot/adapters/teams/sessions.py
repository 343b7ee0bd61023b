"""A session as a Teams card, and the update that makes the stored message show the run's newest state.

Teams shows the card an `Action.Execute` answer returns to the person who pressed only: the message everyone else
sees (and the presser sees after a reload) changes when the bot updates it. So after each answer, and when an
escalation's status changes, the message is updated too. Within a process, updates of one message go in turn and
the newest state wins (updates.py); across processes (replicas, the worker) the sender checks the run again after
sending and sends once more if it moved on meanwhile, so the last update to land shows the newest state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from chatbot.adapters.teams.cards import session_card
from chatbot.adapters.teams.escalation_cards import session_status
from chatbot.adapters.teams.kit import Element
from chatbot.adapters.teams.people import name_of
from chatbot.config import Config
from chatbot.services.triage import Session, Sessions

ROUNDS = 4
Send = Callable[[Element], Awaitable[None]]


def card_for(
    session: Session,
    config: Config,
    *,
    notice: str | None = None,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Element:
    """The session's card, the same for everyone (the presser's and the stored one); the owner is named when the
    configuration knows them (a Teams display name is not stored, so a later update could not repeat it)."""
    return session_card(
        session.view,
        session.run_id,
        name_of(config, session.owner_id),
        errors=errors,
        values=values,
        group_names=config.group_names(),
        status=session_status(session.escalation, config),
        notice=notice,
    )


async def send_newest(
    send: Send, sessions: Sessions, session: Session, config: Config, newer_waiting: Callable[[], bool] = lambda: False
) -> None:
    """Update the message with `session`, then again while the run (or its escalation) moved on meanwhile; unless
    `newer_waiting`: a newer update of the message is queued in this process (updates.py), which will check."""
    for _ in range(ROUNDS):
        await send(card_for(session, config))
        if newer_waiting():
            return
        if await sessions.stamp(session.run_id) == session.stamp or newer_waiting():
            return  # shows the newest, or a click saved meanwhile has its own update queued, which will check
        session = await sessions.load_fresh(session.run_id)
