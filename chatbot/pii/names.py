"""Personal names next to a birth date.

No name model is available offline, so a name is a run of two to four capitalised words that are not the
ordinary capitalised words of school support (school and district names, products, months, roles), or one
capitalised word right after "my son", "student", "named" and the like. Names are only looked for near a birth
date, which keeps this cheap and keeps teacher and school names elsewhere in the text out of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOK = r"(?:Mc|Mac|O')?[A-ZÀ-Þ][a-zß-ÿ]+(?:[-'][A-ZÀ-Þ][a-zß-ÿ]+)*"
_RUN = re.compile(rf"{_TOK}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_TOK})*")
_TOKEN = re.compile(_TOK)
_SURNAME_FIRST = re.compile(rf"({_TOK}),[ \t]+({_TOK})(?![ \t]*,)")
# "Olivia, born 3/3/2015": one capitalised word directly before the birth cue.
_RIGHT_BEFORE = re.compile(rf"({_TOK})(?:,[ \t]*|[ \t]+\(?[ \t]*)$")
_CUED = re.compile(
    rf"(?i:\b(?:son|daughter|child|kid|student|grandson|granddaughter|learner|named|name(?:\s+is|\s*:))\s*:?\s+)"
    rf"({_TOK}(?:[ \t]+{_TOK}){{0,2}})"
)

# Words that are capitalised in support text without being a person's name.
_STOP = _words(
    """
    january february march april may june july august september october november december jan feb mar apr jun jul
    aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    the this that these those my our your her his their she he they we it its an a and or but if so not no yes
    hi hello hey thanks thank dear please regards re fw fwd note notes update per also then when while after
    before since on in at for from to of with by about as is was are were has had have
    student students teacher teachers child children son daughter kid kids parent parents mom dad mother father
    guardian family sibling brother sister user users admin administrator principal counselor coordinator agent
    name names named dob born birthday birth date age grade class section period room school schools district
    high elementary middle academy public county unified charter prep college university center campus
    account accounts login password email phone address id ids sis roster rostering enrollment enrolment sync
    case ticket tier technical services support team help desk issue error request escalation priority
    clever vhl central google microsoft classroom canvas schoology powerschool skyward infinite campus salesforce
    zendesk gold teaching strategies chrome chromebook safari firefox edge windows ipad iphone android mac apple
    spanish french english german italian latin chinese japanese math science history art music reading
    """
)
_INSTITUTION = _words(
    """
    school schools high elementary middle academy district public county unified charter prep college university
    institute center centre library campus intermediate junior primary montessori learning isd usd
    """
)
_ROLE_BEFORE = re.compile(
    r"(?i:\b(?:mr|ms|mrs|miss|mx|dr|prof|coach|teacher|admin|administrator|principal|coordinator|agent|rep"
    r"|requester|contact|counselor|librarian|superintendent|director)\.?[ \t]+)$"
)

_BEFORE = 60
_AFTER = 40


@dataclass(frozen=True, slots=True)
class Name:
    """Where a name sits in the text (offsets only, like everything else here)."""

    start: int
    end: int


def name_near(text: str, start: int, end: int) -> Name | None:
    """The name closest to `text[start:end]` (a cue and its date), inside it or within a few words of it."""
    lo, hi = _whole_words(text, max(0, start - _BEFORE), min(len(text), end + _AFTER))
    best: Name | None = None
    best_gap = 0
    candidates = _candidates(text, lo, hi)
    single = _RIGHT_BEFORE.search(text, lo, start)
    if single is not None and not _is_stop(single.group(1)) and not _after_role(text, single.start()):
        candidates.append(Name(single.start(1), single.end(1)))
    for name in candidates:
        gap = max(start - name.end, name.start - end, 0)
        if best is None or gap < best_gap:
            best, best_gap = name, gap
    return best


def _whole_words(text: str, lo: int, hi: int) -> tuple[int, int]:
    # A window edge inside a word would turn "Roosevelt Middle" into the name-like "Roosevelt Mid".
    while lo > 0 and text[lo - 1].isalpha():
        lo -= 1
    while hi < len(text) and text[hi].isalpha():
        hi += 1
    return lo, hi


def _candidates(text: str, lo: int, hi: int) -> list[Name]:
    names: list[Name] = []
    for run in _RUN.finditer(text, lo, hi):
        names.extend(_split_run(text, run))
    for m in _SURNAME_FIRST.finditer(text, lo, hi):
        if not (_is_stop(m.group(1)) or _is_stop(m.group(2)) or _after_role(text, m.start())):
            names.append(Name(m.start(), m.end()))
    for m in _CUED.finditer(text, lo, hi):
        first = _TOKEN.match(text, m.start(1))
        if first is not None and not _is_stop(first.group()):
            names.append(_extend(text, m.start(1), m.end(1)))
    return names


def _split_run(text: str, run: re.Match[str]) -> list[Name]:
    """The stretches of non-stop words in a run of capitalised words that look like a full name."""
    tokens = list(_TOKEN.finditer(text, run.start(), run.end()))
    names: list[Name] = []
    group: list[re.Match[str]] = []
    for i, tok in enumerate([*tokens, None]):
        if tok is not None and not _is_stop(tok.group()):
            group.append(tok)
            continue
        if 2 <= len(group) <= 4 and not _institution(tok) and not _role_before(text, tokens, i - len(group)):
            names.append(Name(group[0].start(), group[-1].end()))
        group = []
    return names


def _extend(text: str, start: int, end: int) -> Name:
    """A cued first name, trimmed of trailing stop words ("Liam DOB")."""
    tokens = list(_TOKEN.finditer(text, start, end))
    while len(tokens) > 1 and _is_stop(tokens[-1].group()):
        tokens.pop()
    return Name(start, tokens[-1].end() if tokens else end)


def _is_stop(word: str) -> bool:
    return word.lower() in _STOP


def _institution(tok: re.Match[str] | None) -> bool:
    return tok is not None and tok.group().lower() in _INSTITUTION


def _role_before(text: str, tokens: list[re.Match[str]], first: int) -> bool:
    if first > 0:
        return _ROLE_BEFORE.search(tokens[first - 1].group() + " ") is not None
    return _after_role(text, tokens[first].start())


def _after_role(text: str, start: int) -> bool:
    return _ROLE_BEFORE.search(text, max(0, start - 24), start) is not None
