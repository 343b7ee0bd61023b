"""Playbook sessions: start a run, apply an agent's answer with compare-and-set, and keep the audit trail."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from chatbot.domain.errors import StaleAnswer, UserFacingError
from chatbot.domain.escalation import Escalation, NewEscalation, PostRef, Surface
from chatbot.domain.run import Action, Answer, Back, Cancel, Choose, Continue, Restart, RunState, RunStatus, Submit
from chatbot.domain.views import View
from chatbot.engine.machine import Engine
from chatbot.services.access import AccessPolicy, NotAllowed
from chatbot.services.cases import CaseService
from chatbot.services.clock import Clock, system_clock
from chatbot.services.escalations import EscalationService
from chatbot.services.pii_guard import Checked, PiiGuard, withhold
from chatbot.storage import RunRecord, Store
from chatbot.storage.records import RunOutcome, RunStamp
from chatbot.storage.run_writes import CaseMove, NewRun

FREE_TEXT = ("text", "textarea", "email", "url")  # what a person types freely (select, number, date they cannot)
RECENT_RUNS = 10_000  # sessions kept in memory (a few kB each)


class UnknownRun(UserFacingError):
    def __init__(self) -> None:
        super().__init__("This session no longer exists; start a new one with the triage command.")


class ForeignButton(UserFacingError):
    def __init__(self) -> None:
        super().__init__("That button does not belong to this session's message; nothing was changed.")


@dataclass(frozen=True)
class Where:
    """Where an answer was given: the channel, and the session message it was clicked on (None from a form)."""

    channel_id: str
    message_ts: str | None = None


@dataclass(frozen=True)
class Session:
    """A run as the adapters need it: where its message lives, its state and what to show."""

    run_id: str
    channel_id: str
    message_ts: str | None
    owner_id: str
    state: RunState
    view: View
    escalation: Escalation | None = None  # the newest escalation this run made, if any
    surface: Surface = Surface.SLACK
    case_id: str | None = None
    pii_warning: str | None = None  # the answer just given was let through, but looks like personal data

    @property
    def case_number(self) -> str | None:
        return self.state.preset.get("case_number") or None

    @property
    def message(self) -> PostRef | None:
        return PostRef(self.surface, self.channel_id, self.message_ts) if self.message_ts else None

    @property
    def stamp(self) -> RunStamp:
        """What its message shows changes with: the run's version and its newest escalation's."""
        return RunStamp(self.state.version, self.escalation.version if self.escalation else None)


class Sessions(Protocol):
    """How a surface's update reads runs after the ack (TriageService)."""

    async def load_fresh(self, run_id: str) -> Session: ...

    async def stamp(self, run_id: str) -> RunStamp: ...


def _action_name(action: Action) -> str:
    return {
        Choose: "choose",
        Submit: "submit",
        Continue: "continue",
        Back: "back",
        Restart: "restart",
        Cancel: "cancel",
    }[type(action)]


