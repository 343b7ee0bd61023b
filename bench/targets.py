"""One measurement of one target: fake Slack + server in their own processes, agents and supervisors here.

Phases: scouting (the agents learn the playbooks), warm-up, the timed window (every kind's acks, the walk's
throughput, ping latency), the pings still owed, the CPU waves (waves.py), the memory runs (memory.py) if asked,
then the checks against the fake and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp

from bench import payloads
from bench.bare_store import bare_counts
from bench.bench_config import SUPERVISOR_PREFIX, BenchConfig, write_config
from bench.databases import db_counts, postgres_database, sqlite_database
from bench.fake_process import FakeSlackProcess
from bench.library import NONE, Budget, Library, group_only_labels
from bench.memory import memory_runs, rss_mb
from bench.messages import picker_options
from bench.pings import PingTracker
from bench.procs import ROOT, Children, own_cpu_seconds, processes_cpu_seconds
from bench.recorder import (
    ESC_STATUS,
    ESCALATING,
    PICK,
    RESOLVE_SUBMIT,
    START_ID,
    START_TICKET,
    WORK_SUBMIT,
    Recorder,
)
from bench.report import Check, Result
from bench.servers import Servers, start_bare, start_chatbot
from bench.session_agent import AGENT_PREFIX, Agent
from bench.shared import Shared
from bench.spy import Profiler
from bench.supervisor import Supervisor
from bench.waves import Gate, KindCpu, run_waves
from bench.wire import Wire

REQUEST_TIMEOUT = 10.0  # a request not answered by then counts as an error (Slack itself gives up after 3 s)
PING_DRAIN_SECONDS = 30.0
SCOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Target:
    label: str
    kind: Literal["bare", "chatbot"]
    shared_session: bool = False
    database: Literal["sqlite", "postgresql"] | None = None


@dataclass(frozen=True)
class Options:
    agents: int
    supervisors: int
    seconds: float
    warmup: float
    cpu_seconds: float
    pg_url: str
    work_dir: Path
    ping_rate: float = 0.5  # escalations per second per group channel the walks aim for
    read_seconds: float = 0.0  # how long a supervisor reads a new ping before its first press
    playbooks: tuple[str, ...] = ()  # empty: every playbook the picker offers
    memory_runs: int = 0
    profile: bool = False
    app_dir: Path = ROOT  # the checkout whose `chatbot` package is served (e.g. a patched copy)
    app_processes: int = 1  # `chatbot serve` processes sharing the port (the app must set SO_REUSEPORT)
    worker_process: bool = True  # the job worker in a process of its own, as the Procfile runs it


@asynccontextmanager
async def _database(target: Target, options: Options, children: Children) -> AsyncIterator[str | None]:
    if target.database == "sqlite":
        # A fresh folder per measurement: with --rounds the same target is measured again on an empty database.
        prefix = target.label.replace(" ", "_").replace("(", "").replace(")", "") + "-"
        async with sqlite_database(Path(tempfile.mkdtemp(prefix=prefix, dir=options.work_dir))) as url:
            yield url
    elif target.database == "postgresql":
        async with postgres_database(options.pg_url, children, options.app_dir) as url:
            yield url
    else:
        yield None


async def _playbooks(wire: Wire, fake: FakeSlackProcess, wanted: tuple[str, ...]) -> list[str]:
    """The playbooks the server's `/triage` picker offers (those of `wanted` only, if given)."""
    body = payloads.command("/triage", "", "U0SETUP0001", "C0SETUP0001", fake.response_url("setup"))
    reply = await wire.post(body)
    if reply.error is not None:
        raise RuntimeError(f"/triage (the picker) answered {reply.error}")
    offered = picker_options(reply.body)[2]
    chosen = [p for p in offered if not wanted or p in wanted]
    if not chosen:
        raise RuntimeError(f"none of {list(wanted)} among the playbooks offered: {offered}")
    return chosen


