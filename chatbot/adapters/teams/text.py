"""Text for Adaptive Card TextBlocks in Teams: make what users typed inert, keep what authors wrote.

Teams renders a small Markdown subset in a TextBlock (Microsoft's "Format cards in Teams"): `**bold**`, `_italic_`
(and `*italic*`), `[title](url)` links, `- ` / `* ` / `+ ` bulleted and `1. ` numbered lists at the start of a
line; and `<at>name</at>` becomes a mention when the card's `msteams.entities` names it (we never add entities, but
the tag must not survive either). Headings, tables, images, code and quotes are documented as unsupported.

So for raw user text we backslash-escape exactly the characters those constructs are made of: `\\ * _ [ ] ( )`,
`< >` everywhere, and a list marker only where it would start a list (start of a line). A backslash before ASCII
punctuation is a Markdown escape, so the client shows the character itself. Values the engine stores are RAW text;
this module is the only place that makes them safe for Teams.

Bare URLs typed by users may still be auto-linked by Teams clients, as Slack does: such a link shows its real
target, unlike `[innocent](https://evil)`, which is what the escaping prevents.
"""

from __future__ import annotations

import re
from functools import lru_cache

_INLINE = re.compile(r"([\\*_\[\]()<>])")
_LIST_BULLET = re.compile(r"^(\s*)([-+])(?=\s)", re.MULTILINE)  # `* ` is covered by the inline escape of `*`
_LIST_NUMBER = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)  # `1) ` is covered by the inline escape of `)`
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_ANGLE = re.compile(r"([<>])")


def escape_text(raw: object) -> str:
    """Raw user text -> TextBlock text that shows exactly those characters: no mention, link, emphasis or list."""
    text = _INLINE.sub(r"\\\1", str(raw))
    text = _LIST_BULLET.sub(r"\1\\\2", text)
    return _LIST_NUMBER.sub(r"\1\\.", text)


def _escape_angles(text: str) -> str:
    return _ANGLE.sub(r"\\\1", text)


@lru_cache(maxsize=4096)  # the same authored texts, converted on every click otherwise
def author_markdown(markdown: str) -> str:
    """Author-written Markdown (trusted: `**bold**`, `[text](https://...)`) for a TextBlock.

    Authors keep their formatting; only `<` and `>` are escaped, so a stray `<at>` can never form a mention.
    """
    links: list[str] = []

    def keep_link(m: re.Match[str]) -> str:
        links.append(f"[{_escape_angles(m.group(1))}]({m.group(2)})")
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep_link, markdown.replace("\x00", ""))
    text = _escape_angles(text)
    return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], text)


def plain(text: str) -> str:
    """For card properties that are never Markdown (button titles, input labels, choice titles): as is."""
    return text


def shorten(text: str, limit: int) -> str:
    """Cap a label; the cut is marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
