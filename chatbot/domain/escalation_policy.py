"""The escalation's rules, as pure functions: which actions each status allows, what an action changes, what a
delivered ping and a fired timer change, and which jobs follow. No I/O and no clock: callers pass `now`.

Each function returns a `Change`: the fields to write, the audit action, and the jobs to add, all of which the
caller commits in one transaction with a compare-and-set on the escalation's version (or with the job that caused
it). Surfaces only render what this allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chatbot.domain.errors import UserFacingError
from chatbot.domain.escalation import (
    AgentUpdate,
    Escalation,
    EscalationAction,
    EscalationStatus,
    PostRef,
    Surface,
)
from chatbot.domain.jobs import JobKind, NewJob

OPEN, ACKNOWLEDGED, CLAIMED = EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED, EscalationStatus.CLAIMED

ALLOWED: dict[EscalationAction, frozenset[EscalationStatus]] = {
    EscalationAction.ACKNOWLEDGE: frozenset({OPEN}),
    EscalationAction.CLAIM: frozenset({OPEN, ACKNOWLEDGED}),
    EscalationAction.RETURN: frozenset({OPEN, ACKNOWLEDGED, CLAIMED}),
    EscalationAction.RESOLVE: frozenset({OPEN, ACKNOWLEDGED, CLAIMED}),
}
AFTER: dict[EscalationAction, EscalationStatus] = {
    EscalationAction.ACKNOWLEDGE: ACKNOWLEDGED,
    EscalationAction.CLAIM: CLAIMED,
    EscalationAction.RETURN: EscalationStatus.RETURNED,
    EscalationAction.RESOLVE: EscalationStatus.RESOLVED,
}
PAST: dict[EscalationAction, str] = {
    EscalationAction.ACKNOWLEDGE: "acknowledged",
    EscalationAction.CLAIM: "claimed",
    EscalationAction.RETURN: "returned to Tier 1",
    EscalationAction.RESOLVE: "resolved",
}


class ActionRefused(UserFacingError):
    """The action does not apply to the escalation as it stands (already handled, say)."""


@dataclass(frozen=True)
class Targets:
    """Whom a ping goes to: the available people of the first tier (from a start) that has any, else everyone."""

    tier: int  # index into the tiers; == number of tiers when the whole group is pinged
    people: tuple[str, ...]  # configured person ids
    names: tuple[str, ...]
    everyone: bool
    warning: str | None
    of: int  # how many tiers there are
    named: bool = False  # the one person the escalation asks first, by name (the group is the fallback)

    @property
    def label(self) -> str:
        if self.everyone:
            return "the whole group"
        return "asked by name" if self.named else f"tier {self.tier + 1} of {self.of}"

    def to_payload(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "people": list(self.people),
            "names": list(self.names),
            "everyone": self.everyone,
            "warning": self.warning,
            "of": self.of,
            "named": self.named,
        }

    @classmethod
    def from_payload(cls, data: dict[str, object]) -> Targets:
        return cls(
            tier=int(str(data["tier"])),
            people=tuple(str(p) for p in data.get("people") or ()),  # type: ignore[attr-defined]
            names=tuple(str(n) for n in data.get("names") or ()),  # type: ignore[attr-defined]
            everyone=bool(data.get("everyone")),
            warning=str(data["warning"]) if data.get("warning") else None,
            of=int(str(data["of"])),
            named=bool(data.get("named")),
        )


@dataclass(frozen=True)
class Change:
    """What to write: escalation fields (None: unchanged), a ping's post, the audit action, follow-up jobs."""

    status: EscalationStatus | None = None
    tier: int | None = None
    handled_by: str | None = None
    note: str | None = None
    post: PostRef | None = None
    audit: str | None = None
    jobs: tuple[NewJob, ...] = ()
    # For the leads' digest, stamped with the change's time: someone took it up (time to acknowledge), it left
    # Tier 2 (returned or resolved), a timer moved it to the next tier.
    acknowledged: bool = False
    closed: bool = False
    reescalated: bool = False

    @property
    def touches_escalation(self) -> bool:
        changes = (self.status, self.tier, self.handled_by, self.note, self.post)
        return any(v is not None for v in changes) or self.acknowledged or self.closed or self.reescalated


def allowed_actions(status: EscalationStatus) -> tuple[EscalationAction, ...]:
    """The buttons a ping shows, in order."""
    return tuple(action for action in EscalationAction if status in ALLOWED[action])


def delivery(kind: JobKind, surface: Surface, escalation_id: str, now: datetime, **payload: object) -> NewJob:
    return NewJob(kind, {"surface": surface.value, **payload}, now, escalation_id)


def agent_update(esc: Escalation, update: AgentUpdate, now: datetime) -> NewJob:
    """A job telling the escalation's agent `update` (work recorded, the closure), where their session is."""
    surface = esc.agent.surface if esc.agent is not None else Surface.SLACK
    return delivery(JobKind.AGENT_UPDATE, surface, esc.id, now, **update.to_payload())


