"""The fake Slack refuses broken data_table and data_visualization blocks as Slack documents it (invalid_blocks),
takes well-formed ones, and can play a workspace that does not have them: driven by slack_sdk's client over HTTP."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakeslack import DEFAULT_CHANNEL_ID, FakeSlack

Block = dict[str, Any]


def bar() -> Block:
    days = ["Mon", "Tue", "Wed"]
    return {
        "type": "data_visualization",
        "title": "Daily volume",
        "chart": {
            "type": "bar",
            "series": [
                {"name": "Runs", "data": [{"label": d, "value": v} for d, v in zip(days, [3, 0, 5], strict=True)]},
                {"name": "Escalations", "data": [{"label": "Mon", "value": 1}]},
            ],
            "axis_config": {"categories": days, "x_label": "day", "y_label": "count"},
        },
    }


def pie() -> Block:
    return {
        "type": "data_visualization",
        "title": "Runs by outcome",
        "chart": {"type": "pie", "segments": [{"label": "Resolved", "value": 4}, {"label": "Escalated", "value": 1}]},
    }


def table(rows: int = 3) -> Block:
    header = [{"type": "raw_text", "text": h} for h in ("Step", "Escalations")]
    body = [[{"type": "raw_text", "text": f"step {i}"}, {"type": "raw_number", "value": i, "text": str(i)}]
            for i in range(rows)]  # fmt: skip
    return {"type": "data_table", "caption": "Where escalations come from", "page_size": 5, "rows": [header, *body]}


def named(chart: Block, name: str) -> Block:
    return {**chart["chart"]["series"][0], "name": name}


def broken(make: Callable[[], Block], change: Callable[[Block], object]) -> Block:
    block = copy.deepcopy(make())
    change(block)
    return block


BROKEN: dict[str, list[Block]] = {
    "chart title over 50": [broken(bar, lambda b: b.update(title="x" * 51))],
    "unknown chart type": [broken(bar, lambda b: b["chart"].update(type="scatter"))],
    "seven series": [broken(bar, lambda b: b["chart"].update(series=[named(b, f"s{i}") for i in range(7)]))],
    "duplicate series names": [broken(bar, lambda b: b["chart"]["series"][1].update(name="Runs"))],
    "series name over 20": [broken(bar, lambda b: b["chart"]["series"][1].update(name="Escalations raised today"))],
    "label not a category": [broken(bar, lambda b: b["chart"]["series"][1]["data"][0].update(label="Sun"))],
    "21 data points": [broken(bar, lambda b: b["chart"]["series"][1].update(data=[{"label": "Mon", "value": 1}] * 21))],
    "category over 20": [broken(bar, lambda b: b["chart"]["axis_config"]["categories"].append("x" * 21))],
    "no axis_config": [broken(bar, lambda b: b["chart"].pop("axis_config"))],
    "pie value of 0": [broken(pie, lambda b: b["chart"]["segments"][1].update(value=0))],
    "seven segments": [broken(pie, lambda b: b["chart"].update(segments=[{"label": "k", "value": 1}] * 7))],
    "three charts": [bar(), pie(), bar()],
    "table without caption": [broken(table, lambda b: b.pop("caption"))],
    "table with only a header": [table(rows=0)],
    "table of 101 rows": [table(rows=101)],
    "ragged row": [broken(table, lambda b: b["rows"][2].pop())],
    "21 columns": [broken(table, lambda b: b.update(rows=[[{"type": "raw_text", "text": "x"}] * 21] * 2))],
    "rich_text header": [broken(table, lambda b: b["rows"][0].__setitem__(0, {"type": "rich_text", "elements": []}))],
    "empty raw_text": [broken(table, lambda b: b["rows"][1][0].update(text=""))],
    "raw_number without value": [broken(table, lambda b: b["rows"][1][1].pop("value"))],
    "page_size 0": [broken(table, lambda b: b.update(page_size=0))],
    "table over 10,000 characters": [broken(table, lambda b: b["rows"][1][0].update(text="x" * 10_001))],
    "two tables over 10,000 together": [
        broken(table, lambda b: b["rows"][1][0].update(text="x" * 6_000)),
        broken(table, lambda b: b["rows"][1][0].update(text="y" * 6_000)),
    ],
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


async def test_well_formed_charts_and_tables_are_taken(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [bar(), pie(), table(rows=100)]
    answer = await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="digest", blocks=blocks)
    assert answer["ok"] and slack.messages[DEFAULT_CHANNEL_ID][-1]["blocks"] == blocks


WHY = {  # a word of the reason each is refused for, so that no case passes for another case's reason
    "chart title over 50": "title", "unknown chart type": "chart type", "seven series": "1 to 6 series",
    "duplicate series names": "unique names", "series name over 20": "unique names",
    "label not a category": "one of the categories", "21 data points": "1 to 20 data points",
    "category over 20": "categories", "no axis_config": "categories", "pie value of 0": "above 0",
    "seven segments": "1 to 6 segments", "three charts": "more than 2", "table without caption": "caption",
    "table with only a header": "1 to 100 rows", "table of 101 rows": "1 to 100 rows", "ragged row": "cells",
    "21 columns": "1 to 20 columns", "rich_text header": "header cell", "empty raw_text": "without text",
    "raw_number without value": "numeric value", "page_size 0": "page_size",
    "table over 10,000 characters": "10000 characters", "two tables over 10,000 together": "tables of a message",
}  # fmt: skip


@pytest.mark.parametrize("name", list(BROKEN))
async def test_broken_ones_are_refused_as_slack_refuses_them(name: str, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="digest", blocks=BROKEN[name])
    assert refused.value.response["error"] == "invalid_blocks"
    message = refused.value.response["response_metadata"]["messages"][0]
    assert message.startswith("[ERROR] ") and WHY[name] in message, message


async def test_a_workspace_without_the_new_blocks_refuses_them_everywhere(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.refuse_block_types("data_visualization")
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="digest", blocks=[pie()])
    assert "unsupported type: data_visualization" in refused.value.response["errors"][0]
    assert (await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="x", blocks=[table()]))["ok"]
    slack.refuse_block_types()
    assert (await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="digest", blocks=[pie()]))["ok"]
