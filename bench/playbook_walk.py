"""The clicks a simulated agent makes: every way through a playbook by buttons alone (forms are skipped), then Restart.

The bench knows the playbook, so agents need not read the message back after each click: a button's value is
``{"p":1,"r":run_id,"v":version[,"c":choice]}`` (chatbot/adapters/slack/ids.py) and every accepted click, Restart
included, raises the run's version by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatbot.adapters.slack import ids
from chatbot.adapters.slack.blocks import session_message
from chatbot.config import Config, load_config
from chatbot.domain.run import Action, Answer, Choose, Continue, RunState
from chatbot.engine.catalog import build_engine
from chatbot.engine.machine import Engine

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "example.yaml"
AT = "2024-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class Click:
    action_id: str
    label: str
    choice: int | None = None

    def value(self, run_id: str, version: int) -> str:
        return ids.RunRef(run_id, version, self.choice).encode()


RESTART = Click(ids.RESTART, "Restart")


def example_config() -> Config:
    config, _ = load_config(CONFIG)
    data = {**config.model_dump(), "playbooks_dir": str(ROOT / "playbooks"), "templates_dir": str(ROOT / "templates")}
    return Config.model_validate(data)


def example_engine() -> tuple[Engine, Config]:
    config = example_config()
    return build_engine(config), config


def _moves(engine: Engine, state: RunState) -> list[tuple[Click, Action]]:
    view = engine.view(state)
    if view.kind == "question":
        return [(Click(f"{ids.CHOICE_PREFIX}{c.index}", c.label, c.index), Choose(c.index)) for c in view.choices]
    if view.kind == "instructions":
        return [(Click(ids.CONTINUE, view.continue_label or "Continue"), Continue())]
    return []  # a form (needs a modal), or an outcome


def button_walks(engine: Engine, playbook_id: str, max_walks: int = 64, max_depth: int = 20) -> list[tuple[Click, ...]]:
    """Every click sequence from the start to an outcome without a form (depth-first, at most `max_walks`)."""
    walks: list[tuple[Click, ...]] = []

    def walk(state: RunState, path: tuple[Click, ...]) -> None:
        if len(walks) >= max_walks or len(path) > max_depth:
            return
        if engine.view(state).kind == "outcome":
            walks.append(path)
            return
        for click, action in _moves(engine, state):
            walk(engine.step(state, Answer(action, state.version, "U0BENCH", AT)), (*path, click))

    walk(engine.start(playbook_id, "U0BENCH", AT), ())
    if not walks:
        raise ValueError(f"no way through {playbook_id} by buttons alone")
    return walks


def first_message(engine: Engine, config: Config, playbook_id: str, run_id: str, owner: str) -> dict[str, object]:
    """The session message the app posts for a new run (text and blocks), for the bare app's identical payloads."""
    state = engine.start(playbook_id, owner, AT)
    msg = session_message(engine.view(state), run_id, owner, config.groups)
    return {"text": msg.text, "blocks": msg.as_dicts()}
