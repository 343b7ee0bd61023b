"""Parse YAML while remembering the line of every key and item, so errors can say `file:line`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlSourceError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class SourceMap:
    """Line numbers (1-based) of every node, keyed by its path from the document root."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its closest ancestor that was recorded."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return 1


# libyaml's parser keeps line marks too and is ~10x faster on 2,000-step playbooks; fall back when absent.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """YAML 1.2 booleans: only true/false. Support leads write `label: Yes` and mean the word."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_with_lines(text: str) -> tuple[Any, SourceMap]:
    """Return the plain Python data of a YAML document and where each piece of it stands."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        context = ""
        if exc.context and exc.context_mark:
            context = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise YamlSourceError(line, f"invalid YAML: {exc.problem or exc}{context}") from exc
    smap = SourceMap()
    if node is None:
        return None, smap
    constructor = _Loader(text)  # only its scalar resolution is used, never its parser
    try:
        return _build(node, (), smap, constructor), smap
    finally:
        constructor.dispose()


def _build(node: yaml.Node, path: Path, smap: SourceMap, ctor: _Loader) -> Any:
    smap.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                raise YamlSourceError(key_node.start_mark.line + 1, f"mapping key {key!r} must be text")
            key = str(key)
            if key in out:
                raise YamlSourceError(key_node.start_mark.line + 1, f"duplicate key '{key}'")
            smap.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), smap, ctor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), smap, ctor) for i, item in enumerate(node.value)]
    return ctor.construct_object(node, deep=True)
