"""Make a session message end on the run's newest state, whichever process sends the update.

Within one process, updates to a message go in turn (updates.py). Across processes (replicas, the worker) two
updates can still cross: A renders version 5, B renders and sends version 6, then A's update lands. So after
sending, the sender checks the run's stamp (its version and its escalation's, one small read); if it moved on
meanwhile, it reads the run and sends again. The last update to land is then always one that was rendered after
every change before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chatbot.adapters.slack.blocks import session_message
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.config import Group
from chatbot.services.triage import Session, Sessions

ROUNDS = 4  # a run clicked on faster than this many round trips is settled by the next click's update anyway


async def show_newest(
    gateway: SlackGateway,
    sessions: Sessions,
    groups: Mapping[str, Group],
    session: Session,
    channel: str,
    ts: str,
    newer_waiting: Callable[[], bool] = lambda: False,
) -> None:
    """`newer_waiting`: whether this process has a newer update of the message queued (updates.py); the check is
    then left to it (while agents click on, most checks would find the next click saved and render it twice)."""
    for _ in range(ROUNDS):
        msg = session_message(session.view, session.run_id, session.owner_id, groups, session.escalation)
        await gateway.update_message(channel, ts, msg.text, msg.blocks)
        if newer_waiting():
            return
        if await sessions.stamp(session.run_id) == session.stamp or newer_waiting():
            return  # shows the newest, or a click saved meanwhile has its own update queued, which will check
        session = await sessions.load_fresh(session.run_id)
