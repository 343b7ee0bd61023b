"""Escalations in Teams: the `Delivery` the escalation jobs use, with Teams' own rules.

- Where: the ping starts a new thread in the group's `teams_channel`, posted proactively through the service URL
  stored when the bot saw that channel (or, failing that, anything in the same tenant: one service URL serves a
  whole tenant). Reminders go in the ping's thread; the agent hears back in their session's conversation.
- Teams' answers become the worker's outcomes (errors.py): 429 and 412 wait for Retry-After (a 429 does not count
  towards giving up), 5xx, timeouts and lost answers back off, a conversation that is gone or a card that is too
  big fail for good. The SDK retries nothing, so nothing is ever sent twice behind the worker's back.
- Never doubled, as far as anything can be checked: Teams has no history a bot can read (that takes Microsoft
  Graph and a permission the app does not ask for), so a post whose answer was lost cannot be looked for. A later
  attempt then posts again, saying it is a second copy ("Sent again: ..."), rather than risk a ping never arriving.
  That is the window: an answer lost after Teams accepted the post (a timeout, a dropped connection, the process
  dying before the job's completion was written) shows the group two copies. Everything Teams refused (429, 412)
  or never received (no connection, no token) is retried without that note, and a post that got its answer is
  recorded with the job's completion, so it is never made again.
- Pacing (pacing.py): Teams' per-thread and per-tenant rates are kept before posting; waiting for a slot is a retry
  that certainly did nothing and does not count.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
from microsoft_agents.activity import Activity

from chatbot.adapters.teams.client import TeamsClient, message
from chatbot.adapters.teams.errors import as_outcome
from chatbot.adapters.teams.escalation_cards import (
    agent_notice,
    agent_update_card,
    ping_card,
    ping_text,
    reminder_text,
    undeliverable_card,
)
from chatbot.adapters.teams.pacing import TeamsPacer
from chatbot.adapters.teams.people import mention, name_of
from chatbot.adapters.teams.refs import channel_record, conversation_key, thread_of
from chatbot.adapters.teams.sessions import send_newest
from chatbot.adapters.teams.text import escape_text
from chatbot.config import Config, Group
from chatbot.domain.escalation import AgentUpdate, Escalation, EscalationAction, PostRef, Surface
from chatbot.domain.escalation_policy import Targets
from chatbot.scheduler.worker import JobContext, Permanent, Retry
from chatbot.services.triage import Sessions
from chatbot.storage import Store
from chatbot.storage.conversations import ConversationRecord

log = logging.getLogger(__name__)
T = TypeVar("T")
PACED = "waiting for Teams' rate limit"
NOT_SEEN = (
    "the bot has not seen this Teams channel's tenant yet: install the app in the team (or message it once) so it "
    "learns where to post"
)


async def channel_conversation(store: Store, channel_id: str, tenant_id: str | None) -> ConversationRecord:
    """Where to start a new thread in a configured Teams channel (pings, digests): its stored reference, or, when
    the bot has not seen it yet (installed before references were kept, say), any reference in the tenant, for
    the service URL, with the configuration's channel id. Retry(300) while the bot has seen nothing there."""
    found = await store.teams.get(conversation_key(channel_id))
    if found is not None:
        return found
    other = await store.teams.latest_in_tenant(tenant_id)
    if other is None:
        raise Retry(300, NOT_SEEN)
    return channel_record(channel_id, other.service_url, other.tenant_id, None, other.reference)


