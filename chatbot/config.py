"""The team's configuration file (`CHATBOT_CONFIG`): people, escalation groups, channels, access, commands.

No secrets live here; those come from the environment only (see `settings.py`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from chatbot.domain.escalation import Surface
from chatbot.yamlsource import SourceMap, YamlSourceError, load_with_lines

DEFAULT_CONFIG = Path("config/example.yaml")
# The checkout this package runs from, when it is one (an editable install): `config/` sits beside `chatbot/`.
CHECKOUT = Path(__file__).resolve().parents[1]

SlackUser = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
SlackChannel = Annotated[str, StringConstraints(pattern=r"^[CG][A-Z0-9]{2,}$")]
SlackUsergroup = Annotated[str, StringConstraints(pattern=r"^S[A-Z0-9]{2,}$")]
# Teams: a person is their Entra (AAD) object id; a channel is its conversation id (19:...@thread.tacv2).
AadObjectId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", to_lower=True)
]
TeamsChannel = Annotated[str, StringConstraints(pattern=r"^19:\S+$", max_length=255)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class ConfigError(Exception):
    """The configuration file cannot be used; the message names file and line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hours(_Model):
    """Working hours in a time zone, e.g. `08:00-17:00` on weekdays."""

    timezone: str = "UTC"
    hours: Annotated[str, StringConstraints(pattern=r"^\d\d:\d\d-\d\d:\d\d$")] = "00:00-24:00"
    days: tuple[Weekday, ...] = WORKDAYS

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}'") from exc
        return value


class Person(_Model):
    name: str
    slack_user: SlackUser | None = None
    teams_user: AadObjectId | None = None
    working: Hours | None = Field(default=None, description="Overrides the group's hours for this person")

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if self.slack_user is None and self.teams_user is None:
            raise ValueError("a person needs `slack_user` or `teams_user` (or both)")
        return self


class Group(_Model):
    name: str
    channel: SlackChannel | None = Field(default=None, description="The group's Slack channel")
    teams_channel: TeamsChannel | None = Field(default=None, description="The group's Teams channel")
    usergroup: SlackUsergroup | None = None
    ack_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    high_priority_ack_timeout_minutes: int = Field(default=5, ge=1, le=24 * 60)
    working: Hours = Hours()
    use_slack_presence: bool = False
    tiers: tuple[tuple[Slug, ...], ...] = Field(min_length=1, description="Fallback order, first tier first")
    checklist: tuple[str, ...] = ()

    @field_validator("tiers")
    @classmethod
    def _non_empty(cls, tiers: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if any(not tier for tier in tiers):
            raise ValueError("a tier needs at least one person")
        return tiers

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for tier in self.tiers for p in tier))

    @property
    def surfaces(self) -> tuple[Surface, ...]:
        """Where the group is pinged."""
        return tuple(s for s, where in ((Surface.SLACK, self.channel), (Surface.TEAMS, self.teams_channel)) if where)

    @model_validator(mode="after")
    def _somewhere(self) -> Group:
        if self.channel is None and self.teams_channel is None:
            raise ValueError("a group needs a Slack `channel` or a `teams_channel` (or both)")
        return self


class Access(_Model):
    """Who may start and answer playbooks. All the lists empty means everyone.

    Slack: `channels`, `usergroups`, `users`. Teams: `teams_users` (Entra object ids) and `teams_channels` (channel
    ids, `19:...`; a session in any thread of the channel counts).

    `sessions` says who, among those, may answer a session someone else started: `anyone`, only its `owner`, or
    the owner's `team` (people who share one of the `teams` user groups with the owner).
    """

    channels: tuple[SlackChannel, ...] = ()
    usergroups: tuple[SlackUsergroup, ...] = ()
    users: tuple[SlackUser, ...] = ()
    teams_users: tuple[AadObjectId, ...] = ()
    teams_channels: tuple[TeamsChannel, ...] = ()
    sessions: Literal["anyone", "owner", "team"] = "anyone"
    teams: tuple[SlackUsergroup, ...] = ()

    @property
    def everyone(self) -> bool:
        return not (self.channels or self.usergroups or self.users or self.teams_users or self.teams_channels)

    @model_validator(mode="after")
    def _teams_for_team(self) -> Access:
        if self.sessions == "team" and not self.teams:
            raise ValueError("`sessions: team` needs `teams`: the Slack user groups whose members share sessions")
        return self


