"""Counts in words, for what the command line prints: "1 warning", "2 warnings"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun in the number it takes (`plural` for the irregular ones; default: noun + "s")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
