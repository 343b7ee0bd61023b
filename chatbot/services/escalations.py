"""Escalations: hand a case to a supervisor group, and let its members acknowledge, claim, return or resolve it.

Every change is a compare-and-set on the escalation with its audit event and the jobs that tell Slack about it,
in one transaction; the worker (scheduler/worker.py) does the Slack side.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from chatbot.config import Config, Group
from chatbot.domain.errors import UserFacingError
from chatbot.domain.run import RunState
from chatbot.engine.machine import Engine
from chatbot.rendering.escape import escape_mrkdwn
from chatbot.services.access import AccessPolicy
from chatbot.services.clock import Clock
from chatbot.storage import EscalationRecord, NewEscalation, NewJob, Store

UsergroupMembers = Callable[[str], Awaitable[frozenset[str]]]

ACTIONS = {
    # action: (statuses it applies to, status after, past tense for messages)
    "acknowledge": (("open",), "acknowledged", "acknowledged"),
    "claim": (("open", "acknowledged"), "claimed", "claimed"),
    "return": (("open", "acknowledged", "claimed"), "returned", "returned to Tier 1"),
    "resolve": (("open", "acknowledged", "claimed"), "resolved", "resolved"),
}
FINAL = ("returned", "resolved")
PRIORITIES = ("high", "normal", "low")


class NotAMember(UserFacingError):
    pass


class StaleEscalation(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Someone else changed this escalation a moment ago; the message shows where it stands now.")


def timeout_for(group: Group, priority: str) -> timedelta:
    minutes = group.high_priority_ack_timeout_minutes if priority == "high" else group.ack_timeout_minutes
    return timedelta(minutes=minutes)


def new_escalation_jobs(escalation_id: str, now: datetime) -> list[NewJob]:
    return [NewJob("ping", {}, now, escalation_id)]


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
    def from_run(
        self, run_id: str, state: RunState, *, agent_channel: str, agent_message_ts: str | None
    ) -> NewEscalation | None:
        """The escalation a finished run asks for (escalated / ticket share outcome), or None."""
        step = self.engine.catalog.get(state.current).steps[state.step]
        if step.outcome is None or step.outcome.kind.value not in ("escalated", "ticket_share"):
            return None  # decided before rendering anything: most outcomes do not escalate
        view = self.engine.view(state, include_pii=True)  # Tier 2 may see what Tier 1 views withhold
        out = view.outcome
        if out is None or out.kind not in ("escalated", "ticket_share") or not out.group:
            return None
        group = self.config.groups[out.group]
        checklist = list(out.checklist) + (list(group.checklist) if out.kind == "ticket_share" else [])
        handoff = {
            "playbook": view.playbook_title,
            "summary": out.summary,
            "reason": out.reason,
            "partner": out.partner,
            "trail": [{"question": t.question, "answer": t.answer} for t in view.trail],
            "facts": [{"label": f.label, "value": f.value} for f in out.needs],
            "note": out.note,
            "checklist": checklist,
            "agent": state.started_by,
        }
        return NewEscalation(
            id=uuid.uuid4().hex,
            kind=out.kind,
            group_id=out.group,
            priority=out.priority or "normal",
            summary=out.summary,
            handoff=handoff,
            created_by=state.trail[-1].actor if state.trail and state.trail[-1].actor else state.started_by or "",
            run_id=run_id,
            agent_channel=agent_channel,
            agent_message_ts=agent_message_ts,
        )

    async def manual(
        self, *, group_id: str, summary: str, priority: str, reference: str, actor: str, channel: str | None
    ) -> EscalationRecord:
        """`/escalate`: for what no playbook covers."""
        await self.check_can_escalate(actor, channel)
        if group_id not in self.config.groups:
            raise UserFacingError(f"There is no escalation group '{group_id}'.")
        if priority not in PRIORITIES:
            raise UserFacingError("Priority is high, normal or low.")
        now = self.clock()
        esc = NewEscalation(
            id=uuid.uuid4().hex,
            kind="manual",
            group_id=group_id,
            priority=priority,
            summary=summary.strip().splitlines()[0][:150] if summary.strip() else "Escalation",
            # Hand-off text is mrkdwn-safe, as the engine's views are: what the user typed is escaped here.
            handoff={
                "reference": escape_mrkdwn(reference.strip()),
                "agent": actor,
                "trail": [],
                "facts": [],
                "checklist": [],
                "note": escape_mrkdwn(summary.strip()),
            },
            created_by=actor,
            agent_channel=channel,
        )
        return await self.store.work.create_escalation(esc, new_escalation_jobs(esc.id, now), actor=actor, at=now)

    # --- acting on it --------------------------------------------------------------------------------------
    async def is_member(self, group: Group, user: str) -> bool:
        slack_ids = {self.config.people[p].slack_user for p in group.members}
        if user in slack_ids:
            return True
        return bool(group.usergroup) and user in await self.members(group.usergroup or "")

    async def get(self, escalation_id: str) -> tuple[EscalationRecord, Group]:
        esc = await self.store.work.get_escalation(escalation_id)
        if esc is None:
            raise UserFacingError("This escalation no longer exists.")
        group = self.config.groups.get(esc.group_id)
        if group is None:
            raise UserFacingError(f"The group '{esc.group_id}' is no longer configured.")
        return esc, group

    async def check_member(self, escalation_id: str, actor: str) -> tuple[EscalationRecord, Group]:
        """The escalation and its group, if `actor` may act on it; NotAMember otherwise."""
        esc, group = await self.get(escalation_id)
        if not await self.is_member(group, actor):
            raise NotAMember(f"Only members of {group.name} can do that.")
        return esc, group

    async def act(
        self, escalation_id: str, action: str, *, actor: str, version: int, reason: str | None = None
    ) -> EscalationRecord:
        esc, _group = await self.check_member(escalation_id, actor)
        allowed, status, _ = ACTIONS[action]
        if esc.version != version:
            raise StaleEscalation()
        if esc.status not in allowed:
            raise UserFacingError(f"This escalation is already {esc.status}.")
        now = self.clock()
        changes: dict[str, Any] = {"status": status}
        if action in ("claim", "resolve") or (action == "acknowledge" and not esc.handled_by):
            changes["handled_by"] = actor
        if action == "return":
            changes["note"] = (reason or "").strip()
        jobs = [
            NewJob("ping_update", {}, now, esc.id),
            NewJob("notify_agent", {"action": action, "actor": actor, "reason": changes.get("note")}, now, esc.id),
        ]
        if esc.agent_message_ts:
            jobs.append(NewJob("session_update", {}, now, esc.id))
        saved = await self.store.work.update_escalation(
            esc.id,
            expected_version=esc.version,
            changes=changes,
            actor=actor,
            action=f"escalation.{action}",
            detail={"status": status},
            at=now,
            jobs=jobs,
        )
        if not saved:
            raise StaleEscalation()
        updated = await self.store.work.get_escalation(esc.id)
        assert updated is not None
        return updated
