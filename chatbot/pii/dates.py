"""Dates of birth: a calendar date with a birth cue (born, DOB, birthday, ...) right next to it.

Support text is full of incident dates ("since 2026-11-02", "on 11/3 at 9am"), so a date on its own is never
reported: only the cue makes it a birth date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_NUM_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_NUM_MONTH = r"(?:0?[1-9]|1[0-2])"

# Longest forms first so that "March 7, 2014" wins over "March 7".
_DATE = re.compile(
    rf"""(?<![\w/.-])(?:
        {_YEAR}[-/.]{_NUM_MONTH}[-/.]{_NUM_DAY}
      | {_NUM_DAY}[-/.]{_NUM_DAY}[-/.](?:{_YEAR}|\d{{2}})
      | {_MONTH}\s+{_DAY},?\s+{_YEAR}
      | {_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}
      | {_NUM_DAY}-{_MONTH}-(?:{_YEAR}|\d{{2}})
      | {_MONTH},?\s+{_YEAR}
      | {_MONTH}\s+{_DAY}
      | {_DAY}\s+(?:of\s+)?{_MONTH}
      | {_NUM_DAY}/{_NUM_DAY}
    )(?![\w/-]|\.\d)""",
    re.IGNORECASE | re.VERBOSE,
)

# "b." only counts directly before a date: elsewhere it is an ordinary abbreviation or a list marker.
_CUE = re.compile(
    r"(?<![A-Za-z])(?:born|d\.?o\.?b\b\.?|date[\s-]+of[\s-]+birth|birth\s*-?\s*date|birthday|b-?day|(?P<b>b\.))"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)

# Words between a cue and a date that show the date is about the incident, not the person ("DOB field empty
# since 11/3"): they stop the pairing.
_INCIDENT = re.compile(
    r"\b(?:since|until|after|before|from|starting|started|as\s+of|opened|updated|synced?|imported?|exported?"
    r"|uploaded?|added|created|changed|entered|required|invalid|mismatch|field|column|format|error|yesterday|today"
    r"|missing|blank)\b",
    re.IGNORECASE,
)

# "03/07/2014 (DOB)", "3/7/2014 is her birthday": what may stand between a date and a cue that follows it. Any
# other words ("released on Jan 12 fixed the birthday banner") mean the date is about something else.
_DATE_THEN_CUE = re.compile(
    r"[\s,:;(\[-]*(?:(?:is|was|=)\s+)?(?:(?:the|her|his|their|my|our)\s+)?"
    r"(?:(?:child|student|kid|son|daughter)(?:'s|s')?\s+)?[\s(\[-]*",
    re.IGNORECASE,
)

_AFTER_CUE = 45  # "DOB for Noah Williams is 03/07/2014": a name may sit between the cue and the date
_BEFORE_CUE = 16  # "03/07/2014 (DOB)"


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A birth cue and the date it applies to, as offsets."""

    cue_start: int
    cue_end: int
    start: int
    end: int

    @property
    def span_start(self) -> int:
        return min(self.cue_start, self.start)

    @property
    def span_end(self) -> int:
        return max(self.cue_end, self.end)


def find_birth_dates(text: str) -> list[BirthDate]:
    """Each date that a birth cue points at, at most once, in text order."""
    cues = list(_CUE.finditer(text))
    if not cues:
        return []
    dates = list(_DATE.finditer(text))
    found: dict[int, BirthDate] = {}
    for cue in cues:
        date = _date_for(text, cue, dates)
        if date is not None and date.start() not in found:
            found[date.start()] = BirthDate(cue.start(), cue.end(), date.start(), date.end())
    return [found[k] for k in sorted(found)]


def _date_for(text: str, cue: re.Match[str], dates: list[re.Match[str]]) -> re.Match[str] | None:
    """The first date shortly after the cue, else the last one just before it ("03/07/2014 (DOB)")."""
    short = cue.group("b") is not None
    for date in dates:
        gap_after = date.start() - cue.end()
        if 0 <= gap_after <= (2 if short else _AFTER_CUE) and not _INCIDENT.search(text, cue.end(), date.start()):
            return date
    if short:
        return None
    for date in reversed(dates):
        gap_before = cue.start() - date.end()
        if 0 <= gap_before <= _BEFORE_CUE and _DATE_THEN_CUE.fullmatch(text, date.end(), cue.start()):
            return date
    return None
