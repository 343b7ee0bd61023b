"""Read playbook files into validated models; every problem is reported as `file:line: step: message`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatbot.domain.errors import Issue, UnknownPlaybook
from chatbot.engine.schema import Playbook, Step
from chatbot.yamlsource import SourceMap, YamlSourceError, load_with_lines


@dataclass(frozen=True)
class LoadedPlaybook:
    spec: Playbook
    path: str
    version: str
    source: SourceMap
    steps: Mapping[str, Step] = field(repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    def step_index(self, step_id: str) -> int:
        for i, s in enumerate(self.spec.steps):
            if s.id == step_id:
                return i
        raise KeyError(step_id)

    def line(self, step_id: str | None, *path: str | int) -> int:
        """Line of a step (or of something inside it) in the playbook file."""
        if step_id is None:
            return self.source.line_of(tuple(path))
        try:
            index = self.step_index(step_id)
        except KeyError:
            return 1
        return self.source.line_of(("steps", index, *path))


@dataclass
class Catalog:
    """The playbooks the app serves, by id."""

    playbooks: dict[str, LoadedPlaybook] = field(default_factory=dict)

    def get(self, playbook_id: str) -> LoadedPlaybook:
        try:
            return self.playbooks[playbook_id]
        except KeyError:
            raise UnknownPlaybook(f"There is no playbook '{playbook_id}'.") from None

    def __iter__(self) -> Iterator[LoadedPlaybook]:
        return iter(sorted(self.playbooks.values(), key=lambda p: p.spec.title.lower()))

    def __len__(self) -> int:
        return len(self.playbooks)

    def search(self, text: str) -> list[LoadedPlaybook]:
        """Playbooks whose id is `text`; else those whose id or title holds its words as a phrase ("clever login"
        is "Clever login triage", not every playbook with both words somewhere); else those whose id, title or
        keywords contain every word of it. `chatbot try`, `/triage` in Slack and `triage` in Teams all use this."""
        wanted = text.strip().lower()
        if wanted in self.playbooks:
            return [self.playbooks[wanted]]
        phrase = _normalized(wanted)
        if not phrase:
            return []
        found = [pb for pb in self if phrase in _normalized(pb.id) or phrase in _normalized(pb.spec.title)]
        if found:
            return found
        words = phrase.split()
        return [pb for pb in self if all(w in _haystack(pb) for w in words)]


def _normalized(text: str) -> str:
    """Lower case, with `-`, `_` and runs of spaces as one space: the id `clever-login-triage` reads as words."""
    return " ".join(re.split(r"[\s_-]+", text.lower())).strip()


def _haystack(pb: LoadedPlaybook) -> str:
    return _normalized(" ".join((pb.id, pb.spec.title, *pb.spec.keywords)))


def parse_playbook(text: str, path: str) -> tuple[LoadedPlaybook | None, list[Issue]]:
    """Parse one playbook's text; return it (or None) and the schema problems found."""
    try:
        data, source = load_with_lines(text)
    except YamlSourceError as exc:
        return None, [Issue(path, min(exc.line, text.count("\n") or 1), None, exc.message)]
    if not isinstance(data, dict):
        return None, [Issue(path, 1, None, "a playbook file must be a mapping with id, title, steps, ...")]
    try:
        spec = Playbook.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # pydantic adds "too short" for a list whose items all failed; the item errors say more.
        inner = {tuple(e["loc"][:-1]) for e in errors if len(e["loc"]) > 1}
        errors = [
            e
            for e in errors
            if not (e["type"] == "too_short" and any(loc[: len(e["loc"])] == tuple(e["loc"]) for loc in inner))
        ]
        return None, [_issue_from_error(err, data, source, path) for err in errors]
    steps = {}
    issues = []
    for i, step in enumerate(spec.steps):
        if step.id in steps:
            issues.append(Issue(path, source.line_of(("steps", i, "id")), step.id, "duplicate step id"))
        steps[step.id] = step
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return LoadedPlaybook(spec, path, version, source, steps), issues


def _issue_from_error(err: Any, data: dict[str, Any], source: SourceMap, path: str) -> Issue:
    loc = tuple(err["loc"])
    step_id = None
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps")
        if isinstance(steps, list) and loc[1] < len(steps) and isinstance(steps[loc[1]], dict):
            step_id = steps[loc[1]].get("id")
        inner = [str(p) for p in loc[2:]]
    else:
        inner = [str(p) for p in loc]
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        message = f"`{inner[-1]}` is required" if inner else "a value is required"
        inner = inner[:-1]
    elif err["type"] == "extra_forbidden":
        message = f"unknown key `{inner[-1]}`"
    elif inner:
        message = f"`{'.'.join(inner)}`: {message}"
    return Issue(path, source.line_of(loc), str(step_id) if step_id is not None else None, message)


def playbook_files(paths: Iterable[str | Path]) -> list[Path]:
    """The `*.yaml`/`*.yml` files named, or found directly inside the folders named."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file()))
        else:
            found.append(p)
    return found


def load_catalog(paths: Iterable[str | Path]) -> tuple[Catalog, list[Issue]]:
    """Load every playbook; a file that fails is left out of the catalog and its issues returned."""
    catalog = Catalog()
    issues: list[Issue] = []
    for file in playbook_files(paths):
        shown = _display_path(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Issue(shown, 1, None, f"cannot read: {exc}"))
            continue
        pb, found = parse_playbook(text, shown)
        issues.extend(found)
        if pb is None:
            continue
        if pb.id in catalog.playbooks:
            other = catalog.playbooks[pb.id].path
            issues.append(Issue(shown, pb.line(None, "id"), None, f"playbook id '{pb.id}' is also used by {other}"))
            continue
        catalog.playbooks[pb.id] = pb
    return catalog, issues


def _display_path(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)
