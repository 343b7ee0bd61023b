"""What people type to name a ticket or a case: `482913`, `#482913`, `TS-2026-000123`, after a playbook's words in
`/triage clever access 482913`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CASE_NUMBER = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,9}-\d{4}-\d{6}$")
TICKET = re.compile(r"^#?(\d{1,10})$")


def parse_reference(text: str) -> tuple[str | None, str | None]:
    """(ticket, case number) from what an agent typed as a reference: `482913`, `#482913` or `TS-2026-000123`."""
    word = text.strip()
    if CASE_NUMBER.match(word):
        return None, word.upper()
    found = TICKET.match(word)
    return (found.group(1), None) if found else (None, None)


def split_reference(text: str) -> tuple[str, str | None, str | None]:
    """`/triage clever access 482913` -> ("clever access", ticket "482913", None); a case number instead of the
    ticket continues that case. Only the last word is taken as a reference (see `playbook_and_reference` for when
    a number is part of the search)."""
    words = text.split()
    if len(words) < 2:
        return text.strip(), None, None
    ticket, number = parse_reference(words[-1])
    if ticket is None and number is None:
        return text.strip(), None, None
    return " ".join(words[:-1]), ticket, number


def playbook_and_reference(text: str, search: Callable[[str], list[T]]) -> tuple[list[T], str, str | None, str | None]:
    """The playbooks `text` finds, with the ticket or case number typed after the playbook's words. A trailing
    reference is read as one only when the whole text finds no playbook: `/triage login error 500` searches all
    three words first."""
    text = text.strip()
    found = search(text) if text else []
    if found:
        return found, text, None, None
    words, ticket, number = split_reference(text)
    if (ticket or number) and words:
        return search(words), words, ticket, number
    return found, text, None, None
