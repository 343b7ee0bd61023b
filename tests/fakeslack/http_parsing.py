"""Turning Slack-style HTTP requests into parameters: query string + form / multipart / JSON bodies."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from aiohttp import web

from .records import JsonDict, Params, SlackError, decode_json_fields


async def parse_params(request: web.Request, raw: bytes) -> Params:
    """Merge query string and body like Slack does: form-encoded, multipart or JSON; a body field wins."""
    values: JsonDict = dict(request.query)
    if request.content_type == "multipart/form-data":
        form = await request.post()
        values.update({key: value for key, value in form.items() if isinstance(value, str)})
    elif raw:
        if request.content_type == "application/json":
            try:
                decoded = json.loads(raw)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(decoded, dict):
                raise SlackError("invalid_json")
            values.update(decoded)
        elif request.content_type == "application/x-www-form-urlencoded":
            values.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        else:
            raise SlackError("invalid_post_type")
    return Params(decode_json_fields(values))


def parse_response_body(raw: bytes) -> JsonDict:
    # Bolt's respond() posts JSON; Slack also takes a form field payload=<json>.
    text = raw.decode("utf-8") if raw else "{}"
    if text.startswith("payload="):
        text = dict(parse_qsl(text))["payload"]
    try:
        body = json.loads(text)
    except ValueError:
        raise SlackError("invalid_payload") from None
    if not isinstance(body, dict):
        raise SlackError("invalid_payload")
    return body
