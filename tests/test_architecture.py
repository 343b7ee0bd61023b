"""The shape the code keeps: a core that knows no surface, listeners that reach no storage, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chatbot"
CORE = ("domain", "engine", "rendering", "scheduler", "services", "storage")
SURFACES = ("chatbot.adapters", "slack_sdk", "slack_bolt", "microsoft_agents", "aiohttp.web")
MAX_LINES = 400


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", modules(*CORE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_imports_no_surface(path: Path) -> None:
    bad = sorted(name for name in imports(path) if name.startswith(SURFACES))
    assert bad == [], f"{path.relative_to(PACKAGE)} imports {bad}"


# What answers a person in Teams: the handler of every turn and the modules it calls.
TEAMS_TURNS = tuple(
    f"adapters/teams/{name}.py"
    for name in (
        "handler",
        "playbooks",
        "escalation_actions",
        "commands",
        "installs",
        "sessions",
        "context",
        "refs",
        "digest_command",
        "case_actions",
        "case_command",
    )
)


def listeners() -> list[Path]:
    return [*modules("adapters/slack/listeners"), *(PACKAGE / name for name in TEAMS_TURNS)]


@pytest.mark.parametrize("path", listeners(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_listeners_reach_no_storage(path: Path) -> None:
    bad = sorted(name for name in imports(path) if name.startswith(("chatbot.storage", "sqlalchemy", "asyncpg")))
    assert bad == [], f"{path.relative_to(PACKAGE)} imports {bad}"
    # ...nor through a service's store (`deps.triage.store.x`): a service's method is the way in
    tree = ast.parse(path.read_text(encoding="utf-8"))
    through = sorted(n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "store")
    assert through == [], f"{path.relative_to(PACKAGE)} reaches a store on lines {through}"


def test_no_module_passes_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in modules("") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
