"""`chatbot try`: walk a playbook in a terminal, as an agent would in Slack. Works with piped answers too."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from chatbot.config import Config
from chatbot.counts import counted
from chatbot.domain.errors import InvalidFields, UserFacingError
from chatbot.domain.run import Action, Answer, Back, Choose, Continue, Restart, RunState, Submit
from chatbot.domain.views import FieldView, View
from chatbot.engine.machine import Engine
from chatbot.exitstatus import FINISHED, INPUT_ENDED, QUIT
from chatbot.rendering.escape import markdown_to_plain
from chatbot.services.escalations import timeout_for

ACTOR = "console"
COMMANDS = "b = back, r = restart, q = quit"
TEXTAREA_HINT = "several lines; an empty line ends it"


class EndOfInput(Exception):
    pass


class Console:
    def __init__(self, engine: Engine, config: Config, out: TextIO = sys.stdout, inp: TextIO = sys.stdin) -> None:
        self.engine = engine
        self.config = config
        self.out = out
        self.inp = inp
        self.clock: Callable[[], str] = lambda: datetime.now(UTC).isoformat(timespec="seconds")

    def run(self, playbook_id: str) -> int:
        """Walk until an outcome (FINISHED), a quit (QUIT) or the input ends first (INPUT_ENDED)."""
        state = self.engine.start(playbook_id, ACTOR, self.clock())
        try:
            while True:
                view = self.engine.view(state)
                self._show(view)
                if view.outcome is not None:
                    return FINISHED
                action = self._ask(view, state)
                if action is None:
                    self._say(f"Stopped before an outcome (exit status {QUIT}).")
                    return QUIT
                try:
                    state = self.engine.step(state, Answer(action, state.version, ACTOR, self.clock()))
                except UserFacingError as exc:
                    self._say(f"! {exc.message}")
        except EndOfInput:
            self._say("\nInput ended before the playbook reached an outcome.")
            return INPUT_ENDED

    # --- output -----------------------------------------------------------------------------
    def _say(self, text: str = "") -> None:
        print(text, file=self.out)

    def _show(self, view: View) -> None:
        self._say()
        self._say(f"== {view.playbook_title} :: {view.title} ==")
        if view.text:
            self._say(markdown_to_plain(view.text))
        if view.help:
            self._say("Help: " + markdown_to_plain(view.help).replace("\n", "\n      "))
        if view.reply:
            self._say("\n--- Customer reply (send it now) ---")
            self._say(view.reply)
        for link in view.links:
            self._say(f"Link: {link.title} <{link.url}>")
        if view.outcome is not None:
            self._show_outcome(view)
        elif view.question:
            self._say()
            self._say(markdown_to_plain(view.question))
            for c in view.choices:
                hint = f"  ({c.help})" if c.help else ""
                self._say(f"  {c.index + 1}) {c.label}{hint}")

    def _show_outcome(self, view: View) -> None:
        out = view.outcome
        assert out is not None
        self._say(f"Outcome: {out.kind.replace('_', ' ')}" + (f", priority {out.priority}" if out.priority else ""))
        self._say("\n--- Customer reply (copy into the ticket) ---")
        self._say(out.reply)
        self._say("\n--- Internal note ---")
        self._say(out.note)
        if out.group:
            self._say("\n--- Escalation that would be sent ---")
            self._say(self._escalation_preview(out.group, out.priority or "normal"))
        if view.trail:
            self._say(f"\n({counted(len(view.trail), 'step')} taken)")

    def _escalation_preview(self, group_id: str, priority: str) -> str:
        group = self.config.groups.get(group_id)
        if group is None:
            return f"Group '{group_id}' is not configured."
        lines = [f"Group: {group.name} (channel {group.channel})"]
        for n, tier in enumerate(group.tiers, 1):
            names = ", ".join(self.config.people[p].name for p in tier)
            lines.append(f"  tier {n}: {names}")
        minutes = int(timeout_for(group, priority).total_seconds() // 60)
        lines.append(f"Re-escalates after {minutes} min without acknowledgement ({priority} priority).")
        return "\n".join(lines)

    # --- input ------------------------------------------------------------------------------
    def _read(self, prompt: str, strip: bool = True) -> str:
        """One line; `strip=False` keeps its indentation (a textarea's later lines)."""
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise EndOfInput
        if not self.inp.isatty():
            self.out.write(line if line.endswith("\n") else line + "\n")  # echo piped answers into the transcript
        return line.strip() if strip else line.rstrip()

    def _control(self, text: str) -> Action | bool | None:
        """Back/restart/quit typed anywhere; False when `text` is not one of them."""
        low = text.lower()
        if low in ("b", "back"):
            return Back()
        if low in ("r", "restart"):
            return Restart()
        if low in ("q", "quit", "exit"):
            return None
        return False

    def _ask(self, view: View, state: RunState) -> Action | None:
        if view.kind == "question":
            return self._ask_choice(view)
        if view.kind == "collect":
            return self._ask_fields(view, state)
        if view.kind == "instructions":
            while True:
                text = self._read(f"[Enter] {view.continue_label} ({COMMANDS}) > ")
                control = self._control(text)
                if control is not False:
                    return control  # type: ignore[return-value]
                if not text:
                    return Continue()
        raise AssertionError(f"nothing to ask on a {view.kind} step ({state.status})")

    def _ask_choice(self, view: View) -> Action | None:
        while True:
            text = self._read(f"Choice 1-{len(view.choices)} or its text ({COMMANDS}) > ")
            control = self._control(text)
            if control is not False:
                return control  # type: ignore[return-value]
            if text.isdigit() and 1 <= int(text) <= len(view.choices):
                return Choose(int(text) - 1)
            matches = [c for c in view.choices if c.label.lower().startswith(text.lower())] if text else []
            exact = [c for c in matches if c.label.lower() == text.lower()]
            if len(exact) == 1 or len(matches) == 1:
                return Choose((exact or matches)[0].index)
            self._say("! Type a number from the list, or the start of a choice.")

    def _ask_fields(self, view: View, state: RunState) -> Action | None:
        self._say(f"Fill in the form ({COMMANDS}; an empty answer skips an optional field).")
        values: dict[str, str] = {}
        todo = list(view.fields)
        while True:
            for field in todo:
                answer = self._ask_field(field)
                if not isinstance(answer, str):
                    return answer
                values[field.id] = answer
            try:
                self.engine.step(state, Answer(Submit(values), state.version, ACTOR, self.clock()))
            except InvalidFields as exc:
                labels = {f.id: f.label for f in view.fields}
                for fid, msg in exc.errors.items():
                    self._say(f"! {labels.get(fid, fid)}: {msg}")
                todo = [f for f in view.fields if f.id in exc.errors]
                continue
            return Submit(values)

    def _ask_field(self, field: FieldView) -> str | Action | None:
        label = field.label + ("" if field.required else " (optional)")
        if field.help:
            self._say(f"  {field.label}: {markdown_to_plain(field.help)}")
        if field.options:
            for i, option in enumerate(field.options, 1):
                self._say(f"    {i}) {option}")
        textarea = field.type == "textarea"
        text = self._read(f"{label} ({TEXTAREA_HINT}) > " if textarea else f"{label} > ")
        control = self._control(text)
        if control is not False:
            return control  # type: ignore[return-value]
        if textarea and text:
            return "\n".join([text, *self._more_lines()])
        if field.options and text.isdigit() and 1 <= int(text) <= len(field.options):
            return field.options[int(text) - 1]
        return text

    def _more_lines(self) -> list[str]:
        """A textarea's next lines, up to an empty line. The input ending also ends the text: what was given is
        kept, and the next question finds the end."""
        lines: list[str] = []
        while True:
            try:
                line = self._read("... > ", strip=False)
            except EndOfInput:
                return lines
            if not line.strip():
                return lines
            lines.append(line)
