"""A simulated supervisor: a member of every escalation group, acting on the pings the app posts in their channels.

Each ping is handled by one supervisor (its ts decides whom), along one of a few scenarios (``SCENARIOS``):
Acknowledge or Claim, then Resolve or Return to Tier 1; some also work on the escalation's case from the ping first
(Record work, the status-update reply, starting the follow-up playbook).

- Acknowledge, Claim: the click, then the ping's new state (the worker updates it).
- Return to Tier 1 and Resolve open a modal (the click's trigger_id, views.open timed at the fake). Return: a blank
  reason first (the app answers ``response_action: errors``), then a reason. Resolve: what was found (required) and
  what changed (optional, left blank on every other ping). After the submit, the ping's new state.
- Record work opens a modal (what was done: a static select, taken in turn; a reference for the kinds that link one;
  a note); after the submit, the app's notice to the supervisor (a direct message).
- Status update reply: the click, then the reply the app posts as an ephemeral message in the ping's channel.
- Start follow-up (only on pings whose outcome names a Tier 2 playbook; skipped on the others): the click, then the
  Tier 2 session message the app posts in the ping's channel. Nobody walks that session.

After each press the supervisor waits for its effect before the next. The first press on a new ping comes as soon
as the ping is seen, or after `--read-seconds` (``Shared.read_seconds``) of reading it, as a person would. Every
couple of seconds a supervisor also runs `/oncall`, and times the listing the app posts to the command's
response_url; every other time, `/oncall away 1h` and `/oncall back` instead (each answered in its ack).
"""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import Any

from bench import payloads
from bench.messages import (
    ESC_ACK,
    ESC_ACTIONS,
    ESC_CLAIM,
    ESC_FOLLOW_UP,
    ESC_RESOLVE,
    ESC_RETURN,
    ESC_STATUS,
    ESC_WORK,
    Input,
    Message,
    all_text,
    button,
    buttons,
    inputs,
    version_of,
)
from bench.recorder import (
    ESC_ACK as ACK_KIND,
)
from bench.recorder import (
    ESC_CLAIM as CLAIM_KIND,
)
from bench.recorder import (
    ESC_FOLLOW_UP as FOLLOW_UP_KIND,
)
from bench.recorder import (
    ESC_RESOLVE as RESOLVE_KIND,
)
from bench.recorder import (
    ESC_RETURN as RETURN_KIND,
)
from bench.recorder import (
    ESC_STATUS as STATUS_KIND,
)
from bench.recorder import (
    ESC_WORK as WORK_KIND,
)
from bench.recorder import (
    FOLLOW_UP_POSTED,
    ONCALL,
    ONCALL_AWAY,
    ONCALL_BACK,
    ONCALL_LISTING,
    PING_RESOLVED,
    RESOLVE_SUBMIT,
    RESOLVE_VIEW_OPENED,
    RETURN_INVALID,
    RETURN_SUBMIT,
    RETURN_VIEW_OPENED,
    STATUS_REPLY,
    WORK_NOTICE,
    WORK_SUBMIT,
    WORK_VIEW_OPENED,
)
from bench.shared import UPDATE_TIMEOUT, Lost, Shared
from bench.wire import Event, wait

SCENARIOS = (
    (ESC_ACK, ESC_RESOLVE),
    (ESC_CLAIM, ESC_RESOLVE),
    (ESC_ACK, ESC_RETURN),
    (ESC_CLAIM, ESC_RETURN),
    (ESC_RESOLVE,),
    (ESC_RETURN,),
    (ESC_ACK, ESC_WORK, ESC_STATUS, ESC_RESOLVE),
    (ESC_CLAIM, ESC_FOLLOW_UP, ESC_WORK, ESC_RESOLVE),
    (ESC_CLAIM, ESC_STATUS, ESC_RETURN),
)
CASE_ACTIONS = (ESC_WORK, ESC_STATUS, ESC_FOLLOW_UP)  # on a ping while its escalation is open and has a case
KINDS = {ESC_ACK: ACK_KIND, ESC_CLAIM: CLAIM_KIND}
DONE = 99  # a ping's stage once its scenario is over (or abandoned)
BLANK_REASON = "   "  # passes Slack's own check of a required input; the app must refuse it
REASON = "Tier 1 can solve this one: the school's Clever sync finished overnight."
# The Resolve modal's inputs by block id (an input the bench does not know gets the finding).
FOUND = "The class roster had not synced from Clever since the school changed its section ids."
RESOLUTION = {"found": FOUND, "changed": "Re-ran the roster sync; the student now sees the course."}
# The Record work modal: a reference for the kinds that link one (Jira, the partner's ticket), and a note.
WORK_REFERENCES = {"tech_dev": "DEV-1234", "product_dev": "PD-567", "partner": "CLV-89012"}
WORK_NOTE = "Checked the sync logs with the team; waiting for the next roster sync."


