"""`scan`: every detector over one piece of text, overlaps settled, findings in text order."""

from __future__ import annotations

from chatbot.pii.addresses import find_home_addresses
from chatbot.pii.ages import find_ages_with_gender
from chatbot.pii.dates import find_birth_dates
from chatbot.pii.emails import find_child_emails
from chatbot.pii.model import Finding, Kind
from chatbot.pii.names import name_near
from chatbot.pii.phones import DEFAULT_REGION, find_phone_numbers

# When two findings overlap, the one that says more about the person wins: a name with its birth date over the
# date alone, a whole address over the digits in it that happen to parse as a phone number.
_RANK = {
    Kind.NAME_WITH_BIRTH_DATE: 0,
    Kind.HOME_ADDRESS: 1,
    Kind.DATE_OF_BIRTH: 2,
    Kind.CHILD_EMAIL: 3,
    Kind.AGE_WITH_GENDER: 4,
    Kind.PHONE_NUMBER: 5,
}


def scan(text: str, *, region: str = DEFAULT_REGION) -> list[Finding]:
    """The personal information in `text` that Tier 1 procedures forbid, sorted by start and non-overlapping.

    `region` is the country whose phone numbers may be written without a country code (ISO 3166 code).
    """
    found: list[Finding] = []
    for birth in find_birth_dates(text):
        name = name_near(text, birth.span_start, birth.span_end)
        if name is None:
            found.append(Finding(Kind.DATE_OF_BIRTH, birth.start, birth.end))
        else:
            found.append(Finding(Kind.NAME_WITH_BIRTH_DATE, min(name.start, birth.start), max(name.end, birth.end)))
    found += [Finding(Kind.AGE_WITH_GENDER, s, e) for s, e in find_ages_with_gender(text)]
    found += [Finding(Kind.HOME_ADDRESS, s, e) for s, e in find_home_addresses(text)]
    found += [Finding(Kind.PHONE_NUMBER, s, e) for s, e in find_phone_numbers(text, region)]
    found += [Finding(Kind.CHILD_EMAIL, s, e) for s, e in find_child_emails(text)]
    return _settle(found)


def _settle(found: list[Finding]) -> list[Finding]:
    """Keep the strongest of overlapping findings (by rank, then length), then put them in text order."""
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (_RANK[f.kind], f.start - f.end, f.start)):
        if all(f.end <= k.start or k.end <= f.start for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)
