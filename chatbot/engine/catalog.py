"""Load, lint and assemble everything the engine needs, once, from the configuration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chatbot.config import Config
from chatbot.domain.errors import Issue, PlaybookErrors
from chatbot.engine.linter import lint
from chatbot.engine.loader import Catalog, load_catalog
from chatbot.engine.machine import Engine
from chatbot.rendering.templates import Renderer


@dataclass(frozen=True)
class Checked:
    engine: Engine
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog


def check_playbooks(config: Config, paths: Iterable[str | Path] | None = None) -> Checked:
    """Load and lint the playbooks named (default: the configured folder); never raises for bad playbooks."""
    catalog, issues = load_catalog(list(paths) if paths else [config.playbooks_dir])
    renderer = Renderer(config.templates_dir)
    issues = sorted(issues + lint(catalog, renderer, config.groups.keys()))
    return Checked(Engine(catalog, renderer, config.group_names()), issues)


def build_engine(config: Config) -> Engine:
    """The engine for the app; refuses to start on any playbook error, as `chatbot validate` would report it."""
    checked = check_playbooks(config)
    if checked.errors:
        raise PlaybookErrors(checked.errors)
    if not len(checked.catalog):
        raise PlaybookErrors([Issue(config.playbooks_dir, 1, None, "no playbooks found")])
    return checked.engine
