"""One measured run against one target: fake Slack + server in their own processes, agents here, then checks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp

from bench.agents import PLAYBOOK, Agent, Load
from bench.databases import audit_counts, postgres_database, run_versions, sqlite_database
from bench.fake_process import FakeSlackProcess
from bench.playbook_walk import button_walks, example_engine, first_message
from bench.procs import (
    ROOT,
    Children,
    own_cpu_seconds,
    processes_cpu_seconds,
)
from bench.recorder import Recorder
from bench.report import Check, Result
from bench.servers import Servers, start_bare, start_chatbot
from bench.spy import Profiler

DRAIN_SECONDS = 20.0
REQUEST_TIMEOUT = 10.0  # a click not answered by then counts as an error (Slack itself gives up after 3 s)
CLICK_ACTIONS = ("choose", "continue", "back", "restart", "cancel", "submit")  # audit actions of button clicks


@dataclass(frozen=True)
class Target:
    label: str
    kind: Literal["bare", "chatbot"]
    shared_session: bool = False
    database: Literal["sqlite", "postgresql"] | None = None


@dataclass(frozen=True)
class Options:
    agents: int
    seconds: float
    warmup: float
    pg_url: str
    work_dir: Path
    profile: bool = False
    app_dir: Path = ROOT  # the checkout whose `chatbot` package is served (e.g. a patched copy)
    app_processes: int = 1  # `chatbot serve` processes sharing the port (the app must set SO_REUSEPORT)


@asynccontextmanager
async def _database(target: Target, options: Options) -> AsyncIterator[str | None]:
    if target.database == "sqlite":
        # A fresh folder per measurement: with --rounds the same target is measured again on an empty database.
        prefix = target.label.replace(" ", "_").replace("(", "").replace(")", "") + "-"
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=options.work_dir))
        async with sqlite_database(folder) as url:
            yield url
    elif target.database == "postgresql":
        async with postgres_database(options.pg_url) as url:
            yield url
    else:
        yield None


async def _set_up(agents: list[Agent], target: Target) -> None:
    if target.kind == "chatbot":
        await asyncio.gather(*(agent.start_session() for agent in agents))
        return
    engine, config = example_engine()
    await asyncio.gather(
        *(
            agent.post_message(first_message(engine, config, PLAYBOOK, f"{agent.index:032x}", agent.user))
            for agent in agents
        )
    )


async def _drain(fake: FakeSlackProcess, done_when: Callable[[dict[str, int]], Awaitable[bool]]) -> dict[str, int]:
    """Wait until the server has made the chat.update calls it still owes (or stops making progress)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    last, still = -1, 0
    while True:
        stats = await fake.stats()
        done = sum(n for key, n in stats.items() if key.startswith("chat.update "))
        still = still + 1 if done == last else 0
        if await done_when(stats) or still >= 8 or time.monotonic() > deadline:
            return stats
        last = done
        await asyncio.sleep(0.25)


async def _current(agents: list[Agent], versions: dict[str, int]) -> int:
    """How many agents' session messages show their run's latest version."""
    shown = await asyncio.gather(*(agent.shown() for agent in agents))
    return sum(1 for ref in shown if ref is not None and versions.get(ref[0]) == ref[1])


async def _all_current(agents: list[Agent], versions: dict[str, int]) -> bool:
    return await _current(agents, versions) == len(agents)


def _cpu(server: Servers, fake: FakeSlackProcess) -> dict[str, float]:
    """CPU seconds so far: the server, the fake, this load generator, and the PostgreSQL server (whoever uses it)."""
    return {
        "app": server.cpu(),
        "fake": fake.child.cpu(),
        "load": own_cpu_seconds(),
        "postgres": processes_cpu_seconds("postgres"),
    }


async def _watch(tasks: list[asyncio.Task[None]], seconds: float) -> None:
    """Sleep `seconds`, but fail at once if an agent crashed."""
    done, _ = await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        if task.exception() is not None:
            raise RuntimeError("an agent failed") from task.exception()