class TeamsDelivery:
    surface = Surface.TEAMS

    def __init__(
        self,
        config: Config,
        store: Store,
        client: TeamsClient,
        sessions: Sessions,
        pacer: TeamsPacer,
        *,
        tenant_id: str | None,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.sessions = sessions
        self.pacer = pacer
        self.tenant_id = tenant_id

    # --- the Delivery port ---------------------------------------------------------------------------------
    async def ping(self, esc: Escalation, group: Group, targets: Targets, ctx: JobContext) -> PostRef:
        channel = await self._channel(group)
        text, entities = ping_text(targets, self.config)
        card = ping_card(esc, group, self.config, resent=ctx.previous_attempt is not None)
        activity = message(text=text, card=card, entities=entities)
        post_id = await self._post_once(ctx, channel, channel.conversation_id, activity)
        return PostRef(Surface.TEAMS, channel.key, post_id)

    async def remind(
        self, esc: Escalation, group: Group, targets: Targets, waited_minutes: int, post: PostRef, ctx: JobContext
    ) -> None:
        channel = await self._known(post.channel)
        text, entities = reminder_text(targets, self.config, waited_minutes, resent=ctx.previous_attempt is not None)
        await self._post_once(
            ctx, channel, thread_of(channel.conversation_id, post.message_id), message(text=text, entities=entities)
        )

    async def update_ping(self, esc: Escalation, group: Group, post: PostRef) -> None:
        channel = await self._known(post.channel)
        text = f"Escalation to {escape_text(group.name)}"  # the mentions were for the first post only
        activity = message(text=text, card=ping_card(esc, group, self.config))
        await self._update(None, channel, post.message_id, activity)

    async def notify_agent(
        self,
        esc: Escalation,
        group: Group,
        action: EscalationAction,
        actor: str,
        reason: str | None,
        ctx: JobContext,
    ) -> None:
        where = await self._agent_conversation(esc)
        resent = ctx.previous_attempt is not None
        card = agent_notice(esc, group, self.config, action, actor, reason, resent=resent)
        await self._post_once(ctx, where, where.conversation_id, self._to_agent(esc, where, card))

    async def agent_update(self, esc: Escalation, group: Group, update: AgentUpdate, ctx: JobContext) -> None:
        where = await self._agent_conversation(esc)
        card = agent_update_card(esc, self.config, update, resent=ctx.previous_attempt is not None)
        await self._post_once(ctx, where, where.conversation_id, self._to_agent(esc, where, card))

    async def update_session(self, esc: Escalation) -> None:
        assert esc.run_id is not None and esc.agent is not None
        where = await self._known(esc.agent.channel)
        message_id = esc.agent.message_id

        async def send(card: dict[str, Any]) -> None:
            await self._update(None, where, message_id, message(card=card))

        await send_newest(send, self.sessions, await self.sessions.load_fresh(esc.run_id), self.config)

    async def undeliverable(
        self, esc: Escalation, group: Group, *, first: bool, error: str, uncertain: bool, ctx: JobContext
    ) -> None:
        where = await self._agent_conversation(esc)
        resent = ctx.previous_attempt is not None
        card = undeliverable_card(group, first=first, error=error, uncertain=uncertain, resent=resent)
        await self._post_once(ctx, where, where.conversation_id, self._to_agent(esc, where, card))

    async def unavailable(self, group: Group) -> set[str]:
        # Teams presence is a Microsoft Graph read (Presence.Read.All), which the app does not ask for.
        return set()

    # --- where ---------------------------------------------------------------------------------------------------
    async def _channel(self, group: Group) -> ConversationRecord:
        if group.teams_channel is None:
            raise Permanent(f"{group.name} has no Teams channel")
        return await channel_conversation(self.store, group.teams_channel, self.tenant_id)

    async def _known(self, key: str) -> ConversationRecord:
        found = await self.store.teams.get(key)
        if found is None:
            raise Permanent(f"no Teams conversation is known for {key}")
        return found

    async def _agent_conversation(self, esc: Escalation) -> ConversationRecord:
        if esc.agent is None or esc.agent.surface != Surface.TEAMS:
            raise Permanent("the agent is not on Teams")
        return await self._known(esc.agent.channel)

    def _to_agent(self, esc: Escalation, where: ConversationRecord, card: dict[str, Any]) -> Activity:
        """In a channel thread the agent is mentioned (others talk there too); a personal chat is theirs alone."""
        if where.conversation_type == "personal":
            return message(card=card)
        # Not configured: the name Teams gave them, if the conversation was last heard from them.
        user = where.reference.get("user")
        heard = isinstance(user, dict) and str(user.get("aadObjectId", "")).lower() == esc.agent_id
        name = name_of(self.config, esc.agent_id) or (str(user.get("name") or "") if heard and user else None)
        if not name:
            return message(card=card)
        text, entity = mention(esc.agent_id, name)
        return message(text=text, card=card, entities=[entity])

    # --- posting once ----------------------------------------------------------------------------------------
    async def _post_once(
        self, ctx: JobContext, where: ConversationRecord, conversation_id: str, activity: Activity
    ) -> str:
        """Post, unless the pacer says wait; see the module docstring for what a second attempt does."""
        self._pace(ctx, conversation_id, where.tenant_id)
        await ctx.begin_attempt()
        return await self._teams(ctx, conversation_id, self.client.send(where.service_url, conversation_id, activity))

    async def _update(
        self, ctx: JobContext | None, where: ConversationRecord, message_id: str, activity: Activity
    ) -> None:
        self._pace(ctx, where.conversation_id, where.tenant_id)
        call = self.client.update(where.service_url, where.conversation_id, message_id, activity)
        await self._teams(ctx, where.conversation_id, call)

    def _pace(self, ctx: JobContext | None, conversation_id: str, tenant: str | None) -> None:
        wait = self.pacer.take(conversation_id, tenant)
        if wait > 0:
            # Certainly nothing done by this attempt; an earlier one whose outcome is unknown stays on record.
            done_before = ctx is not None and ctx.previous_attempt is not None
            raise Retry(wait, PACED, nothing_done=not done_before, counts=False)

    async def _teams(self, ctx: JobContext | None, conversation_id: str, call: Awaitable[T]) -> T:
        attempts = ctx.job.attempts if ctx is not None else 1
        earlier_unknown = ctx is not None and ctx.previous_attempt is not None
        try:
            return await call
        except Exception as exc:
            outcome = as_outcome(exc, attempts, earlier_unknown=earlier_unknown)
            if outcome is None:
                raise
            if isinstance(exc, aiohttp.ClientResponseError) and exc.status == 429 and isinstance(outcome, Retry):
                self.pacer.limited(conversation_id, outcome.after)
            raise outcome from exc
