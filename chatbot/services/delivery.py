"""The port a surface implements to take escalations to people: what the escalation jobs need from Slack or Teams.

A delivery raises the scheduler's `Retry` (with the service's Retry-After, or a backoff) or `Permanent`; a post
that may have happened on an earlier attempt (`JobContext.previous_attempt`) is looked for before it is made
again, and every post begins with `JobContext.begin_attempt()` and carries `JobContext.marker`.
"""

from __future__ import annotations

from typing import Protocol

from chatbot.config import Group
from chatbot.domain.escalation import AgentUpdate, Escalation, EscalationAction, PostRef, Surface
from chatbot.domain.escalation_policy import Targets
from chatbot.scheduler.worker import JobContext


class Delivery(Protocol):
    surface: Surface

    async def ping(self, esc: Escalation, group: Group, targets: Targets, ctx: JobContext) -> PostRef:
        """Post the ping in the group's channel, mentioning `targets`; where it was posted."""
        ...

    async def remind(
        self, esc: Escalation, group: Group, targets: Targets, waited_minutes: int, post: PostRef, ctx: JobContext
    ) -> None:
        """Remind the next people in line, in the ping's thread."""
        ...

    async def update_ping(self, esc: Escalation, group: Group, post: PostRef) -> None:
        """Show the escalation's status (and the buttons it allows) on the ping."""
        ...

    async def notify_agent(
        self,
        esc: Escalation,
        group: Group,
        action: EscalationAction,
        actor: str,
        reason: str | None,
        ctx: JobContext,
    ) -> None:
        """Tell the agent what Tier 2 did (under their session, or directly)."""
        ...

    async def agent_update(self, esc: Escalation, group: Group, update: AgentUpdate, ctx: JobContext) -> None:
        """Tell the agent what Tier 2 recorded on the case, or give them the closure reply and note to paste."""
        ...

    async def update_session(self, esc: Escalation) -> None:
        """Show the escalation's status in the agent's session message."""
        ...

    async def undeliverable(
        self, esc: Escalation, group: Group, *, first: bool, error: str, uncertain: bool, ctx: JobContext
    ) -> None:
        """Tell the agent the ping (`first`) or a reminder could not be posted, and why; `uncertain`: it may have
        been posted after all (its answer never came, and it could not be looked up), so say that instead."""
        ...

    async def unavailable(self, group: Group) -> set[str]:
        """People (configured ids) this surface shows away right now, for groups that count presence."""
        ...
