"""Child processes for bench_slack: start, wait until they serve, measure their CPU time, and always stop them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
STOP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)


def processes_cpu_seconds(command: str) -> float:
    """CPU time so far of every process named `command` (e.g. all PostgreSQL server processes); 0 if none."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == command:
                total += cpu_seconds(int(proc.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def listens_on(pid: int, port: int) -> bool:
    """Whether process `pid` has a listening TCP socket on `port` (Linux /proc; for servers sharing a port)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(fields[9])
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except (FileNotFoundError, PermissionError):
        return False
    return any(link.startswith("socket:[") and link[8:-1] in inodes for link in links)


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Child:
    """One child process in a session of its own (so a Ctrl-C reaches only the bench, which then stops it)."""

    name: str
    process: asyncio.subprocess.Process
    stderr_path: Path
    _stderr: Any = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        try:
            return cpu_seconds(self.pid)
        except (FileNotFoundError, ProcessLookupError):
            return 0.0

    def check_alive(self) -> None:
        if self.process.returncode is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.stderr_tail()}")

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


class Children:
    """Every child the bench started; `async with` stops them all on the way out, error or Ctrl-C included."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []

    async def __aenter__(self) -> Children:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop_all()

    async def stop_all(self) -> None:
        while self.children:
            child = self.children.pop()
            await asyncio.shield(child.stop())

    async def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        stdio: bool = False,
        cwd: Path = ROOT,
    ) -> Child:
        """Start `argv` in `cwd` with `env` added to the bench's environment; stdin/stdout are pipes when `stdio`."""
        stderr_path = self.log_dir / f"{name.replace(' ', '_').replace('/', '_')}.stderr"
        stderr = stderr_path.open("wb")
        pipe = asyncio.subprocess.PIPE if stdio else asyncio.subprocess.DEVNULL
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=pipe,
            stdout=pipe,
            stderr=stderr,
            start_new_session=True,
        )
        child = Child(name, process, stderr_path, stderr)
        self.children.append(child)
        return child

    async def stop(self, child: Child) -> None:
        if child in self.children:
            self.children.remove(child)
        await child.stop()


async def wait_until_serving(
    url: str, child: Child, seconds: float = 60.0, *, any_status: bool = False, port: int | None = None
) -> None:
    """Poll GET `url` until it answers 200 (or anything, with `any_status`); fail if the child dies first.
    With `port`, first wait until the child itself listens there (another process may share the port)."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            child.check_alive()
            if port is not None and not listens_on(child.pid, port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{child.name} not listening on {port} after {seconds:.0f}s")
                await asyncio.sleep(0.1)
                continue
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url) as response:
                    if any_status or response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{child.name} not serving {url} after {seconds:.0f}s: {child.stderr_tail()}")
            await asyncio.sleep(0.1)
