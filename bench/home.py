"""An agent opening the app's Home tab: the `app_home_opened` event (acked at once), then the Home view the app
publishes for them (views.publish, timed at the fake): their open cases, active sessions and, for a supervisor, the
groups' open escalations."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bench import payloads
from bench.recorder import HOME, HOME_PUBLISHED
from bench.shared import Lost

if TYPE_CHECKING:
    from bench.session_agent import Agent


async def open_home(agent: Agent) -> None:
    shared = agent.shared
    await shared.gate.before(agent.name, HOME)
    published = shared.wire.expect(f"home:{agent.user}", lambda event: bool(event["ok"]))
    body = payloads.home_opened(agent.user)
    sent = time.monotonic()
    reply, _acked_at, _index = await shared.send(HOME, body.body, body.content_type)
    if reply.error is not None:
        published.cancel()
        raise Lost(f"app_home_opened answered {reply.error}")
    event = await agent._seen(published, "Home tab", "the Home view (views.publish)")
    shared.recorder.derive(HOME_PUBLISHED, sent, event["at"] - sent)
