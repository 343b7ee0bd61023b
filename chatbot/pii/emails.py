"""Children's personal email addresses.

The procedures ask the customer for "the email used during account creation", so a teacher's or an admin's email
is expected in Tier 1 text and is never reported. What is reported: an address at a consumer mail provider that the
text attributes to a student or child (the closest person word before it in the same sentence is "student", "my
son", ...), and any address the text explicitly calls the student's or child's.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")

_CONSUMER_DOMAINS = _words(
    """
    gmail.com googlemail.com yahoo.com ymail.com rocketmail.com hotmail.com outlook.com live.com msn.com
    icloud.com me.com mac.com aol.com protonmail.com proton.me pm.me gmx.com gmx.net mail.com zoho.com
    yandex.com comcast.net att.net sbcglobal.net verizon.net cox.net charter.net earthlink.net bellsouth.net
    """
)
# Country variants (yahoo.co.uk, hotmail.fr) share the provider's first label.
_CONSUMER_PROVIDERS = _words("gmail yahoo ymail hotmail outlook live msn icloud aol protonmail gmx yandex")

_KID = (
    r"(?:students?|child|children|kids?|sons?|daughters?|pupils?|learners?|grandsons?|granddaughters?|minors?"
    r"|stepsons?|stepdaughters?|nephews?|nieces?)"
)
# "student" naming things rather than a person ("the student roster", "students' login cards") is no owner. The
# apostrophe is taken possessively (?+) so that "students'" cannot give it back to slip past that check.
_THINGS = (
    r"(?:roster|list|account|data|work|card|portal|view|score|grade|record|name|id|info|information|license|seat"
    r"|report|progress|submission|assignment|sync|rostering|side|page)s?"
)
_CHILD_CUE = re.compile(
    rf"(?i:\b{_KID}(?:'s|’s|')?+(?!\w)(?!\s+(?:(?:login|sign-?in)\s+)?{_THINGS}\b)|\bmy\s+(?:boy|girl)\b)"
)
# "90 students": a count of children is not the owner of one address.
_COUNT_BEFORE = re.compile(r"\d[\d,]*\s+$")
_ADULT_CUE = re.compile(
    r"(?i:\b(?:teachers?|admins?|administrators?|principal|coordinator|counselor|librarian|staff|parents?|mom|mum"
    r"|dad|mother|father|guardian|requester|requestor|agent|rep|contact|me|i|superintendent|director|specialist"
    r"|customer|caller|reply|cc|my\s+(?:e-?mail|address|account|login))\b)"
)
_EXPLICIT_BEFORE = re.compile(
    rf"(?i:\b{_KID}(?:'s|s'|’s)?\s+(?:(?:personal|own|home|private|school|gmail|google|login|sign-?in)\s+)?"
    r"(?:e-?mail(?:\s+address)?|address|account|login|username)\s*(?:is|was|=|:|-)?\s*[\"'(<]?\s*$"
    rf"|\be-?mail(?:\s+address)?\s+(?:of|for)\s+(?:the|my|her|his|their|our|this|a)?\s*{_KID}\s*(?:is|:|-)?\s*$)"
)
_EXPLICIT_AFTER = re.compile(
    rf"(?i:^\s*[)\"'>]?\s*(?:is|was|,|-)?\s*(?:that'?s|that\s+is|which\s+is|it'?s)?"
    rf"\s*(?:my|her|his|their|our|the|a)?\s*{_KID}(?:'s|s'|’s)\s"
    rf"|^\s*[)\"'>]?\s*(?:,|-)?\s*(?:belongs\s+to|is\s+for)\s+(?:my|her|his|their|our|the|a)?\s*{_KID}\b"
    rf"|^\s*\(\s*(?:my|her|his|the)?\s*{_KID}(?:'s|s'|’s)?(?:\s+e-?mail)?\s*\))"
)
# Sentence ends: punctuation followed by a space (the dots inside an address are not followed by one).
_BOUNDARY = re.compile(r"[!?;\n]|\.(?=\s)(?<!\b[A-Z][a-z]\.)(?<!\bMrs\.)")

_WINDOW = 80


def find_child_emails(text: str) -> list[tuple[int, int]]:
    """Spans of email addresses that belong to a student or child by what the text says around them."""
    if "@" not in text:
        return []
    spans: list[tuple[int, int]] = []
    for m in _EMAIL.finditer(text):
        start, end = m.span()
        explicit = _EXPLICIT_BEFORE.search(text, max(0, start - _WINDOW), start) or _EXPLICIT_AFTER.search(
            text[end : end + _WINDOW]
        )
        if explicit or (_consumer(m.group(1)) and _child_closest(text, start)):
            spans.append((start, end))
    return spans


def _consumer(domain: str) -> bool:
    domain = domain.lower()
    return domain in _CONSUMER_DOMAINS or domain.split(".", 1)[0] in _CONSUMER_PROVIDERS


def _child_closest(text: str, start: int) -> bool:
    """Whether the last person word before `start`, in its sentence, is a child rather than an adult."""
    lo = max(0, start - _WINDOW)
    for b in _BOUNDARY.finditer(text, lo, start):
        lo = b.end()
    child = [m.start() for m in _CHILD_CUE.finditer(text, lo, start) if not _COUNT_BEFORE.search(text, lo, m.start())]
    if not child:
        return False
    adult = [m.start() for m in _ADULT_CUE.finditer(text, lo, start)]
    return not adult or child[-1] > adult[-1]
