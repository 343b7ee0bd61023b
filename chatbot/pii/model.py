"""What a scan reports: the kind of personal information and where it sits, never the value itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The personal information Tier 1 procedures forbid in free text."""

    DATE_OF_BIRTH = "date_of_birth"
    NAME_WITH_BIRTH_DATE = "name_with_birth_date"
    AGE_WITH_GENDER = "age_with_gender"
    HOME_ADDRESS = "home_address"
    PHONE_NUMBER = "phone_number"
    CHILD_EMAIL = "child_email"


@dataclass(frozen=True, slots=True)
class Finding:
    """`text[start:end]` looks like personal information of this kind (end exclusive).

    Only offsets are kept so that a finding can be logged, counted or sent back without carrying the value.
    """

    kind: Kind
    start: int
    end: int
