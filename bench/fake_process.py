"""The fake Slack runner (bench/fake_slack_runner.py) seen from the bench: its URLs, call counts and notices."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from bench.procs import PYTHON, Child, Children

OnNotice = Callable[[str, str], None]


class FakeSlackProcess:
    def __init__(self, child: Child, port: int) -> None:
        self.child = child
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.base_url}/api/"
        self.on_notice: OnNotice = lambda _name, _kind: None
        self._stats: asyncio.Queue[dict[str, int]] = asyncio.Queue()
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
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"fake Slack did not start: {line!r} {child.stderr_tail()}")
        return cls(child, int(line.split()[1]))

    async def _read(self) -> None:
        stdout = self.child.process.stdout
        assert stdout is not None
        while line := await stdout.readline():
            kind, _, rest = line.decode().strip().partition(" ")
            if kind == "STATS":
                self._stats.put_nowait(json.loads(rest)["calls"])
            elif kind == "NOTICE":
                name, _, what = rest.partition(" ")
                self.on_notice(name, what)

    async def stats(self) -> dict[str, int]:
        """Calls the fake answered so far, by "method outcome" (e.g. "chat.update ok")."""
        stdin = self.child.process.stdin
        assert stdin is not None
        async with self._lock:
            stdin.write(b"stats\n")
            await stdin.drain()
            return await asyncio.wait_for(self._stats.get(), 10)

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
