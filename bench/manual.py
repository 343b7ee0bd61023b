"""An agent's escalation by hand (`/escalate`): what no playbook covers.

The command (the app opens the modal with its trigger_id: views.open timed at the fake), then a submit: a group
whose channel has room in the ping budget (as a walk aims for one), a summary, the priority, and in turn no
reference (a new case), the agent's last case number (that case moves to Tier 2) or a new ticket number. The ping
it raises is expected like a walk's (pings.py); the bare app, which has no groups, answers the submit with a
message in the agent's channel instead.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bench import payloads
from bench.messages import inputs
from bench.recorder import ESCALATE, ESCALATE_SUBMIT, ESCALATE_VIEW_OPENED
from bench.shared import Lost

if TYPE_CHECKING:
    from bench.session_agent import Agent

GROUP, SUMMARY, PRIORITY, REFERENCE = "group", "summary", "priority", "reference"  # the modal's block ids
WHAT = "Teacher cannot see the district's new sections after the overnight sync; no playbook covers section merges."


def _group(agent: Agent) -> tuple[int, str] | None:
    """A bench group (number, its group id) whose channel has room for one more ping; None if none has."""
    shared = agent.shared
    numbers = sorted(shared.group_ids)
    agent.rng.shuffle(numbers)
    return next(((n, shared.group_ids[n]) for n in numbers if shared.budget.take(f"g{n}")), None)


async def escalate_by_hand(agent: Agent) -> None:
    shared = agent.shared
    chosen = _group(agent)
    if shared.group_ids and chosen is None:
        return  # every group channel is at its ping budget: not now
    await shared.gate.before(agent.name, ESCALATE)
    opened = shared.wire.expect(f"view:{agent.user}")
    url = shared.response_url(f"{agent.name}.cmd")
    sent = time.monotonic()
    reply, _acked_at, _index = await shared.send(
        ESCALATE, payloads.command("/escalate", "", agent.user, agent.channel, url)
    )
    if reply.error is not None:
        opened.cancel()
        raise Lost(f"/escalate answered {reply.error}")
    event = await agent._seen(opened, "/escalate", "the modal (views.open)")
    if event["view"] is None:
        raise Lost(f"/escalate: views.open {event['err']}")
    shared.recorder.derive(ESCALATE_VIEW_OPENED, sent, event["at"] - sent)
    view = event["view"]
    fields = inputs(view)
    agent.escalations += 1
    turn = agent.escalations % 3
    reference = "" if turn == 0 else (agent.case or "") if turn == 1 else agent._ticket()
    values: dict[str, str] = {}
    for f in fields:
        if f.block_id == GROUP:
            values[f.block_id] = chosen[1] if chosen is not None else (f.options[0] if f.options else "")
        elif f.block_id == PRIORITY:
            values[f.block_id] = "normal" if "normal" in f.options else (f.options[0] if f.options else "")
        elif f.block_id == REFERENCE:
            values[f.block_id] = reference
        else:
            values[f.block_id] = WHAT
    await shared.gate.before(agent.name, ESCALATE_SUBMIT)
    reply, acked_at, _index = await shared.send(ESCALATE_SUBMIT, payloads.submission(view, fields, values, agent.user))
    if reply.error is not None or reply.errors is not None:
        raise Lost(f"escalate submit answered {reply.error or reply.errors}")
    if chosen is not None:
        shared.pings.expect(agent.user, shared.groups[chosen[0]], acked_at)
