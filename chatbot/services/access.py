"""Who may start playbooks: configured channels, users and user groups; nobody listed means everyone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chatbot.config import Access
from chatbot.domain.errors import UserFacingError

UsergroupMembers = Callable[[str], Awaitable[frozenset[str]]]


class NotAllowed(UserFacingError):
    pass


class AccessPolicy:
    def __init__(self, access: Access, members: UsergroupMembers) -> None:
        self.access = access
        self.members = members

    async def check_start(self, user_id: str, channel_id: str) -> None:
        if await self.allowed(user_id, channel_id):
            return
        raise NotAllowed(
            "You are not set up to start playbooks here. Ask your team lead to add you (or this channel) "
            "to the chatbot configuration."
        )

    async def allowed(self, user_id: str, channel_id: str) -> bool:
        a = self.access
        if a.everyone or user_id in a.users or channel_id in a.channels:
            return True
        for group in a.usergroups:
            if user_id in await self.members(group):
                return True
        return False
