"""The PII guard: free text typed where a procedure forbids personal information is refused (or let through with a
warning) before anything stores it, and the values it flags are kept out of the audit trail.

Modes come from the configuration (`pii.tier1`, `pii.tier2`): `block` refuses the form with advice per field,
`warn` accepts it and tells the person, `off` does not look. Only offsets and kinds leave `chatbot.pii`; nothing
here logs or repeats the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chatbot.config import PiiGuard as PiiSettings
from chatbot.domain.errors import InvalidFields
from chatbot.pii import DEFAULT_REGION, advice, scan

WITHHELD = "[withheld: PII]"  # the same words as for fields declared PII


@dataclass(frozen=True)
class Checked:
    """What the guard found in values it let through: advice per field (empty when clean)."""

    warnings: dict[str, str]

    @property
    def flagged(self) -> frozenset[str]:
        return frozenset(self.warnings)

    def notice(self) -> str | None:
        if not self.warnings:
            return None
        return " ".join(self.warnings.values()) + " Tier 1 channels must not hold personal data: edit it out."


class PiiGuard:
    def __init__(self, settings: PiiSettings, region: str = DEFAULT_REGION) -> None:
        self.settings = settings
        self.region = region

    def mode(self, tier: int) -> str:
        return self.settings.tier1 if tier <= 1 else self.settings.tier2

    def findings(self, values: Mapping[str, str], labels: Mapping[str, str], only: Iterable[str]) -> dict[str, str]:
        """Advice per field of `only` whose text looks like personal information."""
        found: dict[str, str] = {}
        for name in only:
            text = values.get(name) or ""
            hits = scan(text, region=self.region) if text.strip() else []
            if hits:
                found[name] = advice(hits, labels.get(name, name))
        return found

    def check(
        self, values: Mapping[str, str], labels: Mapping[str, str], *, tier: int, only: Iterable[str] | None = None
    ) -> Checked:
        """Raise InvalidFields (mode `block`) or return the warnings (mode `warn`) for `values` typed at `tier`.
        `only`: the fields that are free text (default: all)."""
        mode = self.mode(tier)
        if mode == "off":
            return Checked({})
        found = self.findings(values, labels, values.keys() if only is None else only)
        if found and mode == "block":
            raise InvalidFields(found)
        return Checked(found)


def withhold(values: Mapping[str, str], flagged: Iterable[str]) -> dict[str, str]:
    """`values` with the flagged ones replaced, for the audit trail and logs."""
    hidden = set(flagged)
    return {k: (WITHHELD if k in hidden and v else v) for k, v in values.items()}