def _checks(
    target: Target, agents: int, recorder: Recorder, stats: dict[str, int], audit: dict[str, int], current: int
) -> list[Check]:
    """Whole-run sanity: what the fake and the database saw against what the agents were told."""
    applied = recorder.acked_total - recorder.notice_total()
    updates = stats.get("chat.update ok", 0)
    failed = {key: n for key, n in stats.items() if not key.endswith(" ok") and not key.startswith("response_url")}
    checks = [Check("Web API calls that failed at the fake", 0, sum(failed.values()))]
    checks.append(Check("notices of stale or failed clicks (response_url posts)", 0, recorder.notice_total()))
    if target.kind == "bare":
        checks.append(Check("chat.update calls the fake answered ok == clicks acked", recorder.acked_total, updates))
        return checks
    clicks = sum(n for action, n in audit.items() if action in CLICK_ACTIONS)
    checks.append(Check("audit rows for clicks == clicks acked and not reported stale/failed", applied, clicks))
    stale = recorder.notice_total("stale")
    # Updates for one message go in turn, newest content first: those overtaken while waiting are never sent.
    checks.append(Check("chat.update ok <= clicks applied + stale-click refreshes", applied + stale, updates, True))
    checks.append(Check("session messages showing their run's latest version", agents, current))
    checks.append(Check("runs == agents", agents, audit.get("runs", 0)))
    checks.append(Check("'start' audit rows == agents", agents, audit.get("start", 0)))
    checks.append(Check("chat.postMessage ok == agents", agents, stats.get("chat.postMessage ok", 0)))
    return checks


async def measure(target: Target, options: Options) -> Result:
    async with AsyncExitStack() as stack, Children(options.work_dir) as children:
        fake = await FakeSlackProcess.start(children, f"fake slack for {target.label}")
        stack.push_async_callback(fake.close)
        db_url = await stack.enter_async_context(_database(target, options))
        if target.kind == "bare":
            server = await start_bare(children, target.label, fake, target.shared_session)
        else:
            assert db_url is not None
            server = await start_chatbot(children, target.label, fake, db_url, options.app_dir, options.app_processes)
        connector = aiohttp.TCPConnector(limit=options.agents * 2 + 10, keepalive_timeout=30)
        http = await stack.enter_async_context(
            aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        )
        engine, _config = example_engine()
        recorder = Recorder()
        load = Load(server.events_url, fake.base_url, http, recorder, button_walks(engine, PLAYBOOK))
        fake.on_notice = load.notice
        agents = [Agent(index, load) for index in range(options.agents)]
        await _set_up(agents, target)
        # The load generator's own pauses count in every click's latency: a full collection of everything it has
        # loaded (playbooks, SQLAlchemy, the agents' messages) stalled all 50 agents for ~60 ms once a run.
        gc.collect()
        gc.freeze()
        tasks = [asyncio.create_task(agent.run(resync=target.kind == "chatbot")) for agent in agents]
        profiler = (
            Profiler(server.processes[0].pid, options.work_dir / f"{target.label}.profile.txt")
            if options.profile
            else None
        )
        try:
            await _watch(tasks, options.warmup)
            before = _cpu(server, fake)
            stats_before = await fake.stats()
            if profiler is not None:
                await profiler.start(children, options.seconds)
            start = time.perf_counter()
            await _watch(tasks, options.seconds)
            end = time.perf_counter()
            after = _cpu(server, fake)
            stats_after = await fake.stats()
        finally:
            gc.unfreeze()  # what this run built may go once it is over
            load.stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)
        if db_url is None:  # the bare app: one chat.update per acked click
            accepted = recorder.acked_total - recorder.notice_total("other")

            async def all_updated(stats: dict[str, int]) -> bool:
                return stats.get("chat.update ok", 0) >= accepted

            final = await _drain(fake, all_updated)
            current = 0
        else:  # the chatbot: until every session message shows its run as the database has it
            versions = await run_versions(db_url)
            final = await _drain(fake, lambda _stats: _all_current(agents, versions))
            current = await _current(agents, versions)
        await server.stop(children)
        audit = await audit_counts(db_url) if db_url else {}
        window = recorder.window(start, end)
        result = Result(
            label=target.label,
            agents=options.agents,
            seconds=end - start,
            latencies=sorted(window.latencies),
            applied=window.applied,
            errors=window.errors,
            updates=stats_after.get("chat.update ok", 0) - stats_before.get("chat.update ok", 0),
            cpu={name: (after[name] - before[name]) / (end - start) * 100 for name in before},
            checks=_checks(target, options.agents, recorder, final, audit, current),
        )
        if recorder.error_kinds:
            result.notes.append(f"click errors (whole run): {recorder.error_kinds}")
        if profiler is not None:
            result.notes.extend(await profiler.finish())
        return result
