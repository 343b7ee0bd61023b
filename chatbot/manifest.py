"""`chatbot manifest`: the Slack app manifest, so creating the app is a paste."""

from __future__ import annotations

from typing import Any

import yaml

from chatbot.config import Config

BOT_SCOPES = [
    "commands",  # slash commands
    "chat:write",  # session messages, escalation pings
    "chat:write.public",  # post in public channels the bot was not invited to (group channels)
    "app_mentions:read",  # help when mentioned
    "users:read",  # names and presence of supervisors
    "usergroups:read",  # access by user group
    # Reading back a post whose answer was lost (a timeout, a crash) before posting it again: escalation pings in
    # public and private group channels, notices in direct messages (found through conversations.open).
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
]


def build_manifest(
    config: Config, url: str, name: str = "Support Playbooks", socket_mode: bool = False
) -> dict[str, Any]:
    events_url = url.rstrip("/") + "/slack/events"
    commands = config.commands
    descriptions = {
        commands.triage: ("Walk a support playbook", "[playbook id or words | help]"),
        commands.oncall: ("Who is on call; mark yourself away or back", "[away [until] | back | help]"),
        commands.escalate: ("Escalate a case to a supervisor group by hand", ""),
        commands.digest: ("The team leads' digest, shown only to you", "[today | yesterday | week | since DATE]"),
        commands.case: ("Open a case, or show one", "[new [ticket] | TS-2026-000123 | reopen NUMBER | help]"),
    }
    slash = []
    for command, (description, hint) in descriptions.items():
        entry: dict[str, Any] = {"command": command, "description": description, "should_escape": False}
        if hint:
            entry["usage_hint"] = hint
        if not socket_mode:
            entry["url"] = events_url
        slash.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": ["app_mention", "app_home_opened"]}
    if not socket_mode:
        interactivity["request_url"] = events_url
        events["request_url"] = events_url
    return {
        "display_information": {
            "name": name,
            "description": "Support escalation procedures as interactive playbooks",
            "background_color": "#2c3e50",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            # App Home: an agent's open cases and runs, a supervisor's groups' open escalations
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True},
            "slash_commands": slash,
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(config: Config, url: str, name: str = "Support Playbooks", socket_mode: bool = False) -> str:
    return yaml.safe_dump(build_manifest(config, url, name, socket_mode), sort_keys=False, allow_unicode=True)
