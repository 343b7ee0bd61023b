"""Render customer replies and internal notes in a Jinja2 sandbox, as plain text.

What an agent typed is data: the sandbox renders it as it is and never evaluates it as template code. The
result is raw text (it is pasted into a ticket); each surface escapes it for itself when it shows it, so it can
never become a mention, a link or markup there.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

# The templates the app itself renders (the playbooks name their own): replies a customer reads, notes for the ticket.
DEFAULT_REPLY = "replies/default.j2"
DEFAULT_NOTE = "notes/default.j2"
CASE_OPENED_REPLY = "replies/case_opened.j2"
CASE_STATUS_REPLY = "replies/case_status_update.j2"
CASE_CLOSURE_REPLY = "replies/case_closure.j2"
CASE_CLOSURE_NOTE = "notes/case_closure.j2"
APP_REPLIES = (DEFAULT_REPLY, CASE_OPENED_REPLY, CASE_STATUS_REPLY, CASE_CLOSURE_REPLY)


class TemplateProblem(Exception):
    """A template is missing, does not compile or failed to render."""


class Renderer:
    def __init__(self, templates_dir: str | Path, globals: Mapping[str, Any] | None = None) -> None:
        """`globals`: what every template may read (e.g. `links`, the configured addresses by name)."""
        self.templates_dir = Path(templates_dir)
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(self.templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.globals.update(globals or {})
        self._inline = lru_cache(maxsize=1024)(self.env.from_string)

    def has_template(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        except jinja2.TemplateSyntaxError:
            return True
        return True

    def check(self, source: str | None = None, name: str | None = None) -> set[str]:
        """Compile an inline template or a file; return the variables it reads from the context."""
        try:
            if name is not None:
                assert self.env.loader is not None
                source, _, _ = self.env.loader.get_source(self.env, name)
            assert source is not None
            ast = self.env.parse(source)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"template '{exc.name}' not found under {self.templates_dir}/") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"template does not compile (line {exc.lineno}): {exc.message}") from exc
        return set(meta.find_undeclared_variables(ast))

    def render_inline(self, source: str, context: Mapping[str, Any]) -> str:
        try:
            return str(self._inline(source).render(context).strip())
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"template failed to render: {exc}") from exc

    def render_file(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return str(self.env.get_template(name).render(context).strip())
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"template '{name}' failed to render: {exc}") from exc
