"""`chatbot` command line: serve the Slack app, and the tools playbook authors use."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from chatbot import logs
from chatbot.config import Config, ConfigError, load_config
from chatbot.domain.errors import PlaybookErrors, UnknownPlaybook
from chatbot.runtime_errors import SettingsError, StartupError


def _config(args: argparse.Namespace) -> Config:
    config, _ = load_config(args.config or os.environ.get("CHATBOT_CONFIG") or None)
    return config


def cmd_validate(args: argparse.Namespace) -> int:
    from chatbot.engine.catalog import check_playbooks

    config = _config(args)
    checked = check_playbooks(config, args.paths or None)
    for issue in checked.issues:
        print(issue)
    errors = len(checked.errors)
    warnings = len(checked.issues) - errors
    failed = errors > 0 or (args.strict and warnings > 0)
    verdict = "FAILED" if failed else "ok"
    print(f"{len(checked.catalog)} playbooks, {errors} errors, {warnings} warnings: {verdict}", file=sys.stderr)
    return 1 if failed else 0


def _engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from chatbot.engine.catalog import build_engine

    return build_engine(_config(args))


def cmd_playbooks(args: argparse.Namespace) -> int:
    engine = _engine(args)
    width = max(len(pb.id) for pb in engine.catalog)
    for pb in engine.catalog:
        outcomes = sum(1 for s in pb.spec.steps if s.outcome is not None)
        print(
            f"{pb.id:<{width}}  tier {pb.spec.tier}  {len(pb.spec.steps):>3} steps  {outcomes:>2} outcomes  "
            f"{pb.spec.title}"
        )
    return 0


def _find(engine, name: str) -> str:  # type: ignore[no-untyped-def]
    found = engine.catalog.search(name)
    if len(found) == 1:
        return str(found[0].id)
    known = ", ".join(pb.id for pb in engine.catalog)
    if not found:
        raise UnknownPlaybook(f"No playbook matches '{name}'. Known: {known}")
    raise UnknownPlaybook(f"'{name}' matches several playbooks: {', '.join(p.id for p in found)}")


def cmd_try(args: argparse.Namespace) -> int:
    from chatbot.adapters.console import Console

    engine = _engine(args)
    return Console(engine, _config(args)).run(_find(engine, args.playbook))


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
    config, _ = load_config(args.config or settings.config_path)
    eventloop.run(serve(settings, config, host=args.host, worker=not args.no_worker, reuse_port=args.reuse_port))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from chatbot import eventloop
    from chatbot.serve import work
    from chatbot.settings import Settings

    settings = Settings.from_env(http=False)
    config, _ = load_config(args.config or settings.config_path)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatbot", description=__doc__)
    parser.add_argument("--config", help="configuration YAML (default: $CHATBOT_CONFIG or config/example.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser("try", help="walk a playbook in the terminal (answers may be piped on stdin)")
    p.add_argument("playbook", help="playbook id or words of its title")
    p.set_defaults(func=cmd_try)

    p = sub.add_parser("graph", help="draw a playbook's decision tree")
    p.add_argument("playbook", help="playbook id or words of its title")
    p.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    p.set_defaults(func=cmd_graph)

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
