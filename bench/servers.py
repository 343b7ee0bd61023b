"""The servers under test, each in processes of their own: the bare bolt app, or `chatbot serve` (one or more)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.fake_process import FakeSlackProcess
from bench.procs import PYTHON, Child, Children, free_port, wait_until_serving
from bench.wire import SECRET, TOKEN


@dataclass
class Servers:
    """One port, served by one process (or several sharing it with SO_REUSEPORT)."""

    processes: list[Child]
    port: int

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def cpu(self) -> float:
        return sum(child.cpu() for child in self.processes)

    def worker_cpu(self) -> float | None:
        """The job worker's own share of `cpu()`, when it runs in a process of its own; else None."""
        workers = [child for child in self.processes if child.name.endswith(" worker")]
        return sum(child.cpu() for child in workers) if workers else None

    async def stop(self, children: Children) -> None:
        for child in self.processes:
            await children.stop(child)


async def start_bare(
    children: Children, label: str, fake: FakeSlackProcess, shared_session: bool, db_url: str | None = None
) -> Servers:
    """The bare bolt app; with `db_url`, durable (each step committed before its ack, bench/bare_store.py)."""
    port = free_port()
    argv = [PYTHON, "-m", "bench.bare_bolt_app", "--port", str(port), "--api-url", fake.api_url]
    if shared_session:
        argv.append("--shared-session")
    if db_url is not None:
        argv += ["--database-url", db_url]
    child = await children.start(label, argv, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET})
    await wait_until_serving(f"http://127.0.0.1:{port}/slack/events", child, any_status=True)
    return Servers([child], port)


async def start_chatbot(
    children: Children,
    label: str,
    fake: FakeSlackProcess,
    db_url: str,
    app_dir: Path,
    config: Path,
    processes: int = 1,
    worker_process: bool = True,
) -> Servers:
    """`chatbot serve` from `app_dir` (its own `chatbot` package first on the path). With `processes` > 1 they share
    the port, which needs the app to listen with SO_REUSEPORT. The job worker runs as the Procfile runs it, in a
    `chatbot worker` process of its own (`worker_process`), or else in the first `serve` process."""
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": db_url,
        "PORT": str(port),
        "CHATBOT_CONFIG": str(config),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(app_dir),
    }
    started = []
    for index in range(processes):
        no_worker = worker_process or index > 0
        argv = [PYTHON, "-m", "chatbot", "serve", "--host", "127.0.0.1", *(["--no-worker"] if no_worker else [])]
        if processes > 1:
            argv.append("--reuse-port")
        name = label if processes == 1 else f"{label} #{index + 1}"
        child = await children.start(name, argv, env, cwd=app_dir)
        started.append(child)
        await wait_until_serving(f"http://127.0.0.1:{port}/healthz", child, port=port)
    if worker_process:  # its CPU counts with the app's: a ping's work is the app's work
        started.append(await children.start(f"{label} worker", [PYTHON, "-m", "chatbot", "worker"], env, cwd=app_dir))
    return Servers(started, port)
