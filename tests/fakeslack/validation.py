"""The Block Kit limits Slack enforces server-side and slack_sdk does not (or only in its model classes).

Only the limits the app can plausibly hit are checked, so that a test against the fake fails the way production
would (``invalid_blocks``) instead of passing. Numbers: shared/reference/slack-platform.md section 3.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .data_blocks import MAX_CHARTS, MAX_TABLE_CHARS, check_data_table, check_data_visualization
from .records import SlackError

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_ID_LENGTH = 255
MAX_TEXT_OBJECT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000


def _fail(message: str) -> SlackError:
    # Slack explains invalid_blocks in response_metadata.messages with an "[ERROR] ..." line.
    return SlackError("invalid_blocks", errors=[message], response_metadata={"messages": [f"[ERROR] {message}"]})


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _check_element(element: Any, where: str, action_ids: set[str]) -> None:
    if not isinstance(element, dict) or "type" not in element:
        raise _fail(f"element without type in {where}")
    action_id = element.get("action_id")
    if action_id is not None:
        if len(action_id) > MAX_ID_LENGTH:
            raise _fail(f"action_id longer than {MAX_ID_LENGTH} in {where}")
        if action_id in action_ids:
            raise _fail(f"duplicate action_id {action_id!r} in {where}")
        action_ids.add(action_id)
    if element["type"] == "button":
        if len(_text_of(element.get("text"))) > MAX_BUTTON_TEXT:
            raise _fail(f"button text longer than {MAX_BUTTON_TEXT} in {where}")
        if len(element.get("value", "")) > MAX_BUTTON_VALUE:
            raise _fail(f"button value longer than {MAX_BUTTON_VALUE} in {where}")


def check_blocks(blocks: Any, max_blocks: int, unsupported: Collection[str] = ()) -> None:
    """`unsupported`: block types this workspace (or its clients) does not take, which Slack refuses outright."""
    if blocks is None:
        return
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if len(blocks) > max_blocks:
        raise _fail(f"more than {max_blocks} items in blocks")
    block_ids: set[str] = set()
    charts = table_chars = 0
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        if not isinstance(block, dict) or "type" not in block:
            raise _fail(f"block without type at {where}")
        if block["type"] in unsupported:
            raise _fail(f"unsupported type: {block['type']} at {where}")
        if block["type"] == "data_visualization":
            charts += 1
            if charts > MAX_CHARTS:
                raise _fail(f"more than {MAX_CHARTS} data_visualization blocks in a message at {where}")
            check_data_visualization(block, where, _fail)
        if block["type"] == "data_table":
            table_chars += check_data_table(block, where, _fail)
            if table_chars > MAX_TABLE_CHARS:
                raise _fail(f"the tables of a message hold more than {MAX_TABLE_CHARS} characters at {where}")
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > MAX_ID_LENGTH or block_id in block_ids:
                raise _fail(f"invalid or duplicate block_id at {where}")
            block_ids.add(block_id)
        if block["type"] == "header" and len(_text_of(block.get("text"))) > MAX_HEADER_TEXT:
            raise _fail(f"header text longer than {MAX_HEADER_TEXT} at {where}")
        if block["type"] == "section" and len(_text_of(block.get("text"))) > MAX_TEXT_OBJECT:
            raise _fail(f"section text longer than {MAX_TEXT_OBJECT} at {where}")
        # Action ids only need to be unique within a block for messages; per block is the safe common rule.
        action_ids: set[str] = set()
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            _check_element(element, where, action_ids)
        for key in ("accessory", "element"):
            if key in block:
                _check_element(block[key], where, action_ids)


def check_message_content(text: Any, blocks: Any, attachments: Any, unsupported: Collection[str] = ()) -> None:
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    check_blocks(blocks, MAX_MESSAGE_BLOCKS, unsupported)


def check_view(view: Any) -> None:
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    if view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] unsupported view type"]})
    if view["type"] == "modal" and not 0 < len(_text_of(view.get("title"))) <= MAX_VIEW_TITLE:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] invalid title"]})
    if len(view.get("private_metadata", "")) > MAX_PRIVATE_METADATA:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] private_metadata too long"]})
    if len(view.get("callback_id", "")) > MAX_ID_LENGTH:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] callback_id too long"]})
    check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