def _esc_values(message: Message) -> tuple[str | None, ...]:
    return tuple(b.value for b in buttons(message) if b.action_id in ESC_ACTIONS)


def _session_of(user: str) -> Any:
    """Whether a message is a session message (not a ping) whose context names `user`."""
    mention = f"<@{user}>"
    return lambda m: not _esc_values(m) and version_of(m) is not None and mention in all_text(m)


class Supervisor:
    def __init__(self, index: int, shared: Shared) -> None:
        self.index = index
        self.shared = shared
        self.user = shared.supervisors[index]
        self.name = f"s{index}"
        self.channel = f"C0SUPER{index:04d}"
        self.stage: dict[str, int] = {}  # ping ts -> steps of its scenario done
        self.seen: dict[str, float] = {}  # ping ts -> when this supervisor first saw it
        self.last_oncall = 0.0
        self.oncalls = 0
        self.resolves = 0
        self.works = 0
        self.notice: asyncio.Future[Event] | None = None
        shared.listeners[self.name] = self._on_notice

    def _on_notice(self, event: Event) -> None:
        self.shared.recorder.problems["notice to a supervisor: " + event["text"][:60]] += 1
        if self.notice is not None and not self.notice.done():
            self.notice.set_result(event)

    async def run(self) -> None:
        shared = self.shared
        try:
            while not shared.stop.is_set():
                job = None
                try:
                    if time.monotonic() - self.last_oncall >= shared.oncall_every:
                        await self.oncall()
                    elif (job := self._next_ping()) is not None:
                        await self.press(*job)
                    else:
                        shared.gate.rest(self.name)
                        await self._wait_for_pings(shared.oncall_every)
                except Lost as exc:
                    shared.recorder.problems[f"supervisor lost a ping: {exc}"] += 1
                    if job is not None:
                        self.stage[job[1]["ts"]] = DONE  # leave that ping alone
        finally:
            self.shared.gate.leave(self.name)

    def _next_ping(self) -> tuple[str, Message, str] | None:
        count = len(self.shared.supervisors)
        for channel in self.shared.groups.values():
            for ts, message in list(self.shared.wire.roots.get(channel, {}).items()):
                tag = zlib.crc32(ts.encode())
                if tag % count != self.index:
                    continue
                scenario = SCENARIOS[(tag // count) % len(SCENARIOS)]
                done = self.stage.get(ts, 0)
                if done >= len(scenario) or not _esc_values(message):
                    self.seen.pop(ts, None)
                    continue
                self.seen.setdefault(ts, time.monotonic())
                # A case button the ping does not have (the follow-up of an outcome that names no Tier 2 playbook,
                # or every case button of an escalation without a case) is skipped, not the whole scenario.
                while done < len(scenario) and scenario[done] in CASE_ACTIONS and not button(message, scenario[done]):
                    if scenario[done] != ESC_FOLLOW_UP:
                        self.shared.recorder.remarks[f"a ping without {scenario[done]} (no case?)"] += 1
                    done += 1
                self.stage[ts] = done
                if done >= len(scenario):
                    continue
                if button(message, scenario[done]) is None:
                    self.stage[ts] = len(scenario)  # someone else moved it on: not this scenario any more
                    continue
                return channel, message, scenario[done]
        return None

    async def _wait_for_pings(self, seconds: float) -> None:
        if not self.shared.groups:  # the bare app posts no pings
            await asyncio.sleep(seconds)
            return
        events = [self.shared.wire.changed(channel) for channel in self.shared.groups.values()]
        waits = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def press(self, channel: str, ping: Message, action_id: str) -> None:
        ts = ping["ts"]
        reading = self.seen.get(ts, 0.0) + self.shared.read_seconds - time.monotonic()
        if reading > 0 and self.stage.get(ts, 0) == 0:
            await asyncio.sleep(reading)
            ping = self.shared.wire.roots.get(channel, {}).get(ts, ping)  # as it is now
            if button(ping, action_id) is None:
                return  # it changed meanwhile: the next look decides
        old_values = _esc_values(ping)
        if action_id == ESC_RETURN:
            await self._return(channel, ping, old_values)
        elif action_id == ESC_RESOLVE:
            await self._resolve(channel, ping, old_values)
        elif action_id == ESC_WORK:
            await self._work(channel, ping)
        elif action_id == ESC_STATUS:
            await self._status(channel, ping)
        elif action_id == ESC_FOLLOW_UP:
            await self._follow_up(channel, ping)
        else:
            await self._click(channel, ping, action_id, old_values)
        self.stage[ts] = self.stage.get(ts, 0) + 1

    # -- the effects a press waits for --------------------------------------------------------------------------
    def _ping_update(self, channel: str, ts: str, old: tuple[str | None, ...]) -> asyncio.Future[Event]:
        return self.shared.wire.expect_message(channel, lambda m: m.get("ts") == ts and _esc_values(m) != old)

    async def _seen(self, effect: asyncio.Future[Event], what: str, ping: tuple[str, str] | None = None) -> Event:
        """The effect's event; Lost if the app posted a notice to this supervisor's response_url instead, or
        nothing came in time (for a ping update, `ping` (channel, ts) says what the ping shows by then)."""
        self.notice = asyncio.get_running_loop().create_future()
        waited = time.monotonic()
        try:
            done, _ = await asyncio.wait({effect, self.notice}, timeout=UPDATE_TIMEOUT, return_when="FIRST_COMPLETED")
        finally:
            self.notice.cancel()
            self.notice = None
        if effect not in done:
            if done:
                effect.cancel()
            else:  # not lost, perhaps, only late: say so if it comes after all
                effect.add_done_callback(self._late(what, waited))
            phase = " (scouting)" if self.shared.scouting else ""
            shown = ""
            if ping is not None and not done:
                message = self.shared.wire.roots.get(ping[0], {}).get(ping[1])
                shown = f"; it shows {_status(message)!r}" if message is not None else "; it is gone"
            raise Lost(f"{what}: {'a notice' if done else 'no update'} instead of {what_came(what)}{phase}{shown}")
        return effect.result()

    def _late(self, what: str, since: float) -> Any:
        def seen(effect: asyncio.Future[Event]) -> None:
            if not effect.cancelled():
                late = effect.result()["at"] - since
                self.shared.recorder.remarks[f"{what}: its effect came after all, {late:.0f} s late"] += 1

        return seen

    async def _send_click(
        self, channel: str, ping: Message, action_id: str, kind: str, effect: asyncio.Future[Event]
    ) -> float:
        """Click `action_id` on the ping (the caller registered `effect` first); when it was sent."""
        shared = self.shared
        b = button(ping, action_id)
        assert b is not None
        body = payloads.click(b, self.user, channel, ping, shared.response_url(self.name))
        sent = time.monotonic()  # the trigger_id in `body` was minted just before: Slack's 3 s start here
        reply, _acked_at, _index = await shared.send(kind, body)
        if reply.error is not None:
            effect.cancel()
            raise Lost(f"{action_id} answered {reply.error}")
        return sent

    async def _submit(self, kind: str, view: dict[str, Any], fields: list[Input], values: dict[str, str]) -> float:
        """Submit the modal with `values`; when it was sent. Lost if refused or not acked."""
        sent = time.monotonic()
        reply, _acked_at, _index = await self.shared.send(kind, payloads.submission(view, fields, values, self.user))
        if reply.error is not None or reply.errors is not None:
            raise Lost(f"{kind} answered {reply.error or reply.errors}")
        return sent

    async def _open_modal(
        self, channel: str, ping: Message, action_id: str, kind: str, derived: str
    ) -> tuple[dict[str, Any], list[Input]]:
        """Click a button that opens a modal; the view once views.open reached the fake, and its inputs."""
        shared = self.shared
        await shared.gate.before(self.name, kind)
        opened = shared.wire.expect(f"view:{self.user}")
        sent = await self._send_click(channel, ping, action_id, kind, opened)
        event = await self._seen(opened, f"{action_id} modal")
        if event["view"] is None:
            raise Lost(f"{action_id} modal: views.open {event['err']}")
        shared.recorder.derive(derived, sent, event["at"] - sent)
        view = event["view"]
        return view, inputs(view)

    # -- the presses --------------------------------------------------------------------------------------------
    async def _click(self, channel: str, ping: Message, action_id: str, old_values: tuple[str | None, ...]) -> None:
        """Acknowledge or Claim: the click, then the ping's new state."""
        await self.shared.gate.before(self.name, KINDS[action_id])
        updated = self._ping_update(channel, ping["ts"], old_values)
        await self._send_click(channel, ping, action_id, KINDS[action_id], updated)
        await self._seen(updated, action_id, (channel, ping["ts"]))

    async def _return(self, channel: str, ping: Message, old_values: tuple[str | None, ...]) -> None:
        shared = self.shared
        view, fields = await self._open_modal(channel, ping, ESC_RETURN, RETURN_KIND, RETURN_VIEW_OPENED)
        await shared.gate.before(self.name, RETURN_INVALID)
        blank = {f.block_id: BLANK_REASON for f in fields}
        reply, _acked_at, _index = await shared.send(
            RETURN_INVALID, payloads.submission(view, fields, blank, self.user)
        )
        if reply.error is None and reply.errors is None:
            shared.recorder.problems["a blank return reason was accepted"] += 1
            await self._seen(self._ping_update(channel, ping["ts"], old_values), "return", (channel, ping["ts"]))
            return
        await shared.gate.before(self.name, RETURN_SUBMIT)
        updated = self._ping_update(channel, ping["ts"], old_values)
        try:
            await self._submit(RETURN_SUBMIT, view, fields, {f.block_id: REASON for f in fields})
        except Lost:
            updated.cancel()
            raise
        await self._seen(updated, "return", (channel, ping["ts"]))

    async def _resolve(self, channel: str, ping: Message, old_values: tuple[str | None, ...]) -> None:
        """Resolve: the modal, what was found (and, on every other ping, what changed), then the ping's new state."""
        shared = self.shared
        view, fields = await self._open_modal(channel, ping, ESC_RESOLVE, RESOLVE_KIND, RESOLVE_VIEW_OPENED)
        self.resolves += 1
        values = {
            f.block_id: "" if f.optional and self.resolves % 2 else RESOLUTION.get(f.block_id, FOUND) for f in fields
        }
        await shared.gate.before(self.name, RESOLVE_SUBMIT)
        updated = self._ping_update(channel, ping["ts"], old_values)
        try:
            sent = await self._submit(RESOLVE_SUBMIT, view, fields, values)
        except Lost:
            updated.cancel()
            raise
        event = await self._seen(updated, "resolve", (channel, ping["ts"]))
        shared.recorder.derive(PING_RESOLVED, sent, event["at"] - sent)

    async def _work(self, channel: str, ping: Message) -> None:
        """Record work: the modal, a kind (in turn), a reference where the kind links one, a note; then the app's
        direct message to the supervisor."""
        shared = self.shared
        view, fields = await self._open_modal(channel, ping, ESC_WORK, WORK_KIND, WORK_VIEW_OPENED)
        self.works += 1
        values = {f.block_id: f.options[self.works % len(f.options)] for f in fields if f.options}
        kind = next(iter(values.values()), "")
        for f in fields:
            if not f.options:
                values[f.block_id] = WORK_REFERENCES.get(kind, "") if f.block_id == "reference" else WORK_NOTE
        await shared.gate.before(self.name, WORK_SUBMIT)
        told = shared.wire.expect(f"dm:{self.user}", lambda event: bool(event["ok"]))
        try:
            sent = await self._submit(WORK_SUBMIT, view, fields, values)
        except Lost:
            told.cancel()
            raise
        event = await self._seen(told, "record work")
        shared.recorder.derive(WORK_NOTICE, sent, event["at"] - sent)

    async def _status(self, channel: str, ping: Message) -> None:
        """The status-update reply: the click, then the ephemeral message in the ping's channel."""
        shared = self.shared
        await shared.gate.before(self.name, STATUS_KIND)
        replied = shared.wire.expect(f"eph:{self.user}", lambda event: bool(event["ok"]) and event["ch"] == channel)
        sent = await self._send_click(channel, ping, ESC_STATUS, STATUS_KIND, replied)
        event = await self._seen(replied, "status update")
        shared.recorder.derive(STATUS_REPLY, sent, event["at"] - sent)

    async def _follow_up(self, channel: str, ping: Message) -> None:
        """Start the follow-up playbook: the click, then the Tier 2 session message in the ping's channel."""
        shared = self.shared
        await shared.gate.before(self.name, FOLLOW_UP_KIND)
        started = _session_of(self.user)
        posted = shared.wire.expect(f"ch:{channel}", lambda event: bool(event["new"]) and started(event["m"]))
        sent = await self._send_click(channel, ping, ESC_FOLLOW_UP, FOLLOW_UP_KIND, posted)
        event = await self._seen(posted, "follow-up")
        shared.recorder.derive(FOLLOW_UP_POSTED, sent, event["at"] - sent)

    async def oncall(self) -> None:
        shared = self.shared
        self.last_oncall = time.monotonic()
        self.oncalls += 1
        if self.oncalls % 2 == 0:
            await self.away_and_back()
            return
        await shared.gate.before(self.name, ONCALL)
        name = f"{self.name}.oncall"
        listing = shared.wire.expect(f"resp:{name}")
        body = payloads.command("/oncall", "", self.user, self.channel, shared.response_url(name))
        sent = time.monotonic()
        reply, _acked_at, _index = await shared.send(ONCALL, body)
        if reply.error is not None:
            listing.cancel()
            raise Lost(f"/oncall answered {reply.error}")
        event = await wait(listing, UPDATE_TIMEOUT)
        if event is None:
            raise Lost("no /oncall listing at the response_url")
        shared.recorder.derive(ONCALL_LISTING, sent, event["at"] - sent)

    async def away_and_back(self) -> None:
        """`/oncall away 1h`, then `/oncall back`: each answered in its ack (ephemeral), saying what it did."""
        shared = self.shared
        for kind, text, says in ((ONCALL_AWAY, "away 1h", "away"), (ONCALL_BACK, "back", "back")):
            await shared.gate.before(self.name, kind)
            name = f"{self.name}.oncall"
            body = payloads.command("/oncall", text, self.user, self.channel, shared.response_url(name))
            reply, _acked_at, _index = await shared.send(kind, body)
            if reply.error is not None:
                raise Lost(f"/oncall {text} answered {reply.error}")
            if says not in str(reply.body).lower():
                shared.recorder.problems[f"/oncall {text} answered without saying {says!r}"] += 1


def _status(message: Message) -> str:
    """A ping's status line (its last context block) and buttons, for a problem report."""
    contexts = [b for b in message.get("blocks") or [] if b.get("type") == "context"]
    line = all_text({"blocks": contexts[-1:]})[:70]
    return f"{line} [{' '.join(b.action_id.removeprefix('esc.') for b in buttons(message))}]"


def what_came(what: str) -> str:
    """What a press waited for, for the problem line."""
    if what.endswith("modal"):
        return "the modal (views.open)"
    return {
        "record work": "the DM saying it was recorded",
        "status update": "the ephemeral reply",
        "follow-up": "the Tier 2 session message",
    }.get(what, "the ping's new state")
