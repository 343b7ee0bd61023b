"""A person's age together with their gender ("7-year-old boy", "age 9, male", "F, 10", "my son is 8").

An age alone ("a 7-year-old student") or a gender alone ("the boys' team") is not reported: the procedures name
the pair. Counts that look like ages ("son is 2 grades behind", "Room 12, F wing") must not match, so the
short forms are only accepted where the number closes the clause.
"""

from __future__ import annotations

import re

_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen"
)
_AGE = rf"(?:\d{{1,2}}|{_WORDS})"
_OLD = r"(?:[- ]?(?:years?|yrs?)[- ]?old|[- ]?(?:y/o|y\.o\.?|yo|yrs?)(?![A-Za-z]))"
_GENDER = (
    r"(?:boys?|girls?|males?|females?|sons?|daughters?|grandsons?|granddaughters?|nephews?|nieces?|brothers?"
    r"|sisters?|man|woman|non-?binary|trans(?:gender)?\s+(?:boy|girl))"
)
_KIN = r"(?:son|daughter|boy|girl|grandson|granddaughter|nephew|niece|brother|sister|stepson|stepdaughter|he|she)"
_SEX = r"(?:males?|females?|boys?|girls?|non-?binary)"
_AGE_LABEL = r"(?:age[sd]?\s*[:=]?\s*)"
_VERB = r"(?:(?:just|recently|already|only)\s+)?(?:is|who\s+is|was|turned|turns|aged?)"
# The number must end the clause, or be followed by "years old": that is what tells "my son is 8" from
# "my son is 8 minutes late" or "daughter is 2 grades behind".
_CLAUSE_END = rf"(?=\s*{_OLD}|\s*(?:[.,;:!?)\]]|$|&|\b(?:and|but|so|now|who|with)\b))"

_AGE_WITH_GENDER = re.compile(
    rf"""
      (?<![\w.]){_AGE}\s*{_OLD}(?:[\s-]+(?:old\s+)?)?\s*{_GENDER}\b
    | \b{_AGE_LABEL}{_AGE}\b\s*{_OLD}?\s*[,;/(]?\s*(?:(?:sex|gender)\s*[:=]?\s*)?{_SEX}\b
    | \b{_SEX}\s*[,;/(]\s*(?:(?:both|each|all)\s+)?{_AGE_LABEL}?{_AGE}\b{_CLAUSE_END}(?:\s*{_OLD})?
    | \b(?:sex|gender)\s*[:=]?\s*(?:male|female|m|f)\b\W{{1,4}}age\s*[:=]?\s*{_AGE}\b
    | \b{_KIN}(?:\s*[,(]\s*|\s+{_VERB}\s+|'s\s+|\s+\(\s*){_AGE_LABEL}?{_AGE}\b{_CLAUSE_END}(?:\s*{_OLD})?
    """,
    re.IGNORECASE | re.VERBOSE,
)

# "F, 10" and "10/M": capital letters only, and never after a word that makes the number a room or a section.
_SHORT = re.compile(
    r"(?:(?<=[\s(\[,;:])|^)(?:[MF]\s*[,/]\s*(?:age\s*:?\s*)?\d{1,2}|\d{1,2}\s*[,/]\s*[MF])(?=\s*(?:[)\].,;]|$))"
)
_NOT_AN_AGE_BEFORE = re.compile(
    r"(?i:\b(?:room|rm|section|sec|period|grade|unit|lesson|chapter|ch|page|pg|building|bldg|wing|row|table"
    r"|version|ver|v|level|floor|step|question|q)\.?\s*(?:#\s*)?\d*\s*[,/]?\s*)$"
)


def find_ages_with_gender(text: str) -> list[tuple[int, int]]:
    """Spans of an age stated together with a gender."""
    spans = [m.span() for m in _AGE_WITH_GENDER.finditer(text)]
    for m in _SHORT.finditer(text):
        if not _NOT_AN_AGE_BEFORE.search(text, max(0, m.start() - 16), m.start()):
            spans.append(m.span())
    return spans
