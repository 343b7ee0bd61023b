"""views.open / push / update / publish, with Slack's trigger_id rules (once, within 3 s) and modal stack limit."""

from __future__ import annotations

from typing import Any

from ..records import JsonDict, Params, SlackError
from ..validation import check_view
from ..workspace import MAX_VIEW_STACK, Workspace
from .base import Handler

# Keys Slack fills in on every view it returns, with their defaults.
_VIEW_DEFAULTS: JsonDict = {
    "private_metadata": "",
    "callback_id": "",
    "external_id": "",
    "clear_on_close": False,
    "notify_on_close": False,
    "close": None,
    "submit": None,
}


def _build_view(ws: Workspace, view: JsonDict, *, view_id: str, root_view_id: str, previous: str | None) -> JsonDict:
    built: JsonDict = {"id": view_id, "team_id": ws.team_id, "type": view["type"], "blocks": view.get("blocks", [])}
    for key, default in _VIEW_DEFAULTS.items():
        built[key] = view.get(key, default)
    built.update(
        {
            "title": view.get("title"),
            "state": {"values": {}},
            "hash": ws.id_factory.view_hash(),
            "previous_view_id": previous,
            "root_view_id": root_view_id,
            "app_id": ws.app_id,
            "app_installed_team_id": ws.team_id,
            "bot_id": ws.bot_id,
        }
    )
    return built


def _checked_view(p: Params) -> JsonDict:
    view: Any = p.structured("view")
    if view is None:
        raise SlackError("invalid_arguments")
    check_view(view)
    external_id = view.get("external_id")
    return dict(view, external_id=external_id or "")


def _check_external_id_free(ws: Workspace, external_id: str, except_id: str | None = None) -> None:
    if external_id and any(v["external_id"] == external_id and v["id"] != except_id for v in ws.views.values()):
        raise SlackError("duplicate_external_id")


def _trigger_id(p: Params) -> str:
    # Slack also accepts interactivity_pointer (from workflow steps) in place of trigger_id.
    return str(p.get("trigger_id") or p.require("interactivity_pointer", "invalid_arguments"))


def views_open(ws: Workspace, p: Params) -> JsonDict:
    view = _checked_view(p)
    _check_external_id_free(ws, view["external_id"])
    trigger = ws.exchange_trigger(_trigger_id(p))
    view_id = ws.id_factory.make("V")
    built = _build_view(ws, view, view_id=view_id, root_view_id=view_id, previous=None)
    ws.views[view_id] = built
    ws.view_stacks[trigger.user_id] = [view_id]  # a new modal replaces whatever stack the user had
    return {"view": built}


def views_push(ws: Workspace, p: Params) -> JsonDict:
    view = _checked_view(p)
    _check_external_id_free(ws, view["external_id"])
    trigger_id = _trigger_id(p)
    record = ws.triggers.get(trigger_id)
    stack = ws.view_stacks[record.user_id] if record else []
    if len(stack) >= MAX_VIEW_STACK:
        raise SlackError("push_limit_reached")
    trigger = ws.exchange_trigger(trigger_id)
    view_id = ws.id_factory.make("V")
    root = stack[0] if stack else view_id
    built = _build_view(ws, view, view_id=view_id, root_view_id=root, previous=stack[-1] if stack else None)
    ws.views[view_id] = built
    ws.view_stacks[trigger.user_id].append(view_id)
    return {"view": built}


def views_update(ws: Workspace, p: Params) -> JsonDict:
    view = _checked_view(p)
    view_id, external_id = p.string("view_id"), p.string("external_id")
    if not view_id and not external_id:
        raise SlackError("invalid_arguments")
    current = ws.views.get(view_id) if view_id else None
    if current is None and external_id:
        current = next((v for v in ws.views.values() if v["external_id"] == external_id), None)
    if current is None:
        raise SlackError("not_found")
    expected_hash = p.string("hash")
    if expected_hash and expected_hash != current["hash"]:
        raise SlackError("hash_conflict")  # someone updated the view since the caller read it
    _check_external_id_free(ws, view["external_id"], except_id=current["id"])
    built = _build_view(
        ws, view, view_id=current["id"], root_view_id=current["root_view_id"], previous=current["previous_view_id"]
    )
    built["state"] = current["state"]  # Slack keeps what the user typed into inputs that still exist
    ws.views[current["id"]] = built
    return {"view": built}


def views_publish(ws: Workspace, p: Params) -> JsonDict:
    user_id = str(p.require("user_id", "invalid_arguments"))
    view = _checked_view(p)
    if view["type"] != "home":
        raise SlackError("invalid_arguments")
    current = ws.home_views.get(user_id)
    expected_hash = p.string("hash")
    if current and expected_hash and expected_hash != current["hash"]:
        raise SlackError("hash_conflict")
    view_id = current["id"] if current else ws.id_factory.make("V")
    built = _build_view(ws, view, view_id=view_id, root_view_id=view_id, previous=None)
    ws.home_views[user_id] = built
    return {"view": built}


METHODS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
