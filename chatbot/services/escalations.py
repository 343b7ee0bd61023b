"""Escalations: hand a case to a supervisor group, and let its members acknowledge, claim, return or resolve it.

The rules are the pure policy's (domain/escalation_policy.py); this service loads, asks the policy, and commits
the change with a compare-and-set on the escalation, its audit event and the jobs that tell every surface about
it, in one transaction. The worker (scheduler/) runs those jobs through each surface's delivery.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from chatbot.config import Config, Group
from chatbot.domain.case import Case, Resolution, WorkKind
from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation import (
    Escalation,
    EscalationAction,
    EscalationKind,
    EscalationSource,
    FactItem,
    Handoff,
    NewEscalation,
    PostRef,
    Priority,
    Surface,
    TrailItem,
)
from chatbot.domain.escalation_policy import act as policy_act
from chatbot.domain.escalation_policy import initial_jobs
from chatbot.domain.jobs import NewJob
from chatbot.domain.run import RunState
from chatbot.engine.machine import Engine
from chatbot.engine.schema import OutcomeKind
from chatbot.services.access import CASES_NOT_ALLOWED, AccessPolicy, NotAllowed
from chatbot.services.case_texts import Closure
from chatbot.services.cases import CaseService
from chatbot.services.clock import Clock
from chatbot.services.references import parse_reference
from chatbot.storage import Store
from chatbot.storage.cases import CaseWrite

UsergroupMembers = Callable[[str], Awaitable[frozenset[str]]]
ESCALATING = (OutcomeKind.ESCALATED, OutcomeKind.TICKET_SHARE)
KNOWN_ESCALATIONS = 512  # kept as last seen: ~9 kB each with a long hand-off, so under 5 MB; few are open at once


class NotAMember(UserFacingError):
    pass


class StaleEscalation(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Someone else changed this escalation a moment ago; the message shows where it stands now.")


def timeout_for(group: Group, priority: Priority | str) -> timedelta:
    minutes = group.high_priority_ack_timeout_minutes if priority == Priority.HIGH else group.ack_timeout_minutes
    return timedelta(minutes=minutes)


def path_to(state: RunState) -> tuple[EscalationSource, ...]:
    """The answers that led a run to its outcome, the last one first (jumps are not answers)."""
    answered = [entry for entry in state.trail if entry.kind != "jump"]
    return tuple(
        EscalationSource(entry.playbook, entry.step, entry.answer if entry.kind != "fields" else None, position)
        for position, entry in enumerate(reversed(answered))
    )


class EscalationService:
    def __init__(
        self,
        config: Config,
        store: Store,
        engine: Engine,
        clock: Clock,
        members: UsergroupMembers,
        access: AccessPolicy | None = None,
        cases: CaseService | None = None,
    ) -> None:
        self.cases = cases
        self.config = config
        self.store = store
        self.engine = engine
        self.clock = clock
        self.members = members
        self.access = access
        # Escalations as this process last wrote or read them, newest last (bounded). A press at the version it was
        # known at needs no read: its compare-and-set on that version still decides, as a click's does for a run.
        self._known: OrderedDict[str, Escalation] = OrderedDict()

    async def check_can_escalate(self, actor: str, channel: str | None) -> None:
        """`/escalate` by hand is open to whoever may start playbooks (there)."""
        if self.access is not None:
            await self.access.check_start(actor, channel or "")

    async def check_staff(self, actor: str, channel: str | None, refusal: str = CASES_NOT_ALLOWED) -> None:
        """Showing or reopening a case, or the leads' digest (`refusal` says which was refused), is for whoever may
        start playbooks there, or a member of a Tier 2 group (who work from their own channels). NotAllowed
        otherwise."""
        if self.access is None or await self.access.allowed(actor, channel or ""):
            return
        for group in self.config.groups.values():
            if await self.is_member(group, actor):
                return
        raise NotAllowed(refusal)

    # --- creating ------------------------------------------------------------------------------------------
    def from_run(
        self, run_id: str, state: RunState, *, agent: PostRef | None, case_id: str | None = None
    ) -> NewEscalation | None:
        """The escalation a finished run asks for (escalated / ticket share outcome), or None."""
        step = self.engine.catalog.get(state.current).steps[state.step]
        spec = step.outcome
        if spec is None or spec.kind not in ESCALATING:
            return None  # decided before rendering anything: most outcomes do not escalate
        view = self.engine.view(state, include_pii=True)  # Tier 2 may see what Tier 1 views withhold
        out = view.outcome
        if out is None or not out.group:
            return None
        group = self.config.groups[out.group]
        checklist = out.checklist + (group.checklist if out.kind == OutcomeKind.TICKET_SHARE else ())
        fields = state.fields
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
            fields={k: v for k, v in fields.items() if k not in ("case_number", "tier1_agent")},
            reference=fields.get("ticket_id") or None,
            case_number=fields.get("case_number") or None,
            tier1_agent=fields.get("tier1_agent") or None,
            follow_up=spec.follow_up,
            follow_up_title=self._title(spec.follow_up),
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
            sources=path_to(state),
            person=spec.person,
            case_id=case_id,
            case_number=handoff.case_number,
        )

    def _title(self, playbook_id: str | None) -> str | None:
        found = self.engine.catalog.playbooks.get(playbook_id) if playbook_id else None
        return found.spec.title if found is not None else None

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
        """`/escalate`: for what no playbook covers. `origin`: where it was raised (for the notices). It belongs to
        the case the reference names, the ticket's open case, or a new one, which it opens with Tier 2 (a write
        with the escalation's, in one transaction: the store's `raise_escalation`)."""
        await self.check_can_escalate(actor, channel)
        if group_id not in self.config.groups:
            raise UserFacingError(f"There is no escalation group '{group_id}'.")
        if priority not in tuple(Priority):
            raise UserFacingError("Priority is high, normal or low.")
        case_id = case_number = None
        new_case, counter = None, None
        if self.cases is not None:
            ticket, number = parse_reference(reference)
            surface = (origin.surface if origin else Surface.SLACK).value
            new_case, counter, case = await self.cases.for_escalation(
                actor=actor, surface=surface, channel=channel or "", ticket=ticket, number=number
            )
            case_id, case_number = case
        now = self.clock()
        text = summary.strip()
        esc = NewEscalation(
            id=uuid.uuid4().hex,
            kind=EscalationKind.MANUAL,
            group_id=group_id,
            priority=Priority(priority),
            summary=text.splitlines()[0][:150] if text else "Escalation",
            handoff=Handoff(
                summary=text, agent=actor, reference=reference.strip() or None, note=text, case_number=case_number
            ),
            created_by=actor,
            agent=origin,
            case_id=case_id,
            case_number=case_number,
        )
        move = self.cases.escalated_move(case_id, esc) if self.cases is not None and case_id is not None else None
        await self.store.raise_escalation(
            esc, self.first_jobs(esc), actor=actor, at=now, new_case=new_case, counter=counter, move=move
        )
        return self.created(esc, now)

    # --- acting on it --------------------------------------------------------------------------------------
    async def is_member(self, group: Group, user: str) -> bool:
        people = {self.config.people[p] for p in group.members}
        if any(user in (person.slack_user, person.teams_user) for person in people):
            return True
        return bool(group.usergroup) and user in await self.members(group.usergroup or "")

    async def open_for_member(self, user: str) -> list[Escalation]:
        """Open escalations of every group `user` is in, oldest first."""
        groups = [gid for gid, group in self.config.groups.items() if await self.is_member(group, user)]
        return await self.store.escalations.open_for_groups(groups, limit=30) if groups else []

    async def home_of(self, user: str) -> tuple[list[Case], list[tuple[str, str, str]], list[Escalation]]:
        """What `user`'s App Home shows, read side by side: their open cases, active sessions (run id, playbook id,
        status) and their groups' open escalations."""

        async def cases() -> list[Case]:
            return await self.cases.open_cases_of(user) if self.cases is not None else []

        runs, escalations = (lambda: self.store.active_runs_of(user)), (lambda: self.open_for_member(user))
        return tuple(await self.store.side_by_side(cases, runs, escalations))

    async def get(self, escalation_id: str) -> tuple[Escalation, Group]:
        """The escalation as the database has it now, and its group."""
        esc = await self.store.escalations.get(escalation_id)
        if esc is None:
            self._known.pop(escalation_id, None)
            raise UserFacingError("This escalation no longer exists.")
        return self._remember(esc), self._group_of(esc)

    def created(self, new: NewEscalation, at: datetime) -> Escalation:
        """The escalation a run's save has just written (at `at`), as it now is: known here from the start."""
        return self._remember(self.store.escalations.created(new, at))

    async def check_member(
        self, escalation_id: str, actor: str, *, version: int | None = None
    ) -> tuple[Escalation, Group]:
        """The escalation and its group, if `actor` may act on it; NotAMember otherwise. Read unless this process
        knows it at `version`; with no `version`, as it was last known here: its status may have moved on since,
        but what never changes (its group, case, agent, hand-off) is right."""
        known = self._known.get(escalation_id)
        if known is not None and (version is None or known.version == version):
            esc, group = known, self._group_of(known)
        else:
            esc, group = await self.get(escalation_id)
        if not await self.is_member(group, actor):
            raise NotAMember(f"Only members of {group.name} can do that.")
        return esc, group

    async def act(
        self, escalation_id: str, action: str, *, actor: str, version: int, reason: str | None = None
    ) -> Escalation:
        esc, group = await self.check_member(escalation_id, actor, version=version)
        return await self._act(esc, group, action, actor=actor, version=version, reason=reason)

    async def _act(
        self, esc: Escalation, group: Group, action: str, *, actor: str, version: int, reason: str | None = None
    ) -> Escalation:
        return (await self._change(esc, group, action, actor=actor, version=version, reason=reason))[0]

    async def _change(
        self,
        esc: Escalation,
        group: Group,
        action: str,
        *,
        actor: str,
        version: int,
        reason: str | None = None,
        case: CaseWrite | None = None,
    ) -> tuple[Escalation, Case | None]:
        """The action's compare-and-set; with `case`, the case's own in the same statement (the case as written,
        or None if it had moved since it was read)."""
        if esc.version != version:
            raise StaleEscalation()
        now = self.clock()
        change = policy_act(esc, EscalationAction(action), actor=actor, reason=reason, now=now, surfaces=group.surfaces)
        escalations = self.store.escalations
        if case is None:
            updated, written = await escalations.apply(esc, change, actor=actor, at=now), None
        else:
            updated, written = await escalations.apply_with_case(esc, change, case, actor=actor, at=now)
        if updated is None:
            self._known.pop(esc.id, None)  # someone else moved it on: read it next time
            raise StaleEscalation()
        return self._remember(updated), written

    async def _with_case(
        self, escalation_id: str, actor: str, version: int | None = None
    ) -> tuple[Escalation, Group, Case | None]:
        """check_member, with the escalation's case read at the same time (on PostgreSQL one round trip's wait
        for both: a supervisor's form waits for them)."""
        if self.cases is None:
            return (*await self.check_member(escalation_id, actor, version=version), None)
        (esc, group), case = await self.store.side_by_side(
            lambda: self.check_member(escalation_id, actor, version=version),
            lambda: self.store.cases.of_escalation(escalation_id),
        )
        return esc, group, case

    def _group_of(self, esc: Escalation) -> Group:
        group = self.config.groups.get(esc.group_id)
        if group is None:
            raise UserFacingError(f"The group '{esc.group_id}' is no longer configured.")
        return group

    def _remember(self, esc: Escalation) -> Escalation:
        self._known[esc.id] = esc
        self._known.move_to_end(esc.id)
        while len(self._known) > KNOWN_ESCALATIONS:
            self._known.popitem(last=False)
        return esc

    # --- Tier 2's work on the case -------------------------------------------------------------------------------
    async def resolve(
        self, escalation_id: str, *, actor: str, version: int, found: str, changed: str
    ) -> tuple[Escalation, Closure | None]:
        """Resolve the escalation and its case, whose closure reply and note go to the agent: one statement on
        PostgreSQL, the case's compare-and-set applying only if the escalation's did (which decides between two
        presses). None when there is no case to close (one already resolved)."""
        if not found.strip():
            raise UserFacingError("Say what was found: the closure reply is written from it.")
        action = EscalationAction.RESOLVE.value
        esc, group, case = await self._with_case(escalation_id, actor, version)
        if case is None or self.cases is None or not case.is_open:
            return await self._act(esc, group, action, actor=actor, version=version), None
        closure, write = self.cases.closure_write(case, actor, Resolution(found.strip(), changed.strip()), tell=esc)
        esc, resolved = await self._change(esc, group, action, actor=actor, version=version, case=write)
        if resolved is not None:
            return esc, replace(closure, case=resolved)
        # The case moved between its read and the write (a link recorded, say): it is resolved on its own, read again.
        return esc, await self.cases.resolve(case.id, actor=actor, found=found, changed=changed, tell=esc)

    async def record_work(
        self, escalation_id: str, kind: WorkKind, *, actor: str, reference: str | None, detail: str | None
    ) -> str:
        """What a member did on the escalation's case (contacted the customer, Tech Development, ...); the agent is
        told. Returns the line recorded."""
        esc, _group, case = await self._with_case(escalation_id, actor)
        _case, line = await self._cases().record(
            self._case_of(esc), kind, actor=actor, reference=reference, detail=detail, tell=esc, read=case
        )
        return line

    async def status_update(self, escalation_id: str, actor: str) -> tuple[str, str]:
        """The "still on it" reply for the escalation's case: (case number, reply). The escalation (unless known
        here), its case and the work recorded on it are read at once."""
        cases = self._cases()
        (esc, _group), case, work = await self.store.side_by_side(
            lambda: self.check_member(escalation_id, actor),
            lambda: self.store.cases.of_escalation(escalation_id),
            lambda: self.store.cases.work_recorded(escalation_id, by_escalation=True),
        )
        case, text = await cases.status_update(self._case_of(esc), actor, read=(case, work) if case else None)
        return case.number, text

    async def follow_up(self, escalation_id: str, actor: str) -> tuple[str, dict[str, str], str | None]:
        """What a member needs to start the playbook the escalation names: (playbook, values known, case number)."""
        esc, _group = await self.check_member(escalation_id, actor)
        h = esc.handoff
        if not h.follow_up or h.follow_up not in self.engine.catalog.playbooks:
            raise UserFacingError("This escalation names no playbook to continue with.")
        preset = dict(h.fields)
        preset["tier1_agent"] = h.tier1_agent or esc.agent_id
        if h.reference:
            preset.setdefault("ticket_id", h.reference)
        return h.follow_up, preset, h.case_number

    def _cases(self) -> CaseService:
        if self.cases is None:
            raise UserFacingError("Cases are not set up in this process.")
        return self.cases

    @staticmethod
    def _case_of(esc: Escalation) -> str:
        if esc.case_id is None:
            raise UserFacingError("This escalation belongs to no case, so there is nothing to record on.")
        return esc.case_id
