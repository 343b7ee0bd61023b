"""People in Teams messages: names for the ids the services hold, and `<at>` mentions that only our code builds.

Services hold whatever id a person acted with (a Slack user id, a Teams user's Entra object id); the configuration
links both to one person and their name. A mention is built only from a configured Entra object id and the
configured name, never from anything a user typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from microsoft_agents.activity import ChannelAccount, EntityTypes, Mention

from chatbot.config import Config

_TAG = re.compile(r"[<>]")


def name_of(config: Config, user_id: str | None) -> str | None:
    """The configured name of whoever `user_id` (Slack or Teams) belongs to; None for someone not configured."""
    if not user_id:
        return None
    person = config.person_of(user_id)
    return config.people[person].name if person else None


def shown(config: Config, user_id: str | None, fallback: str = "someone") -> str:
    """A name to show (RAW text): the configured one, else `fallback` (never a bare id from another surface)."""
    return name_of(config, user_id) or fallback


def mention(aad_object_id: str, name: str) -> tuple[str, Mention]:
    """The `<at>name</at>` text and the entity that makes Teams notify that person."""
    label = _TAG.sub("", name).strip() or "you"
    text = f"<at>{label}</at>"
    return text, Mention(type=EntityTypes.MENTION, text=text, mentioned=ChannelAccount(id=aad_object_id, name=label))


def mentions(config: Config, person_ids: Sequence[str]) -> tuple[list[str], list[Mention], list[str]]:
    """Mentions for configured people: (texts, entities, names of those without a Teams identity)."""
    texts: list[str] = []
    entities: list[Mention] = []
    unreachable: list[str] = []
    for person_id in dict.fromkeys(person_ids):
        person = config.people[person_id]
        if person.teams_user is None:
            unreachable.append(person.name)
            continue
        text, entity = mention(person.teams_user, person.name)
        texts.append(text)
        entities.append(entity)
    return texts, entities, unreachable
