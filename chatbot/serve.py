"""`chatbot serve`: the Slack app over HTTP (or Socket Mode) and the Teams bot on `/api/messages`, either or both, with
/healthz and /metrics, until SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from aiohttp import web

from chatbot.adapters.slack.server import SlackFront, build_web_app
from chatbot.config import Config
from chatbot.runtime import Runtime
from chatbot.settings import Settings
from chatbot.storage.priority import after_ack_context

log = logging.getLogger(__name__)


async def serve(
    settings: Settings, config: Config, host: str = "0.0.0.0", *, worker: bool = True, reuse_port: bool = False
) -> None:
    runtime = await Runtime.create(settings, config)
    runner = web.AppRunner(web_app(runtime), access_log=None)
    await runner.setup()
    # reuse_port: several `serve` processes on one port, one per core, the kernel spreading connections.
    site = web.TCPSite(runner, host, settings.port, reuse_port=reuse_port or None)
    await site.start()
    socket_handler = None
    if settings.socket_mode and runtime.bolt is not None:
        from chatbot.adapters.slack.dispatch import CheckedSocketModeHandler

        assert settings.slack_app_token is not None
        socket_handler = CheckedSocketModeHandler(runtime.bolt, settings.slack_app_token.reveal())
        await socket_handler.connect_async()  # type: ignore[no-untyped-call]  # slack_sdk leaves it untyped
        log.info("Socket Mode connected; /healthz and /metrics on port %d", settings.port)
    elif runtime.bolt is not None:
        log.info("listening on http://%s:%d/slack/events", host, settings.port)
    if runtime.teams is not None:
        log.info("listening on http://%s:%d/api/messages (Teams)", host, settings.port)

    _settle_heap()
    stop = _stop_on_signals()
    # A worker beside the app waits for connections behind the acks (storage/priority.py).
    worker_task = asyncio.create_task(runtime.worker.run(stop), context=after_ack_context()) if worker else None
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        if worker_task is not None:
            await worker_task
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
        await runtime.close()


def web_app(runtime: Runtime) -> web.Application:
    """One aiohttp application: `/slack/events` (HTTP mode), `/api/messages` (Teams), `/healthz`, `/metrics`."""
    settings = runtime.settings
    front = None
    if runtime.bolt is not None and runtime.deps is not None and not settings.socket_mode:
        assert settings.slack_signing_secret is not None  # Settings.from_env guarantees it in HTTP mode
        front = SlackFront(
            runtime.bolt, runtime.store, runtime.metrics, settings.slack_signing_secret.reveal(), runtime.deps.clock
        )
    app = build_web_app(front, runtime.store, runtime.metrics)
    if runtime.teams is not None:
        runtime.teams.front.mount(app)  # JWT validation on this route only; Slack's requests are signed instead
    return app


GC_YOUNG_THRESHOLD = 10_000


def _settle_heap() -> None:
    # Everything built at start-up lives as long as the process: keep the collector from rescanning it.
    gc.collect()
    gc.freeze()
    # A click allocates a few thousand short-lived containers (payload, Block Kit, JSON); at the default young
    # threshold of 700 the collector ran several times per click, about 5% of the CPU in a perf profile. Almost all
    # of it is freed by reference counting anyway; cycles still get collected, just in larger batches.
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def work(settings: Settings, config: Config) -> None:
    """`chatbot worker`: only the jobs (pings, re-escalation timers, notices); run it next to `serve --no-worker`."""
    runtime = await Runtime.create(settings, config)
    _settle_heap()
    stop = _stop_on_signals()
    try:
        await runtime.worker.run(stop)
    finally:
        await runtime.close()
