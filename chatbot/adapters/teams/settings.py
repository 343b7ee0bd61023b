"""Teams settings from the environment.

Project names (preferred; documented in the README) and the names the Agents SDK's `load_configuration_from_env`
reads, which Microsoft's docs and samples use (either works; the project name wins when both are set):

- `TEAMS_APP_ID` / `CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID`: the Azure Bot's Microsoft App ID (the
  Entra application id). Its presence turns the Teams front on.
- `TEAMS_CLIENT_SECRET` / `CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET`: a client secret of that app.
- `TEAMS_TENANT_ID` / `CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID`: the Entra tenant of a single-tenant
  bot (the only kind Azure creates now).
- `TEAMS_ALLOW_ANONYMOUS=true`: accept activities with no token and reply without one. Local trials only (the
  Microsoft 365 Agents Playground sends no token); `serve` logs a warning. Without an app id this is the only way
  to run the front.
- `TEAMS_SERVICE_URL_HOSTS`: comma-separated hosts activities may name as `serviceUrl` (replies go there, with our
  token). Default: Teams' public, GCC, GCC High and DoD service hosts. A loopback host (localhost, 127.0.0.1) may
  be listed for trials and is then allowed over plain http.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chatbot.runtime_errors import SettingsError

SDK_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
DEFAULT_SERVICE_URL_HOSTS = (
    "smba.trafficmanager.net",  # commercial Teams (…/amer/, …/emea/, …/teams/)
    "smba.infra.gcc.teams.microsoft.com",  # GCC
    "smba.infra.gov.teams.microsoft.us",  # GCC High
    "smba.infra.dod.teams.microsoft.us",  # DoD
)
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str | None
    client_secret: str | None
    tenant_id: str | None
    allow_anonymous: bool = False
    service_url_hosts: tuple[str, ...] = DEFAULT_SERVICE_URL_HOSTS

    def __repr__(self) -> str:  # the secret must not end up in a log line
        secret = "set" if self.client_secret else None
        return (
            f"TeamsSettings(app_id={self.app_id!r}, client_secret={secret!r}, tenant_id={self.tenant_id!r}, "
            f"allow_anonymous={self.allow_anonymous}, service_url_hosts={self.service_url_hosts!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TeamsSettings | None:
        """None when Teams is not configured at all (Slack-only deployments)."""
        env = os.environ if env is None else env

        def read(name: str, sdk_name: str) -> str | None:
            value = (env.get(name) or env.get(SDK_PREFIX + sdk_name) or "").strip()
            return value or None

        app_id = read("TEAMS_APP_ID", "CLIENTID")
        anonymous = (env.get("TEAMS_ALLOW_ANONYMOUS") or "").strip().lower() in _TRUE
        if app_id is None and not anonymous:
            return None
        secret = read("TEAMS_CLIENT_SECRET", "CLIENTSECRET")
        tenant = read("TEAMS_TENANT_ID", "TENANTID")
        if not anonymous and (secret is None or tenant is None):
            missing = [n for n, v in (("TEAMS_CLIENT_SECRET", secret), ("TEAMS_TENANT_ID", tenant)) if v is None]
            raise SettingsError(f"TEAMS_APP_ID is set, so Teams also needs {' and '.join(missing)}")
        hosts_text = env.get("TEAMS_SERVICE_URL_HOSTS") or ""
        hosts = tuple(h.strip().lower() for h in hosts_text.split(",") if h.strip()) or DEFAULT_SERVICE_URL_HOSTS
        return cls(app_id, secret, tenant, anonymous, hosts)