class Commands(_Model):
    triage: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/triage"
    oncall: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/oncall"
    escalate: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/escalate"
    digest: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/digest"
    case: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/case"


class DigestScope(_Model):
    """What a digest counts; each list empty means all. Playbooks (the one a run started with) narrow runs,
    escalations and their sources; groups narrow escalations; priorities narrow escalations and cases."""

    playbooks: tuple[Slug, ...] = ()
    groups: tuple[Slug, ...] = ()
    priorities: tuple[Literal["high", "normal", "low"], ...] = ()


class DigestSchedule(_Model):
    """A digest posted whenever `cron` fires in `timezone`, covering the time since it last fired: in a Slack
    `channel`, a Teams `teams_channel`, or both (each surface gets it once)."""

    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    cron: str = Field(description="Five fields: minute hour day-of-month month day-of-week, e.g. '0 8 * * 1-5'")
    timezone: str = "UTC"
    channel: SlackChannel | None = Field(default=None, description="The Slack channel it is posted in")
    teams_channel: TeamsChannel | None = Field(default=None, description="The Teams channel it is posted in")
    scope: DigestScope = DigestScope()

    @model_validator(mode="after")
    def _somewhere(self) -> DigestSchedule:
        if self.channel is None and self.teams_channel is None:
            raise ValueError("a digest needs a Slack `channel` or a `teams_channel` (or both)")
        return self

    @property
    def surfaces(self) -> tuple[Surface, ...]:
        """Where it is posted."""
        return tuple(s for s, where in ((Surface.SLACK, self.channel), (Surface.TEAMS, self.teams_channel)) if where)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        # croniter also takes a sixth (seconds) field; a digest schedule is minutes at the finest.
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"'{value}' is not a cron expression of five fields (minute hour day month weekday)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return Hours._zone(value)

    @property
    def name(self) -> str:
        return self.title or f"Digest: {self.id}"


class Procedure(_Model):
    """How cases and customer replies of one procedure look: what playbooks with `procedure.key` use."""

    name: str
    case_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,7}$")] = "CASE"
    signature: str = Field(default="Technical Support", description="How customer replies are signed")
    team: str = Field(
        default="support team", description="Who works an escalated case, as the status-update reply names them"
    )


class Cases(_Model):
    """Case numbers and closing."""

    default_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,7}$")] = "CASE"
    close_after_days: int = Field(
        default=0, ge=0, le=90, description="0 closes a case as it is resolved; else after this many quiet days"
    )
    intake_procedure: Slug | None = Field(
        default=None, description="The procedure (`procedures`) whose prefix and signature `/case new` uses"
    )


class PiiGuard(_Model):
    """What happens when text typed at Tier 1 (Tier 2) looks like personal data: `block` refuses the form and says
    which field and why, `warn` accepts it and tells the person to edit it out, `off` does not look."""

    tier1: Literal["warn", "block", "off"] = "block"
    tier2: Literal["warn", "block", "off"] = "off"


@dataclass(frozen=True)
class ConfigOrigin:
    """The file a configuration was read from, and the line of each of its keys (for the linter's messages)."""

    file: Path
    source: SourceMap


InternalTerm = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


