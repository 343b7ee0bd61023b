"""The team's configuration file (`CHATBOT_CONFIG`): people, escalation groups, channels, access, commands.

No secrets live here; those come from the environment only (see `settings.py`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from chatbot.domain.escalation import Surface
from chatbot.yamlsource import YamlSourceError, load_with_lines

DEFAULT_CONFIG = Path("config/example.yaml")

SlackUser = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
SlackChannel = Annotated[str, StringConstraints(pattern=r"^[CG][A-Z0-9]{2,}$")]
SlackUsergroup = Annotated[str, StringConstraints(pattern=r"^S[A-Z0-9]{2,}$")]
# Teams: a person is their Entra (AAD) object id; a channel is its conversation id (19:...@thread.tacv2).
AadObjectId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
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
    """Who may start and answer playbooks. The three lists empty means everyone.

    `sessions` says who, among those, may answer a session someone else started: `anyone`, only its `owner`, or
    the owner's `team` (people who share one of the `teams` user groups with the owner).
    """

    channels: tuple[SlackChannel, ...] = ()
    usergroups: tuple[SlackUsergroup, ...] = ()
    users: tuple[SlackUser, ...] = ()
    sessions: Literal["anyone", "owner", "team"] = "anyone"
    teams: tuple[SlackUsergroup, ...] = ()

    @property
    def everyone(self) -> bool:
        return not (self.channels or self.usergroups or self.users)

    @model_validator(mode="after")
    def _teams_for_team(self) -> Access:
        if self.sessions == "team" and not self.teams:
            raise ValueError("`sessions: team` needs `teams`: the Slack user groups whose members share sessions")
        return self


class Commands(_Model):
    triage: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/triage"
    oncall: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/oncall"
    escalate: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/escalate"


class Config(_Model):
    playbooks_dir: str = "playbooks"
    templates_dir: str = "templates"
    commands: Commands = Commands()
    access: Access = Access()
    people: dict[Slug, Person] = {}
    groups: dict[Slug, Group] = {}

    @model_validator(mode="after")
    def _people_exist(self) -> Config:
        for gid, group in self.groups.items():
            for person in group.members:
                if person not in self.people:
                    raise ValueError(f"group '{gid}' lists '{person}', who is not under `people`")
        return self

    def group_names(self) -> dict[str, str]:
        return {gid: g.name for gid, g in self.groups.items()}

    def person_of(self, user_id: str) -> str | None:
        """The configured person a Slack user id or Teams object id belongs to."""
        for person_id, person in self.people.items():
            if user_id in (person.slack_user, person.teams_user):
                return person_id
        return None


def load_config(path: str | Path | None = None) -> tuple[Config, Path]:
    """Load and validate the configuration; relative directories in it are resolved against the CWD."""
    file = Path(path) if path else DEFAULT_CONFIG
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the configuration ({exc.strerror})") from exc
    try:
        data, source = load_with_lines(text)
    except YamlSourceError as exc:
        raise ConfigError(f"{file}:{exc.line}: {exc.message}") from exc
    try:
        return Config.model_validate(data or {}), file
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc)
            msg = re.sub(r"^Value error, ", "", str(err["msg"]))
            lines.append(f"{file}:{source.line_of(loc)}: {where + ': ' if where else ''}{msg}")
        raise ConfigError("\n".join(lines)) from exc
