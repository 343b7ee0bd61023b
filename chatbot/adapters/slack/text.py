"""Fit text into Block Kit's limits by splitting (never silently cutting) and escaping what users typed."""

from __future__ import annotations

SECTION_LIMIT = 3000
PLAIN_LIMIT = 75


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split at line breaks where possible so each piece fits `limit`; a longer line is split hard."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def code_blocks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Text as one or more ``` blocks, each within `limit` including the fences."""
    return [f"```{piece}```" for piece in split_text(text, limit - 6)]


def shorten(text: str, limit: int) -> str:
    """For plain-text labels with a hard cap (modal titles, 24 chars): mark the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