class Config(_Model):
    playbooks_dir: str = Field(default="playbooks", description="Relative to the configuration file's folder")
    templates_dir: str = Field(default="templates", description="Relative to the configuration file's folder")
    internal_only_terms: tuple[InternalTerm, ...] = Field(
        default=(),
        description="Contacts and words for Tier 2 only; `chatbot validate` rejects a customer reply holding one "
        "(case-insensitive)",
    )
    commands: Commands = Commands()
    access: Access = Access()
    people: dict[Slug, Person] = {}
    groups: dict[Slug, Group] = {}
    procedures: dict[Slug, Procedure] = {}
    links: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")], HttpUrl] = Field(
        default={}, description="Addresses replies send customers to, by name: `{{ links.name }}` in templates"
    )
    cases: Cases = Cases()
    pii: PiiGuard = PiiGuard()
    digests: tuple[DigestSchedule, ...] = ()
    _origin: ConfigOrigin | None = PrivateAttr(default=None)  # None for a configuration built in code

    @model_validator(mode="after")
    def _people_exist(self) -> Config:
        for gid, group in self.groups.items():
            for person in group.members:
                if person not in self.people:
                    raise ValueError(f"group '{gid}' lists '{person}', who is not under `people`")
        return self

    @model_validator(mode="after")
    def _digests_make_sense(self) -> Config:
        seen: set[str] = set()
        for digest in self.digests:
            if digest.id in seen:
                raise ValueError(f"two digests have the id '{digest.id}'")
            seen.add(digest.id)
            for gid in digest.scope.groups:
                if gid not in self.groups:
                    raise ValueError(f"digest '{digest.id}' counts group '{gid}', which is not under `groups`")
        return self

    def group_names(self) -> dict[str, str]:
        return {gid: g.name for gid, g in self.groups.items()}

    def links_text(self) -> dict[str, str]:
        return {name: str(url) for name, url in self.links.items()}

    def names(self) -> dict[str, str]:
        """Each configured person's name by their Slack user id and Teams object id: what notes and replies show
        instead of an id (templates read it as `people`)."""
        named = {}
        for person in self.people.values():
            for user_id in (person.slack_user, person.teams_user):
                if user_id:
                    named[user_id] = person.name
        return named

    def person_of(self, user_id: str) -> str | None:
        """The configured person a Slack user id or Teams object id belongs to."""
        for person_id, person in self.people.items():
            if user_id in (person.slack_user, person.teams_user):
                return person_id
        return None

    @property
    def origin(self) -> ConfigOrigin | None:
        return self._origin

    def located(self, *path: str | int) -> tuple[str, int] | None:
        """`file`, `line` of a key of the configuration file (`"groups", "tech-dev"`), when it was read from one."""
        if self._origin is None:
            return None
        return str(self._origin.file), self._origin.source.line_of(path)


def find_config(explicit: str | Path | None = None, env: str | None = None) -> tuple[Path, bool]:
    """The configuration to use: `--config`, else `$CHATBOT_CONFIG`, else `config/example.yaml` in the current
    folder, else the one in the checkout the package runs from. The flag says the last (a place the user did not
    name or stand in, so the command says which file it read)."""
    if explicit:
        return Path(explicit), False
    if env:
        return Path(env), False
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG, False
    beside = CHECKOUT / DEFAULT_CONFIG
    if (CHECKOUT / "pyproject.toml").is_file() and beside.is_file():
        return beside, True
    raise ConfigError(
        f"no configuration file: neither --config FILE nor $CHATBOT_CONFIG is given, and there is no "
        f"{DEFAULT_CONFIG} in the current folder ({Path.cwd()}) or in {CHECKOUT}"
    )


def _anchored(config: Config, file: Path) -> Config:
    """Relative folders in a configuration file are relative to that file, so `chatbot` works from any folder."""
    update = {}
    for key in ("playbooks_dir", "templates_dir"):
        value = getattr(config, key)
        if not Path(value).is_absolute():
            update[key] = os.path.normpath(file.parent / value)
    return config.model_copy(update=update)


def load_config(path: str | Path | None = None) -> tuple[Config, Path]:
    """Load and validate the configuration (default: `find_config()`); relative directories in it are resolved
    against the file's folder."""
    file = Path(path) if path else find_config()[0]
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the configuration ({exc.strerror})") from exc
    try:
        data, source = load_with_lines(text)
    except YamlSourceError as exc:
        raise ConfigError(f"{file}:{exc.line}: {exc.message}") from exc
    try:
        config = _anchored(Config.model_validate(data or {}), file)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc)
            msg = re.sub(r"^Value error, ", "", str(err["msg"]))
            lines.append(f"{file}:{source.line_of(loc)}: {where + ': ' if where else ''}{msg}")
        raise ConfigError("\n".join(lines)) from exc
    config._origin = ConfigOrigin(file, source)
    return config, file
