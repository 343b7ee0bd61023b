"""A simulated support agent: starts sessions and walks them to an outcome, reading what the fake Slack shows.

A walk: a new session (`/triage <id>`, `/triage <id> <ticket>` which skips the playbook's ticket form, or
`/triage` and the picker's select) or Restart of the last one, then until an outcome: Continue, a choice
(``Library.choose``: aiming for an escalation when the budget allows, else avoiding one), or a form (the button,
whose click makes the app call views.open with the click's trigger_id; a submit with invalid values, answered
``response_action: errors``; then valid values). Every answer waits for the session message to show it before the
next (as a person would), so a walk measures the acks *and* the updates. An answer that ended in an escalation is
recorded as such, and reported to the ping tracker. A walk that stops short of an outcome is a problem.

Between walks an agent sometimes opens a case by hand (`/case new [ticket]`: the modal, filled in and submitted,
then the "case opened" message the app posts in the channel), looks one up (`/case NUMBER`, the number of the
last case it saw: a session message's context line or a "case opened" message; answered in the ack), escalates
by hand (`/escalate`, manual.py) or opens the app's Home tab (home.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import payloads
from bench.home import open_home
from bench.library import NONE
from bench.manual import escalate_by_hand
from bench.messages import (
    CONTINUE,
    OPEN_FORM,
    RESTART,
    Button,
    Message,
    button,
    case_number,
    escalation_group,
    inputs,
    is_newer,
    picker_options,
    playbook_key,
    step_buttons,
    step_key,
    version_of,
)
from bench.recorder import (
    CASE_NEW,
    CASE_POSTED,
    CASE_SHOW,
    CASE_SUBMIT,
    CASE_VIEW_OPENED,
    CLICK,
    ESCALATING,
    FORM_OPEN,
    PICK,
    SESSION_POSTED,
    START_ID,
    START_PICKER,
    START_TICKET,
    SUBMIT_INVALID,
    SUBMIT_VALID,
    VIEW_OPENED,
)
from bench.recorder import (
    RESTART as RESTART_KIND,
)
from bench.shared import UPDATE_TIMEOUT, Lost, Shared, agent_rng
from bench.wire import Event, Reply, wait

AGENT_PREFIX = "U0AGENT"
MAX_STEPS = 60
FORM_ATTEMPTS = 8
# `/case new`: the modal's inputs by block id (an input the bench does not know gets "Sample text"; the ticket is
# the agent's next ticket number). No personal data: Tier I's PII guard would refuse it.
CASE_DETAILS = {
    "gold_id": "0123456789abcdef01234567",
    "browser": "Chrome 126 on Windows 11",
    "account_email": "teacher@example.org",
    "error_messages": "Error 500: something went wrong while loading the assignment.",
    "steps_taken": "Logged in through Clever, opened the course, clicked the assignment.",
}
PRIORITY = "normal"
TICKET_FIELD = "ticket_id"  # the Zendesk ticket number, in a playbook's ticket form and in `/case new`


@dataclass(frozen=True)
class Answer:
    index: int  # the record of the request
    acked_at: float
    step: str
    label: str


class Agent:
    def __init__(self, index: int, shared: Shared) -> None:
        self.index = index
        self.shared = shared
        self.user = f"{AGENT_PREFIX}{index:04d}"
        self.channel = f"C0AGENT{index:04d}"
        self.name = f"a{index}"
        self.rng = agent_rng(index)
        self.message: Message | None = None
        self.playbook = ""  # the id of the playbook the current session was started with
        self.case: str | None = None  # the number of the last case this agent saw
        self.tickets = 0
        self.escalations = 0  # by hand (manual.py)
        self.notice: asyncio.Future[Event] | None = None
        shared.listeners[self.name] = self._on_notice
        shared.listeners[f"{self.name}.cmd"] = self._on_notice

    def _on_notice(self, event: Event) -> None:
        """The app posted to this agent's response_url: a click was stale or failed (never on the happy path)."""
        self.shared.recorder.problems["notice to an agent: " + event["text"][:60]] += 1
        if self.notice is not None and not self.notice.done():
            self.notice.set_result(event)

    async def run(self) -> None:
        try:
            while not self.shared.stop.is_set():
                try:
                    await self.walk()
                except Lost as exc:
                    self.shared.recorder.problems[f"agent lost its session: {exc}"] += 1
                    await asyncio.sleep(0.2)
                    self.message = self.shared.wire.newest(self.channel)
        finally:
            self.shared.gate.leave(self.name)

    # -- one walk ---------------------------------------------------------------------------------------------
    async def walk(self) -> None:
        shared = self.shared
        roll = self.rng.random()
        if roll < shared.case_new_share:
            await self.case_new()
        elif roll < shared.case_new_share + shared.case_show_share and self.case is not None:
            await self.case_show(self.case)
        elif roll < shared.case_new_share + shared.case_show_share + shared.escalate_share:
            await escalate_by_hand(self)
        elif roll < shared.case_new_share + shared.case_show_share + shared.escalate_share + shared.home_share:
            await open_home(self)
        # A run that escalated belongs to its ticket: the next ticket is a new session. (The app also creates no
        # second escalation for a run whose first is still open, so a Restart there would escalate silently.)
        restart = button(self.message, RESTART) if self.message is not None else None
        escalated = self.message is not None and escalation_group(self.message) is not None
        if restart is None or escalated or self.rng.random() < shared.new_session_share:
            await self.start_session()
        else:
            await self.answer(restart, RESTART_KIND, "", "restart")
        assert self.message is not None
        playbook = playbook_key(self.message)
        goal = self._goal(playbook)
        path: list[tuple[str, str]] = []
        last: Answer | None = None
        stuck = f"no outcome after {MAX_STEPS} answers"
        for _ in range(MAX_STEPS):
            offered = step_buttons(self.message)
            if not offered:
                stuck = ""
                break  # an outcome: only Back / Restart left
            if shared.stop.is_set():
                return
            key = step_key(self.message)
            form = next((b for b in offered if b.action_id == OPEN_FORM), None)
            if form is not None:
                last = await self.fill_form(form, key)
                path.append((key, "form"))
                continue
            chosen = next((b for b in offered if b.action_id == CONTINUE), None)
            if chosen is None:
                choices = [b for b in offered if b.is_choice]
                if not choices:
                    stuck = "a step with no button the bench knows: " + ", ".join(b.action_id for b in offered)
                    break
                label = shared.library.choose(playbook, key, [b.text for b in choices], goal)
                chosen = next(b for b in choices if b.text == label)
            last = await self.answer(chosen, CLICK, key, chosen.text)
            path.append((key, chosen.text))
        if stuck:
            shared.recorder.problems[f"walk of {self.playbook} stopped short of an outcome: {stuck}"] += 1
        self._finish(playbook, path, last, reached=not stuck)

    def _goal(self, playbook: str) -> str | None:
        """Aim for an escalation to a group this playbook reaches whose channel has room, else avoid one (or, while
        scouting, no aim: choose at random)."""
        shared = self.shared
        if shared.scouting:
            return None
        groups = shared.library.groups_reached(playbook)
        self.rng.shuffle(groups)
        return next((g for g in groups if shared.budget.take(g)), NONE)

    def _finish(self, playbook: str, path: list[tuple[str, str]], last: Answer | None, reached: bool) -> None:
        assert self.message is not None
        shared = self.shared
        self.case = case_number(self.message) or self.case
        group = escalation_group(self.message)
        outcome = NONE if group is None else f"g{group}"
        if reached:
            shared.library.reached[self.playbook][outcome] += 1
        shared.library.learn(playbook, path, outcome)
        if last is not None:
            shared.library.learn_direct(last.step, last.label, outcome)
            if group is not None and group in shared.groups:
                shared.recorder.retag(last.index, ESCALATING)
                shared.pings.expect(self.user, shared.groups[group], last.acked_at)
        shared.recorder.walk_done(time.monotonic())

    # -- requests ---------------------------------------------------------------------------------------------
    async def start_session(self) -> None:
        new_root = self.shared.wire.expect(f"ch:{self.channel}", lambda event: bool(event["new"]))
        try:
            await self._start_session(new_root)
        finally:
            new_root.cancel()  # when it came, a no-op

    async def _start_session(self, new_root: asyncio.Future[Event]) -> None:
        shared = self.shared
        if self.rng.random() < shared.picker_share:
            await shared.gate.before(self.name, START_PICKER)
            body = payloads.command("/triage", "", self.user, self.channel, shared.response_url(f"{self.name}.cmd"))
            reply, _at, _index = await shared.send(START_PICKER, body)
            if reply.error is not None:
                raise Lost(f"/triage answered {reply.error}")
            action_id, block_id, options = picker_options(reply.body)
            known = [p for p in shared.playbooks if p in options]
            chosen = self.rng.choice(known or options)
            await shared.gate.before(self.name, PICK)
            url = shared.response_url(f"{self.name}.pick")
            body = payloads.select(action_id, block_id, chosen, self.user, self.channel, url)
            kind = PICK
        else:
            chosen = self.rng.choice(shared.playbooks)
            kind = START_ID
            text = chosen
            if self.rng.random() < shared.ticket_share:
                kind, text = START_TICKET, f"{chosen} {self._ticket()}"
            await shared.gate.before(self.name, kind)
            body = payloads.command("/triage", text, self.user, self.channel, shared.response_url(f"{self.name}.cmd"))
        self.playbook = chosen
        sent = time.monotonic()
        shared.library.started[chosen] += 1
        reply, _acked_at, _index = await shared.send(kind, body)
        if reply.error is not None:
            raise Lost(f"{kind} answered {reply.error}")
        event = await wait(new_root, UPDATE_TIMEOUT)
        if event is None:
            raise Lost(f"no session message after {kind}")
        shared.recorder.derive(SESSION_POSTED, sent, event["at"] - sent)
        self.message = event["m"]

    async def answer(self, b: Button, kind: str, step: str, label: str) -> Answer:
        """Click `b` on the session message and wait until the message shows the answer."""
        shared = self.shared
        predicted = bool(step) and shared.library.predicts_escalation(step, label)
        await shared.gate.before(self.name, ESCALATING if predicted else kind)
        old = self.message
        assert old is not None
        updated = shared.wire.expect_message(self.channel, _shows_answer_to(old))
        body = payloads.click(b, self.user, self.channel, old, shared.response_url(self.name))
        reply, acked_at, index = await shared.send(kind, body)
        if reply.error is not None:
            updated.cancel()
            raise Lost(f"{kind} answered {reply.error}")
        self.message = await self._updated(updated, kind)
        return Answer(index, acked_at, step, label)

    async def _updated(self, updated: asyncio.Future[Event], what: str) -> Message:
        """The session message once it shows the answer; Lost if the app sent a notice instead, or nothing."""
        message: Message = (await self._seen(updated, what, "the session message"))["m"]
        return message

    async def _seen(self, effect: asyncio.Future[Event], what: str, expected: str) -> Event:
        """The effect's event; Lost if the app posted a notice to this agent's response_url instead, or nothing
        came in time."""
        self.notice = asyncio.get_running_loop().create_future()
        try:
            done, _ = await asyncio.wait({effect, self.notice}, timeout=UPDATE_TIMEOUT, return_when="FIRST_COMPLETED")
        finally:
            self.notice.cancel()
            self.notice = None
        if effect in done:
            return effect.result()
        effect.cancel()
        raise Lost(f"{what}: {'a notice' if done else 'no update'} instead of {expected}")

    # -- cases --------------------------------------------------------------------------------------------------
    def _ticket(self) -> str:
        """A Zendesk ticket number of this agent's own (digits only, at most 10): every contact a new ticket."""
        self.tickets += 1
        return f"7{self.index % 10000:04d}{self.tickets % 100000:05d}"

    async def case_new(self) -> None:
        """`/case new [ticket]`: the modal, then a submit, then the "case opened" message in the channel."""
        shared = self.shared
        await shared.gate.before(self.name, CASE_NEW)
        ticket = self._ticket()
        typed = self.tickets % 2 == 0  # half give the ticket with the command (the modal shows it filled in)
        opened = shared.wire.expect(f"view:{self.user}")
        url = shared.response_url(f"{self.name}.cmd")
        body = payloads.command("/case", f"new {ticket}" if typed else "new", self.user, self.channel, url)
        sent = time.monotonic()
        reply, _acked_at, _index = await shared.send(CASE_NEW, body)
        if reply.error is not None:
            opened.cancel()
            raise Lost(f"/case new answered {reply.error}")
        event = await self._seen(opened, "/case new", "the modal (views.open)")
        if event["view"] is None:
            raise Lost(f"/case new: views.open {event['err']}")
        shared.recorder.derive(CASE_VIEW_OPENED, sent, event["at"] - sent)
        view = event["view"]
        fields = inputs(view)
        values = {}
        for f in fields:
            if f.options:
                values[f.block_id] = PRIORITY if PRIORITY in f.options else f.options[0]
            elif f.block_id == TICKET_FIELD:
                values[f.block_id] = ticket
            else:
                values[f.block_id] = CASE_DETAILS.get(f.block_id, "Sample text")
        await shared.gate.before(self.name, CASE_SUBMIT)
        # The "case opened" message: a new top-level message in this channel that is no session message.
        posted = shared.wire.expect(f"ch:{self.channel}", lambda e: bool(e["new"]) and version_of(e["m"]) is None)
        sent = time.monotonic()
        reply, _acked_at, _index = await shared.send(CASE_SUBMIT, payloads.submission(view, fields, values, self.user))
        if reply.error is not None or reply.errors is not None:
            posted.cancel()
            raise Lost(f"case new submit answered {reply.error or reply.errors}")
        event = await self._seen(posted, "case new submit", "the case opened message")
        shared.recorder.derive(CASE_POSTED, sent, event["at"] - sent)
        number = case_number(event["m"])
        if number is None:
            shared.recorder.problems["a case opened message without a case number"] += 1
        self.case = number or self.case

    async def case_show(self, number: str) -> None:
        """`/case NUMBER`: the case, answered in the ack (ephemeral)."""
        shared = self.shared
        await shared.gate.before(self.name, CASE_SHOW)
        url = shared.response_url(f"{self.name}.cmd")
        reply, _acked_at, _index = await shared.send(
            CASE_SHOW, payloads.command("/case", number, self.user, self.channel, url)
        )
        if reply.error is not None:
            raise Lost(f"/case NUMBER answered {reply.error}")
        if number not in str(reply.body):
            shared.recorder.problems["/case NUMBER answered without the case"] += 1

    async def fill_form(self, form: Button, step: str) -> Answer:
        """The form button, then an invalid submit, then valid values (learning those the app refuses)."""
        shared = self.shared
        await shared.gate.before(self.name, FORM_OPEN)
        opened = shared.wire.expect(f"view:{self.user}")
        assert self.message is not None
        body = payloads.click(form, self.user, self.channel, self.message, shared.response_url(self.name))
        sent = time.monotonic()  # the trigger_id in `body` was minted just before: Slack's 3 s start here
        reply, _acked_at, _index = await shared.send(FORM_OPEN, body)
        if reply.error is not None:
            opened.cancel()
            raise Lost(f"form button answered {reply.error}")
        event = await wait(opened, UPDATE_TIMEOUT)
        if event is None or event["view"] is None:
            raise Lost(f"views.open {'never came' if event is None else event['err']}")
        shared.recorder.derive(VIEW_OPENED, sent, event["at"] - sent)
        view = event["view"]
        fields = inputs(view)
        library = shared.library
        values = library.invalid_values(fields)
        refusal: dict[str, str] = {}
        ticket = self._ticket()  # a playbook's ticket form: this contact's own ticket, not a learnt value
        for attempt in range(FORM_ATTEMPTS):
            valid_try = attempt > 0
            if valid_try:
                values = library.valid_values(fields)
                if TICKET_FIELD in values:
                    values[TICKET_FIELD] = ticket
            predicted = valid_try and library.predicts_escalation(step, "form")
            await shared.gate.before(
                self.name, ESCALATING if predicted else SUBMIT_VALID if valid_try else SUBMIT_INVALID
            )
            old = self.message
            assert old is not None
            updated = shared.wire.expect_message(self.channel, _shows_answer_to(old))
            body = payloads.submission(view, fields, values, self.user)
            reply, acked_at, index = await shared.send(_submit_kind, body)
            errors = reply.errors
            if reply.error is not None:
                updated.cancel()
                raise Lost(f"form submit answered {reply.error}")
            if errors is not None:
                updated.cancel()
                if valid_try:
                    library.refused(list(errors), values)
                    refusal = errors
                continue
            if not valid_try:
                shared.recorder.remarks["a form took the 'invalid' values (no field it has refuses them)"] += 1
            self.message = await self._updated(updated, "form submit")
            return Answer(index, acked_at, step, "form")
        last = "; ".join(f"{block_id}: {error[:60]}" for block_id, error in sorted(refusal.items()))
        raise Lost(f"the form was refused {FORM_ATTEMPTS} times (last: {last})")


def _submit_kind(reply: Reply) -> str:
    return SUBMIT_INVALID if reply.errors is not None else SUBMIT_VALID


def _shows_answer_to(old: Message) -> Callable[[Message], bool]:
    """Whether a message is the session message `old`, showing a later state."""
    return lambda message: message.get("ts") == old["ts"] and is_newer(message, old)
