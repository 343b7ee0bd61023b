"""What the agents saw: every request's kind, finish time, ack latency and verdict, windowed afterwards.

Kinds are what an agent or supervisor does (below); "derived" latencies are effects the fake saw after a request
(a session message or a "case opened" message posted, a modal opened, a ping showing its new state, a DM or an
ephemeral reply, an /oncall listing answered), timed from when the request was sent,
and the ping, timed from the ack of the answer that escalated (pings.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

START_ID = "/triage <id>"
START_TICKET = "/triage <id> <ticket>"
START_PICKER = "/triage (picker)"
PICK = "picker select"
CLICK = "click (choice, continue)"
FORM_OPEN = "form button (views.open)"
SUBMIT_INVALID = "form submit (invalid)"
SUBMIT_VALID = "form submit (valid)"
ESCALATING = "escalating answer"
RESTART = "restart"
CASE_NEW = "/case new (modal)"
CASE_SUBMIT = "case new: submit"
CASE_SHOW = "/case NUMBER"
ESC_ACK = "ping: acknowledge"
ESC_CLAIM = "ping: claim"
ESC_RETURN = "ping: return (modal)"
RETURN_INVALID = "return: no reason"
RETURN_SUBMIT = "return: with reason"
ESC_RESOLVE = "ping: resolve (modal)"
RESOLVE_SUBMIT = "resolve: submit"
ESC_WORK = "ping: record work (modal)"
WORK_SUBMIT = "record work: submit"
ESC_STATUS = "ping: status update"
ESC_FOLLOW_UP = "ping: start follow-up"
ONCALL = "/oncall"
ONCALL_AWAY = "/oncall away"
ONCALL_BACK = "/oncall back"
ESCALATE = "/escalate (modal)"
ESCALATE_SUBMIT = "escalate: submit"
HOME = "Home tab opened (event)"

AGENT_KINDS = (
    START_ID,
    START_TICKET,
    START_PICKER,
    PICK,
    CLICK,
    FORM_OPEN,
    SUBMIT_INVALID,
    SUBMIT_VALID,
    ESCALATING,
    RESTART,
    CASE_NEW,
    CASE_SUBMIT,
    CASE_SHOW,
    ESCALATE,
    ESCALATE_SUBMIT,
    HOME,
)
SUPERVISOR_KINDS = (
    ESC_ACK,
    ESC_CLAIM,
    ESC_RETURN,
    RETURN_INVALID,
    RETURN_SUBMIT,
    ESC_RESOLVE,
    RESOLVE_SUBMIT,
    ESC_WORK,
    WORK_SUBMIT,
    ESC_STATUS,
    ESC_FOLLOW_UP,
    ONCALL,
    ONCALL_AWAY,
    ONCALL_BACK,
)
KINDS = AGENT_KINDS + SUPERVISOR_KINDS

VIEW_OPENED = "views.open at the fake (form)"
CASE_VIEW_OPENED = "views.open at the fake (case)"
ESCALATE_VIEW_OPENED = "views.open at the fake (escalate)"
HOME_PUBLISHED = "views.publish at the fake (home)"
RETURN_VIEW_OPENED = "views.open at the fake (return)"
RESOLVE_VIEW_OPENED = "views.open at the fake (resolve)"
WORK_VIEW_OPENED = "views.open at the fake (work)"
SESSION_POSTED = "session message posted"
CASE_POSTED = "case opened message posted"
PING_DELIVERED = "ping delivered (all)"
PING_FREE = "ping delivered (channel free)"
PING_RESOLVED = "ping shows it resolved"
WORK_NOTICE = "work recorded: DM to supervisor"
STATUS_REPLY = "status update reply (ephemeral)"
FOLLOW_UP_POSTED = "follow-up session posted"
ONCALL_LISTING = "/oncall listing at response_url"
DERIVED = (
    SESSION_POSTED,
    VIEW_OPENED,
    CASE_VIEW_OPENED,
    CASE_POSTED,
    ESCALATE_VIEW_OPENED,
    HOME_PUBLISHED,
    RETURN_VIEW_OPENED,
    RESOLVE_VIEW_OPENED,
    PING_RESOLVED,
    WORK_VIEW_OPENED,
    WORK_NOTICE,
    STATUS_REPLY,
    FOLLOW_UP_POSTED,
    PING_FREE,
    PING_DELIVERED,
    ONCALL_LISTING,
)


@dataclass
class KindWindow:
    latencies: list[float]  # seconds, of the requests acked with 200 in the window, sorted
    errors: int


@dataclass
class Recorder:
    kinds: list[str] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    derived: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # name -> (at, seconds)
    walks: list[float] = field(default_factory=list)  # finish times of whole walks (start to outcome)
    error_kinds: Counter[str] = field(default_factory=Counter)  # "kind: reason", whole run
    problems: Counter[str] = field(default_factory=Counter)  # timeouts, stale notices, ... (whole run)
    remarks: Counter[str] = field(default_factory=Counter)  # worth knowing, not wrong (whole run)

    def add(self, kind: str, finished: float, latency: float, error: str | None) -> int:
        self.kinds.append(kind)
        self.finished.append(finished)
        self.latency.append(latency)
        self.ok.append(error is None)
        if error is not None:
            self.error_kinds[f"{kind}: {error}"] += 1
        return len(self.kinds) - 1

    def retag(self, index: int, kind: str) -> None:
        """The answer at `index` turned out to be of `kind` (an answer that escalated is known only afterwards)."""
        self.kinds[index] = kind

    def derive(self, name: str, at: float, seconds: float) -> None:
        self.derived.setdefault(name, []).append((at, seconds))

    def acked(self, kind: str) -> int:
        """Requests of `kind` acked with 200 over the whole run."""
        return sum(1 for k, ok in zip(self.kinds, self.ok, strict=True) if ok and k == kind)

    def walk_done(self, at: float) -> None:
        self.walks.append(at)

    def window(self, start: float, end: float) -> dict[str, KindWindow]:
        out: dict[str, KindWindow] = {}
        for kind, finished, latency, ok in zip(self.kinds, self.finished, self.latency, self.ok, strict=True):
            if start <= finished < end:
                entry = out.setdefault(kind, KindWindow([], 0))
                if ok:
                    entry.latencies.append(latency)
                else:
                    entry.errors += 1
        for entry in out.values():
            entry.latencies.sort()
        return out

    def derived_window(self, start: float, end: float) -> dict[str, list[float]]:
        return {
            name: sorted(seconds for at, seconds in values if start <= at < end)
            for name, values in self.derived.items()
        }

    def walks_in(self, start: float, end: float) -> int:
        return sum(1 for at in self.walks if start <= at < end)