def _cpu(server: Servers, fake: FakeSlackProcess) -> dict[str, float]:
    """CPU seconds so far: the server (and, of it, its job worker's process), the fake, this load generator, and the
    PostgreSQL server (whoever uses it)."""
    seconds = {"app": server.cpu()}
    worker = server.worker_cpu()
    if worker is not None:
        seconds["of it worker"] = worker
    return seconds | {
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


async def _stop(shared: Shared, tasks: list[asyncio.Task[None]]) -> None:
    shared.stop.set()
    shared.gate.open_all()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    # Conditions on what the event stream brought in (pings still owed): polled, nothing to wait on.
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def _scout(shared: Shared, fake: FakeSlackProcess, tasks: list[asyncio.Task[None]]) -> None:
    """Before the warm-up, every walk chooses at random until each playbook has been walked a dozen times, so the
    agents know which answers escalate; the pings of those unaimed escalations are not rate limited, and all are
    delivered before the limit is back, so no channel starts the warm-up with a queue."""
    await fake.rate_limit(False)
    shared.scouting = True
    deadline = time.monotonic() + SCOUT_SECONDS
    while not shared.library.scouted(shared.playbooks) and time.monotonic() < deadline:
        await _watch(tasks, 0.2)
    shared.scouting = False
    deadline = time.monotonic() + PING_DRAIN_SECONDS
    while shared.pings.waiting and time.monotonic() < deadline:  # the pings of the unaimed escalations
        await _watch(tasks, 0.2)
    await fake.rate_limit(True)


def _runners(shared: Shared, options: Options) -> list[Agent | Supervisor]:
    agents: list[Agent | Supervisor] = [Agent(i, shared) for i in range(options.agents)]
    return agents + [Supervisor(i, shared) for i in range(options.supervisors)]


async def measure(target: Target, options: Options) -> Result:
    async with AsyncExitStack() as stack, Children(options.work_dir) as children:
        fake = await FakeSlackProcess.start(children, f"fake slack for {target.label}")
        stack.push_async_callback(fake.close)
        await fake.rate_limit(True)
        config: BenchConfig | None = None
        db_url = await stack.enter_async_context(_database(target, options, children))
        if target.kind == "bare":
            server = await start_bare(children, target.label, fake, target.shared_session, db_url)
        else:
            assert db_url is not None
            folder = Path(tempfile.mkdtemp(prefix="config-", dir=options.work_dir))
            config = write_config(options.app_dir, folder, options.supervisors)
            server = await start_chatbot(
                children,
                target.label,
                fake,
                db_url,
                options.app_dir,
                config.path,
                options.app_processes,
                options.worker_process,
            )
        pids = [child.pid for child in server.processes]
        rss_start = sum(rss_mb(pid) for pid in pids)
        connector = aiohttp.TCPConnector(limit=options.agents * 2 + options.supervisors * 2 + 20, keepalive_timeout=30)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        http = await stack.enter_async_context(aiohttp.ClientSession(connector=connector, timeout=timeout))
        wire = Wire(server.events_url, fake.observer_url, http)
        wire.start()
        stack.push_async_callback(wire.close)
        groups = config.groups if config else {}
        pings = PingTracker(AGENT_PREFIX, set(groups.values()))
        wire.on_post.append(pings.on_post)
        playbooks = await _playbooks(wire, fake, options.playbooks)
        supervisors = (
            config.supervisors if config else [f"{SUPERVISOR_PREFIX}{i:04d}" for i in range(options.supervisors)]
        )
        recorder = Recorder()
        shared = Shared(
            wire,
            fake.observer_url,
            recorder,
            Library(not_ours=group_only_labels(options.app_dir / "playbooks")),
            Budget(options.ping_rate),
            pings,
            groups,
            playbooks,
            supervisors,
            group_ids=config.group_ids if config else {},
            read_seconds=options.read_seconds,
        )
        runners = _runners(shared, options)
        # The load generator's own pauses count in every latency: a full collection of everything it has loaded
        # stalled all agents for tens of milliseconds once a run.
        gc.collect()
        gc.freeze()
        tasks = [asyncio.create_task(r.run()) for r in runners]
        profiler = Profiler(pids[0], options.work_dir / f"{target.label}.profile.txt") if options.profile else None
        try:
            await _scout(shared, fake, tasks)
            warm = time.monotonic()
            await _watch(tasks, options.warmup)
            before = _cpu(server, fake)
            if profiler is not None:
                await profiler.start(children, options.seconds)
            start = time.monotonic()
            await _watch(tasks, options.seconds)
            end = time.monotonic()
            after = _cpu(server, fake)
        finally:
            gc.unfreeze()  # what this run built may go once it is over
            await _stop(shared, tasks)
        await _until(lambda: pings.waiting == 0, PING_DRAIN_SECONDS)
        channels = pings.finish(recorder, start, end)
        matched_in_window = len(pings.matched)
        kind_cpu: dict[str, KindCpu] = {}
        if options.cpu_seconds > 0:
            print(
                f"  CPU per kind: {options.cpu_seconds:.0f}s of kind-homogeneous waves...", flush=True, file=sys.stderr
            )
            await fake.rate_limit(False)
            shared.stop, shared.gate = asyncio.Event(), Gate(waves=True)
            tasks = [asyncio.create_task(r.run()) for r in runners]
            try:
                kind_cpu = await run_waves(
                    shared.gate, len(tasks), pids, options.cpu_seconds, target.database == "postgresql"
                )
            finally:
                await _stop(shared, tasks)
            await fake.rate_limit(True)
            await _until(lambda: pings.waiting == 0, PING_DRAIN_SECONDS)
        memory: list[str] = []
        memory_acked = 0
        if options.memory_runs > 0:
            print(f"  memory: {options.memory_runs} runs...", flush=True, file=sys.stderr)
            memory, refused = await memory_runs(wire, fake, pids, options.memory_runs, playbooks)
            memory_acked = options.memory_runs - refused.total()
        stats = await fake.stats()
        rss_end = sum(rss_mb(pid) for pid in pids)
        counts = (await db_counts(db_url) if target.kind == "chatbot" else await bare_counts(db_url)) if db_url else {}
        await server.stop(children)
        window = recorder.window(start, end)
        result = Result(
            label=target.label + (" +py-spy" if profiler else ""),
            bare=target.kind == "bare",
            database=target.database,
            agents=options.agents,
            supervisors=options.supervisors,
            seconds=end - start,
            kinds=window,
            derived=recorder.derived_window(start, end),
            walks=recorder.walks_in(start, end),
            cpu={name: (after[name] - before[name]) / (end - start) * 100 for name in before},
            kind_cpu=kind_cpu,
            channels=channels,
        )
        result.checks = _checks(target, recorder, pings, stats, counts, memory_acked, shared.library, playbooks)
        escalated = [t for k, t in zip(recorder.kinds, recorder.finished, strict=True) if k == ESCALATING]
        phases = ((0.0, warm), (warm, start), (start, end), (end, math.inf))
        counts_by_phase = [sum(1 for t in escalated if a <= t < b) for a, b in phases]
        result.notes.append(
            "escalating answers: {} scouting, {} warm-up, {} window, {} after (CPU waves)".format(*counts_by_phase)
        )
        result.notes.append(f"server RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB at the end")
        result.notes.append(_outcomes(shared.library, playbooks))
        result.notes.extend(memory)
        result.notes.append(
            f"pings matched in the window's drain: {matched_in_window}; stream lag max {wire.lag:.2f} s"
        )
        result.notes.extend(f"problem (whole run): {what}: {n}" for what, n in recorder.problems.most_common(12))
        result.notes.extend(f"remark (whole run): {what}: {n}" for what, n in recorder.remarks.most_common(12))
        result.notes.extend(f"error (whole run): {what}: {n}" for what, n in recorder.error_kinds.most_common(12))
        if counts:
            result.notes.append("database: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if profiler is not None:
            result.notes.extend(await profiler.finish())
        return result


def _outcomes(library: Library, playbooks: list[str]) -> str:
    """Walks that reached an outcome, per playbook they were started with (whole run)."""
    parts = []
    for playbook in playbooks:
        reached = library.reached.get(playbook, Counter())
        escalated = sum(n for outcome, n in reached.items() if outcome != NONE)
        parts.append(f"{playbook} {reached.total()} ({escalated} escalated)")
    return "walks to an outcome (whole run): " + ", ".join(parts)


def _checks(
    target: Target,
    recorder: Recorder,
    pings: PingTracker,
    stats: dict[str, int],
    counts: dict[str, int],
    memory_acked: int,
    library: Library,
    playbooks: list[str],
) -> list[Check]:
    """Whole-run sanity: what the fake and the database saw against what the agents were told."""
    failed = {k: n for k, n in stats.items() if not k.endswith(" ok") and k != "chat.postMessage ratelimited"}
    checks = [Check("Web API calls that failed at the fake (429s of chat.postMessage aside)", 0, sum(failed.values()))]
    checks.append(Check("requests not acked with 200 (whole run)", 0, sum(recorder.error_kinds.values())))
    checks.append(Check("lost sessions, notices, effects not seen (whole run)", 0, sum(recorder.problems.values())))
    unreached = [p for p in playbooks if not library.reached.get(p)]
    checks.append(Check("playbooks no walk took to an outcome", 0, len(unreached)))
    if target.kind == "bare":
        if target.database is not None:  # durable: every start and step it acked is in the database
            runs = recorder.acked(START_ID) + recorder.acked(START_TICKET) + recorder.acked(PICK)
            stored = counts.get("bare_runs", 0)
            checks.append(Check("sessions started and acked <= runs in the database", stored, runs, at_most=True))
        return checks
    # A run is created before the ack: one that timed out at the load generator may exist all the same.
    started = recorder.acked(START_ID) + recorder.acked(START_TICKET) + recorder.acked(PICK) + memory_acked
    runs = counts.get("runs", 0)
    checks.append(Check("sessions started and acked <= runs in the database", runs, started, at_most=True))
    # Tier 2's work on the case is stored before the ack (so, again, at most).
    resolved = counts.get("audit escalation.resolve", 0)
    checks.append(
        Check("resolves acked <= escalations resolved (audit)", resolved, recorder.acked(RESOLVE_SUBMIT), True)
    )
    work = sum(n for k, n in counts.items() if k.startswith("audit case.work."))
    checks.append(Check("work records acked <= case.work.* audit events", work, recorder.acked(WORK_SUBMIT), True))
    updates = counts.get("audit case.status_update", 0)
    checks.append(Check("status updates acked <= case.status_update events", updates, recorder.acked(ESC_STATUS), True))
    checks.append(
        Check(
            "escalations in the database == escalating outcomes the agents saw",
            pings.expected_total,
            counts.get("escalations", 0),
        )
    )
    checks.append(Check("pings delivered == escalations", pings.expected_total, len(pings.matched)))
    checks.append(Check("pings that mention no bench agent", 0, pings.unmatched_posts))
    checks.append(Check("jobs failed", 0, counts.get("jobs failed", 0)))
    return checks
