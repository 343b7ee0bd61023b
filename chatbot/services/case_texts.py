"""A case's texts for the customer and the ticket: the context its templates are rendered with, and the closure
(the reply the agent sends and the note they paste) written from what Tier II found and changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatbot.config import Config, Procedure
from chatbot.domain.case import Case, LinkKind, Resolution
from chatbot.engine.machine import DEFAULT_SIGNATURE
from chatbot.rendering.templates import CASE_CLOSURE_NOTE, CASE_CLOSURE_REPLY, Renderer


@dataclass(frozen=True)
class Closure:
    """What resolving a case produced: the reply the agent sends and the note they paste."""

    case: Case
    reply: str
    note: str


def case_context(config: Config, case: Case) -> dict[str, Any]:
    """What every case template is given: the case, its fields, and its procedure's signature and team."""
    procedure = config.procedures.get(case.procedure or "")
    days = config.cases.close_after_days
    return {
        "close_after_days": days,
        "closes_at_once": days <= 0,
        "case_number": case.number,
        "fields": {"ticket_id": case.ticket or "", **case.details},
        "signature": procedure.signature if procedure else DEFAULT_SIGNATURE,
        "team": procedure.team if procedure else Procedure.model_fields["team"].default,
        "case": {"number": case.number, "ticket": case.ticket, "status": case.status.value},
    }


def closure(config: Config, renderer: Renderer, case: Case, resolution: Resolution, actor: str) -> Closure:
    """The closure reply and note; the Jira and partner references recorded on the case are named in them."""
    kept = (LinkKind.JIRA, LinkKind.PARTNER)
    recorded = [f"{link.kind.value}: {link.ref}" for link in case.links if link.kind in kept]
    ctx = {
        **case_context(config, case),
        "found": resolution.found,
        "changed": resolution.changed,
        "resolved_by": config.names().get(actor, actor),
        "links_recorded": recorded,
    }
    return Closure(case, renderer.render_file(CASE_CLOSURE_REPLY, ctx), renderer.render_file(CASE_CLOSURE_NOTE, ctx))
