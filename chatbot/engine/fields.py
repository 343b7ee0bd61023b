"""Check and normalise what an agent typed into a form; errors are worded for the agent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from chatbot.domain.errors import InvalidFields
from chatbot.engine.schema import FieldSpec

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$")


def validate_fields(specs: Iterable[FieldSpec], submitted: Mapping[str, object]) -> dict[str, str]:
    """Return the cleaned values of every field (optional ones left empty as ""), or raise InvalidFields."""
    specs = list(specs)
    known = {s.id for s in specs}
    errors: dict[str, str] = {}
    for key in submitted:
        if key not in known:
            errors[str(key)] = "This field is not part of the form."
    values: dict[str, str] = {}
    for spec in specs:
        raw = submitted.get(spec.id)
        value = "" if raw is None else str(raw).strip()
        problem = _problem(spec, value)
        if problem:
            errors[spec.id] = problem
        values[spec.id] = value
    if errors:
        raise InvalidFields(errors)
    return values


def _problem(spec: FieldSpec, value: str) -> str | None:
    if not value:
        return "This field is required." if spec.required else None
    if len(value) > spec.max_length:
        return f"Keep it to {spec.max_length} characters (this is {len(value)})."
    if spec.type == "number":
        try:
            float(value)
        except ValueError:
            return "Enter a number."
    elif spec.type == "email" and not _EMAIL.match(value):
        return "Enter an email address like name@example.org."
    elif spec.type == "url" and not _URL.match(value):
        return "Enter a web address starting with https://."
    elif spec.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "Enter a date as YYYY-MM-DD."
    elif spec.type == "select" and value not in spec.options:
        return "Pick one of the listed options."
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        return spec.pattern_hint or "This does not look right; check the format in the help text."
    return None
