"""Phone numbers, found by `phonenumbers` (Google's libphonenumber metadata) rather than a home-made pattern.

The matcher is the slowest part of a scan, so it only sees the few characters around each run of seven or more
digits that stands on its own (not part of a hex id, a Salesforce id, a version or a date). Its matches are then
checked against what support text is full of: case numbers ("TS-2026-000123") and ten-digit ids given as ids
("LASID 3125551234").
"""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "US"

# Seven to seventeen digits with at most a few separators between them, not glued to letters: the only places
# worth handing to the matcher.
_CANDIDATE = re.compile(r"(?<![\w+])(?:\+\s?)?\(?\d(?:[\s().\-/]{0,3}\d){6,16}(?!\w)")
# Digit runs that are something else and cost the matcher the most to turn down: versions and IP addresses
# ("119.0.6045.159"), and dates or times ("2026-11-02 09:15"), after which a phone number may still follow.
_DOTTED = re.compile(r"\d{1,4}(?:\.\d{1,4}){3,}")
_LEADING_DATE = re.compile(
    r"(?:(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2})[\s().\-/]*"
)
_DIGIT = re.compile(r"\d")
# Around a candidate, enough text for the matcher's own checks (the character before a number, an extension or a
# time after it).
_LEAD = 2
_TRAIL = 16
# A seven-digit local number ("555-0142") is not a valid number for the matcher without an area code, but it
# is still a phone number when the text says so.
_LOCAL = re.compile(r"(?<![\w.-])\d{3}[-.]\d{4}(?![\w-]|\.\d)")
_PHONE_CUE = re.compile(
    r"(?i:\b(?:phone|cell|cellphone|mobile|call|text|txt|tel|telephone|ph|fax|landline|home\s+number"
    r"|reach\s+\w+\s+at)\b)"
)
_ID_BEFORE = re.compile(
    r"(?i:\b(?:id|ids|ticket|case|order|invoice|account|acct|sis|lasid|sasid|ssid|nces|student\s+(?:number|no)"
    r"|error|code|version|build|ref|reference|po|license|licence|serial|isbn|section|course|class|zip)\b"
    r"\s*(?:number|no\.?|num)?\s*[:#=]?\s*)$"
)
_CUE_WINDOW = 32


def find_phone_numbers(text: str, region: str = DEFAULT_REGION) -> list[tuple[int, int]]:
    """Spans of phone numbers valid for `region` (or written with a country code)."""
    spans: list[tuple[int, int]] = []
    for candidate in _CANDIDATE.finditer(text):
        start = _worth_matching(text, candidate)
        if start is None:
            continue
        base = max(0, start - _LEAD)
        for match in phonenumbers.PhoneNumberMatcher(text[base : candidate.end() + _TRAIL], region):
            start, end = base + match.start, base + match.end
            if not _part_of_code(text, start) and not _given_as_id(text, start) and (start, end) not in spans:
                spans.append((start, end))
    for m in _LOCAL.finditer(text):
        if _PHONE_CUE.search(text, max(0, m.start() - _CUE_WINDOW), m.start()):
            spans.append(m.span())
    return spans


def _worth_matching(text: str, candidate: re.Match[str]) -> int | None:
    """Where the matcher should start looking in a candidate, or None when it cannot hold a phone number."""
    start, end = candidate.span()
    if _part_of_code(text, start) or _DOTTED.fullmatch(text, start, end):
        return None
    while (date := _LEADING_DATE.match(text, start, end)) is not None:
        start = date.end()
    return start if len(_DIGIT.findall(text, start, end)) >= 7 else None


def _part_of_code(text: str, start: int) -> bool:
    # "TS-2026-000123": the digits follow a letter or digit and a joiner, so they are the tail of a longer code.
    return start >= 2 and text[start - 1] in "-_/#" and text[start - 2].isalnum()


def _given_as_id(text: str, start: int) -> bool:
    before = max(0, start - _CUE_WINDOW)
    return _ID_BEFORE.search(text, before, start) is not None and _PHONE_CUE.search(text, before, start) is None
