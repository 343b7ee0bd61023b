"""Serve an aiohttp application on 127.0.0.1 with an OS-chosen port, over plain HTTP or TLS."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


async def start_site(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None, shutdown_timeout: float = 0.5
) -> tuple[web.AppRunner, int]:
    """Start `app`; return its runner (`await runner.cleanup()` stops it) and port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound here so the port can be read back without aiohttp's private attributes
    port: int = sock.getsockname()[1]
    await web.SockSite(runner, sock, ssl_context=ssl_context).start()
    return runner, port


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`async with serving(app) as base_url:` -> `http://127.0.0.1:PORT`."""
    runner, port = await start_site(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
