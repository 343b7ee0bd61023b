"""Errors the domain raises. Adapters turn `UserFacingError` into a message the user sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class UserFacingError(Exception):
    """An error whose message is safe and useful to show to the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleAnswer(UserFacingError):
    """The answer was given against an older version of the run (double click, outdated message)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__("This step was already answered; the session shows the current step.")
        self.expected = expected
        self.actual = actual


class InvalidAnswer(UserFacingError):
    """The answer does not fit the current step (e.g. a choice on a finished run)."""


class InvalidFields(UserFacingError):
    """Submitted field values failed validation; `errors` maps field id to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("Some fields need fixing: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class UnknownPlaybook(UserFacingError):
    pass


@dataclass(frozen=True, order=True)
class Issue:
    """One finding of the loader or linter, located in a playbook file."""

    file: str
    line: int
    step: str | None
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"step '{self.step}': " if self.step else ""
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}: {prefix}{where}{self.message}"


class PlaybookErrors(Exception):
    """Raised when playbooks cannot be used; carries every error found, not just the first."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))
