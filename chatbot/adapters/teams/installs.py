"""The bot added to a team or chat (conversationUpdate / installationUpdate), and channels created later: keep a
reference for every channel, so a group's pings can start threads there without anyone having talked to the bot
in that channel first."""

from __future__ import annotations

import logging

import aiohttp

from chatbot.adapters.teams.commands import help_card
from chatbot.adapters.teams.context import TeamsDeps
from chatbot.adapters.teams.refs import channel_record
from chatbot.adapters.teams.turns import ConversationUpdate, Reply

log = logging.getLogger(__name__)

CHANNEL_EVENTS = ("channelCreated", "channelRenamed", "channelRestored")


async def on_update(deps: TeamsDeps, update: ConversationUpdate) -> Reply | None:
    conv = update.conversation
    if update.bot_removed or update.action == "remove":
        return None  # its references stay: a post there now fails for good, and the agent hears why
    await deps.conversations.remember(conv, force=True)
    installed = update.bot_added or update.action == "add"
    if conv.team_id and installed:
        await _team_channels(deps, update)
    elif conv.team_id and update.event_type in CHANNEL_EVENTS and update.channel_id:
        record = channel_record(update.channel_id, conv.service_url, conv.tenant_id, conv.team_id, conv.reference)
        await deps.conversations.keep([record])
    if conv.type == "personal" and installed:
        return Reply(help_card())
    return None


async def _team_channels(deps: TeamsDeps, update: ConversationUpdate) -> None:
    conv = update.conversation
    assert conv.team_id is not None
    try:
        channels = await deps.client.channels(conv.service_url, conv.team_id)
    except (TimeoutError, aiohttp.ClientError) as exc:
        # The General channel is kept already; others are learnt when someone talks to the bot there.
        log.warning("Teams: could not list the channels of team %s: %s", conv.team_id, exc)
        return
    records = [
        channel_record(ch.id, conv.service_url, conv.tenant_id, conv.team_id, conv.reference)
        for ch in channels
        if ch.id
    ]
    await deps.conversations.keep(records)
    log.info("Teams: installed in team %s; %d channel references kept", conv.team_id, len(records))