def initial_jobs(escalation_id: str, surfaces: Iterable[Surface], now: datetime) -> tuple[NewJob, ...]:
    """A new escalation is pinged on every surface its group is on."""
    return tuple(delivery(JobKind.PING, surface, escalation_id, now) for surface in surfaces)


def _agent_jobs(esc: Escalation, now: datetime) -> list[NewJob]:
    """The agent's session shows where the escalation stands (when it has a session message)."""
    if esc.agent is None or esc.run_id is None:
        return []
    return [delivery(JobKind.SESSION_UPDATE, esc.agent.surface, esc.id, now)]


def act(
    esc: Escalation,
    action: EscalationAction,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
    surfaces: Iterable[Surface],
) -> Change:
    """A group member acknowledges, claims, returns or resolves; ActionRefused if the status does not allow it.

    The ping is updated on every surface it was or may be posted on (`surfaces`: its group's), not only those it
    was posted on when read: a post recorded meanwhile is then updated by that job, which reads the escalation when
    it runs (one recorded after this change commits queues its own update: see storage's `job_write`). A surface
    with no post yet makes its update a no-op."""
    if esc.status not in ALLOWED[action]:
        raise ActionRefused(f"This escalation is already {esc.status.value}.")
    handled_by = None
    if action in (EscalationAction.CLAIM, EscalationAction.RESOLVE) or (
        action == EscalationAction.ACKNOWLEDGE and not esc.handled_by
    ):
        handled_by = actor
    note = (reason or "").strip() if action == EscalationAction.RETURN else None
    pinged = [*esc.posts, *(s for s in surfaces if s not in esc.posts)]
    jobs = [delivery(JobKind.PING_UPDATE, surface, esc.id, now) for surface in pinged]
    notice_surface = esc.agent.surface if esc.agent is not None else Surface.SLACK
    jobs.append(
        delivery(JobKind.NOTIFY_AGENT, notice_surface, esc.id, now, action=action.value, actor=actor, reason=note)
    )
    jobs.extend(_agent_jobs(esc, now))
    return Change(
        status=AFTER[action],
        handled_by=handled_by,
        note=note,
        audit=f"escalation.{action.value}",
        jobs=tuple(jobs),
        acknowledged=esc.status == OPEN,  # the first press by a member, whichever it is, stops the timers
        closed=AFTER[action].final,
    )


def applied(esc: Escalation, change: Change, at: datetime) -> Escalation:
    """The escalation as `change`, written at `at` with its compare-and-set, leaves it. What the worker writes
    without moving the version (a ping's post, the tier pinged) is as it was read, but for the change's own."""
    posts = {**esc.posts, change.post.surface: change.post} if change.post is not None else esc.posts
    return replace(
        esc,
        status=change.status if change.status is not None else esc.status,
        tier=change.tier if change.tier is not None else esc.tier,
        handled_by=change.handled_by if change.handled_by is not None else esc.handled_by,
        note=change.note if change.note is not None else esc.note,
        version=esc.version + 1,
        updated_at=at,
        posts=posts,
    )


def should_ping(esc: Escalation, surface: Surface) -> bool:
    """Post the ping on `surface`? Not once it was posted there, nor once someone has taken the escalation."""
    return esc.status == OPEN and surface not in esc.posts


def ping_delivered(esc: Escalation, post: PostRef, targets: Targets, timeout: timedelta, now: datetime) -> Change:
    """The ping is in the group's channel. The first surface to get it sets the tier and starts the timer."""
    if esc.tier >= 0:  # another surface was pinged first: it already chose the tier and started the timer
        return Change(post=post)
    jobs = _agent_jobs(esc, now)
    if not targets.everyone:
        jobs.append(NewJob(JobKind.REESCALATE, {"tier": targets.tier + 1}, now + timeout, esc.id))
    return Change(post=post, tier=targets.tier, jobs=tuple(jobs))


def timer_fired(esc: Escalation, tier: int, targets: Targets, timeout: timedelta, now: datetime) -> Change:
    """Nobody acknowledged in time: remind the next tier in each ping's thread, and start the next timer.

    A timer for a tier already reached (a duplicate), or for an escalation someone took or nobody was pinged about,
    changes nothing: no reminder after an acknowledgement, never two reminders for one tier.
    """
    if esc.status != OPEN or not esc.posts or tier <= esc.tier:
        return Change()
    waited = max(int((now - esc.created_at).total_seconds() // 60), 1)
    jobs = [
        delivery(JobKind.REMIND, surface, esc.id, now, targets=targets.to_payload(), waited=waited)
        for surface in esc.posts
    ]
    jobs.extend(delivery(JobKind.PING_UPDATE, surface, esc.id, now) for surface in esc.posts)
    jobs.extend(_agent_jobs(esc, now))
    if not targets.everyone:
        jobs.append(NewJob(JobKind.REESCALATE, {"tier": targets.tier + 1}, now + timeout, esc.id))
    return Change(tier=targets.tier, jobs=tuple(jobs), reescalated=True)
