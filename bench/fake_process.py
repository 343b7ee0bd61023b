"""The fake Slack runner (bench/fake_slack_runner.py) seen from the bench: its URLs, call counts, rate limit."""

from __future__ import annotations

import asyncio
import json

from bench.procs import PYTHON, Child, Children


class FakeSlackProcess:
    def __init__(self, child: Child, port: int, observer_port: int) -> None:
        self.child = child
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.base_url}/api/"
        self.observer_url = f"http://127.0.0.1:{observer_port}"
        self._replies: asyncio.Queue[str] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, children: Children, name: str) -> FakeSlackProcess:
        child = await children.start(name, [PYTHON, "-m", "bench.fake_slack_runner"], stdio=True)
        assert child.process.stdout is not None
        try:
            line = await asyncio.wait_for(child.process.stdout.readline(), 30)
        except TimeoutError:
            line = b""
        if not line.startswith(b"PORTS "):
            raise RuntimeError(f"fake Slack did not start: {line!r} {child.stderr_tail()}")
        _, port, observer_port = line.split()
        return cls(child, int(port), int(observer_port))

    def response_url(self, name: str) -> str:
        """A response_url the fake answers 200 (and reports to the load generator as a ``resp`` event)."""
        return f"{self.observer_url}/response/{name}"

    async def _read(self) -> None:
        stdout = self.child.process.stdout
        assert stdout is not None
        while line := await stdout.readline():
            self._replies.put_nowait(line.decode().strip())

    async def _command(self, command: str) -> str:
        stdin = self.child.process.stdin
        assert stdin is not None
        async with self._lock:
            stdin.write(command.encode() + b"\n")
            await stdin.drain()
            return await asyncio.wait_for(self._replies.get(), 10)

    async def stats(self) -> dict[str, int]:
        """Calls the fake answered so far, by "method outcome" (e.g. "chat.update ok", "chat.postMessage 429")."""
        reply = await self._command("stats")
        if not reply.startswith("STATS "):
            raise RuntimeError(f"fake Slack answered {reply!r} to stats")
        calls: dict[str, int] = json.loads(reply[6:])["calls"]
        return calls

    async def rate_limit(self, on: bool) -> None:
        reply = await self._command(f"ratelimit {'on' if on else 'off'}")
        if reply != "OK":
            raise RuntimeError(f"fake Slack answered {reply!r} to ratelimit")

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
