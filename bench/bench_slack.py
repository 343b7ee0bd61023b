"""Slack app benchmark: simulated agents click through a playbook over HTTP, against the chatbot and a bare bolt app.

Run: .venv/bin/python -m bench.bench_slack [--agents 50] [--seconds 20] [--database sqlite|postgresql|both]
     [--warmup 5] [--bare default|shared|both|none] [--profile] [--app-dir DIR] [--app-processes N] [--rounds 1]

--profile samples the chatbot with py-spy (`.venv/bin/pip install py-spy`; not a dependency) and prints its top costs.
--app-dir serves the `chatbot` package of another checkout, e.g. a patched copy in /tmp, to measure a change.
--rounds N measures the targets in turn N times (bare, SQLite, PostgreSQL, bare, ...) and pools each target's
rounds: on a shared machine whose speed drifts over minutes, interleaving keeps the comparison fair.

Each server runs in its own process (so is the fake Slack Web API it calls); the agents run here. Prints figures
(interactions per second, ack latency percentiles, errors, chat.update calls) and sanity checks; not a test.
Target: at 50 agents, p99 ack under 100 ms and throughput at least the bare app's, durable writes included.
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
from bench.report import Result, merge, row, table
from bench.targets import Options, Target, measure


def targets(database: str, bare: str) -> list[Target]:
    chosen = []
    if bare in ("default", "both"):
        chosen.append(Target("bare bolt (default)", "bare"))
    if bare in ("shared", "both"):
        chosen.append(Target("bare bolt (shared session)", "bare", shared_session=True))
    if database in ("sqlite", "both"):
        chosen.append(Target("chatbot (SQLite)", "chatbot", database="sqlite"))
    if database in ("postgresql", "both"):
        chosen.append(Target("chatbot (PostgreSQL)", "chatbot", database="postgresql"))
    return chosen


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=50, help="concurrent simulated agents (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per target (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring (default 5)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--bare", choices=["default", "shared", "both", "none"], default="both")
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
    if args.agents < 1 or args.seconds <= 0 or args.warmup < 0 or args.rounds < 1:
        parser.error("--agents >= 1, --seconds > 0, --warmup >= 0, --rounds >= 1")
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
    profile = args.profile and target.kind == "chatbot"
    options = Options(
        agents=args.agents,
        seconds=args.seconds,
        warmup=args.warmup,
        pg_url=args.pg_url,
        work_dir=work_dir,
        profile=profile,
        app_dir=args.app_dir.resolve(),
        app_processes=args.app_processes,
    )
    print(f"measuring {target.label}: {args.warmup:.0f}s warm-up, {args.seconds:.0f}s measured...", file=sys.stderr)
    result = await measure(target, options)
    if profile:
        result.label += " +py-spy"
    if target.kind == "chatbot" and args.app_processes > 1:
        result.label += f" x{args.app_processes}"
    print(row(result), file=sys.stderr)
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
    print(f"{os.cpu_count()} cores; {args.agents} agents; {args.warmup:.0f}s warm-up then {args.seconds:.0f}s measured")
    print(table(results))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
