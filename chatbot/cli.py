"""`chatbot` command line: serve the Slack app, and the tools playbook authors use."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from chatbot import logs
from chatbot.config import DEFAULT_CONFIG, Config, ConfigError, find_config, load_config
from chatbot.counts import counted
from chatbot.domain.errors import PlaybookErrors, UnknownPlaybook
from chatbot.exitstatus import FINISHED, INPUT_ENDED, QUIT
from chatbot.runtime_errors import SettingsError, StartupError


def _config(args: argparse.Namespace) -> Config:
    return _load_config(args.config, os.environ.get("CHATBOT_CONFIG"))


def _load_config(explicit: str | None, env: str | None = None) -> Config:
    file, beside_package = find_config(explicit, env)
    if beside_package:  # neither named nor in the current folder: say which file this is
        print(f"chatbot: using {file} (no {DEFAULT_CONFIG} in the current folder)", file=sys.stderr)
    config, _ = load_config(file)
    return config


def cmd_validate(args: argparse.Namespace) -> int:
    from chatbot.engine.catalog import check_playbooks

    config = _config(args)
    checked = check_playbooks(config, args.paths or None)
    for issue in checked.issues:
        print(issue)
    errors = len(checked.errors)
    warnings = len(checked.issues) - errors
    if not args.paths:  # the whole folder: digests may only count playbooks it has
        for digest in config.digests:
            for unknown in [p for p in digest.scope.playbooks if p not in checked.catalog.playbooks]:
                print(f"configuration: digest '{digest.id}' counts playbook '{unknown}', which does not exist")
                errors += 1
    failed = errors > 0 or (args.strict and warnings > 0)
    verdict = "FAILED" if failed else "ok"
    counts = ", ".join((counted(checked.checked, "playbook"), counted(errors, "error"), counted(warnings, "warning")))
    print(f"{counts}: {verdict}", file=sys.stderr)
    return 1 if failed else 0


def _engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from chatbot.engine.catalog import build_engine

    return build_engine(_config(args))


def cmd_playbooks(args: argparse.Namespace) -> int:
    engine = _engine(args)
    width = max(len(pb.id) for pb in engine.catalog)
    for pb in engine.catalog:
        outcomes = sum(1 for s in pb.spec.steps if s.outcome is not None)
        # Numbers right-aligned, nouns padded: "  1 step " lines up under " 42 steps".
        steps, ends = counted(len(pb.spec.steps), "step").split(), counted(outcomes, "outcome").split()
        print(
            f"{pb.id:<{width}}  tier {pb.spec.tier}  {steps[0]:>3} {steps[1]:<5}  {ends[0]:>2} {ends[1]:<8}  "
            f"{pb.spec.title}"
        )
    return 0


def _find(engine, words: str | list[str]) -> str:  # type: ignore[no-untyped-def]
    # `chatbot try clever login`: the words arrive as separate arguments, and are searched as one phrase.
    name = words if isinstance(words, str) else " ".join(words)
    found = engine.catalog.search(name)
    if len(found) == 1:
        return str(found[0].id)
    known = ", ".join(pb.id for pb in engine.catalog)
    if not found:
        raise UnknownPlaybook(f"No playbook matches '{name}'. Known: {known}")
    raise UnknownPlaybook(f"'{name}' matches several playbooks: {', '.join(p.id for p in found)}")


def cmd_try(args: argparse.Namespace) -> int:
    from chatbot.adapters.console import Console
    from chatbot.engine.catalog import build_engine

    config = _config(args)  # read once: the engine and the escalation preview see the same file
    engine = build_engine(config)
    return Console(engine, config).run(_find(engine, args.playbook))


def cmd_graph(args: argparse.Namespace) -> int:
    from chatbot.engine.graph import to_dot, to_mermaid

    engine = _engine(args)
    pb = engine.catalog.get(_find(engine, args.playbook))
    sys.stdout.write(to_dot(pb) if args.format == "dot" else to_mermaid(pb))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from chatbot import eventloop
    from chatbot.serve import serve
    from chatbot.settings import Settings

    settings = Settings.from_env()
    config = _load_config(args.config or settings.config_path)
    eventloop.run(serve(settings, config, host=args.host, worker=not args.no_worker, reuse_port=args.reuse_port))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from chatbot import eventloop
    from chatbot.serve import work
    from chatbot.settings import Settings

    settings = Settings.from_env(http=False)
    config = _load_config(args.config or settings.config_path)
    eventloop.run(work(settings, config))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from chatbot.settings import DEFAULT_DATABASE_URL
    from chatbot.storage import current_revision, head_revision, normalize_url, redact_url, upgrade

    url = normalize_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    asyncio.run(upgrade(url))
    print(f"{redact_url(url)}: at revision {asyncio.run(current_revision(url))} (head {head_revision()})")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from chatbot.manifest import manifest_yaml

    if not args.socket_mode and not args.url:
        print("give --url https://your-host (the public address of `chatbot serve`), or --socket-mode", file=sys.stderr)
        return 2
    if args.url and not args.url.startswith("https://"):
        print("--url must start with https:// (Slack only calls HTTPS request URLs)", file=sys.stderr)
        return 2
    sys.stdout.write(manifest_yaml(_config(args), args.url or "", args.name, args.socket_mode))
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    import asyncio

    from chatbot.adapters.digest_console import print_digest
    from chatbot.domain.errors import UserFacingError
    from chatbot.settings import DEFAULT_DATABASE_URL

    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    digest = print_digest(
        _config(args), url, since=args.since, until=args.until, fmt=args.format, schedule_id=args.digest
    )
    try:
        asyncio.run(digest)
    except UserFacingError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


def cmd_pii_scan(args: argparse.Namespace) -> int:
    import json

    from chatbot.pii import scan

    # One result line per input line, and never the text itself: the output may be kept where PII must not be.
    for line in sys.stdin:
        findings = scan(line.rstrip("\r\n"), region=args.region)
        print(json.dumps({"findings": [{"kind": str(f.kind), "start": f.start, "end": f.end} for f in findings]}))
    return 0


def cmd_teams_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chatbot.adapters.teams.package import PackageError, write_package

    try:
        out = write_package(Path(args.out), args.app_id, args.host, args.name)
    except PackageError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"wrote {out}: upload it in Teams admin center or the Developer Portal (Apps > Import app)")
    return 0


CONFIG_HELP = (
    "configuration YAML (default: $CHATBOT_CONFIG, else config/example.yaml in the current folder, else the one "
    "in chatbot's own checkout); its playbooks_dir and templates_dir are relative to its folder"
)
TRY_EXIT_STATUS = f"""exit status:
  {FINISHED}  the walk reached an outcome
  {INPUT_ENDED}  the input ended before an outcome (piped answers ran out)
  2  the configuration or the playbooks cannot be used, or no playbook matches
  {QUIT}  you quit (q) before an outcome
  130  interrupted (Ctrl-C)"""


class _Command(argparse.ArgumentParser):
    """A command's parser (sub-commands' too): it takes `--config FILE` as well, so the option may come before or
    after the command. SUPPRESS keeps a value given before the command when none is given after it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatbot", description=__doc__)
    parser.add_argument("--config", help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Command)

    p = sub.add_parser("serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with $SLACK_APP_TOKEN)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--no-worker", action="store_true", help="leave pings and timers to a separate `chatbot worker`")
    p.add_argument("--reuse-port", action="store_true", help="let several serve processes share $PORT (one per core)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="deliver escalation pings and run re-escalation timers (with serve --no-worker)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="create or upgrade the database schema at $DATABASE_URL")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("manifest", help="print the Slack app manifest (YAML) to paste at api.slack.com/apps")
    p.add_argument("--url", help="public base URL of `chatbot serve`, e.g. https://support-bot.example.org")
    p.add_argument("--name", default="Support Playbooks", help="the app's display name")
    p.add_argument("--socket-mode", action="store_true", help="no request URLs: the app connects out over Socket Mode")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("teams-package", help="write the Teams app package (manifest.json + icons, zipped)")
    p.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID (Entra application id, a GUID)")
    p.add_argument("--host", required=True, help="public base URL of `chatbot serve`, e.g. https://bot.example.org")
    p.add_argument("--out", default="teams-app.zip", help="where to write the zip (default teams-app.zip)")
    p.add_argument("--name", default="Support Playbooks", help="the app's display name (at most 30 characters)")
    p.set_defaults(func=cmd_teams_package)

    p = sub.add_parser("validate", help="lint playbooks; non-zero exit on any error")
    p.add_argument("paths", nargs="*", help="playbook files or folders (default: the configured playbooks folder)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("playbooks", help="list the playbooks")
    p.set_defaults(func=cmd_playbooks)

    p = sub.add_parser(
        "try",
        help="walk a playbook in the terminal (answers may be piped on stdin)",
        description="Walk a playbook as an agent would: b = back, r = restart, q = quit. A textarea field takes "
        "several lines; an empty line ends it.",
        epilog=TRY_EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("playbook", nargs="+", help="playbook id or words of its title")
    p.set_defaults(func=cmd_try)

    p = sub.add_parser("graph", help="draw a playbook's decision tree")
    p.add_argument("playbook", nargs="+", help="playbook id or words of its title")
    p.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("digest", help="the team leads' digest for a period, in the terminal ($DATABASE_URL)")
    p.add_argument("--since", required=True, help="today, yesterday, week (the last 7 days) or a date, 2026-11-02")
    p.add_argument("--until", help="with --since DATE: a date (included) or a date and time; default now")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--digest", help="a configured digest's id: its time zone and scope (default: the first)")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("pii", help="check free text for the personal information Tier 1 procedures forbid")
    pii = p.add_subparsers(dest="pii_command", required=True, metavar="PII_COMMAND")
    p = pii.add_parser("scan", help="one text per stdin line in, one JSON line of findings (offsets only) out")
    p.add_argument("--region", default="US", help="country of phone numbers written without +code (default US)")
    p.set_defaults(func=cmd_pii_scan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
    try:
        return int(args.func(args))
    except (ConfigError, PlaybookErrors, SettingsError, StartupError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except UnknownPlaybook as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
