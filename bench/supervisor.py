"""A simulated supervisor: a member of every escalation group, acting on the pings the app posts in their channels.

Each ping is handled by one supervisor (its ts decides whom), along one of a few scenarios: Acknowledge then
Resolve, Claim then Resolve, Acknowledge or Claim then Return to Tier 1, Resolve, Return. Return opens a modal
(the click's trigger_id, views.open timed at the fake); the supervisor first submits a blank reason (the app answers
``response_action: errors``), then a reason. After each press the supervisor waits until the ping shows it (the
worker updates it) before the next. Every couple of seconds a supervisor also runs `/oncall`, and times the listing
the app posts to the command's response_url.
"""

from __future__ import annotations

import asyncio
import time
import zlib

from bench import payloads
from bench.messages import ESC_ACK, ESC_ACTIONS, ESC_CLAIM, ESC_RESOLVE, ESC_RETURN, Message, button, buttons, inputs
from bench.recorder import (
    ESC_ACK as ACK_KIND,
)
from bench.recorder import (
    ESC_CLAIM as CLAIM_KIND,
)
from bench.recorder import (
    ESC_RESOLVE as RESOLVE_KIND,
)
from bench.recorder import (
    ESC_RETURN as RETURN_KIND,
)
from bench.recorder import (
    ONCALL,
    ONCALL_LISTING,
    RETURN_INVALID,
    RETURN_SUBMIT,
    RETURN_VIEW_OPENED,
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
)
KINDS = {ESC_ACK: ACK_KIND, ESC_CLAIM: CLAIM_KIND, ESC_RESOLVE: RESOLVE_KIND}
DONE = 99  # a ping's stage once its scenario is over (or abandoned)
BLANK_REASON = "   "  # passes Slack's own check of a required input; the app must refuse it
REASON = "Tier 1 can solve this one: the school's Clever sync finished overnight."


def _esc_values(message: Message) -> tuple[str | None, ...]:
    return tuple(b.value for b in buttons(message) if b.action_id in ESC_ACTIONS)


class Supervisor:
    def __init__(self, index: int, shared: Shared) -> None:
        self.index = index
        self.shared = shared
        self.user = shared.supervisors[index]
        self.name = f"s{index}"
        self.channel = f"C0SUPER{index:04d}"
        self.stage: dict[str, int] = {}  # ping ts -> steps of its scenario done
        self.last_oncall = 0.0
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
        shared = self.shared
        b = button(ping, action_id)
        assert b is not None
        old_values = _esc_values(ping)
        if action_id == ESC_RETURN:
            await self._return(channel, ping, old_values)
        else:
            await shared.gate.before(self.name, KINDS[action_id])
            updated = self._ping_update(channel, ping["ts"], old_values)
            body = payloads.click(b, self.user, channel, ping, shared.response_url(self.name))
            reply, _acked_at, _index = await shared.send(KINDS[action_id], body)
            if reply.error is not None:
                updated.cancel()
                raise Lost(f"{action_id} answered {reply.error}")
            await self._shown(updated, action_id)
        self.stage[ping["ts"]] = self.stage.get(ping["ts"], 0) + 1

    def _ping_update(self, channel: str, ts: str, old: tuple[str | None, ...]) -> asyncio.Future[Event]:
        return self.shared.wire.expect_message(channel, lambda m: m.get("ts") == ts and _esc_values(m) != old)

    async def _shown(self, updated: asyncio.Future[Event], what: str) -> None:
        self.notice = asyncio.get_running_loop().create_future()
        try:
            done, _ = await asyncio.wait({updated, self.notice}, timeout=UPDATE_TIMEOUT, return_when="FIRST_COMPLETED")
        finally:
            self.notice.cancel()
            self.notice = None
        if updated not in done:
            updated.cancel()
            raise Lost(f"{what}: {'a notice' if done else 'no update'} instead of the ping's new state")

    async def _return(self, channel: str, ping: Message, old_values: tuple[str | None, ...]) -> None:
        shared = self.shared
        b = button(ping, ESC_RETURN)
        assert b is not None
        await shared.gate.before(self.name, RETURN_KIND)
        opened = shared.wire.expect(f"view:{self.user}")
        body = payloads.click(b, self.user, channel, ping, shared.response_url(self.name))
        sent = time.monotonic()
        reply, _acked_at, _index = await shared.send(RETURN_KIND, body)
        if reply.error is not None:
            opened.cancel()
            raise Lost(f"Return answered {reply.error}")
        event = await wait(opened, UPDATE_TIMEOUT)
        if event is None or event["view"] is None:
            raise Lost(f"return modal: views.open {'never came' if event is None else event['err']}")
        shared.recorder.derive(RETURN_VIEW_OPENED, sent, event["at"] - sent)
        view = event["view"]
        fields = inputs(view)
        await shared.gate.before(self.name, RETURN_INVALID)
        blank = {f.block_id: BLANK_REASON for f in fields}
        reply, _acked_at, _index = await shared.send(
            RETURN_INVALID, payloads.submission(view, fields, blank, self.user)
        )
        if reply.error is None and reply.errors is None:
            shared.recorder.problems["a blank return reason was accepted"] += 1
            await self._shown(self._ping_update(channel, ping["ts"], old_values), "return")
            return
        await shared.gate.before(self.name, RETURN_SUBMIT)
        updated = self._ping_update(channel, ping["ts"], old_values)
        reason = {f.block_id: REASON for f in fields}
        reply, _acked_at, _index = await shared.send(
            RETURN_SUBMIT, payloads.submission(view, fields, reason, self.user)
        )
        if reply.error is not None or reply.errors is not None:
            updated.cancel()
            raise Lost(f"return with a reason answered {reply.error or reply.errors}")
        await self._shown(updated, "return")

    async def oncall(self) -> None:
        shared = self.shared
        self.last_oncall = time.monotonic()
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
