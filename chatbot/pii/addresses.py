"""US-style home addresses: "1428 Elm Street, Apt 3B, Springfield, IL 62704" and PO boxes.

A street address needs a house number, one to four street-name words and a street suffix. Street-name words must
be capitalised, because "took 2 hours on the way" has the same shape in lower case; after an address cue
("lives at", "home address") lower-case typing is accepted too. An address that the text gives as a school's or a
district's (the customer's work address) is not a home address and is left alone.
"""

from __future__ import annotations

import re

_SUFFIX = (
    r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|ter|way|circle"
    r"|cir|parkway|pkwy|highway|hwy|trail|trl|loop|crescent|cres|alley|aly|pike)"
)
_UNIT = r"(?:,?\s*(?:apt|apartment|unit|suite|ste|#|no\.?|lot|fl|floor)\.?\s*#?\s*[A-Za-z0-9-]{1,6}\b)"
_STATE = (
    r"(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]"
    r"|W[AVIY]|PR|GU|VI"
    r"|Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho"
    r"|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota"
    r"|Mississippi|Missouri|Montana|Nebraska|Nevada|New\s+Hampshire|New\s+Jersey|New\s+Mexico|New\s+York"
    r"|North\s+Carolina|North\s+Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode\s+Island|South\s+Carolina"
    r"|South\s+Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West\s+Virginia|Wisconsin|Wyoming)"
)
_CITY_TAIL = rf"(?:,?\s+(?:[A-Z][A-Za-z.'-]+\s+){{0,2}}[A-Z][A-Za-z.'-]+,?\s+{_STATE}(?:\s+\d{{5}}(?:-\d{{4}})?)?\b)"
_ZIP_TAIL = r"(?:,?\s+\d{5}(?:-\d{4})?\b)"
_DIRECTION = r"(?:[NSEW]\.?|North|South|East|West|NE|NW|SE|SW)"
_CAP_WORD = r"(?:[A-Z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))"
_ANY_WORD = r"(?:[A-Za-z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))"


# "1200 Oak Street Elementary" names a school.
_NOT_A_SCHOOL = r"(?!\s+(?i:elementary|middle|high|school|academy|campus|center|library|prep|charter)\b)"


def _street(word: str) -> str:
    return (
        rf"(?<![\w.#/-])\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+(?:{_DIRECTION}\s+)?(?:{word}\s+){{1,4}}"
        rf"(?i:{_SUFFIX})\b\.?{_NOT_A_SCHOOL}(?:\s+{_DIRECTION}\b)?{_UNIT}?{_CITY_TAIL}?{_ZIP_TAIL}?"
    )


_STREET = re.compile(_street(_CAP_WORD))
_STREET_LOOSE = re.compile(_street(_ANY_WORD), re.IGNORECASE)
_PO_BOX = re.compile(
    rf"(?<![\w])(?:p\.?\s*o\.?\s*box|post\s+office\s+box)\s*#?\s*\d{{1,6}}\b{_CITY_TAIL}?{_ZIP_TAIL}?", re.IGNORECASE
)
_HOME_CUE = re.compile(
    r"\b(?:home|house|lives?|living|resides?|residence|resident|moved|address\s*(?:is|:)|mailing|apartment)\b",
    re.IGNORECASE,
)
_WORK_CUE = re.compile(
    r"\b(?:school|schools|district|academy|campus|office|headquarters|hq|building|elementary|high|middle|isd|usd"
    r"|warehouse|ship(?:ping)?|invoice|billing|vendor|company)\b",
    re.IGNORECASE,
)
# Street-name words that end in a suffix word without being a street ("2 Google Drive files").
_NOT_A_STREET = re.compile(r"(?i:\b(?:google|one|share|hard|usb|test|disk|flash|network)\s+(?:drive|dr)\b)")

# A number after these words is a room, a section or a code, not a house number ("Room 204 Lincoln Park Dr").
_NOT_A_HOUSE_NUMBER = re.compile(
    r"(?i:\b(?:room|rm|grade|section|period|unit|lesson|chapter|page|step|version|error|code|ticket|case|id|level"
    r"|building|bldg|floor|suite|gate|bus|route|team|group|class)\.?\s*#?\s*)$"
)

_CUE_WINDOW = 40
_WORK_WINDOW = 60


def find_home_addresses(text: str) -> list[tuple[int, int]]:
    """Spans of street addresses and PO boxes, minus those the text gives as a school's or district's."""
    spans: list[tuple[int, int]] = []
    for m in _STREET.finditer(text):
        if not _NOT_A_STREET.search(m.group()):
            spans.append(m.span())
    if _HOME_CUE.search(text):
        for m in _STREET_LOOSE.finditer(text):
            if _HOME_CUE.search(text, max(0, m.start() - _CUE_WINDOW), m.start()) and not _NOT_A_STREET.search(
                m.group()
            ):
                spans.append(m.span())
    spans.extend(m.span() for m in _PO_BOX.finditer(text))
    return [s for s in spans if not _work_address(text, s[0]) and not _number_of_something_else(text, s[0])]


def _work_address(text: str, start: int) -> bool:
    before_start = max(0, start - _WORK_WINDOW)
    return _WORK_CUE.search(text, before_start, start) is not None and not _HOME_CUE.search(text, before_start, start)


def _number_of_something_else(text: str, start: int) -> bool:
    return _NOT_A_HOUSE_NUMBER.search(text, max(0, start - 16), start) is not None
