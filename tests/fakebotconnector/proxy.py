"""An HTTP CONNECT proxy on 127.0.0.1 that sends the Microsoft login hosts to the local fake instead.

With HTTPS_PROXY pointing here, urllib (PyJWT's JWKS client inside the SDK's JwtTokenValidator) and requests
(MSAL) open their https connections to login.botframework.com / login.microsoftonline.com through this proxy,
which pipes the still-encrypted stream to the fake login's TLS port. Any other host is refused (403), so a test can
never reach the internet through it, and `connects` shows which hosts were asked for.

Plain-HTTP requests for loopback servers are forwarded as a forward proxy does: slack_sdk sends every request
through HTTPS_PROXY (it does not read NO_PROXY), so the fake Slack is reached through here when a test runs Slack
and Teams in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from urllib.parse import urlsplit


class ConnectProxy:
    def __init__(self, target_port: int, hosts: Collection[str]) -> None:
        self.target_port = target_port
        self.hosts = {h.lower() for h in hosts}
        self.connects: list[str] = []
        self.refused: list[str] = []
        self.forwarded: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            host, _, port = target.rpartition(":")
            loopback = _loopback_port(target) if method != "CONNECT" else None
            if loopback is not None:
                self.forwarded.append(target)
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", loopback)
                up_writer.write(head)
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
                return
            if method != "CONNECT" or port != "443" or host.lower() not in self.hosts:
                self.refused.append(target)
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            self.connects.append(host.lower())
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.CancelledError):
            pass  # a client gone, or the proxy stopping: nothing left to pipe
        finally:
            writer.close()
            self._tasks.discard(task)


def _loopback_port(target: str) -> int | None:
    url = urlsplit(target)
    if url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost") and url.port:
        return url.port
    return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(ConnectionError, RuntimeError):
            writer.write_eof()
