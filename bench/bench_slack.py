"""Slack app benchmark: agents and supervisors doing every kind of interaction over HTTP, chatbot vs a bare bolt app.

Run: .venv/bin/python -m bench.bench_slack [--agents 50] [--supervisors 4] [--seconds 20] [--warmup 5]
     [--cpu-seconds 10] [--database sqlite|postgresql|both] [--bare default|shared|both|durable|none] [--rounds 1]
     [--ping-rate 0.5] [--read-seconds 0] [--playbooks a,b] [--memory-runs N] [--profile] [--app-dir DIR]
     [--app-processes N] [--worker process|in-serve]

Agents (session_agent.py) walk whole sessions as the fake Slack shows them: `/triage <id>`, `/triage <id> <ticket>`
or `/triage` and the picker, clicks, the form button (views.open with the click's trigger_id), an invalid then a
valid submit (a playbook's ticket form gets a ticket number of the agent's own), outcomes (escalating ones
included), then Restart or a new session; between walks, now and then, `/case new` (its modal, submitted; then the
"case opened" message) or `/case NUMBER`. Supervisors (supervisor.py) act on the pings the app posts in the groups'
channels (the bench writes its own configuration: bench_config.py): Acknowledge, Claim, Return to Tier 1 (a modal,
with a blank then a real reason), Resolve (a modal: what was found and changed), and on the escalation's case Record
work (a modal), the status-update reply (ephemeral) and starting the follow-up playbook; and they run `/oncall`.

Per target it prints, per kind: count, rate, ack p50/p90/p99/max, errors, and the app's CPU per request of that
kind (measured after the window in kind-homogeneous waves: waves.py says how); the whole walk's throughput; when
effects reached the fake (session and "case opened" messages, each views.open, a resolved ping, the DM after Record
work, the status-update reply, the follow-up session, /oncall listing); the ping latency from the ack of
the answer that escalated, apart for pings that never waited on Slack's per-channel limit, and each channel's
queue (pings.py); then a side-by-side summary and the issue's targets (printed, not asserted).

--memory-runs N then starts N more runs through the server and prints its RSS along the way (memory.py).
--profile samples the chatbot with py-spy in the window (`.venv/bin/pip install py-spy`; not a dependency).
--app-dir serves the `chatbot` package (and playbooks, config/example.yaml) of another checkout, e.g. a copy in /tmp.
--bare durable adds, for each --database, the bare app committing each step before its ack in that database (its
run, a compare-and-set from the button's version, an audit row: bench/bare_store.py): what any app that loses nothing
on a restart pays on this machine, printed next to the targets (which stay the stateless bare app's).
--rounds N measures the targets in turn N times (bare, SQLite, PostgreSQL, bare, ...) and pools each target's
rounds: on a shared machine whose speed drifts over minutes, interleaving keeps the comparison fair.
Each server runs in its own process (so does the fake Slack); the agents run here. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import uvloop

from bench.databases import DEFAULT_PG_URL
from bench.procs import ROOT
from bench.report import Result, merge, summary, table
from bench.targets import Options, Target, measure


def targets(database: str, bare: str) -> list[Target]:
    chosen = []
    if bare in ("default", "both"):
        chosen.append(Target("bare bolt (default)", "bare"))
    if bare in ("shared", "both"):
        chosen.append(Target("bare bolt (shared session)", "bare", shared_session=True))
    if bare == "durable":
        chosen.append(Target("bare bolt (default)", "bare"))
        if database in ("sqlite", "both"):
            chosen.append(Target("bare bolt + SQLite", "bare", database="sqlite"))
        if database in ("postgresql", "both"):
            chosen.append(Target("bare bolt + PostgreSQL", "bare", database="postgresql"))
    if database in ("sqlite", "both"):
        chosen.append(Target("chatbot (SQLite)", "chatbot", database="sqlite"))
    if database in ("postgresql", "both"):
        chosen.append(Target("chatbot (PostgreSQL)", "chatbot", database="postgresql"))
    return chosen


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=50, help="concurrent simulated agents (default 50)")
    parser.add_argument("--supervisors", type=int, default=4, help="simulated group members (default 4)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per target (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring (default 5)")
    parser.add_argument(
        "--cpu-seconds", type=float, default=10.0, help="seconds of kind-homogeneous waves for CPU per kind (0: none)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both", "none"], default="both")
    parser.add_argument(
        "--bare",
        choices=["default", "shared", "both", "durable", "none"],
        default="default",
        help="the bare bolt app(s) to measure alongside: default, with a shared aiohttp session, both; durable:"
        " the default one, and one committing each step before its ack in each --database (bench/bare_store.py)",
    )
    parser.add_argument(
        "--ping-rate",
        type=float,
        default=0.5,
        help="escalations per second per group channel the walks aim for (Slack posts 1/s per channel; default 0.5)",
    )
    parser.add_argument(
        "--read-seconds",
        type=float,
        default=0.0,
        help="seconds a supervisor reads a new ping before its first press on it (default 0: at once)",
    )
    parser.add_argument("--playbooks", default="", help="comma-separated playbook ids to walk (default: all offered)")
    parser.add_argument("--memory-runs", type=int, default=0, help="then start this many runs and report RSS")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to make a throw-away schema on (default $BENCH_DATABASE_URL or the CI one)",
    )
    parser.add_argument(
        "--app-processes",
        type=int,
        default=1,
        help="chatbot serve processes sharing the port with SO_REUSEPORT (needs an app that sets it); default 1",
    )
    parser.add_argument(
        "--worker",
        choices=("process", "in-serve"),
        default="process",
        help="the job worker in a `chatbot worker` process of its own, as the Procfile runs it (default), or inside"
        " `chatbot serve`",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure the targets in turn this many times and pool each (default 1)"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the chatbot during the window (slows it)")
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="serve the chatbot package of this checkout (a patched copy, to measure a change); default this repo",
    )
    args = parser.parse_args()
    if args.agents < 1 or args.seconds <= 0 or args.warmup < 0 or args.rounds < 1 or args.supervisors < 1:
        parser.error("--agents >= 1, --supervisors >= 1, --seconds > 0, --warmup >= 0, --rounds >= 1")
    if args.cpu_seconds < 0 or args.memory_runs < 0 or args.read_seconds < 0:
        parser.error("--cpu-seconds >= 0, --memory-runs >= 0, --read-seconds >= 0")
    return args


async def run(args: argparse.Namespace, work_dir: Path) -> list[Result]:
    chosen = targets(args.database, args.bare)
    rounds: dict[str, list[Result]] = {target.label: [] for target in chosen}
    for index in range(args.rounds):
        for target in chosen:
            if args.rounds > 1:
                print(f"round {index + 1} of {args.rounds}:", end=" ", file=sys.stderr)
            rounds[target.label].append(await _measure_once(args, target, work_dir))
    return [merge(results) for results in rounds.values()]


async def _measure_once(args: argparse.Namespace, target: Target, work_dir: Path) -> Result:
    options = Options(
        agents=args.agents,
        supervisors=args.supervisors,
        seconds=args.seconds,
        warmup=args.warmup,
        cpu_seconds=args.cpu_seconds,
        pg_url=args.pg_url,
        work_dir=work_dir,
        ping_rate=args.ping_rate,
        read_seconds=args.read_seconds,
        playbooks=tuple(p for p in args.playbooks.split(",") if p),
        memory_runs=args.memory_runs,
        profile=args.profile and target.kind == "chatbot",
        app_dir=args.app_dir.resolve(),
        app_processes=args.app_processes if target.kind == "chatbot" else 1,
        worker_process=args.worker == "process",
    )
    print(f"measuring {target.label}: {args.warmup:.0f}s warm-up, {args.seconds:.0f}s measured...", file=sys.stderr)
    result = await measure(target, options)
    if target.kind == "chatbot" and args.app_processes > 1:
        result.label += f" x{args.app_processes}"
    return result


def main() -> int:
    args = parse_args()
    work_dir = Path(tempfile.mkdtemp(prefix="bench_slack-"))
    passed = False
    try:
        results = uvloop.run(run(args, work_dir))  # the load generator shares the cores too: keep it cheap
        passed = all(check.ok for r in results for check in r.checks)
    except KeyboardInterrupt:
        print("interrupted; every process the bench started is stopped", file=sys.stderr)
        return 130
    finally:
        if passed and not args.profile:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            print(f"server logs (and profiles) kept in {work_dir}", file=sys.stderr)
    print()
    print(
        f"{os.cpu_count()} cores; {args.agents} agents, {args.supervisors} supervisors; {args.warmup:.0f}s warm-up, "
        f"{args.seconds:.0f}s measured, {args.cpu_seconds:.0f}s of CPU waves per target"
    )
    for result in results:
        print()
        print(table(result))
    print()
    print(summary(results))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
