"""Load, lint and assemble everything the engine needs, once, from the configuration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chatbot.config import Config
from chatbot.domain.errors import Issue, PlaybookErrors
from chatbot.engine.config_rules import internal_terms_in_links, internal_terms_in_replies, people_named, unused_groups
from chatbot.engine.linter import lint
from chatbot.engine.loader import Catalog, load_catalog
from chatbot.engine.machine import Engine
from chatbot.rendering.templates import Renderer


@dataclass(frozen=True)
class Checked:
    engine: Engine
    issues: list[Issue]
    named: frozenset[str] | None = None  # ids of the playbooks checked when files were named; None: all of them

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog

    @property
    def checked(self) -> int:
        """How many playbooks were checked (the catalog also holds the folder's, for jumps, when files are named)."""
        return len(self.catalog) if self.named is None else len(self.named)


def check_playbooks(config: Config, paths: Iterable[str | Path] | None = None) -> Checked:
    """Load and lint the playbooks named (default: the configured folder); never raises for bad playbooks.

    Named files are checked against the configured folder's playbooks too, so a jump to a playbook in another file
    resolves; only the named files' problems (and the templates') are reported."""
    named = list(paths) if paths else None
    if named is None:
        catalog, issues = _load_folder(config)
        only = None
    else:
        catalog, issues = load_catalog(named)
        only = frozenset(catalog.playbooks)
        _add_folder(catalog, config.playbooks_dir)
    renderer = Renderer(config.templates_dir, {"links": config.links_text(), "people": config.names()})
    issues += lint(catalog, renderer, config.groups.keys(), only)
    issues += internal_terms_in_replies(catalog, renderer, config.internal_only_terms, only)
    issues += internal_terms_in_links(config)
    issues += people_named(catalog, config, only)
    if only is None:  # whether a group is used can only be told from every playbook
        issues += unused_groups(catalog, config)
    signatures = {key: procedure.signature for key, procedure in config.procedures.items()}
    return Checked(Engine(catalog, renderer, config.group_names(), signatures), sorted(issues), only)


def _load_folder(config: Config) -> tuple[Catalog, list[Issue]]:
    if not Path(config.playbooks_dir).is_dir():
        where = config.located("playbooks_dir")
        said = f" (`playbooks_dir` at {where[0]}:{where[1]}, relative to that file's folder)" if where else ""
        return Catalog(), [Issue(config.playbooks_dir, 1, None, f"no such folder{said}")]
    return load_catalog([config.playbooks_dir])


def _add_folder(catalog: Catalog, folder: str) -> None:
    """The folder's playbooks, for jumps to resolve against; a named file wins over the folder's copy of its id.
    The folder's own problems are not the named files' and are left out."""
    others, _ = load_catalog([folder]) if Path(folder).is_dir() else (Catalog(), [])
    for pb_id, pb in others.playbooks.items():
        catalog.playbooks.setdefault(pb_id, pb)


def build_engine(config: Config) -> Engine:
    """The engine for the app; refuses to start on any playbook error, as `chatbot validate` would report it."""
    checked = check_playbooks(config)
    if checked.errors:
        raise PlaybookErrors(checked.errors)
    if not len(checked.catalog):
        raise PlaybookErrors([Issue(config.playbooks_dir, 1, None, "no playbooks found")])
    return checked.engine
