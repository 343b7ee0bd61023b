"""`digest [today|yesterday|week|since DATE]` in Teams: the leads' digest for any period, as a card, answered to
whoever asks, if they may see cases (as Slack's `/digest`). The same service, periods and errors as Slack's
`/digest` (a period it cannot read is a UserFacingError, shown by the front), so both show the figures
`chatbot digest` prints.

Asked in a Teams channel a schedule posts to (or a thread of it), it uses that schedule's time zone and scope, as
`/digest` does in a Slack channel. Teams gives bots no message only one person sees: in a personal chat the answer
is private, in a channel it is a reply in the thread, which the channel can read.

The figures are computed while the turn is answered (no response_url to answer later, as in Slack): aggregate
queries, the ones bench/bench_digest.py times on a big database.
"""

from __future__ import annotations

from chatbot.adapters.teams.context import Command, actor_of
from chatbot.adapters.teams.digest_cards import digest_card
from chatbot.adapters.teams.refs import channel_of, conversation_key
from chatbot.adapters.teams.turns import IncomingMessage, Reply
from chatbot.services.access import DIGEST_NOT_ALLOWED
from chatbot.services.digest_periods import PERIOD_HELP
from chatbot.services.digests import DigestService
from chatbot.services.escalations import EscalationService

HELP = f"digest shows the leads' digest: {PERIOD_HELP}."


def digest_command(service: DigestService, escalations: EscalationService) -> Command:
    async def digest(turn: IncomingMessage, text: str) -> Reply:
        if text.strip().lower() in ("help", "?"):
            return Reply.notice(HELP)
        await escalations.check_staff(actor_of(turn.who), conversation_key(turn.conversation.id), DIGEST_NOT_ALLOWED)
        schedule = service.default_schedule(channel_of(turn.conversation.id))
        period = service.period(text, schedule)
        return Reply(digest_card(await service.compute(period, schedule)))

    return digest
