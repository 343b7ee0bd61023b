"""Which OAuth scope each Web API method needs, as Slack checks it: a method the app was not granted the scope for
answers `missing_scope` (with `needed` and `provided`), so a test catches a manifest that forgot one."""

from __future__ import annotations

from collections.abc import Collection

from .records import JsonDict, Params

# Methods whose scope depends on the conversation they read: public channel, private channel, DM, group DM.
_BY_CONVERSATION = {"C": "channels:history", "G": "groups:history", "D": "im:history"}

METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "chat.getPermalink": None,
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.getPresence": "users:read",
    "usergroups.users.list": "usergroups:read",
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
}


def needed_scope(method: str, params: Params) -> str | None:
    if method in ("conversations.history", "conversations.replies"):
        channel = str(params.get("channel") or "")
        return _BY_CONVERSATION.get(channel[:1], "channels:history")
    return METHOD_SCOPES.get(method)


def scope_error(method: str, params: Params, granted: Collection[str]) -> JsonDict | None:
    needed = needed_scope(method, params)
    if needed is None or needed in granted:
        return None
    return {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(sorted(granted))}
