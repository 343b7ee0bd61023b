"""Settings from the environment (secrets live only here), validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.adapters.teams.settings import TeamsSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/chatbot.sqlite3"


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


class Secret(str):
    """A string that never shows itself in logs, reprs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def reveal(self) -> str:
        return str.__str__(self)


@dataclass(frozen=True)
class Settings:
    slack_bot_token: Secret | None  # None: no Slack (Teams alone)
    slack_signing_secret: Secret | None
    slack_app_token: Secret | None = None
    slack_api_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 20
    slack_history_per_minute: float = 1.0
    slack_timeout: float = 10.0
    job_lease_seconds: float = 60.0
    port: int = 3000
    config_path: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    teams: TeamsSettings | None = None  # None: no Teams (Slack alone)

    @property
    def slack(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, http: bool = True) -> Settings:
        """`http=False` for `chatbot worker`, which talks to Slack but receives no requests (no signing secret)."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        from chatbot.adapters.teams.settings import TeamsSettings  # here: it imports this module's SettingsError

        teams = TeamsSettings.from_env(env)
        bot = get("SLACK_BOT_TOKEN")
        if bot is None and teams is None:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set and Teams is not configured: set SLACK_BOT_TOKEN (xoxb-...) and "
                "SLACK_SIGNING_SECRET for Slack, or TEAMS_APP_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID for Teams "
                "(or both)"
            )
        if bot is not None and not bot.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        app_token = get("SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode)")
        signing = get("SLACK_SIGNING_SECRET")
        if bot is None and (signing or app_token):
            raise SettingsError("SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not")
        if bot is not None and signing is None and app_token is None and http:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests (or set SLACK_APP_TOKEN "
                "for Socket Mode)"
            )
        api_url = get("SLACK_API_URL")
        if api_url is not None and not api_url.startswith(("http://", "https://")):
            raise SettingsError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
        pool_text = get("DATABASE_POOL_SIZE") or "20"
        if not pool_text.isdigit() or not 2 <= int(pool_text) <= 500:
            raise SettingsError(f"DATABASE_POOL_SIZE must be a whole number from 2 to 500, not {pool_text!r}")
        history = _number(get, "SLACK_HISTORY_PER_MINUTE", 1, 600)
        timeout = _number(get, "SLACK_TIMEOUT_SECONDS", 10, 60)
        lease = _number(get, "CHATBOT_JOB_LEASE_SECONDS", 60, 3600)
        if lease < 3 * timeout:
            raise SettingsError(
                f"CHATBOT_JOB_LEASE_SECONDS ({lease:g}) must be at least three times SLACK_TIMEOUT_SECONDS "
                f"({timeout:g}): a job may wait for Slack up to three times before it finishes"
            )
        port_text = get("PORT") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(f"PORT must be a TCP port number, not {port_text!r}")
        return cls(
            slack_bot_token=Secret(bot) if bot else None,
            slack_signing_secret=Secret(signing) if signing else None,
            slack_app_token=Secret(app_token) if app_token else None,
            slack_api_url=api_url if api_url is None or api_url.endswith("/") else api_url + "/",
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            database_pool_size=int(pool_text),
            slack_history_per_minute=history,
            slack_timeout=timeout,
            job_lease_seconds=lease,
            port=int(port_text),
            config_path=get("CHATBOT_CONFIG"),
            teams=teams,
        )


def _number(get: Callable[[str], str | None], name: str, default: float, most: float) -> float:
    """A positive number setting (at most `most`), or a SettingsError naming it."""
    text = get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= most:
        raise SettingsError(f"{name} must be a number above 0 and at most {most:g}, not {text!r}")
    return value
