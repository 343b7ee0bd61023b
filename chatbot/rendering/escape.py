"""Slack mrkdwn escaping: the only three characters Slack asks apps to encode."""

from __future__ import annotations

import re
from functools import lru_cache


class Trusted(str):
    """Text written by the app or a playbook author: already safe mrkdwn, passed through unescaped."""

    __slots__ = ()


def escape_mrkdwn(text: object) -> str:
    """Make user text inert in mrkdwn: `<!channel>`, `<@U1>` and `<url|x>` become plain text."""
    if isinstance(text, Trusted):
        return text
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")


def user_mention(value: str) -> str:
    """A mention when `value` is a Slack user id (set by the app), else the value as inert text: a field a person
    filled in (a name typed into a form) must never become a mention or a broadcast."""
    return f"<@{value}>" if _SLACK_USER.fullmatch(value) else escape_mrkdwn(value)


def unescape_mrkdwn(text: str) -> str:
    """Inverse of `escape_mrkdwn`, for surfaces that show plain text (the terminal)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


@lru_cache(maxsize=4096)  # the same authored texts, converted on every click otherwise
def markdown_to_mrkdwn(markdown: str) -> Trusted:
    """Convert the Markdown playbook authors write (**bold**, [text](url)) to Slack mrkdwn.

    Authors are trusted, but their text still gets `&<>` escaped so a stray `<` cannot form a mention.
    """
    links: list[str] = []

    def keep_link(m: re.Match[str]) -> str:
        links.append(f"<{m.group(2)}|{escape_mrkdwn(m.group(1)).replace('|', '/')}>")
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep_link, markdown)
    text = escape_mrkdwn(text)
    text = _BOLD.sub(r"*\1*", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], text)
    return Trusted(text)


def markdown_to_plain(markdown: str) -> str:
    """Markdown as a terminal shows it: links become `text (url)`, bold markers go."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", markdown)
    return _BOLD.sub(r"\1", text)
