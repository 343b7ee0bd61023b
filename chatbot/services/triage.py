"""Playbook sessions: start a run, apply an agent's answer with compare-and-set, and keep the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatbot.domain.errors import StaleAnswer, UserFacingError
from chatbot.domain.run import Action, Answer, Back, Cancel, Choose, Continue, Restart, RunState, Submit
from chatbot.domain.views import View
from chatbot.engine.machine import Engine
from chatbot.services.clock import Clock, system_clock
from chatbot.storage import RunRecord, Store


class UnknownRun(UserFacingError):
    def __init__(self) -> None:
        super().__init__("This session no longer exists; start a new one with the triage command.")


@dataclass(frozen=True)
class Session:
    """A run as the adapters need it: where its message lives, its state and what to show."""

    run_id: str
    channel_id: str
    message_ts: str | None
    owner_id: str
    state: RunState
    view: View


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
    ) -> None:
        self.engine = engine
        self.store = store
        self.clock = clock
        self.new_id = new_id

    async def start(self, playbook_id: str, *, actor: str, team_id: str, channel_id: str) -> Session:
        now = self.clock()
        state = self.engine.start(playbook_id, actor, now.isoformat())
        pb = self.engine.catalog.get(playbook_id)
        record = await self.store.create_run(
            run_id=self.new_id(),
            playbook_id=pb.id,
            playbook_version=pb.version,
            state_json=state.to_json(),
            version=state.version,
            status=state.status.value,
            team_id=team_id,
            channel_id=channel_id,
            owner_id=actor,
            actor=actor,
            at=now,
        )
        return self._session(record, state)

    async def load(self, run_id: str) -> Session:
        record = await self.store.get_run(run_id)
        if record is None:
            raise UnknownRun()
        return self._session(record, RunState.from_json(record.state_json))

    async def answer(self, run_id: str, action: Action, *, version: int, actor: str) -> Session:
        """Apply `action` if the run is still at `version`; a double click or a race raises StaleAnswer."""
        current = await self.load(run_id)
        now = self.clock()
        new = self.engine.step(current.state, Answer(action, version, actor, now.isoformat()))
        saved = await self.store.save_run(
            run_id,
            expected_version=current.state.version,
            state_json=new.to_json(),
            version=new.version,
            status=new.status.value,
            actor=actor,
            action=_action_name(action),
            detail=self._detail(current.state, new, action),
            at=now,
        )
        if not saved:
            latest = await self.store.get_run(run_id)
            raise StaleAnswer(version, latest.version if latest else -1)
        return Session(
            current.run_id, current.channel_id, current.message_ts, current.owner_id, new, self.engine.view(new)
        )

    async def attach_message(self, run_id: str, channel_id: str, message_ts: str) -> None:
        await self.store.set_message(run_id, channel_id, message_ts)

    def _session(self, record: RunRecord, state: RunState) -> Session:
        return Session(record.id, record.channel_id, record.message_ts, record.owner_id, state, self.engine.view(state))

    def _detail(self, before: RunState, after: RunState, action: Action) -> dict[str, Any]:
        """What the audit trail keeps: the step and answer, never a value that may hold PII."""
        detail: dict[str, Any] = {"from": before.step, "to": after.step, "version": after.version}
        if after.playbook != after.current:
            detail["playbook"] = after.current
        pb = self.engine.catalog.get(before.current)
        if isinstance(action, Choose):
            detail["answer"] = pb.steps[before.step].choices[action.index].label
        elif isinstance(action, Submit):
            pii = {f.id for f in pb.steps[before.step].fields if f.pii}
            detail["fields"] = {k: ("[withheld: PII]" if k in pii else v) for k, v in action.values.items()}
        if after.status != before.status:
            detail["status"] = after.status.value
        return detail
