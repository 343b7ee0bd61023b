"""Walking playbooks in Teams (and the same path in Slack) by the paths of tests/test_playbook_paths.py, so the tests
follow whatever the seed playbooks say today rather than copies of their labels."""

from __future__ import annotations

from typing import Any

from chatbot.adapters.teams import ids
from chatbot.adapters.teams.kit import TITLE_LIMIT
from chatbot.adapters.teams.text import shorten
from chatbot.engine.loader import LoadedPlaybook
from chatbot.engine.schema import StepKind
from tests.slackapp import App as SlackApp
from tests.teamsapp import Chat, TeamsApp, TeamsUser
from tests.test_playbook_paths import PATHS, PlaybookPath, playbook, sample_value

FREE_TEXT = "Lincoln High <!here> <at>Everyone</at> [x](https://evil.example)"


def move_title(pb: LoadedPlaybook, step_id: str, choice: int | None) -> str:
    """The title of the button that makes this move (the form's Save for a collect step)."""
    step = pb.steps[step_id]
    if step.kind == StepKind.QUESTION:
        assert choice is not None
        return shorten(step.choices[choice].label, TITLE_LIMIT)
    if step.kind == StepKind.COLLECT:
        return "Save"
    return shorten(step.continue_label or "Continue", TITLE_LIMIT)


def move_inputs(pb: LoadedPlaybook, step_id: str, free_text: str | None = None) -> dict[str, str]:
    """What an agent types into a collect step's inputs: a valid value per field (`free_text` where free)."""
    return {ids.field_input_id(f.id): sample_value(f, free_text) for f in pb.steps[step_id].fields}


async def press_move(
    app: TeamsApp,
    user: TeamsUser,
    chat: Chat,
    message_id: str,
    move: tuple[str, int | None],
    pb: LoadedPlaybook,
    *,
    free_text: str | None = None,
    card: dict[str, Any] | None = None,
) -> dict[str, Any]:
    step_id, choice = move
    return await app.press(
        user, chat, message_id, move_title(pb, step_id, choice), move_inputs(pb, step_id, free_text), card=card
    )


def move_action(pb: LoadedPlaybook, step_id: str) -> str:
    """The audit trail's name for a move."""
    kind = pb.steps[step_id].kind
    return {StepKind.QUESTION: "choose", StepKind.COLLECT: "submit"}.get(kind, "continue")


def first_path(pid: str, *, moves: int = 1) -> PlaybookPath:
    return next(p for p in PATHS if p.playbook == pid and len(p.moves) >= moves)


def escalating_path(group: str = "clever-tier2") -> PlaybookPath:
    """The shortest path that escalates to `group` at a priority other than high, through a form with free text."""

    def fits(p: PlaybookPath) -> bool:
        pb = playbook(p.playbook)
        out = pb.steps[p.end].outcome
        free = any(
            f.type in ("text", "textarea") and not f.pattern
            for step_id, _ in p.moves
            if pb.steps[step_id].kind == StepKind.COLLECT
            for f in pb.steps[step_id].fields
        )
        return out is not None and out.kind == "escalated" and out.group == group and out.priority != "high" and free

    return min((p for p in PATHS if fits(p)), key=lambda p: len(p.moves))


async def walk_in_slack(app: SlackApp, path: PlaybookPath, free_text: str | None = None) -> None:
    """The same path walked by an agent in Slack (clicks, and the form in its modal)."""
    await app.command(path.playbook)
    pb = playbook(path.playbook)
    for step_id, choice in path.moves:
        step = pb.steps[step_id]
        if step.kind == StepKind.COLLECT:
            await app.click("Fill in the form")
            reply = await app.submit({f.id: sample_value(f, free_text) for f in step.fields})
            assert reply.text == "", reply.body
        else:
            await app.click(step.choices[choice].label if choice is not None else step.continue_label or "Continue")
