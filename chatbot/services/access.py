"""Who may start playbooks and who may answer a session: the configured channels, users and user groups, and the
session rule (anyone allowed, only the owner, or the owner's team). Checked on every action, not only at the start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chatbot.config import Access
from chatbot.domain.errors import UserFacingError

UsergroupMembers = Callable[[str], Awaitable[frozenset[str]]]


class NotAllowed(UserFacingError):
    pass


NOT_SET_UP = (
    "You are not set up to start playbooks here. Ask your team lead to add you (or this channel) to the chatbot "
    "configuration."
)
CASES_NOT_ALLOWED = (
    "You are not set up to look up or reopen cases here. Ask your team lead to add you (or this channel) to the "
    "chatbot configuration."
)
# The digest names escalations (their summaries, who has them): the people cases are shown to, and no one else.
DIGEST_NOT_ALLOWED = (
    "You are not set up to see the leads' digest here. Ask your team lead to add you (or this channel) to the "
    "chatbot configuration."
)


class AccessPolicy:
    def __init__(self, access: Access, members: UsergroupMembers) -> None:
        self.access = access
        self.members = members

    async def check_start(self, user_id: str, channel_id: str) -> None:
        if not await self.allowed(user_id, channel_id):
            raise NotAllowed(NOT_SET_UP)

    async def check_session(self, user_id: str, channel_id: str, owner_id: str) -> None:
        """May `user_id` answer, go back in, restart or cancel the session `owner_id` started? Raises NotAllowed."""
        await self.check_start(user_id, channel_id)
        rule = self.access.sessions
        if rule == "anyone" or user_id == owner_id:
            return
        if rule == "team" and await self._share_a_team(user_id, owner_id):
            return
        whose = "its owner and their team" if rule == "team" else "the person who started it"
        raise NotAllowed(f"This session belongs to someone else: only {whose} can answer it. Nothing was changed.")

    async def allowed(self, user_id: str, channel_id: str) -> bool:
        a = self.access
        if a.everyone or user_id in a.users or channel_id in a.channels:
            return True
        # Teams: a session lives in a channel's thread ("19:...;messageid=..."), which belongs to its channel.
        if user_id in a.teams_users or channel_id.split(";messageid=", 1)[0] in a.teams_channels:
            return True
        for group in a.usergroups:
            if user_id in await self.members(group):
                return True
        return False

    async def _share_a_team(self, user_id: str, owner_id: str) -> bool:
        for group in self.access.teams:
            members = await self.members(group)
            if user_id in members and owner_id in members:
                return True
        return False