class TriageService:
    """Every change to a run goes through here, so the state and its audit event are written together."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        clock: Clock = system_clock,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        escalations: EscalationService | None = None,
        access: AccessPolicy | None = None,
        cases: CaseService | None = None,
        pii: PiiGuard | None = None,
    ) -> None:
        self.engine = engine
        self.cases = cases
        self.pii = pii
        self.store = store
        self.clock = clock
        self.new_id = new_id
        self.escalations = escalations
        self.access = access
        # The sessions this process changed last, so the next click on them need not read them back.
        self._recent: OrderedDict[str, Session] = OrderedDict()

    async def check_start(self, actor: str, channel_id: str) -> None:
        """May `actor` start playbooks in `channel_id`? NotAllowed otherwise."""
        if self.access is not None:
            await self.access.check_start(actor, channel_id)

    async def start(
        self,
        playbook_id: str,
        *,
        actor: str,
        team_id: str,
        channel_id: str,
        surface: Surface = Surface.SLACK,
        preset: dict[str, str] | None = None,
        case_number: str | None = None,
    ) -> Session:
        """Start a run on its case: the one `case_number` names, else the open case of the ticket in `preset`,
        else a new one. `preset`: values known already (a ticket number, what Tier 1 collected)."""
        await self.check_start(actor, channel_id)
        now = self.clock()
        pb = self.engine.catalog.get(playbook_id)
        known = dict(preset or {})
        plan = None
        if self.cases is not None:
            plan = await self.cases.plan_start(
                actor=actor,
                surface=surface.value,
                channel=channel_id,
                procedure=pb.spec.procedure.key,
                ticket=known.get("ticket_id") or None,
                number=case_number,
                tier1=pb.spec.tier == 1,
            )
            if plan.case is not None:
                known["case_number"] = plan.case.number
                if plan.case.ticket and not known.get("ticket_id"):
                    known["ticket_id"] = plan.case.ticket
                for name, value in plan.case.details.items():  # what `/case new` recorded, not asked again
                    known.setdefault(name, value)
        state = self.engine.start(playbook_id, actor, now.isoformat(), known)

        def numbered(number: str | None) -> RunState:  # a new case's number is known once it is opened
            return replace(state, preset={**state.preset, "case_number": number}) if number else state

        run = NewRun(
            self.new_id(),
            pb.id,
            pb.version,
            state.version,
            state.status.value,
            surface.value,
            team_id,
            channel_id,
            actor,
        )
        record, number = await self.store.start_run(
            run,
            lambda number: numbered(number).to_json(),
            actor=actor,
            at=now,
            new_case=plan.new_case if plan else None,
            counter=plan.counter if plan else None,
            case_id=plan.case.id if plan and plan.case else None,
            move=plan.move if plan else None,
        )
        state = numbered(number)
        session = self._session(record, state)
        self._remember(session)
        return session

    async def load(self, run_id: str) -> Session:
        record = await self.store.get_run(run_id)
        if record is None:
            raise UnknownRun()
        state = RunState.from_json(record.state_json)
        escalation = await self._latest_escalation(run_id) if self._may_have_escalated(state) else None
        session = self._session(record, state, escalation)
        cached = self._recent.get(run_id)
        if session.message_ts is None and cached is not None and cached.message_ts is not None:
            # The message was attached while this read was on its way: keep knowing where it lives.
            session = replace(session, channel_id=cached.channel_id, message_ts=cached.message_ts)
        self._remember(session)
        return session

    async def load_fresh(self, run_id: str) -> Session:
        """The run as the database has it now (another process may have moved it on)."""
        return await self.load(run_id)

    async def stamp(self, run_id: str) -> RunStamp:
        """The run's version and its newest escalation's as the database has them now, in one small read: has a
        shown session (`Session.stamp`) moved on? (a message update's newest-wins check)."""
        stamp = await self.store.run_stamp(run_id)
        if stamp is None:
            raise UnknownRun()
        return stamp

    async def authorize(self, session: Session, actor: str, where: Where) -> None:
        """May `actor` act on `session` from `where`? Raises NotAllowed or ForeignButton; changes nothing."""
        if session.message_ts and where.message_ts and where.message_ts != session.message_ts:
            raise ForeignButton()
        if where.message_ts and where.channel_id and where.channel_id != session.channel_id:
            raise ForeignButton()
        if self.access is not None:
            await self.access.check_session(actor, session.channel_id, session.owner_id)

    async def open_form(self, run_id: str, *, version: int, actor: str, where: Where) -> Session:
        """The session whose form `actor` wants to fill in; StaleAnswer if it moved on or is not at a form."""
        cached = self._recent.get(run_id)
        session = cached if cached is not None and cached.state.version == version else await self.load(run_id)
        await self.authorize(session, actor, where)
        if session.state.version != version or session.view.kind != "collect":
            raise StaleAnswer(version, session.state.version)
        return session

    def _may_have_escalated(self, state: RunState) -> bool:
        # Spares a query on most clicks: only a finished run can have escalated, or one that left its outcome with
        # Back or Restart, and those are the only answers that push the version past the trail's length.
        return self.escalations is not None and (state.status == RunStatus.FINISHED or state.version > len(state.trail))

    async def answer(
        self, run_id: str, action: Action, *, version: int, actor: str, where: Where | None = None
    ) -> Session:
        """Apply `action` if `actor` may and the run is still at `version`; a double click or a race raises
        StaleAnswer, a refused actor NotAllowed (nothing is changed either way).

        The run is read from the database unless this process holds it at exactly `version`: the compare-and-set
        of the save still decides, so a run advanced by another replica meanwhile is refused all the same.
        """
        cached = self._recent.get(run_id)
        current = cached if cached is not None and cached.state.version == version else await self.load(run_id)
        link = False
        if where is not None:
            await self.authorize(current, actor, where)
            if current.message_ts is None and where.message_ts:
                # Its post timed out before the ts came back, but the agent clicked on it: now we know where it is.
                current, link = replace(current, message_ts=where.message_ts), True
        if isinstance(action, Choose):
            await self._check_choice(current.state, action.index, actor)
        checked = self._guard(current.state, action)
        now = self.clock()
        new = self.engine.step(current.state, Answer(action, version, actor, now.isoformat()))
        escalation = await self._escalation_for(current, new)
        move = self._case_move(current, new, escalation)
        saved = await self.store.save_run(
            run_id,
            expected_version=current.state.version,
            state_json=new.to_json(),
            version=new.version,
            status=new.status.value,
            actor=actor,
            action=_action_name(action),
            detail=self._detail(current.state, new, action, checked.flagged),
            at=now,
            escalation=escalation,
            jobs=self.escalations.first_jobs(escalation) if escalation and self.escalations else (),
            outcome=self._outcome(new),
            move=move,
        )
        if not saved:
            self._recent.pop(run_id, None)
            stored = await self.store.get_run(run_id)
            raise StaleAnswer(version, stored.version if stored else -1)
        if escalation is not None and self.escalations is not None:  # the run's newest: the one its save wrote
            latest: Escalation | None = self.escalations.created(escalation, now)
        else:
            latest = await self._latest_escalation(run_id) if current.escalation else None
        if link and current.message_ts:
            await self.store.set_message(run_id, current.channel_id, current.message_ts)
        session = replace(current, state=new, view=self.engine.view(new), escalation=latest)
        self._remember(session)
        return replace(session, pii_warning=checked.notice()) if checked.warnings else session

    async def _check_choice(self, state: RunState, index: int, actor: str) -> None:
        """An answer `only` a group's members may pick (a TS supervisor's own dashboard check): NotAllowed for
        anyone else, before anything changes."""
        choices = self.engine.catalog.get(state.current).steps[state.step].choices
        only = choices[index].only if 0 <= index < len(choices) else None  # a bad index: the engine refuses it
        if only is None:
            return
        group = self.escalations.config.groups.get(only) if self.escalations is not None else None
        if group is None or self.escalations is None or not await self.escalations.is_member(group, actor):
            name = group.name if group is not None else only
            raise NotAllowed(f"Only members of {name} can choose that. Nothing was changed.")

    def _guard(self, state: RunState, action: Action) -> Checked:
        """A form's free text, checked for personal information before anything stores it (the playbook's tier
        decides whether it is refused or let through with a warning)."""
        if self.pii is None or not isinstance(action, Submit):
            return Checked({})
        pb = self.engine.catalog.get(state.current)
        fields = pb.steps[state.step].fields
        free = [f.id for f in fields if f.type in FREE_TEXT and not f.pii]
        labels = {f.id: f.label for f in fields}
        return self.pii.check(action.values, labels, tier=pb.spec.tier, only=free)

    def _case_move(self, before: Session, new: RunState, raised: NewEscalation | None) -> CaseMove | None:
        """The case moves with its run, in the same write: escalated when the run escalates, resolved when it ends
        the contact."""
        if self.cases is None or before.case_id is None or new.status != RunStatus.FINISHED:
            return None
        if before.state.status == RunStatus.FINISHED:
            return None
        if raised is not None:
            return self.cases.escalated_move(before.case_id, raised)
        outcome = self.engine.catalog.get(new.current).steps[new.step].outcome
        if outcome is not None and outcome.kind.value in ("resolved", "referred", "known_limitation"):
            return self.cases.resolved_move(before.case_id, outcome.summary)
        return None

    def _outcome(self, state: RunState) -> RunOutcome | None:
        """Where a finished run ended, kept with it for the leads' digest."""
        if state.status != RunStatus.FINISHED:
            return None
        outcome = self.engine.catalog.get(state.current).steps[state.step].outcome
        return RunOutcome(outcome.kind.value, state.current, state.step) if outcome is not None else None

    def _remember(self, session: Session) -> None:
        self._recent[session.run_id] = session
        self._recent.move_to_end(session.run_id)
        while len(self._recent) > RECENT_RUNS:
            self._recent.popitem(last=False)

    async def _escalation_for(self, current: Session, new: RunState) -> NewEscalation | None:
        """A run that reaches an escalation outcome creates one, unless it already has one still open."""
        if self.escalations is None or new.status != RunStatus.FINISHED:
            return None
        if current.escalation is not None:
            # It may have been resolved or returned since: ask afresh. A run with none cannot have gained one
            # elsewhere without its version moving on, and then `current` was read afresh anyway.
            existing = await self._latest_escalation(current.run_id)
            if existing is not None and not existing.status.final:
                return None
        agent = current.message or PostRef(current.surface, current.channel_id, "")
        return self.escalations.from_run(current.run_id, new, agent=agent, case_id=current.case_id)

    async def _latest_escalation(self, run_id: str) -> Escalation | None:
        found = await self.store.escalations.for_run(run_id)
        return found[-1] if found else None

    async def attach_message(self, run_id: str, channel_id: str, message_ts: str) -> None:
        # Known here first: a click on the message while the write waits its turn (it runs after the ack, behind
        # the acks' statements) then finds it attached instead of attaching it again on the ack's way.
        cached = self._recent.get(run_id)
        if cached is not None:
            self._recent[run_id] = replace(cached, channel_id=channel_id, message_ts=message_ts)
        await self.store.set_message(run_id, channel_id, message_ts)

    def _session(self, record: RunRecord, state: RunState, escalation: Escalation | None = None) -> Session:
        return Session(
            record.id,
            record.channel_id,
            record.message_ts,
            record.owner_id,
            state,
            self.engine.view(state),
            escalation,
            Surface(record.surface),
            record.case_id,
        )

    def _detail(
        self, before: RunState, after: RunState, action: Action, flagged: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """What the audit trail keeps: the step and answer, never a value that may hold PII (declared so, or
        flagged by the guard)."""
        detail: dict[str, Any] = {"from": before.step, "to": after.step, "version": after.version}
        if after.playbook != after.current:
            detail["playbook"] = after.current
        pb = self.engine.catalog.get(before.current)
        if isinstance(action, Choose):
            detail["answer"] = pb.steps[before.step].choices[action.index].label
        elif isinstance(action, Submit):
            pii = {f.id for f in pb.steps[before.step].fields if f.pii}
            detail["fields"] = withhold(action.values, pii | flagged)
        if after.status != before.status:
            detail["status"] = after.status.value
        return detail
