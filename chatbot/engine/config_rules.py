"""Linter rules that read the team's configuration as well as the playbooks: groups no outcome escalates to, and
internal-only terms (Tier 2 contacts, say) in what a customer reads."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from pathlib import Path

import jinja2

from chatbot.config import Config
from chatbot.domain.errors import Issue
from chatbot.engine.loader import Catalog, LoadedPlaybook
from chatbot.rendering.templates import APP_REPLIES, DEFAULT_REPLY, Renderer

# A Jinja comment never reaches the customer, so a term in one (a note to template authors) is no leak.
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def unused_groups(catalog: Catalog, config: Config) -> Iterator[Issue]:
    """A warning for each configured group that no outcome names: a typo, or a group only `/escalate` reaches."""
    used = {step.outcome.group for pb in catalog for step in pb.spec.steps if step.outcome is not None}
    for gid in config.groups:
        if gid in used:
            continue
        file, line = config.located("groups", gid) or ("configuration", 1)
        yield Issue(
            _shown(file),
            line,
            None,
            f"group '{gid}' is not used by any playbook outcome (only `/escalate` can reach it)",
            "warning",
        )


def people_named(catalog: Catalog, config: Config, only: Collection[str] | None = None) -> Iterator[Issue]:
    """An outcome that asks one person by name: they must be configured and in the group that is the fallback (its
    members are the ones who may press the ping's buttons)."""
    for pb in catalog:
        if only is not None and pb.id not in only:
            continue
        for step in pb.spec.steps:
            out = step.outcome
            if out is None or out.person is None:
                continue
            where = pb.line(step.id, "outcome", "person")
            if out.person not in config.people:
                yield Issue(pb.path, where, step.id, f"person '{out.person}' is not in the configuration's `people`")
            elif out.group in config.groups and out.person not in config.groups[out.group].members:
                yield Issue(
                    pb.path,
                    where,
                    step.id,
                    f"person '{out.person}' is not a member of group '{out.group}': they would be pinged but could "
                    "not press the ping's buttons",
                )


def internal_terms_in_replies(
    catalog: Catalog, renderer: Renderer, terms: Collection[str], only: Collection[str] | None = None
) -> Iterator[Issue]:
    """An error wherever a customer reply holds an internal-only term: the `reply` or `reply_template` file of an
    outcome or of an instruction step, or the app's own replies (the frame, the case replies). Notes and
    checklists are for Tier 2 and may hold them."""
    if not terms:
        return
    yield from _in_app_replies(renderer, terms)
    for pb in catalog:
        if only is not None and pb.id not in only:
            continue
        for step in pb.spec.steps:
            # An instruction may hand the agent a reply to send now; an outcome has the closing one.
            yield from _in_reply(pb, step.id, step.reply, step.reply_template, (), renderer, terms)
            if step.outcome is not None:
                out = step.outcome
                yield from _in_reply(pb, step.id, out.reply, out.reply_template, ("outcome",), renderer, terms)


def internal_terms_in_links(config: Config) -> Iterator[Issue]:
    """An error for a configured link that holds an internal-only term: replies send customers to these."""
    for name, url in config.links_text().items():
        for term, _line in _found(url, config.internal_only_terms):
            file, line = config.located("links", name) or ("configuration", 1)
            yield Issue(_shown(file), line, None, _message(f"link '{name}' (customer replies carry it)", term))


def _in_app_replies(renderer: Renderer, terms: Collection[str]) -> Iterator[Issue]:
    """The reply frame and the case replies (opened, status update, closure)."""
    for name in APP_REPLIES:
        source = _template_source(renderer, name)
        if source is None:
            continue  # a missing template is the linter's own error already
        for term, line in _found(source, terms):
            what = "the reply frame" if name == DEFAULT_REPLY else "this customer reply"
            yield Issue(_shown(f"{renderer.templates_dir}/{name}"), line, None, _message(what, term))


def _in_reply(
    pb: LoadedPlaybook,
    step_id: str,
    reply: str | None,
    template: str | None,
    at: tuple[str, ...],
    renderer: Renderer,
    terms: Collection[str],
) -> Iterator[Issue]:
    """`reply` text and `reply_template` file of a step (`at` = ()) or of its outcome (`at` = ("outcome",))."""
    if reply:
        for term, line in _found(reply, terms):
            yield Issue(pb.path, pb.line(step_id, *at, "reply"), step_id, _message(f"reply (its line {line})", term))
    if template:
        for term, line in _found(_template_source(renderer, template) or "", terms):
            where = pb.line(step_id, *at, "reply_template")
            yield Issue(pb.path, where, step_id, _message(f"reply_template '{template}' (line {line})", term))


def _found(text: str, terms: Collection[str]) -> Iterator[tuple[str, int]]:
    """Each term in `text`, case-insensitive, with the 1-based line of its first occurrence."""
    visible = _JINJA_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text).casefold()
    for term in terms:
        at = visible.find(term.casefold())
        if at >= 0:
            yield term, visible.count("\n", 0, at) + 1


def _message(where: str, term: str) -> str:
    return f"{where} contains '{term}', an internal-only term (`internal_only_terms`): customers must never see it"


def _template_source(renderer: Renderer, name: str) -> str | None:
    """The file's text; None when it is missing (the linter reports that already)."""
    loader = renderer.env.loader
    try:
        return loader.get_source(renderer.env, name)[0] if loader is not None else None
    except jinja2.TemplateNotFound:
        return None


def _shown(file: str) -> str:
    """As a user running `chatbot` sees it: relative to the current folder when inside it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file
