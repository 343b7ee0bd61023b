"""auth.test, users.*, usergroups.users.list, conversations.open: who is who."""

from __future__ import annotations

from ..records import JsonDict, Params, SlackError
from ..workspace import Workspace
from .base import Handler

# conversations.open takes at most 8 other users (a multi-person DM).
MAX_MPIM_USERS = 8


def auth_test(ws: Workspace, p: Params) -> JsonDict:
    # Bolt's single-workspace authorization reads user_id, bot_id and team_id from this on the first request.
    return {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": "Fake Slack Team",
        "user": "fakebot",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def users_info(ws: Workspace, p: Params) -> JsonDict:
    return {"user": ws.get_user(str(p.require("user", "user_not_found")))}


def users_get_presence(ws: Workspace, p: Params) -> JsonDict:
    user_id = p.string("user") or ws.bot_user_id
    if user_id != ws.bot_user_id:
        ws.get_user(user_id)  # user_not_found for unknown users when auto_users is off
    # Slack gives the detailed fields only for the token's own user; for others just "presence".
    return {"presence": ws.presence.get(user_id, "active")}


def usergroups_users_list(ws: Workspace, p: Params) -> JsonDict:
    group = str(p.require("usergroup", "no_such_subteam"))
    if group not in ws.usergroups:
        raise SlackError("no_such_subteam")
    return {"users": list(ws.usergroups[group])}


def conversations_open(ws: Workspace, p: Params) -> JsonDict:
    channel = p.string("channel")
    if channel:
        return {"no_op": True, "already_open": True, "channel": {"id": channel}}
    users = [u.strip() for u in str(p.require("users", "users_list_not_supplied")).split(",") if u.strip()]
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > MAX_MPIM_USERS:
        raise SlackError("too_many_users")
    for user_id in users:
        ws.get_user(user_id)
    channel_id, existed = ws.dm_channel(users)
    return {"no_op": existed, "already_open": existed, "channel": {"id": channel_id}}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.getPresence": users_get_presence,
    "usergroups.users.list": usergroups_users_list,
    "conversations.open": conversations_open,
}
