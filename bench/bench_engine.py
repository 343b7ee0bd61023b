"""Engine benchmark: load + lint the shipped playbooks, a generated 2,000-step playbook, one transition.

Run: .venv/bin/python -m bench.bench_engine    (prints figures; targets: 200 ms, 1 s, 50 µs)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from chatbot.config import load_config
from chatbot.domain.run import Answer, Choose
from chatbot.engine.catalog import check_playbooks

ROOT = Path(__file__).resolve().parents[1]


def generated_playbook(steps: int) -> str:
    """A question chain: each question leads on or to one of a few shared outcomes, with forms sprinkled in."""
    lines = [
        "id: generated",
        "title: Generated",
        "description: Benchmark playbook.",
        "tier: 1",
        "procedure: {document: Benchmark}",
        "start: q0",
        "steps:",
    ]
    questions = steps - 5
    for i in range(questions):
        nxt = f"q{i + 1}" if i + 1 < questions else "end0"
        if i % 10 == 5:
            lines += [
                f"  - id: q{i}",
                "    fields:",
                f"      - {{id: f{i}, label: Field {i}, help: Some help, pattern: '^[0-9]+$'}}",
                f"    next: {nxt}",
            ]
            continue
        lines += [
            f"  - id: q{i}",
            f"    question: Question {i}?",
            "    help: Some help text.",
            "    choices:",
            f"      - {{label: 'Yes', next: {nxt}}}",
            f"      - {{label: 'No', next: end{i % 5}}}",
        ]
    for k in range(5):
        lines += [
            f"  - id: end{k}",
            "    outcome:",
            "      kind: resolved",
            f"      summary: End {k}",
            "      reply: Done.",
        ]
    return "\n".join(lines) + "\n"


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return min(samples), statistics.median(samples)


def main() -> None:
    config, _ = load_config(ROOT / "config" / "example.yaml")
    config = config.model_copy(
        update={"playbooks_dir": str(ROOT / "playbooks"), "templates_dir": str(ROOT / "templates")}
    )

    def shipped():
        checked = check_playbooks(config)
        assert not checked.errors, checked.errors
        return checked

    checked = shipped()
    best, med = timed(shipped, 20)
    n = len(checked.catalog)
    steps = sum(len(p.spec.steps) for p in checked.catalog)
    print(
        f"load+lint shipped playbooks ({n} files, {steps} steps): best {best * 1e3:.1f} ms, median {med * 1e3:.1f} ms"
        "  [target < 200 ms]"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.yaml"
        path.write_text(generated_playbook(2000))

        def big():
            result = check_playbooks(config, [path])
            assert not result.errors, result.errors[:3]

        best, med = timed(big, 5)
        print(
            f"load+lint generated 2,000-step playbook: best {best * 1e3:.0f} ms, median {med * 1e3:.0f} ms"
            "  [target < 1 s]"
        )

    engine = checked.engine
    state = engine.start("clever-access", "U1", "2026-11-22T10:00:00+00:00")
    answer = Answer(Choose(0), state.version, "U1", "2026-11-22T10:00:01+00:00")
    rounds = 50_000
    t0 = time.perf_counter()
    for _ in range(rounds):
        engine.step(state, answer)
    per = (time.perf_counter() - t0) / rounds
    t0 = time.perf_counter()
    for _ in range(rounds // 10):
        engine.answer(state, answer)
    per_view = (time.perf_counter() - t0) / (rounds // 10)
    print(
        f"one transition (step): {per * 1e6:.1f} µs; with the neutral view built: {per_view * 1e6:.1f} µs"
        "  [target < 50 µs]"
    )


if __name__ == "__main__":
    main()
