"""Escalations: hand a case to a supervisor group, and let its members acknowledge, claim, return or resolve it.

The rules are the pure policy's (domain/escalation_policy.py); this service loads, asks the policy, and commits
the change with a compare-and-set on the escalation, its audit event and the jobs that tell every surface about
it, in one transaction. The worker (scheduler/) runs those jobs through each surface's delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from chatbot.config import Config, Group
from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation import (
    Escalation,
    EscalationAction,
    EscalationKind,
    FactItem,
    Handoff,
    NewEscalation,
    PostRef,
    Priority,
    TrailItem,
)
from chatbot.domain.escalation_policy import act as policy_act
from chatbot.domain.escalation_policy import initial_jobs
from chatbot.domain.jobs import NewJob
from chatbot.domain.run import RunState
from chatbot.engine.machine import Engine
from chatbot.engine.schema import OutcomeKind
from chatbot.services.access import AccessPolicy
from chatbot.services.clock import Clock
from chatbot.storage import Store

UsergroupMembers = Callable[[str], Awaitable[frozenset[str]]]
ESCALATING = (OutcomeKind.ESCALATED, OutcomeKind.TICKET_SHARE)


class NotAMember(UserFacingError):
    pass


class StaleEscalation(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Someone else changed this escalation a moment ago; the message shows where it stands now.")


def timeout_for(group: Group, priority: Priority | str) -> timedelta:
    minutes = group.high_priority_ack_timeout_minutes if priority == Priority.HIGH else group.ack_timeout_minutes
    return timedelta(minutes=minutes)


class EscalationService:
    def __init__(
        self,
        config: Config,
        store: Store,
        engine: Engine,
        clock: Clock,
        members: UsergroupMembers,
        access: AccessPolicy | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.engine = engine
        self.clock = clock
        self.members = members
        self.access = access

    async def check_can_escalate(self, actor: str, channel: str | None) -> None:
        """`/escalate` by hand is open to whoever may start playbooks (there)."""
        if self.access is not None:
            await self.access.check_start(actor, channel or "")

    # --- creating ------------------------------------------------------------------------------------------
    def from_run(self, run_id: str, state: RunState, *, agent: PostRef | None) -> NewEscalation | None:
        """The escalation a finished run asks for (escalated / ticket share outcome), or None."""
        step = self.engine.catalog.get(state.current).steps[state.step]
        if step.outcome is None or step.outcome.kind not in ESCALATING:
            return None  # decided before rendering anything: most outcomes do not escalate
        view = self.engine.view(state, include_pii=True)  # Tier 2 may see what Tier 1 views withhold
        out = view.outcome
        if out is None or not out.group:
            return None
        group = self.config.groups[out.group]
        checklist = out.checklist + (group.checklist if out.kind == OutcomeKind.TICKET_SHARE else ())
        handoff = Handoff(
            summary=out.summary,
            agent=state.started_by,
            playbook=view.playbook_title,
            reason=out.reason,
            partner=out.partner,
            note=out.note,
            trail=tuple(TrailItem(t.question, t.answer) for t in view.trail),
            facts=tuple(FactItem(f.label, f.value) for f in out.needs),
            checklist=checklist,
            fields=state.fields,
        )
        return NewEscalation(
            id=uuid.uuid4().hex,
            kind=EscalationKind(out.kind),
            group_id=out.group,
            priority=Priority(out.priority or Priority.NORMAL),
            summary=out.summary,
            handoff=handoff,
            created_by=state.trail[-1].actor if state.trail and state.trail[-1].actor else state.started_by or "",
            run_id=run_id,
            agent=agent,
        )

    def first_jobs(self, esc: NewEscalation) -> tuple[NewJob, ...]:
        """The pings a new escalation starts with: one per surface its group is on."""
        return initial_jobs(esc.id, self.config.groups[esc.group_id].surfaces, self.clock())

    async def manual(
        self,
        *,
        group_id: str,
        summary: str,
        priority: str,
        reference: str,
        actor: str,
        channel: str | None,
        origin: PostRef | None = None,
    ) -> Escalation:
        """`/escalate`: for what no playbook covers. `origin`: where it was raised (for the notices)."""
        await self.check_can_escalate(actor, channel)
        if group_id not in self.config.groups:
            raise UserFacingError(f"There is no escalation group '{group_id}'.")
        if priority not in tuple(Priority):
            raise UserFacingError("Priority is high, normal or low.")
        now = self.clock()
        text = summary.strip()
        esc = NewEscalation(
            id=uuid.uuid4().hex,
            kind=EscalationKind.MANUAL,
            group_id=group_id,
            priority=Priority(priority),
            summary=text.splitlines()[0][:150] if text else "Escalation",
            handoff=Handoff(summary=text, agent=actor, reference=reference.strip() or None, note=text),
            created_by=actor,
            agent=origin,
        )
        return await self.store.escalations.create(esc, self.first_jobs(esc), actor=actor, at=now)

    # --- acting on it --------------------------------------------------------------------------------------
    async def is_member(self, group: Group, user: str) -> bool:
        people = {self.config.people[p] for p in group.members}
        if any(user in (person.slack_user, person.teams_user) for person in people):
            return True
        return bool(group.usergroup) and user in await self.members(group.usergroup or "")

    async def get(self, escalation_id: str) -> tuple[Escalation, Group]:
        esc = await self.store.escalations.get(escalation_id)
        if esc is None:
            raise UserFacingError("This escalation no longer exists.")
        group = self.config.groups.get(esc.group_id)
        if group is None:
            raise UserFacingError(f"The group '{esc.group_id}' is no longer configured.")
        return esc, group

    async def check_member(self, escalation_id: str, actor: str) -> tuple[Escalation, Group]:
        """The escalation and its group, if `actor` may act on it; NotAMember otherwise."""
        esc, group = await self.get(escalation_id)
        if not await self.is_member(group, actor):
            raise NotAMember(f"Only members of {group.name} can do that.")
        return esc, group

    async def act(
        self, escalation_id: str, action: str, *, actor: str, version: int, reason: str | None = None
    ) -> Escalation:
        esc, _group = await self.check_member(escalation_id, actor)
        if esc.version != version:
            raise StaleEscalation()
        now = self.clock()
        change = policy_act(esc, EscalationAction(action), actor=actor, reason=reason, now=now)
        if not await self.store.escalations.apply(esc, change, actor=actor, at=now):
            raise StaleEscalation()
        updated = await self.store.escalations.get(esc.id)
        assert updated is not None
        return updated
