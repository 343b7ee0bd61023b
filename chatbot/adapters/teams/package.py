"""`chatbot teams-package`: the Teams app package (manifest.json + two icons, zipped) to upload in Teams admin
center or the Developer Portal."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chatbot.adapters.teams.icons import color_png, outline_png

MANIFEST_VERSION = "1.19"
MANIFEST_SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
SCOPES = ["personal", "team", "groupChat"]
# The bot command menu: what Teams suggests when someone types `@bot` or opens the personal chat.
COMMANDS = [
    ("triage", "Start a playbook, or pick one from the list"),
    ("oncall", "Who is on call for each supervisor group"),
    ("digest", "The leads' digest: digest today, yesterday, week or since 2026-11-02"),
    ("case", "Open a case (case new) or show one: case TS-2026-000123"),
    ("help", "What this app can do"),
]
SHORT_NAME_LIMIT = 30


class PackageError(ValueError):
    """Arguments the package cannot be built from; the message says what to give instead."""


def manifest(app_id: str, host: str, name: str = "Support Playbooks", version: str = "1.0.0") -> dict[str, Any]:
    """The app manifest. `app_id`: the Entra app (client) id of the Azure Bot; `host`: https://public-host."""
    try:
        app_guid = str(uuid.UUID(app_id))
    except ValueError as exc:
        raise PackageError(f"--app-id must be the bot's Microsoft App ID (a GUID), not {app_id!r}") from exc
    parts = urlsplit(host)
    if parts.scheme != "https" or not parts.hostname:
        raise PackageError("--host must be the https:// address `chatbot serve` is reachable at")
    if not name.strip() or len(name) > SHORT_NAME_LIMIT:
        raise PackageError(f"--name must be 1 to {SHORT_NAME_LIMIT} characters (Teams' limit for a short name)")
    base = f"https://{parts.netloc}"
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_guid,
        "developer": {
            "name": name,
            "websiteUrl": base,
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": name, "full": f"{name}: escalation playbooks"},
        "description": {
            "short": "Walk support escalation procedures as interactive playbooks.",
            "full": (
                "Type triage to walk a support escalation procedure step by step. The app collects what Tier 2 "
                "needs, writes the customer reply and the internal note, and pings the right supervisor group."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#4F52B2",
        "bots": [
            {
                "botId": app_guid,
                "scopes": SCOPES,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": SCOPES,
                        "commands": [{"title": title, "description": text} for title, text in COMMANDS],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        # Universal Actions (Action.Execute) need nothing more; webApplicationInfo is for SSO, which we don't use.
        "validDomains": [parts.hostname],
    }


def build_package(app_id: str, host: str, name: str = "Support Playbooks") -> bytes:
    """The zip Teams expects: manifest.json and the icons at the top level (no folder)."""
    content = json.dumps(manifest(app_id, host, name), indent=2, ensure_ascii=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", content)
        archive.writestr("color.png", color_png())
        archive.writestr("outline.png", outline_png())
    return buffer.getvalue()


def write_package(out: Path, app_id: str, host: str, name: str = "Support Playbooks") -> Path:
    data = build_package(app_id, host, name)  # built first: a bad argument leaves no half-written file
    out.write_bytes(data)
    return out
