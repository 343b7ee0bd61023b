"""Running an aiohttp application on 127.0.0.1 with an OS-chosen free port (the fake, or the app under test)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


async def start_site(app: web.Application, shutdown_timeout: float = 0.5) -> tuple[web.AppRunner, int]:
    """Start ``app``; return its runner (``await runner.cleanup()`` stops it) and port.

    The socket is bound here with port 0 so the OS picks a free port and it can be read back without aiohttp's
    private attributes. A short shutdown_timeout keeps cleanup from waiting a minute on a hung handler.
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    return runner, port


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``async with serving(bolt_app.web_app()) as base_url:`` -> ``http://127.0.0.1:PORT``."""
    runner, port = await start_site(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
