"""Slack's 2026 data blocks, checked as Slack documents them, so that a digest the fake takes is one Slack takes.

- ``data_table`` (docs.slack.dev/reference/block-kit/blocks/data-table-block): ``caption`` required; ``rows`` is a
  header plus 1-100 rows (2-101 in all), 1-20 columns, every row the same length; cells are ``raw_text`` (non-empty
  ``text``), ``raw_number`` (numeric ``value``, optional non-empty ``text``) or ``rich_text`` (not in the header);
  ``page_size`` 1-100; ``row_header_column_index`` a column; at most 10,000 characters across the cells of a table,
  and of all the tables of a message.
- ``data_visualization`` (.../data-visualization-block): ``title`` 1-50 characters; ``chart.type`` pie, bar, area
  or line; a pie has 1-6 ``segments`` (``label`` at most 20 characters, ``value`` above 0); bar, area and line have
  1-6 ``series`` with unique ``name``s of at most 20 characters, each 1-20 ``data`` points whose ``label`` (at most
  20) is one of ``axis_config.categories`` (each at most 20), with a numeric ``value``; ``x_label`` and ``y_label``
  at most 50; at most 2 such blocks in a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_CHARTS = 2
MAX_TABLE_CHARS = 10_000
CHART_TYPES = ("pie", "bar", "area", "line")
SHORT = 20
TITLE = 50

Fail = Callable[[str], Exception]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short(value: Any, limit: int = SHORT) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def check_data_table(block: dict[str, Any], where: str, fail: Fail) -> int:
    """Raise `fail(...)` on a broken table; return the characters its cells hold (the message budget counts them)."""
    caption = block.get("caption")
    if not isinstance(caption, str) or not caption:
        raise fail(f"data_table without a caption at {where}")
    rows = block.get("rows")
    if not isinstance(rows, list) or not 2 <= len(rows) <= 101:
        raise fail(f"data_table needs a header and 1 to 100 rows at {where}")
    width = len(rows[0]) if isinstance(rows[0], list) else 0
    if not 1 <= width <= 20:
        raise fail(f"data_table needs 1 to 20 columns at {where}")
    chars = 0
    for r, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            raise fail(f"data_table row {r} does not have {width} cells at {where}")
        for c, cell in enumerate(row):
            kind = cell.get("type") if isinstance(cell, dict) else None
            if kind == "raw_text":
                if not isinstance(cell.get("text"), str) or not cell["text"]:
                    raise fail(f"raw_text cell without text at {where}/rows/{r}/{c}")
            elif kind == "raw_number":
                if not _number(cell.get("value")) or ("text" in cell and not _short(cell["text"], 10_000)):
                    raise fail(f"raw_number cell without a numeric value at {where}/rows/{r}/{c}")
            elif kind == "rich_text":
                if r == 0:
                    raise fail(f"rich_text cannot be a header cell at {where}/rows/0/{c}")
            else:
                raise fail(f"unknown cell type {kind!r} at {where}/rows/{r}/{c}")
            chars += len(str(cell.get("text", "")))
    page_size = block.get("page_size", 5)
    if not isinstance(page_size, int) or not 1 <= page_size <= 100:
        raise fail(f"data_table page_size must be 1 to 100 at {where}")
    header_index = block.get("row_header_column_index", 0)
    if not isinstance(header_index, int) or not 0 <= header_index < width:
        raise fail(f"data_table row_header_column_index out of range at {where}")
    if chars > MAX_TABLE_CHARS:
        raise fail(f"data_table cells hold more than {MAX_TABLE_CHARS} characters at {where}")
    return chars


def check_data_visualization(block: dict[str, Any], where: str, fail: Fail) -> None:
    if not _short(block.get("title"), TITLE):
        raise fail(f"data_visualization title must be 1 to {TITLE} characters at {where}")
    chart = block.get("chart")
    kind = chart.get("type") if isinstance(chart, dict) else None
    if kind not in CHART_TYPES:
        raise fail(f"data_visualization chart type must be one of {', '.join(CHART_TYPES)} at {where}")
    assert isinstance(chart, dict)
    if kind == "pie":
        segments = chart.get("segments")
        if not isinstance(segments, list) or not 1 <= len(segments) <= 6:
            raise fail(f"a pie chart needs 1 to 6 segments at {where}")
        for segment in segments:
            if not _short(segment.get("label")) or not _number(segment.get("value")) or segment["value"] <= 0:
                raise fail(f"a pie segment needs a label of at most {SHORT} and a value above 0 at {where}")
        return
    axis = chart.get("axis_config")
    categories = axis.get("categories") if isinstance(axis, dict) else None
    if not isinstance(categories, list) or not categories or not all(_short(c) for c in categories):
        raise fail(f"axis_config needs categories of at most {SHORT} characters at {where}")
    assert isinstance(axis, dict)
    for key in ("x_label", "y_label"):
        if key in axis and not _short(axis[key], TITLE):
            raise fail(f"axis_config {key} must be 1 to {TITLE} characters at {where}")
    series = chart.get("series")
    if not isinstance(series, list) or not 1 <= len(series) <= 6:
        raise fail(f"a {kind} chart needs 1 to 6 series at {where}")
    names = [s.get("name") for s in series]
    if not all(_short(n) for n in names) or len(set(names)) != len(names):
        raise fail(f"series need unique names of at most {SHORT} characters at {where}")
    for s in series:
        data = s.get("data")
        if not isinstance(data, list) or not 1 <= len(data) <= 20:
            raise fail(f"a series needs 1 to 20 data points at {where}")
        for point in data:
            if point.get("label") not in categories or not _number(point.get("value")):
                raise fail(f"a data point's label must be one of the categories, its value a number, at {where}")
