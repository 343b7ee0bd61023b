"""The TeamsHandler the front calls: every activity's conversation is remembered, then the message, card press or
conversation update goes to the module that handles it. Errors are the front's to show (one boundary)."""

from __future__ import annotations

from chatbot.adapters.teams import case_actions, case_command, commands, escalation_actions, ids, installs, playbooks
from chatbot.adapters.teams.context import Command, TeamsDeps
from chatbot.adapters.teams.turns import CardAction, CardReply, ConversationUpdate, IncomingMessage, Reply


class ServicesHandler:
    def __init__(self, deps: TeamsDeps) -> None:
        self.deps = deps

    def add_command(self, name: str, command: Command) -> None:
        """Another part of the app answers `name` (e.g. `digest`), through the same services as in Slack."""
        self.deps.commands[name.lower()] = command

    async def on_message(self, turn: IncomingMessage) -> Reply | None:
        await self.deps.conversations.remember(turn.conversation)
        return await commands.on_message(self.deps, turn)

    async def on_card_action(self, action: CardAction) -> CardReply:
        await self.deps.conversations.remember(action.conversation)
        if action.action.escalation_action is not None:
            return await escalation_actions.press(self.deps, action)
        if action.action.verb in ids.CASE_PING_VERBS:
            return await case_actions.press(self.deps, action)
        if action.action.verb == ids.CASE_NEW:
            return await case_command.submit(self.deps, action)
        if action.action.verb == ids.PICK:
            return await playbooks.pick(self.deps, action)
        return await playbooks.answer(self.deps, action)

    async def on_conversation_update(self, update: ConversationUpdate) -> Reply | None:
        return await installs.on_update(self.deps, update)
