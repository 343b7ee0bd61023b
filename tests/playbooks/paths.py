"""Every root-to-end path of the shipped playbooks (`PATHS`), and walking one with generated values (`follow`).

The Slack and Teams walks click through the same `PATHS` (through tests/test_playbook_paths.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from chatbot.domain.run import Choose
from chatbot.engine.schema import StepKind
from tests.playbooks.walking import SEEDS, Walk, playbook


@dataclass(frozen=True)
class PlaybookPath:
    playbook: str
    moves: tuple[tuple[str, int | None], ...]  # (step id, choice index for a question)
    end: str

    @property
    def id(self) -> str:
        return f"{self.playbook}:{'>'.join(s if i is None else f'{s}[{i}]' for s, i in self.moves)}>{self.end}"


def all_paths(pid: str) -> Iterator[PlaybookPath]:
    """Every root-to-end path of a playbook (ends are outcomes and jumps), one per choice taken."""
    pb = playbook(pid)

    def go(step_id: str, moves: tuple[tuple[str, int | None], ...]) -> Iterator[PlaybookPath]:
        step = pb.steps[step_id]
        if step.kind in (StepKind.OUTCOME, StepKind.JUMP):
            yield PlaybookPath(pid, moves, step_id)
        elif step.kind == StepKind.QUESTION:
            for i, choice in enumerate(step.choices):
                yield from go(choice.next, (*moves, (step_id, i)))
        else:
            assert step.next is not None
            yield from go(step.next, (*moves, (step_id, None)))

    yield from go(pb.spec.start, ())


PATHS = [p for pid in SEEDS for p in all_paths(pid)]


def follow(
    path: PlaybookPath,
    preset: Mapping[str, str] | None = None,
    free_text: str | None = None,
    fill_optional: bool = True,
    values: Mapping[str, str] | None = None,
) -> Walk:
    """Walk `path`: forms get `values` where they have those fields, else samples (`free_text` for free text).
    A form the preset already answers (`skip_when_known`) is passed by the engine and skipped here."""
    w = Walk.start(path.playbook, preset)
    for step_id, choice in path.moves:
        step = playbook(path.playbook).steps[step_id]
        if w.where != (path.playbook, step_id) and step.kind == StepKind.COLLECT and step.skip_when_known:
            assert w.passed(step_id, path.playbook), f"{path.id}: {step_id} neither asked nor passed"
            continue
        assert w.where == (path.playbook, step_id), path.id
        if step.kind == StepKind.QUESTION:
            assert choice is not None
            w.act(Choose(choice))
        elif step.kind == StepKind.COLLECT:
            given = {f.id: (values or {})[f.id] for f in step.fields if f.id in (values or {})}
            w.submit(given, free_text=free_text, fill_optional=fill_optional)
        else:
            w.proceed()
    return w
